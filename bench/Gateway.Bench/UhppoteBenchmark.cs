using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.Drivers.Barriers;
using Gateway.Drivers.Uhppote;

namespace Gateway.Bench;

/// <summary>
/// uhppote: load N cards into one simulated UHPPOTE board (one put-card per card, one request in
/// flight, as the driver does), change one card, and walk the table back, with the board's per-packet
/// processing time at 0, 5 and 20 ms. The board is <c>gateway-sim uhppote</c> in its own process, so
/// the CPU time of this process is Gateway's own share; the board's measured processing time comes
/// from the simulator's statistics.
/// </summary>
public static partial class UhppoteBenchmark
{
    private const uint Serial = 405419896;
    private static readonly int[] ProcessingTimes = [0, 5, 20];

    public static async Task RunAsync(int cards, TextWriter output)
    {
        var sim = SimulatorPath();
        if (sim is null)
        {
            await output.WriteLineAsync("uhppote: skipped, build src/Simulators in Release first");
            return;
        }

        using var process = StartSimulator(sim, cards);
        try
        {
            var (endpoint, control) = await ReadyAsync(process);
            using var http = new HttpClient { BaseAddress = control };
            await using var board = new UhppoteController(endpoint, Serial, new UhppoteControllerOptions { Timeout = TimeSpan.FromSeconds(5), RetryInterval = TimeSpan.FromSeconds(1) });
            var list = MakeCards(cards);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"uhppote: {cards} cards (numbers from random 4-byte UIDs through a W34 reader) into one simulated board over UDP loopback, one request in flight; simulator in its own process"));

            // Warm-up: JIT and sockets, not measured.
            for (var i = 0; i < Math.Min(200, cards); i++)
            {
                await board.PutCardAsync(list[i]);
            }

            foreach (var ms in ProcessingTimes)
            {
                await PutAsync(http, $"controllers/{Serial}/processing", new { ms });
                await board.DeleteAllCardsAsync();
                var load = await MeasureAsync(http, async () =>
                {
                    foreach (var card in list)
                    {
                        await board.PutCardAsync(card);
                    }

                    return list.Count;
                });
                var held = await board.GetCardCountAsync();
                Report(output, ms, $"load {cards} cards", load, held == cards ? "all held" : $"ONLY {held} HELD");

                var changes = new Stats();
                var change = await MeasureAsync(http, async () =>
                {
                    for (var i = 0; i < 20; i++)
                    {
                        var card = list[(i * 7919) % list.Count] with { To = new DateOnly(2031, 1, 1).AddDays(i) };
                        var started = Stopwatch.GetTimestamp();
                        await board.PutCardAsync(card);
                        changes.AddTicks(Stopwatch.GetTimestamp() - started);
                    }

                    return 20;
                });
                Report(output, ms, "change 1 card (x20)", change, $"per change {changes.Summary("ms")}");

                if (ms == 0)
                {
                    var walked = 0;
                    var walk = await MeasureAsync(http, async () =>
                    {
                        await foreach (var _ in board.ReadCardsAsync())
                        {
                            walked++;
                        }

                        return walked + 1;
                    });
                    Report(output, ms, $"walk the table (get-cards + {walked} get-card-by-index)", walk, walked == cards ? "every card read back" : $"ONLY {walked} READ");
                }
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static void Report(TextWriter output, int ms, string name, Measurement m, string note)
    {
        var perRequest = m.Elapsed.TotalMilliseconds / m.Requests;
        var other = m.Elapsed.TotalMilliseconds - m.BoardMs;
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  {ms,2} ms/packet  {name}: {m.Elapsed.TotalSeconds:0.000} s, {m.Requests} requests, {perRequest:0.000} ms each; board processing {m.BoardMs / 1000:0.000} s; the rest {other / 1000:0.000} s ({other / m.Requests:0.000} ms a request); Gateway CPU {m.GatewayCpu.TotalSeconds:0.000} s ({m.GatewayCpu.TotalMilliseconds / m.Requests:0.000} ms a request); {note}"));
    }

    private static async Task<Measurement> MeasureAsync(HttpClient http, Func<Task<int>> action)
    {
        var board0 = await BoardMsAsync(http);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        var requests = await action();
        stopwatch.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        return new Measurement(stopwatch.Elapsed, requests, await BoardMsAsync(http) - board0, cpu);
    }

    private static async Task<double> BoardMsAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<JsonElement>(new Uri("statistics", UriKind.Relative))).GetProperty("processingMs").GetDouble();

    private static async Task PutAsync(HttpClient http, string path, object body)
    {
        using var response = await http.PutAsJsonAsync(new Uri(path, UriKind.Relative), body);
        response.EnsureSuccessStatusCode();
    }

    private static List<UhppoteCard> MakeCards(int count)
    {
        var random = new Random(20_000);
        var numbers = new HashSet<uint>();
        var bytes = new byte[4];
        var from = new DateOnly(2024, 1, 1);
        while (numbers.Count < count)
        {
            random.NextBytes(bytes);
            if (CardNumbers.TryFromUid(CardUid.FromBytes(bytes), ReaderFormat.Default, out var number, out _))
            {
                numbers.Add(number);
            }
        }

        return [.. numbers.Select((n, i) => new UhppoteCard(n, from, from.AddDays(30 + (i % 700)), DoorPermissions.Of([1 + (i % 4)])))];
    }

    private static string? SimulatorPath()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Gateway.sln")))
        {
            dir = dir.Parent;
        }

        var path = dir is null ? null : Path.Combine(dir.FullName, "src", "Simulators", "bin", "Release", "net10.0", "gateway-sim.dll");
        return path is not null && File.Exists(path) ? path : null;
    }

    private static Process StartSimulator(string dll, int cards)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { dll, "uhppote", "--listen", "udp://127.0.0.1:0", "--control", "http://127.0.0.1:0", "--controllers", Serial.ToString(CultureInfo.InvariantCulture), "--card-capacity", Math.Max(cards, 200).ToString(CultureInfo.InvariantCulture), "--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("gateway-sim could not be started");
    }

    private static async Task<(IPEndPoint Endpoint, Uri Control)> ReadyAsync(Process process)
    {
        IPEndPoint? endpoint = null;
        Uri? control = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (UdpLine().Match(line) is { Success: true } udp)
            {
                endpoint = IPEndPoint.Parse(udp.Groups[1].Value);
            }
            else if (line.StartsWith("control ", StringComparison.Ordinal))
            {
                control = new Uri(line["control ".Length..] + "/");
            }
            else if (line == "ready" && endpoint is not null && control is not null)
            {
                return (endpoint, control);
            }
        }

        throw new InvalidOperationException($"gateway-sim uhppote did not start: {await process.StandardError.ReadToEndAsync(timeout.Token)}");
    }

    [GeneratedRegex(@"^uhppote udp://(\S+) controllers")]
    private static partial Regex UdpLine();

    private readonly record struct Measurement(TimeSpan Elapsed, int Requests, double BoardMs, TimeSpan GatewayCpu);
}
