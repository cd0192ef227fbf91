using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Drivers.Barriers;
using static Gateway.Bench.SyncBenchmark;

namespace Gateway.Bench;

/// <summary>
/// uhppote-revoke: the service as a real process keeping 8 UHPPOTE boards (one <c>gateway-sim uhppote</c>
/// process answering 8 serial numbers on one UDP address, each board one door in zone building-1), on a
/// SQLite file seeded with issued cards. After the first full sync, each revoke goes over the API and the
/// time until every board denies the card is measured by polling the simulator's control API
/// (<c>GET /controllers/{serial}/doors/1/decision</c>: no event logged, no packet on the wire), at each
/// board's per-packet processing time in turn (set through the control API between the rounds).
/// </summary>
public static class UhppoteRevokeBenchmark
{
    private const uint FirstSerial = 405419896;

    /// <summary>Sizes of one run.</summary>
    /// <param name="Cards">Issued cards in the database (a twentieth of them in building-1, on every board).</param>
    /// <param name="Boards">Boards, all in building-1.</param>
    /// <param name="Revokes">Revoke calls measured at each processing time.</param>
    /// <param name="ProcessingMs">The boards' per-packet processing times, one round each.</param>
    public sealed record Settings(int Cards, int Boards, int Revokes, IReadOnlyList<int> ProcessingMs);

    public static Settings Full { get; } = new(20_000, 8, 20, [0, 5, 20]);

    public static Settings Smoke { get; } = new(200, 2, 2, [0, 5]);

    /// <summary>Overrides from <c>--revokes=N --cards=N --boards=N</c>.</summary>
    public static Settings WithArguments(Settings settings, IEnumerable<string> args)
    {
        foreach (var (name, value) in BenchArguments.Counts(args))
        {
            settings = name switch
            {
                "--revokes" => settings with { Revokes = Math.Min(value, 1_000) },
                "--cards" => settings with { Cards = Math.Min(value, 100_000) },
                "--boards" => settings with { Boards = Math.Clamp(value, 1, 64) },
                _ => settings,
            };
        }

        return settings;
    }

    public static async Task RunAsync(Settings settings, TextWriter output)
    {
        var root = RepositoryRoot();
        var service = root is null ? null : Path.Combine(root, "src", "Gateway.Service", "bin", "Release", "net10.0", "Gateway.Service.dll");
        var sim = root is null ? null : Path.Combine(root, "src", "Simulators", "bin", "Release", "net10.0", "gateway-sim.dll");
        if (service is null || sim is null || !File.Exists(service) || !File.Exists(sim))
        {
            await output.WriteLineAsync("uhppote-revoke: skipped, build src/Gateway.Service and src/Simulators in Release first");
            return;
        }

        await output.WriteLineAsync($"uhppote-revoke: load average before: {LoadAverage()}");
        await InFolderAsync("uhppote-revoke", folder => RevokeAsync(service, sim, folder, settings, output));
    }

