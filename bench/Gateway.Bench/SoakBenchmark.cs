using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Runtime.Versioning;
using System.Text.Json;
using Gateway.Drivers.Channels;
using Microsoft.Data.Sqlite;

namespace Gateway.Bench;

/// <summary>
/// soak: the service as a real process with simulated controllers on a pty RTU bus (19200 baud, line-rate
/// emulation) and on Modbus TCP, while the simulators inject random faults (dropped, late, corrupt and
/// busy replies, reboots) and the pty bus is unplugged once for a while, and the API takes card changes
/// (lost, found, revoked) and parking payments, and cards are presented at the gates. At the end, faults
/// cleared: every controller must hold exactly what the service says it should (entry by entry, not only
/// count and digest), every event presented at a gate must be stored exactly once, and every alarm is
/// matched to the fault or presentation that caused it. RSS of the service is printed as it goes.
/// The pty bus goes through a relay in this process (service pty ↔ simulator pty): unplugging it drops
/// every byte both ways, as a pulled cable does, while the controllers keep running and logging events.
/// </summary>
[SupportedOSPlatform("linux")]
public static class SoakBenchmark
{
    private const string Pty = "pty";
    private const string Tcp = "tcp";

    /// <summary>Sizes of one run.</summary>
    /// <param name="Duration">How long faults and changes go on.</param>
    /// <param name="Cards">Issued cards seeded (every tenth of the first 200 of kind both, with a parking agreement).</param>
    /// <param name="Unplug">How long the pty bus stays unplugged (once, a third into the run).</param>
    /// <param name="RssEvery">How often a figure line (RSS, counts) is printed.</param>
    /// <param name="Seed">Seed of the random choices, so a run can be repeated.</param>
    public sealed record Settings(TimeSpan Duration, int Cards, TimeSpan Unplug, TimeSpan RssEvery, int Seed);

