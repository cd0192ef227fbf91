using System.Diagnostics;
using System.Globalization;
using System.IO.Ports;
using System.Net.Http.Json;
using System.Runtime.Versioning;
using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Pcsc;
using Gateway.Drivers.Channels;

namespace Gateway.Bench;

/// <summary>
/// Time to issue and verify one card: Gateway's encoder against `gateway-sim encoder` (a real
/// process on a pty), a fresh blank 1K card each time, through each transport (Gateway's own HSU
/// frame layer, then the Iot.Device.Bindings Pn532 class), then over PC/SC (pcsc-lite, pcscd and
/// vsmartcard-vpcd to the simulated reader's card). Reports the median, the reader commands per card,
/// the time per journaled step, and the floor under the binding's per-command cost.
/// </summary>
[SupportedOSPlatform("linux")]
public static class EncoderBenchmark
{
    public static async Task RunAsync(int cards, TextWriter output)
    {
        foreach (var transport in new[] { Pn532Transport.Direct, Pn532Transport.Binding })
        {
            await RunAsync(cards, transport, output);
        }

        await RunPcscAsync(cards, output);
        await FloorAsync(cards * 10, output);
    }

    // The same issue over PC/SC: Gateway's PcscCardEncoder through pcsc-lite and pcscd to
    // vsmartcard-vpcd's first reader, where gateway-sim presents its simulated reader's card.
    private static async Task RunPcscAsync(int cards, TextWriter output)
    {
        const string endpoint = "pcsc://Virtual%20PCD%2000%2000";
        var sim = SimulatorPath();
        if (sim is null)
        {
            await output.WriteLineAsync("encoder pcsc: skipped, build src/Simulators in Release first");
            return;
        }

        // vpcd's port is fixed: wait while a test holds it (the tests' lock file, Gateway.Testing's Vpcd).
        using var vpcd = await VpcdLockAsync();
        var journal = new TimingJournal();
        var keys = SiteCardKeys.Parse(SiteCardKeys.GenerateKeyText(), 1);
        await using var encoder = new PcscCardEncoder(new PcscEncoderOptions(endpoint, "bench") { PollInterval = TimeSpan.FromMilliseconds(20) }, keys, journal);
        try
        {
            await encoder.GetInfoAsync(CancellationToken.None);
        }
        catch (EncoderNotRespondingException ex)
        {
            await output.WriteLineAsync($"encoder pcsc: skipped, {ex.Message} (needs pcscd with vsmartcard-vpcd, as test.sh installs)");
            return;
        }

        using var process = StartSimulator(sim, ["encoder", "--vpcd", "127.0.0.1:35963", "--card", "none", "--control", "http://127.0.0.1:0"]);
        try
        {
            var control = await ControlUrlAsync(process);
            using var http = new HttpClient { BaseAddress = new Uri(control!) };
            await IssueCardsAsync(encoder, journal, http, cards, output, "pcsc (issue + verify one blank 1K card -> pcsc-lite -> pcscd -> vpcd -> gateway-sim's reader card, timing on)", "APDU", TimeSpan.Zero, async () =>
            {
                // A clerk takes the last card off before placing the next one: wait until pcscd has seen it go.
                (await http.PostAsync("field/clear", null)).EnsureSuccessStatusCode();
                while ((await encoder.GetInfoAsync(CancellationToken.None)).Card is not null)
                {
                    await Task.Delay(20);
                }

                (await http.PostAsJsonAsync("cards", new { type = "1k" })).EnsureSuccessStatusCode();
                await encoder.WaitForCardAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
            });
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static string? SimulatorPath()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Gateway.sln")))
        {
            root = root.Parent;
        }

        var sim = root is null ? null : Path.Combine(root.FullName, "src", "Simulators", "bin", "Release", "net10.0", "gateway-sim.dll");
        return sim is not null && File.Exists(sim) ? sim : null;
    }

    private static Process StartSimulator(string sim, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(sim);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }

    private static async Task<string?> ControlUrlAsync(Process process)
    {
        string? control = null;
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("control ", StringComparison.Ordinal))
            {
                control = line["control ".Length..];
            }

            if (line == "ready")
            {
                break;
            }
        }