    private static async Task RevokeAsync(string service, string sim, string folder, Settings s, TextWriter output)
    {
        var cards = Seed(folder, s.Cards, output);
        await using var processes = new ProcessGroup();
        var serials = Enumerable.Range(0, s.Boards).Select(i => FirstSerial + (uint)i).ToList();
        var board = await processes.StartAsync("sim", "dotnet", [sim, "uhppote", "--listen", "udp://127.0.0.1:0", "--controllers", string.Join(',', serials), "--doors", "1", "--control", "http://127.0.0.1:0"], folder, "^ready$");
        var endpoint = board.Match(@"^uhppote (\S+)").Groups[1].Value;
        var control = new Uri(board.Match(@"^control (\S+)").Groups[1].Value.TrimEnd('/') + "/");
        var args = new List<string>();
        for (var i = 0; i < serials.Count; i++)
        {
            args.Add($"--Gateway:Devices:{i}:Id=door-{i + 1}");
            args.Add($"--Gateway:Devices:{i}:Kind=uhppote");
            args.Add($"--Gateway:Devices:{i}:Endpoint={endpoint}");
            args.Add(string.Create(CultureInfo.InvariantCulture, $"--Gateway:Devices:{i}:Controller={serials[i]}"));
            args.Add($"--Gateway:Devices:{i}:Doors:1:Zone=building-1");
        }

        var (http, gateway) = await StartServiceAsync(processes, service, folder, args);
        using var api = http;
        using var simulator = new HttpClient { BaseAddress = control, Timeout = TimeSpan.FromSeconds(30) };
        var inZone = cards.Where(c => c.Building == 1).ToList();
        var synced = await WaitForBoardsAsync(api, serials.Count, cards.Count);
        gateway.TakeWarnings();
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"uhppote-revoke: {serials.Count} boards behind one simulator on UDP loopback, zone building-1 with {inZone.Count} of {cards.Count} issued cards; first full sync (processing 0 ms) took {synced.TotalSeconds:0.0} s"));

        var random = new Random(8);
        var next = 0;
        foreach (var ms in s.ProcessingMs)
        {
            foreach (var serial in serials)
            {
                using var response = await simulator.PutAsJsonAsync($"controllers/{serial}/processing", new { ms });
                response.EnsureSuccessStatusCode();
            }

            var watch = new DenyWatch(serials.Count);
            for (var r = 0; r < s.Revokes && next < inZone.Count; r++, next++)
            {
                var card = inZone[next];
                var before = await DecisionsAsync(simulator, serials, card.Uid);
                if (before.Any(d => !d.Granted))
                {
                    throw new InvalidOperationException($"card {card.Number} is not granted at every board before its revoke: boards {string.Join(", ", before.Where(d => !d.Granted).Select(d => d.Serial))}");
                }

                // Revokes arrive at random moments, not in step with the engine's polls.
                await Task.Delay(TimeSpan.FromMilliseconds(300 + random.Next(700)));
                var start = Stopwatch.GetTimestamp();
                using (var response = await api.PostAsJsonAsync($"api/cards/{card.Number}/revoke", new { reason = "moved-out" }))
                {
                    response.EnsureSuccessStatusCode();
                }

                var deniedAt = await watch.UntilAllDenyAsync<uint>(serials.Count, start, async denied => (await DecisionsAsync(simulator, serials.Where(x => !denied.Contains(x)), card.Uid)).Where(d => !d.Granted).Select(d => d.Serial));
                if (deniedAt.Count < serials.Count)
                {
                    await output.WriteLineAsync($"  revoke of card {card.Number}: only {deniedAt.Count} of {serials.Count} boards denied it within 60 s");
                    continue;
                }

                var sorted = deniedAt.Values.Order().ToList();
                foreach (var warning in gateway.TakeWarnings())
                {
                    await output.WriteLineAsync("    service: " + warning);
                }

                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  processing {ms} ms, revoke {r + 1}: card {card.Number}, all {serials.Count} deny after {Ms(sorted[^1] - start):0} ms (first {Ms(sorted[0] - start):0} ms)"));
            }

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"uhppote-revoke processing {ms} ms -> every one of {serials.Count} boards denies (polled every 5 ms): n={watch.All.Count} median={watch.All.Percentile(50) / 1000:0} ms p95={watch.All.Percentile(95) / 1000:0} ms max={watch.All.Percentile(100) / 1000:0} ms; first board median={watch.First.Percentile(50) / 1000:0} ms; missed {watch.Missed}"));
            await output.WriteLineAsync("  median by rank (1st..last board to deny): " + string.Join(", ", watch.PerRank.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Percentile(50) / 1000:0}"))) + " ms");
        }

        var statistics = await simulator.GetFromJsonAsync<JsonElement>("statistics");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  simulator: {statistics.GetProperty("received").GetInt64()} datagrams received, deepest queue at a board {statistics.GetProperty("maxQueueDepth").GetInt32()}; load average after: {LoadAverage()}"));
    }

    /// <summary>Every board connected, the seeded outbox applied (the board answered every put-card of its fill) and nothing pending.</summary>
    private static async Task<TimeSpan> WaitForBoardsAsync(HttpClient api, int boards, long outboxSequence)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var devices = (await api.GetFromJsonAsync<JsonElement>("api/devices")).GetProperty("items").EnumerateArray()
                .Where(d => d.GetProperty("kind").GetString() == "uhppote").ToList();
            var done = devices.Count(d => d.GetProperty("state").GetString() == "connected"
                && d.GetProperty("pendingChanges").GetInt32() == 0
                && d.GetProperty("appliedSequence").ValueKind == JsonValueKind.Number && d.GetProperty("appliedSequence").GetInt64() >= outboxSequence);
            if (done == boards)
            {
                return watch.Elapsed;
            }

            if (watch.Elapsed > TimeSpan.FromMinutes(30))
            {
                throw new TimeoutException("the boards were not synced within 30 minutes");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    private static async Task<List<(uint Serial, bool Granted)>> DecisionsAsync(HttpClient simulator, IEnumerable<uint> serials, CardUid uid)
    {
        var answers = await Task.WhenAll(serials.Select(async serial =>
        {
            var decision = await simulator.GetFromJsonAsync<JsonElement>(string.Create(CultureInfo.InvariantCulture, $"controllers/{serial}/doors/1/decision?uid={uid}"));
            return (serial, decision.GetProperty("granted").GetBoolean());
        }));
        return [.. answers];
    }
}
