using System.Diagnostics;
using System.Globalization;
using System.IO.Ports;
using System.Net.Http.Json;
using System.Runtime.Versioning;
using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.Channels;

namespace Gateway.Bench;

/// <summary>
/// Time to issue and verify one card: Gateway's encoder against `gateway-sim encoder` (a real
/// process on a pty), a fresh blank 1K card each time, through each transport (Gateway's own HSU
/// frame layer, then the Iot.Device.Bindings Pn532 class). Reports the median, the PN532 commands
/// per card, the time per journaled step, and the floor under the binding's per-command cost.
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

        await FloorAsync(cards * 10, output);
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
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Gateway.sln")))
        {
            root = root.Parent;
        }

        var sim = root is null ? null : Path.Combine(root.FullName, "src", "Simulators", "bin", "Release", "net10.0", "gateway-sim.dll");
        if (sim is null || !File.Exists(sim))
        {
            await output.WriteLineAsync("encoder: skipped, build src/Simulators in Release first");
            return;
        }

        var folder = Path.Combine(Path.GetTempPath(), $"gateway-bench-encoder-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        var link = Path.Combine(folder, "ttyPN532");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { sim, "encoder", "--pty", link, "--card", "none", "--control", "http://127.0.0.1:0" })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        try
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

            using var http = new HttpClient { BaseAddress = new Uri(control!) };
            var journal = new TimingJournal();
            var keys = SiteCardKeys.Parse(SiteCardKeys.GenerateKeyText(), 1);
            await using var encoder = new Pn532CardEncoder(new Pn532EncoderOptions(link, "bench") { Transport = transport }, keys, journal);
            await encoder.GetInfoAsync(CancellationToken.None);

            var total = new Stats();
            long commands = 0;
            for (var i = 0; i < cards + 2; i++)
            {
                (await http.PostAsync("field/clear", null)).EnsureSuccessStatusCode();
                (await http.PostAsJsonAsync("cards", new { type = "1k" })).EnsureSuccessStatusCode();
                var before = encoder.CommandCount;
                journal.Reset();
                var start = Stopwatch.GetTimestamp();
                await encoder.IssueAsync(new CardIssueRequest((uint)(i + 1), CardKind.Access, 1), CancellationToken.None);
                var elapsed = Stopwatch.GetTimestamp() - start;
                if (i >= 2)
                {
                    total.AddTicks(elapsed);
                    commands += encoder.CommandCount - before;
                    journal.Close(start + elapsed);
                }
            }

            var perCard = (double)commands / cards;
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"encoder {Name(transport)} (issue + verify one blank 1K card -> gateway-sim encoder on a pty): {total.Summary("ms")}; {perCard:0} PN532 commands per card, {total.Percentile(50) / 1000.0 / perCard:0.00} ms per command"));
            foreach (var (step, stats) in journal.Steps)
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  step {step,-18} median {stats.Percentile(50) / 1000.0:0.0} ms"));
            }
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