    public static Settings Full { get; } = new(TimeSpan.FromMinutes(30), 2_000, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), 12);

    public static Settings Smoke { get; } = new(TimeSpan.FromSeconds(20), 100, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(10), 12);

    /// <summary>Overrides from <c>--soak-minutes=N --soak-cards=N --unplug-seconds=N --rss-every-seconds=N --seed=N</c>.</summary>
    public static Settings WithArguments(Settings settings, IEnumerable<string> args)
    {
        foreach (var (name, value) in BenchArguments.Counts(args))
        {
            settings = name switch
            {
                "--soak-minutes" => settings with { Duration = TimeSpan.FromMinutes(Math.Min(value, 24 * 60)) },
                "--soak-cards" => settings with { Cards = Math.Min(value, 100_000) },
                "--unplug-seconds" => settings with { Unplug = TimeSpan.FromSeconds(Math.Min(value, 3_600)) },
                "--rss-every-seconds" => settings with { RssEvery = TimeSpan.FromSeconds(Math.Min(value, 3_600)) },
                "--seed" => settings with { Seed = value },
                _ => settings,
            };
        }

        return settings;
    }

    /// <returns>False when an invariant did not hold (a controller that differs, an event lost or stored twice).</returns>
    public static async Task<bool> RunAsync(Settings settings, TextWriter output)
    {
        var root = SyncBenchmark.RepositoryRoot();
        var service = root is null ? null : Path.Combine(root, "src", "Gateway.Service", "bin", "Release", "net10.0", "Gateway.Service.dll");
        var sim = root is null ? null : Path.Combine(root, "src", "Simulators", "bin", "Release", "net10.0", "gateway-sim.dll");
        if (service is null || sim is null || !File.Exists(service) || !File.Exists(sim))
        {
            await output.WriteLineAsync("soak: skipped, build src/Gateway.Service and src/Simulators in Release first");
            return true;
        }

        var ok = true;
        await SyncBenchmark.InFolderAsync("soak", async folder => ok = await SoakAsync(service, sim, folder, settings, output));
        return ok;
    }

    private static async Task<bool> SoakAsync(string service, string sim, string folder, Settings s, TextWriter output)
    {
        var random = new Random(s.Seed);
        // Every tenth of the first 200 cards is of kind both and gets a parking agreement with a paid month.
        var cards = SyncBenchmark.Seed(folder, s.Cards, output, i => IsParking(i) ? "both" : "access");
        await using var processes = new SyncBenchmark.ProcessGroup();

        // The pty bus: the simulator serves its own pty; the relay joins it to the pty the service opens.
        var simLink = Path.Combine(folder, "tty-sim");
        var busLink = Path.Combine(folder, "tty-bus");
        string[] ptyArgs = [sim, "barrier", "--pty", simLink, "--units", "1-4", "--baud", "19200", "--state", Path.Combine(folder, "pty.state"), "--control", "http://127.0.0.1:0"];
        var ptySim = await processes.StartAsync("sim-pty", "dotnet", ptyArgs, folder, "^ready$");
        await using var relay = await Relay.StartAsync(busLink, simLink);
        var tcpSim = await processes.StartAsync("sim-tcp", "dotnet", [sim, "barrier", "--listen", "tcp://127.0.0.1:0", "--units", "1-4", "--state", Path.Combine(folder, "tcp.state"), "--control", "http://127.0.0.1:0"], folder, "^ready$");
        var tcpEndpoint = tcpSim.Match(@"^modbus (\S+)").Groups[1].Value;
        string[] zones = ["building-1", "building-2", "common", "car-park"];
        var devices = new List<SyncBenchmark.Device>();
        var controllers = new List<Controller>();
        using var simulators = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var controls = new Dictionary<string, Uri>
        {
            [Pty] = new(ptySim.Match(@"^control (\S+)").Groups[1].Value),
            [Tcp] = new(tcpSim.Match(@"^control (\S+)").Groups[1].Value),
        };
        for (var u = 1; u <= 4; u++)
        {
            devices.Add(new SyncBenchmark.Device($"pty-{u}", $"serial://{busLink}?baud=19200&parity=even", u, zones[u - 1]));
            controllers.Add(new Controller($"pty-{u}", Pty, u));
            devices.Add(new SyncBenchmark.Device($"tcp-{u}", tcpEndpoint, u, u == 2 ? "building-3" : zones[u - 1]));
            controllers.Add(new Controller($"tcp-{u}", Tcp, u));
        }

        var (http, gateway) = await SyncBenchmark.StartServiceAsync(processes, service, folder, devices);
        using var api = http;
        var synced = await SyncBenchmark.WaitForSyncAsync(api, devices.Count, cards.Count, output);
        gateway.TakeWarnings();

        // Parking: an agreement with a granted month for each card of kind both; more payments are granted during the run.
        var agreements = new List<long>();
        var receipt = 0;
        foreach (var card in cards.Where(c => IsParking((int)(c.Number - 100_000))))
        {
            var holder = card.Number - 100_000;
            using var response = await api.PostAsJsonAsync("api/parking/agreements", new
            {
                agreementNumber = $"SOAK-{holder}",
                holderId = holder,
                cardNumber = card.Number,
                plate = $"SK{holder}",
                space = $"P{holder}",
                monthlyFeeFen = 30_000,
                billingCycle = "month",
                paymentMethod = "cash",
                signedCopyRef = "soak",
            });
            response.EnsureSuccessStatusCode();
            var agreement = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
            agreements.Add(agreement);
            await GrantAsync(api, agreement, ++receipt);
        }

        await SyncBenchmark.WaitForSyncAsync(api, devices.Count, LatestOutbox(folder), output);

        var pid = gateway.Id;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"soak: {cards.Count} issued cards ({agreements.Count} with a parking agreement), 4 controllers on a 19200-baud pty RTU bus (through an unpluggable relay) and 4 on Modbus TCP, synced in {synced.TotalSeconds:0.0} s; running {s.Duration.TotalMinutes:0.#} min with faults (seed {s.Seed}); RSS {SyncBenchmark.Rss(pid) / 1024.0:0.0} MB"));

        var states = cards.ToDictionary(c => c.Number, _ => "issued");
        var causes = new List<Cause>();
        var presented = new List<Presented>();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        void Count(string what) => counts[what] = counts.GetValueOrDefault(what) + 1;
        var rss = new List<(TimeSpan At, long Kb)> { (TimeSpan.Zero, SyncBenchmark.Rss(pid)) };
        var watch = Stopwatch.StartNew();
        var unplugAt = s.Duration / 3;
        var unplugged = false;
        var replugged = false;
        var nextFigure = s.RssEvery;
        while (watch.Elapsed < s.Duration)
        {
            if (!unplugged && watch.Elapsed >= unplugAt)
            {
                unplugged = true;
                relay.Unplugged = true;
                causes.AddRange(controllers.Where(c => c.Bus == Pty).Select(c => new Cause(c.Id, "unplugged", DateTimeOffset.UtcNow, s.Unplug)));
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {watch.Elapsed.TotalSeconds:0} s: pty bus unplugged for {s.Unplug.TotalSeconds:0} s"));
            }

            if (unplugged && !replugged && watch.Elapsed >= unplugAt + s.Unplug)
            {
                replugged = true;
                relay.Unplugged = false;
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {watch.Elapsed.TotalSeconds:0} s: pty bus plugged in again"));
            }

            if (watch.Elapsed >= nextFigure)
            {
                nextFigure += s.RssEvery;
                rss.Add((watch.Elapsed, SyncBenchmark.Rss(pid)));
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {watch.Elapsed.TotalMinutes:0.0} min: RSS {rss[^1].Kb / 1024.0:0.0} MB; {string.Join(", ", counts.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}"));
            }

            var controller = controllers[random.Next(controllers.Count)];
            var control = controls[controller.Bus];
            var roll = random.Next(100);
            if (roll < 35)
            {
                // A card at a gate (lane 1 or 2): any card, so lost and revoked ones are presented too.
                var card = cards[random.Next(cards.Count)];
                using var response = await simulators.PostAsJsonAsync(new Uri(control, $"units/{controller.Unit}/present"), new { lane = 1 + random.Next(2), uid = card.Uid.ToString() });
                response.EnsureSuccessStatusCode();
                var e = await response.Content.ReadFromJsonAsync<JsonElement>();
                var reason = e.GetProperty("reason").GetString() ?? string.Empty;
                presented.Add(new Presented(controller.Id, e.GetProperty("sequence").GetInt64(), card.Uid.ToString()));
                if (string.Equals(reason, "blocked", StringComparison.OrdinalIgnoreCase))
                {
                    causes.Add(new Cause(controller.Id, "blocked card presented", DateTimeOffset.UtcNow, TimeSpan.Zero));
                }

                Count("presented");
            }
            else if (roll < 55)
            {
                // A card change at the front desk.
                var card = cards[random.Next(cards.Count)];
                var (action, next) = states[card.Number] switch
                {
                    "issued" => random.Next(4) == 0 ? ("revoke", "revoked") : ("report-lost", "lost"),
                    "lost" => ("found", "issued"),
                    _ => (null, null),
                };
                if (action is not null)
                {
                    using var response = await api.PostAsJsonAsync($"api/cards/{card.Number}/{action}", action == "revoke" ? new { reason = "moved-out" } : (object)new { });
                    response.EnsureSuccessStatusCode();
                    states[card.Number] = next!;
                    Count(action);
                }
            }
            else if (roll < 62 && agreements.Count > 0)
            {
                // A parking payment recorded and granted: the card's car-park entry is extended.
                await GrantAsync(api, agreements[random.Next(agreements.Count)], ++receipt);
                Count("parking grant");
            }
            else if (roll < 95)
            {
                // A fault on the controller's next replies.
                var (kind, delay) = random.Next(4) switch
                {
                    0 => ("drop", 0),
                    1 => ("delay", 1_500),
                    2 => ("corrupt", 0),
                    _ => ("busy", 0),
                };
                var times = 1 + random.Next(5);
                using var response = await simulators.PostAsJsonAsync(new Uri(control, $"units/{controller.Unit}/faults"), new { kind, count = times, delayMs = delay });
                response.EnsureSuccessStatusCode();
                causes.Add(new Cause(controller.Id, $"{times} {kind}", DateTimeOffset.UtcNow, TimeSpan.Zero));
                Count(kind);
            }
            else
            {
                using var response = await simulators.PostAsync(new Uri(control, $"units/{controller.Unit}/reboot"), null);
                response.EnsureSuccessStatusCode();
                causes.Add(new Cause(controller.Id, "reboot", DateTimeOffset.UtcNow, TimeSpan.Zero));
                Count("reboot");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200 + random.Next(600)));
        }

        relay.Unplugged = false;
        foreach (var c in controllers)
        {
            using var cleared = await simulators.DeleteAsync(new Uri(controls[c.Bus], $"units/{c.Unit}/faults"));
        }

        rss.Add((watch.Elapsed, SyncBenchmark.Rss(pid)));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"soak: {watch.Elapsed.TotalMinutes:0.0} min done; {string.Join(", ", counts.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}; faults cleared, waiting for the controllers to settle"));
        // Settled means up to date, not only reachable: every controller must have applied the outbox up to its
        // last marker. A controller back from a long back-off shows connected, nothing pending and the count
        // it held (a lost or revoked card keeps its entry, blocked) before it has caught up.
        var latest = LatestOutbox(folder);
        var settled = await SyncBenchmark.WaitForSyncAsync(api, devices.Count, latest, output, async () =>
        {
            // What the soak compared before it waited for the applied sequence (not counted in the result).
            await output.WriteLineAsync("  every controller connected, nothing pending, counts as expected, some still catching up; compared now:");
            await CompareWhitelistsAsync(api, simulators, controls, controllers, cards, output);
        });

        var ok = true;
        ok &= await CompareWhitelistsAsync(api, simulators, controls, controllers, cards, output);
        ok &= await CompareEventsAsync(folder, presented, output);
        await ExplainAlarmsAsync(api, causes, output);
        var warnings = gateway.TakeWarnings();
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  settled {settled.TotalSeconds:0.0} s after the faults stopped; the service logged {warnings.Count} warnings and errors (kept: the first 200 log lines)"));
        await output.WriteLineAsync("  RSS: " + string.Join(", ", rss.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.At.TotalMinutes:0.0} min {r.Kb / 1024.0:0.0} MB"))));
        await output.WriteLineAsync($"  load average after: {SyncBenchmark.LoadAverage()}");
        return ok;
    }

    /// <summary>Every controller's whitelist, entry by entry (UID and blocked), against what the service says each card should have.</summary>
    private static async Task<bool> CompareWhitelistsAsync(HttpClient api, HttpClient simulators, Dictionary<string, Uri> controls, List<Controller> controllers, List<SyncBenchmark.SeededCard> cards, TextWriter output)
    {
        var expected = controllers.ToDictionary(c => c.Id, _ => new HashSet<(string Uid, bool Blocked)>());
        foreach (var card in cards)
        {
            var entries = await api.GetFromJsonAsync<JsonElement>($"api/cards/{card.Number}/entries");
            foreach (var entry in entries.GetProperty("entries").EnumerateArray())
            {
                expected[entry.GetProperty("controllerId").GetString()!].Add((entry.GetProperty("cardUid").GetString()!, entry.GetProperty("blocked").GetBoolean()));
            }
        }

        var differences = 0;
        var held = 0;
        foreach (var c in controllers)
        {
            var list = await simulators.GetFromJsonAsync<JsonElement>(new Uri(controls[c.Bus], $"units/{c.Unit}/whitelist"));
            var actual = list.EnumerateArray().Select(e => (e.GetProperty("uid").GetString()!, e.GetProperty("blocked").GetBoolean())).ToHashSet();
            held += actual.Count;
            var missing = expected[c.Id].Except(actual).ToList();
            var extra = actual.Except(expected[c.Id]).ToList();
            if (missing.Count + extra.Count > 0)
            {
                differences += missing.Count + extra.Count;
                await output.WriteLineAsync($"  {c.Id}: {missing.Count} entries missing (e.g. {string.Join(' ', missing.Take(3))}), {extra.Count} extra (e.g. {string.Join(' ', extra.Take(3))})");
            }
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"soak whitelists: {controllers.Count} controllers hold {held} entries; {differences} differ from what the service says they should hold (UID and blocked, checked per card)"));
        return differences == 0;
    }

    /// <summary>Every event presented at a gate stored exactly once (by controller, sequence and card), nothing stored that was not presented.</summary>
    private static async Task<bool> CompareEventsAsync(string folder, List<Presented> presented, TextWriter output)
    {
        // The service collects events on its own schedule; wait for the last ones (bounded).
        var watch = Stopwatch.StartNew();
        Dictionary<(string, long, string), int> stored;
        while (true)
        {
            stored = ReadEvents(folder);
            if (presented.All(p => stored.ContainsKey((p.ControllerId, p.Sequence, p.Uid))) || watch.Elapsed > TimeSpan.FromMinutes(2))
            {
                break;
            }

            await Task.Delay(500);
        }

        var keys = presented.Select(p => (p.ControllerId, p.Sequence, p.Uid)).ToHashSet();
        var lost = keys.Count(k => !stored.ContainsKey(k));
        var twice = stored.Where(p => p.Value > 1).ToList();
        var phantom = stored.Keys.Count(k => !keys.Contains(k));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"soak events: {presented.Count} presented at the gates, {stored.Values.Sum()} stored; {lost} never stored, {twice.Count} stored more than once, {phantom} stored that were never presented"));
        foreach (var (key, count) in twice.Take(5))
        {
            await output.WriteLineAsync($"  stored {count} times: {key}");
        }

        return lost == 0 && twice.Count == 0 && phantom == 0;
    }

    /// <summary>The card outbox's newest sequence in the service's database: what a controller has applied when it is up to date.</summary>
    private static long LatestOutbox(string folder)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "gateway.db"), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(sequence), 0) FROM card_outbox";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static Dictionary<(string, long, string), int> ReadEvents(string folder)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "gateway.db"), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT controller_id, sequence, card_uid, COUNT(*) FROM controller_events GROUP BY controller_id, sequence, card_uid";
        using var reader = command.ExecuteReader();
        var result = new Dictionary<(string, long, string), int>();
        while (reader.Read())
        {
            result[(reader.GetString(0), reader.GetInt64(1), reader.GetString(2))] = reader.GetInt32(3);
        }

        return result;
    }

    /// <summary>
    /// Every alarm raised, matched to its cause: a device-down to a fault, reboot or the unplugged bus on that
    /// controller in the two minutes before it; a blocked-card to a blocked card presented there. Anything
    /// else is listed as unexplained (printed, not failed on: a loaded machine can make a controller late).
    /// </summary>
    private static async Task ExplainAlarmsAsync(HttpClient api, List<Cause> causes, TextWriter output)
    {
        var alarms = new List<JsonElement>();
        long? after = 0;
        while (after is { } a)
        {
            var page = await api.GetFromJsonAsync<JsonElement>($"api/alarms?state=all&limit=500&after={a}");
            alarms.AddRange(page.GetProperty("items").EnumerateArray());
            after = page.GetProperty("next").ValueKind == JsonValueKind.Number ? page.GetProperty("next").GetInt64() : null;
        }

        var unexplained = new List<string>();
        foreach (var alarm in alarms)
        {
            var kind = alarm.GetProperty("kind").GetString();
            var device = alarm.GetProperty("deviceId").GetString();
            var raised = alarm.GetProperty("raisedUtc").GetDateTimeOffset();
            var cause = kind switch
            {
                "device-down" => causes.LastOrDefault(c => c.DeviceId == device && c.What != "blocked card presented" && c.At <= raised && raised <= c.At + c.Lasting + TimeSpan.FromMinutes(2)),
                "blocked-card" => causes.LastOrDefault(c => c.DeviceId == device && c.What == "blocked card presented" && c.At <= raised.AddSeconds(1)),
                _ => null,
            };
            if (cause is null)
            {
                unexplained.Add($"{kind} {device} at {raised:HH:mm:ss}: {alarm.GetProperty("message").GetString()}");
            }
        }

        var byKind = alarms.GroupBy(a => a.GetProperty("kind").GetString()).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}");
        await output.WriteLineAsync($"soak alarms: {alarms.Count} raised ({string.Join(", ", byKind)}); {unexplained.Count} without a cause injected here");
        foreach (var line in unexplained.Take(20))
        {
            await output.WriteLineAsync("  unexplained: " + line);
        }
    }

    private static bool IsParking(int i) => i % 10 == 0 && i <= 200;

    /// <summary>A month paid in cash at the front desk and granted.</summary>
    private static async Task GrantAsync(HttpClient api, long agreement, int receipt)
    {
        using var paid = await Post(api, $"api/parking/agreements/{agreement}/payments", new { amountFen = 30_000, method = "cash", receiptNumber = $"SOAK-{receipt}" }, $"soak-pay-{receipt}");
        var payment = (await paid.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        using var granted = await Post(api, $"api/parking/payments/{payment}/grant", null, $"soak-grant-{receipt}");
    }

    private static async Task<HttpResponseMessage> Post(HttpClient api, string path, object? body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        var response = await api.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return response;
    }

    private sealed record Controller(string Id, string Bus, int Unit);

    private sealed record Cause(string DeviceId, string What, DateTimeOffset At, TimeSpan Lasting);

    private sealed record Presented(string ControllerId, long Sequence, string Uid);

    /// <summary>Bytes between the service's pty and the simulator's, both ways; unplugged, every byte is dropped.</summary>
    private sealed class Relay : IAsyncDisposable
    {
        private readonly PseudoTerminal _bus;
        private readonly SerialChannel _sim;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _pumps;
        private volatile bool _unplugged;

        private Relay(PseudoTerminal bus, SerialChannel sim)
        {
            _bus = bus;
            _sim = sim;
            _pumps = Task.WhenAll(PumpAsync(bus, sim), PumpAsync(sim, bus));
        }


        public bool Unplugged
        {
            get => _unplugged;
            set => _unplugged = value;
        }

        public static async Task<Relay> StartAsync(string busLink, string simLink)
        {
            var bus = PseudoTerminal.Create(busLink);
            var sim = new SerialChannel(new SerialEndpoint(simLink));
            await sim.OpenAsync(CancellationToken.None);
            return new Relay(bus, sim);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _pumps;
            }
            catch (OperationCanceledException)
            {
            }

            await _sim.DisposeAsync();
            await _bus.DisposeAsync();
            _stop.Dispose();
        }

        private async Task PumpAsync(IByteChannel from, IByteChannel to)
        {
            var buffer = new byte[512];
            while (!_stop.IsCancellationRequested)
            {
                var n = await from.ReadAsync(buffer, _stop.Token);
                if (n > 0 && !_unplugged)
                {
                    await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
                }
            }
        }
    }
}