        return control;
    }

    private static async Task<IDisposable> VpcdLockAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), "gateway-vpcd.lock");
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(50);
            }
        }
    }

    // What one PN532 command through the binding waits on: a Thread.Sleep(1) of its polling loops,
    // and one System.IO.Ports read of a byte that is already there (the binding reads a reply with
    // about a dozen such calls), against one read on Gateway's termios line.
    private static async Task FloorAsync(int samples, TextWriter output)
    {
        var sleep = new Stats();
        for (var i = 0; i < samples; i++)
        {
            var start = Stopwatch.GetTimestamp();
            Thread.Sleep(1);
            sleep.AddTicks(Stopwatch.GetTimestamp() - start);
        }

        var link = Path.Combine(Path.GetTempPath(), $"gateway-bench-floor-{Environment.ProcessId}.pty");
        await using var pty = PseudoTerminal.Create(link);
        var readByte = new Stats();
        using (var port = new SerialPort(link, 115200, Parity.None, 8, StopBits.One) { ReadTimeout = 1000 })
        {
            port.Open();
            await pty.WriteAsync(new byte[samples], CancellationToken.None);
            while (port.BytesToRead < samples)
            {
                await Task.Delay(1);
            }

            for (var i = 0; i < samples; i++)
            {
                var start = Stopwatch.GetTimestamp();
                port.ReadByte();
                readByte.AddTicks(Stopwatch.GetTimestamp() - start);
            }
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"encoder floor: Thread.Sleep(1) median {sleep.Percentile(50) / 1000.0:0.00} ms; SerialPort.ReadByte of a waiting byte median {readByte.Percentile(50) / 1000.0:0.00} ms (n={samples} each)"));
    }

    private static async Task RunAsync(int cards, Pn532Transport transport, TextWriter output)
    {
        var sim = SimulatorPath();
        if (sim is null)
        {
            await output.WriteLineAsync("encoder: skipped, build src/Simulators in Release first");
            return;
        }

        var folder = Path.Combine(Path.GetTempPath(), $"gateway-bench-encoder-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        var link = Path.Combine(folder, "ttyPN532");
        using var process = StartSimulator(sim, ["encoder", "--pty", link, "--card", "none", "--control", "http://127.0.0.1:0"]);
        try
        {
            var control = await ControlUrlAsync(process);
            using var http = new HttpClient { BaseAddress = new Uri(control!) };
            var journal = new TimingJournal();
            var keys = SiteCardKeys.Parse(SiteCardKeys.GenerateKeyText(), 1);
            await using var encoder = new Pn532CardEncoder(new Pn532EncoderOptions(link, "bench") { Transport = transport }, keys, journal);
            await encoder.GetInfoAsync(CancellationToken.None);

            // The ACK is 6 bytes at 115200 baud, 10 bits a byte (the simulator's default line rate).
            await IssueCardsAsync(encoder, journal, http, cards, output, $"{Name(transport)} (issue + verify one blank 1K card -> gateway-sim encoder on a pty, timing on)", "PN532 command", TimeSpan.FromSeconds(6 * 10 / 115200.0), async () =>
            {
                (await http.PostAsync("field/clear", null)).EnsureSuccessStatusCode();
                (await http.PostAsJsonAsync("cards", new { type = "1k" })).EnsureSuccessStatusCode();
            });
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    // Issues cards + 2 fresh blank cards (the first 2 warm up) and prints the median issue time, the
    // reader commands per card, the modelled line and card time per card (the simulator's /stats) and
    // what is left of the issue time for Gateway and the rest of the stack, and the median time of
    // each journaled step. `ackPerCommand`: the ACK's line time, which the simulator spends while the
    // card works, so that it is not on the issue's path (zero over PC/SC, which models no line).
    private static async Task IssueCardsAsync(MifareCardEncoder encoder, TimingJournal journal, HttpClient simulator, int cards, TextWriter output, string label, string command, TimeSpan ackPerCommand, Func<Task> placeBlankCard)
    {
        var total = new Stats();
        var wire = new Stats();
        var card = new Stats();
        var rest = new Stats();
        long commands = 0;
        for (var i = 0; i < cards + 2; i++)
        {
            await placeBlankCard();
            var before = encoder.CommandCount;
            var (wireBefore, cardBefore) = await ModelledAsync(simulator);
            journal.Reset();
            var start = Stopwatch.GetTimestamp();
            await encoder.IssueAsync(new CardIssueRequest((uint)(i + 1), CardKind.Access, 1), CancellationToken.None);
            var elapsed = Stopwatch.GetTimestamp() - start;
            var (wireAfter, cardAfter) = await ModelledAsync(simulator);
            if (i >= 2)
            {
                total.AddTicks(elapsed);
                var sent = encoder.CommandCount - before;
                commands += sent;
                journal.Close(start + elapsed);
                wire.Add(wireAfter - wireBefore);
                card.Add(cardAfter - cardBefore);
                rest.Add(Stopwatch.GetElapsedTime(start, start + elapsed) - (wireAfter - wireBefore - ackPerCommand * sent) - (cardAfter - cardBefore));
            }
        }

        var perCard = (double)commands / cards;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"encoder {label}: {total.Summary("ms")}; {perCard:0} {command}s per card, {total.Percentile(50) / 1000.0 / perCard:0.00} ms per {command}"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  modelled per card: line median {wire.Percentile(50) / 1000.0:0.0} ms (ACKs {ackPerCommand.TotalMilliseconds * perCard:0.0} ms of it, sent while the card works), card median {card.Percentile(50) / 1000.0:0.0} ms; the rest (Gateway, {(ackPerCommand > TimeSpan.Zero ? "the pty" : "pcsc-lite, pcscd, vpcd")} and the simulator's own work) median {rest.Percentile(50) / 1000.0:0.0} ms"));
        foreach (var (step, stats) in journal.Steps)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  step {step,-18} median {stats.Percentile(50) / 1000.0:0.0} ms"));
        }
    }

    // The simulator's modelled line and card time so far (GET /stats).
    private static async Task<(TimeSpan Wire, TimeSpan Card)> ModelledAsync(HttpClient simulator)
    {
        var stats = await simulator.GetFromJsonAsync<System.Text.Json.JsonElement>("stats");
        return (TimeSpan.FromMicroseconds(stats.GetProperty("wireMicroseconds").GetInt64()), TimeSpan.FromMicroseconds(stats.GetProperty("cardMicroseconds").GetInt64()));
    }

    private static string Name(Pn532Transport transport) => transport == Pn532Transport.Direct ? "direct" : "binding";

    // Journals in memory and notes when each step starts, to report where the time goes.
    private sealed class TimingJournal : ICardWriteJournal
    {
        private readonly InMemoryCardWriteJournal _inner = new();
        private readonly List<(CardWriteStep Step, long At)> _current = [];

        public List<(string Step, Stats Stats)> Steps { get; } = [];

        public void Reset() => _current.Clear();

        public void Close(long end)
        {
            var marks = _current.Select(m => (Name: m.Step.ToString(), m.At)).ToList();
            for (var i = 0; i < marks.Count; i++)
            {
                var until = i + 1 < marks.Count ? marks[i + 1].At : end;
                var entry = Steps.FirstOrDefault(s => s.Step == marks[i].Name);
                if (entry.Stats is null)
                {
                    entry = (marks[i].Name, new Stats());
                    Steps.Add(entry);
                }

                entry.Stats.AddTicks(until - marks[i].At);
            }
        }

        public Task<long> BeginAsync(CardWriteOperationKind kind, string cardUid, CardPayload? payload, CancellationToken cancellationToken) => _inner.BeginAsync(kind, cardUid, payload, cancellationToken);

        public Task RecordStepAsync(long operationId, CardWriteStep step, CancellationToken cancellationToken)
        {
            _current.Add((step, Stopwatch.GetTimestamp()));
            return _inner.RecordStepAsync(operationId, step, cancellationToken);
        }

        public Task CompleteAsync(long operationId, CardWriteOutcome outcome, CancellationToken cancellationToken) => _inner.CompleteAsync(operationId, outcome, cancellationToken);

        public Task<CardWriteOperation?> FindOpenAsync(string cardUid, CancellationToken cancellationToken) => _inner.FindOpenAsync(cardUid, cancellationToken);
    }
}
