using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.Drivers.Barriers;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Bench;

/// <summary>
/// sync: the service as a real process (the built <c>Gateway.Service.dll</c>) driving <c>gateway-sim
/// barrier</c> processes, on a SQLite file seeded with issued cards.
/// 1. Revoke latency: controllers on one pseudo-terminal bus with 19200-baud line-rate emulation, all
///    in zone building-1; after the first full sync, each revoke goes over the API and the time until
///    every controller denies the card is measured by polling the simulator's control API
///    (<c>GET /whitelist/{uid}</c>: every unit's decision in one request, no event logged, nothing on the bus).
/// 2. Idle footprint: many controllers behind simulated serial device servers (RTU over TCP, no line
///    rate) and Modbus TCP, all synced; then RSS (VmRSS) and CPU (utime+stime) of the service over a window.
/// Processes it starts are killed when it ends.
/// </summary>
public static partial class SyncBenchmark
{
    private const string Token = "bench-bootstrap-token-0123456789abcdef0123456789";
    private const string SiteId = "bench";
    private const int Buildings = 20;
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(30);

    /// <summary>Sizes of one run.</summary>
    /// <param name="RevokeCards">Issued cards in the database for the revoke part (a twentieth of them in building-1).</param>
    /// <param name="RevokeControllers">Controllers on the 19200-baud bus, units 1..N, zone building-1.</param>
    /// <param name="Revokes">Revoke calls measured.</param>
    /// <param name="IdleCards">Issued cards for the footprint part.</param>
    /// <param name="IdleControllers">Controllers for the footprint part (a fifth of them common doors holding every card).</param>
    /// <param name="IdleSeconds">The idle window measured.</param>
    public sealed record Settings(int RevokeCards, int RevokeControllers, int Revokes, int IdleCards, int IdleControllers, int IdleSeconds);

    public static Settings Full { get; } = new(20_000, 8, 20, 20_000, 50, 60);

    public static Settings Smoke { get; } = new(200, 2, 3, 200, 4, 5);

    /// <summary>Overrides from <c>--revokes=N --revoke-cards=N --idle-cards=N --idle-controllers=N --idle-seconds=N</c>.</summary>
    public static Settings WithArguments(Settings settings, IEnumerable<string> args)
    {
        foreach (var (name, value) in BenchArguments.Counts(args))
        {
            settings = name switch
            {
                "--revokes" => settings with { Revokes = Math.Min(value, 1_000) },
                "--revoke-cards" => settings with { RevokeCards = Math.Min(value, 100_000) },
                "--revoke-controllers" => settings with { RevokeControllers = Math.Min(value, 32) },
                "--idle-cards" => settings with { IdleCards = Math.Min(value, 100_000) },
                "--idle-controllers" => settings with { IdleControllers = Math.Min(value, 200) },
                "--idle-seconds" => settings with { IdleSeconds = Math.Min(value, 3_600) },
                _ => settings,
            };
        }

        return settings;
    }

    public static async Task RunAsync(Settings settings, bool revoke, bool idle, TextWriter output)
    {
        var root = RepositoryRoot();
        var service = root is null ? null : Path.Combine(root, "src", "Gateway.Service", "bin", "Release", "net10.0", "Gateway.Service.dll");
        var sim = root is null ? null : Path.Combine(root, "src", "Simulators", "bin", "Release", "net10.0", "gateway-sim.dll");
        if (service is null || sim is null || !File.Exists(service) || !File.Exists(sim))
        {
            await output.WriteLineAsync("sync: skipped, build src/Gateway.Service and src/Simulators in Release first");
            return;
        }

        await output.WriteLineAsync($"sync: load average before: {LoadAverage()}");
        if (revoke)
        {
            if (OperatingSystem.IsLinux())
            {
                await InFolderAsync("revoke", folder => RevokeAsync(service, sim, folder, settings, output));
            }
            else
            {
                await output.WriteLineAsync("sync revoke: skipped, the simulated RS-485 bus is a pseudo-terminal (Linux only)");
            }
        }

        if (idle)
        {
            if (OperatingSystem.IsLinux())
            {
                await InFolderAsync("idle", folder => IdleAsync(service, sim, folder, settings, output));
            }
            else
            {
                await output.WriteLineAsync("sync idle: skipped, it reads /proc (Linux only)");
            }
        }
    }

    private static async Task RevokeAsync(string service, string sim, string folder, Settings s, TextWriter output)
    {
        var cards = Seed(folder, s.RevokeCards, output);
        await using var processes = new ProcessGroup();
        var link = Path.Combine(folder, "tty-bus");
        var bus = await processes.StartAsync("sim", "dotnet", [sim, "barrier", "--pty", link, "--units", $"1-{s.RevokeControllers}", "--baud", "19200", "--control", "http://127.0.0.1:0"], folder, "^ready$");
        var control = new Uri(bus.Match(@"^control (\S+)").Groups[1].Value);
        var devices = Enumerable.Range(1, s.RevokeControllers)
            .Select(u => new Device($"gate-{u}", $"serial://{link}?baud=19200&parity=even", u, "building-1"))
            .ToList();
        var (http, gateway) = await StartServiceAsync(processes, service, folder, devices);
        using var api = http;
        using var simulator = new HttpClient { BaseAddress = control, Timeout = TimeSpan.FromSeconds(30) };

        var inZone = cards.Where(c => c.Building == 1).ToList();
        var synced = await WaitForSyncAsync(api, devices.Count, cards.Count, output);
        gateway.TakeWarnings();
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"sync revoke: {devices.Count} controllers on one 19200-baud pty bus (line-rate emulation), zone building-1 with {inZone.Count} of {cards.Count} issued cards; first full sync took {synced.TotalSeconds:0.0} s"));

        var call = new Stats();
        var watch = new DenyWatch(devices.Count);
        var random = new Random(8);
        for (var r = 0; r < Math.Min(s.Revokes, inZone.Count); r++)
        {
            var card = inZone[r];
            var before = await LookupAsync(simulator, card.Uid);
            if (before.Any(v => v.Denied))
            {
                throw new InvalidOperationException($"card {card.Number} is not granted everywhere before its revoke: {string.Join(", ", before.Where(v => v.Denied).Select(v => $"unit {v.Unit} {v.Reason}"))}");
            }

            // Revokes arrive at random moments, not in step with the engine's poll.
            await Task.Delay(TimeSpan.FromMilliseconds(300 + random.Next(700)));
            var start = Stopwatch.GetTimestamp();
            using (var response = await api.PostAsJsonAsync($"api/cards/{card.Number}/revoke", new { reason = "moved-out" }))
            {
                response.EnsureSuccessStatusCode();
            }

            var called = Stopwatch.GetTimestamp() - start;
            call.AddTicks(called);
            var deniedAt = await watch.UntilAllDenyAsync<int>(devices.Count, start, async _ => (await LookupAsync(simulator, card.Uid)).Where(v => v.Denied).Select(v => v.Unit));
            if (deniedAt.Count < devices.Count)
            {
                await output.WriteLineAsync($"  revoke of card {card.Number}: only {deniedAt.Count} of {devices.Count} controllers denied it within 60 s");
                continue;
            }

            var sorted = deniedAt.Values.Order().ToList();
            foreach (var warning in gateway.TakeWarnings())
            {
                await output.WriteLineAsync("    service: " + warning);
            }

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  revoke {r + 1}: card {card.Number}, all {devices.Count} deny after {Ms(sorted[^1] - start):0} ms (first {Ms(sorted[0] - start):0} ms, API call {Ms(called):0} ms); order {string.Join(' ', deniedAt.OrderBy(p => p.Value).Select(p => p.Key))}"));
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"sync revoke -> every one of {devices.Count} controllers denies (polled every 5 ms): n={watch.All.Count} median={watch.All.Percentile(50) / 1000:0} ms p95={watch.All.Percentile(95) / 1000:0} ms max={watch.All.Percentile(100) / 1000:0} ms; missed {watch.Missed}"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  first controller: median={watch.First.Percentile(50) / 1000:0} ms p95={watch.First.Percentile(95) / 1000:0} ms; API call: median={call.Percentile(50) / 1000:0.0} ms p95={call.Percentile(95) / 1000:0.0} ms"));
        await output.WriteLineAsync("  median by rank (1st..last controller to deny): " + string.Join(", ", watch.PerRank.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Percentile(50) / 1000:0}"))) + " ms");
        await output.WriteLineAsync($"  load average after: {LoadAverage()}");
    }

    private static async Task IdleAsync(string service, string sim, string folder, Settings s, TextWriter output)
    {
        var cards = Seed(folder, s.IdleCards, output);
        await using var processes = new ProcessGroup();

        // A site: 40% of the controllers on RS-485 buses behind serial device servers (RTU over TCP, 10 units a
        // bus), the rest Modbus TCP controllers; a fifth of all of them common doors (every card), the rest
        // building doors (one building's cards). No line-rate emulation: the initial sync is not what is measured.
        var devices = new List<Device>();
        var controls = new List<Uri>();
        var rtuControllers = s.IdleControllers * 2 / 5;
        var index = 0;
        string Zone() => index++ % 5 == 0 ? "common" : $"building-{1 + (index % Buildings)}";
        for (var busNumber = 0; rtuControllers > 0; busNumber++)
        {
            var units = Math.Min(10, rtuControllers);
            rtuControllers -= units;
            var bus = await processes.StartAsync($"rtu-{busNumber}", "dotnet", [sim, "barrier", "--listen", "rtu+tcp://127.0.0.1:0", "--units", $"1-{units}", "--capacity", "65535", "--control", "http://127.0.0.1:0"], folder, "^ready$");
            var endpoint = bus.Match(@"^modbus (\S+)").Groups[1].Value;
            controls.Add(new Uri(bus.Match(@"^control (\S+)").Groups[1].Value));
            for (var u = 1; u <= units; u++)
            {
                devices.Add(new Device($"bus{busNumber}-{u}", endpoint, u, Zone()));
            }
        }

        var tcpControllers = s.IdleControllers - devices.Count;
        for (var group = 0; tcpControllers > 0; group++)
        {
            // One simulator process answers several unit ids on one listener; the service opens one connection per controller.
            var units = Math.Min(10, tcpControllers);
            tcpControllers -= units;
            var host = await processes.StartAsync($"tcp-{group}", "dotnet", [sim, "barrier", "--listen", "tcp://127.0.0.1:0", "--units", $"1-{units}", "--capacity", "65535", "--control", "http://127.0.0.1:0"], folder, "^ready$");
            var endpoint = host.Match(@"^modbus (\S+)").Groups[1].Value;
            controls.Add(new Uri(host.Match(@"^control (\S+)").Groups[1].Value));
            for (var u = 1; u <= units; u++)
            {
                devices.Add(new Device($"tcp{group}-{u}", endpoint, u, Zone()));
            }
        }

        var (http, gateway) = await StartServiceAsync(processes, service, folder, devices);
        using var api = http;
        var pid = gateway.Id;
        var synced = await WaitForSyncAsync(api, devices.Count, cards.Count, output);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"sync idle: {cards.Count} issued cards, {devices.Count} controllers ({devices.Count(d => d.Endpoint.StartsWith("rtu+tcp", StringComparison.Ordinal))} on RTU-over-TCP buses, {devices.Count(d => d.Endpoint.StartsWith("tcp:", StringComparison.Ordinal))} Modbus TCP; {devices.Count(d => d.Zone == "common")} common doors), all synced in {synced.TotalSeconds:0.0} s; RSS then {Rss(pid) / 1024.0:0.0} MB"));

        // Let start-up work (JIT tiering, the first checks' garbage) settle before the window opens.
        var settle = TimeSpan.FromSeconds(Math.Min(10, s.IdleSeconds));
        await Task.Delay(settle);
        using var simulators = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var framesBefore = await FramesAsync(simulators, controls);
        var (cpuBefore, at) = (CpuTicks(pid), Stopwatch.GetTimestamp());
        var rss = new List<long>();
        var window = TimeSpan.FromSeconds(s.IdleSeconds);
        while (Stopwatch.GetElapsedTime(at) < window)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            rss.Add(Rss(pid));
        }

        var cpuAfter = CpuTicks(pid);
        foreach (var warning in gateway.TakeWarnings())
        {
            await output.WriteLineAsync("    service: " + warning);
        }

        var elapsed = Stopwatch.GetElapsedTime(at);
        var frames = await FramesAsync(simulators, controls) - framesBefore;
        var cpuSeconds = (cpuAfter - cpuBefore) / (double)ClockTicksPerSecond();
        var threads = Status(pid, "Threads:");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"sync idle footprint over {elapsed.TotalSeconds:0.0} s (after {settle.TotalSeconds:0} s to settle): RSS median {Median(rss) / 1024.0:0.0} MB, max {rss.Max() / 1024.0:0.0} MB; CPU {cpuSeconds:0.00} s = {cpuSeconds / elapsed.TotalSeconds * 100:0.00}% of one core; {threads} threads; {frames / elapsed.TotalSeconds:0.0} Modbus requests/s on the wire"));
        await output.WriteLineAsync($"  load average after: {LoadAverage()}");
    }

    internal sealed record Device(string Id, string Endpoint, int Unit, string Zone);

    internal sealed record SeededCard(long Number, CardUid Uid, int Building);

    private sealed record UnitView(int Unit, bool Denied, string? Reason);

    /// <summary>
    /// Holders with one issued access card each, spread over 20 buildings, written as the issue transaction
    /// leaves them (card, issue record, transition, outbox marker). Issuing through the API writes a physical
    /// card on the encoder first (about 1 s a card, see "encoder"), so thousands are seeded in one transaction.
    /// <paramref name="kindOf"/> gives card i's kind (access when null).
    /// </summary>
    internal static List<SeededCard> Seed(string folder, int count, TextWriter output, Func<int, string>? kindOf = null)
    {
        var watch = Stopwatch.StartNew();
        var database = new GatewayDatabase(Path.Combine(folder, "gateway.db"));
        database.Initialize(SiteId, Migrator.Discover(typeof(GatewayDatabase).Assembly), TimeProvider.System);
        var cards = new List<SeededCard>(count);
        var at = UnitOfWork.Timestamp(DateTimeOffset.UtcNow.AddDays(-30));
        using (var connection = database.OpenConnection())
        using (var transaction = connection.BeginTransaction())
        {
            SqliteCommand Command(string sql)
            {
                var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = sql;
                return command;
            }

            using var holder = Command("INSERT INTO holders(id, name, building, unit, room, created_utc, updated_utc) VALUES ($id, 'Resident', $b, '1', $id, $at, $at)");
            using var card = Command("INSERT INTO cards(number, state, uid, holder_id, kind, issue_count, received_utc, updated_utc) VALUES ($n, 'issued', $uid, $id, $kind, 1, $at, $at)");
            using var issue = Command("INSERT INTO card_issues(card_number, holder_id, kind, uid, issue_counter, items, receipt_reference, issued_utc, issued_by) VALUES ($n, $id, $kind, $uid, 1, '[\"card\"]', 'bench', $at, 'bench')");
            using var history = Command("INSERT INTO card_events(card_number, action, from_state, to_state, at_utc, operator_id) VALUES ($n, 'issue', 'in-stock', 'issued', $at, 'bench')");
            using var outbox = Command("INSERT INTO card_outbox(card_id, reason, created_utc) VALUES ($n, 'issue', $at)");
            var commands = new[] { holder, card, issue, history, outbox };
            var parameters = commands.Select(c =>
            {
                c.Parameters.AddWithValue("$at", at);
                return (Id: c.Parameters.Add("$id", SqliteType.Integer), Number: c.Parameters.Add("$n", SqliteType.Integer), Uid: c.Parameters.Add("$uid", SqliteType.Text), Building: c.Parameters.Add("$b", SqliteType.Text), Kind: c.Parameters.Add("$kind", SqliteType.Text));
            }).ToList();

            for (var i = 1; i <= count; i++)
            {
                var number = 100_000L + i;
                var building = 1 + (i % Buildings);

                // A third of the cards have 7-byte UIDs, as on a site with mixed stock.
                var uid = CardUid.FromBytes(i % 3 == 0
                    ? [0x04, (byte)(i >> 16), (byte)(i >> 8), (byte)i, 0x5A, 0x80, 0x01]
                    : [0x10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]);
                foreach (var (id, n, u, b, k) in parameters)
                {
                    k.Value = kindOf?.Invoke(i) ?? "access";
                    id.Value = i;
                    n.Value = number;
                    u.Value = uid.ToString();
                    b.Value = building.ToString(CultureInfo.InvariantCulture);
                }

                foreach (var command in commands)
                {
                    command.ExecuteNonQuery();
                }

                cards.Add(new SeededCard(number, uid, building));
                if (i % 5_000 == 0)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  seeded {i} of {count} cards ({watch.Elapsed.TotalSeconds:0.0} s)"));
                }
            }

            transaction.Commit();
        }

        SqliteConnection.ClearAllPools();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  seeded {count} holders with an issued card each in {watch.Elapsed.TotalSeconds:0.0} s"));
        return cards;
    }

    internal static Task<(HttpClient Api, Child Service)> StartServiceAsync(ProcessGroup processes, string service, string folder, IReadOnlyList<Device> devices)
    {
        var args = new List<string>();
        for (var i = 0; i < devices.Count; i++)
        {
            var d = devices[i];
            args.Add($"--Gateway:Devices:{i}:Id={d.Id}");
            args.Add($"--Gateway:Devices:{i}:Kind=barrier");
            args.Add($"--Gateway:Devices:{i}:Endpoint={d.Endpoint}");
            args.Add(string.Create(CultureInfo.InvariantCulture, $"--Gateway:Devices:{i}:Unit={d.Unit}"));
            args.Add($"--Gateway:Devices:{i}:Zone={d.Zone}");
        }

        return StartServiceAsync(processes, service, folder, args);
    }

    /// <summary>The service on <paramref name="folder"/>, its devices given as <c>--Gateway:Devices:N:*</c> arguments.</summary>
    internal static async Task<(HttpClient Api, Child Service)> StartServiceAsync(ProcessGroup processes, string service, string folder, IEnumerable<string> deviceArgs)
    {
        var args = new List<string>
        {
            service,
            $"--Gateway:DataFolder={folder}",
            $"--Gateway:SiteId={SiteId}",
            $"--Gateway:BootstrapToken={Token}",
            "--Gateway:Http:Port=0",
        };
        args.AddRange(deviceArgs);

        // Diagnostics: GATEWAY_BENCH_SERVICE_ARGS adds arguments, e.g. --Serilog:MinimumLevel:Default=Verbose
        // (every Modbus frame, with milliseconds, in the service's log file under the kept folder).
        args.AddRange((Environment.GetEnvironmentVariable("GATEWAY_BENCH_SERVICE_ARGS") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var process = await processes.StartAsync("gateway", "dotnet", args, folder, @"HTTP (http://[0-9.]+:\d+)");
        var url = process.Match(@"HTTP (http://[0-9.]+:\d+)").Groups[1].Value;
        var api = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromSeconds(60) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return (api, process);
    }

    /// <summary>
    /// Waits until every controller is connected, was checked in sync at <paramref name="outboxSequence"/> (the
    /// seeded markers: its applied sequence moves there only once count and digest matched), holds what it
    /// should and has nothing pending; prints progress.
    /// </summary>
    internal static async Task<TimeSpan> WaitForSyncAsync(HttpClient api, int controllers, long outboxSequence, TextWriter output, Func<Task>? whenReachableButBehind = null, string kind = "barrier")
    {
        var watch = Stopwatch.StartNew();
        var lastPrint = TimeSpan.Zero;
        var behindSeen = new HashSet<string>();
        while (true)
        {
            var devices = (await api.GetFromJsonAsync<JsonElement>("api/devices")).GetProperty("items").EnumerateArray()
                .Where(d => d.GetProperty("kind").GetString() == kind).ToList();
            int Value(JsonElement d, string name) => d.GetProperty(name).ValueKind == JsonValueKind.Number ? d.GetProperty(name).GetInt32() : 0;
            long Applied(JsonElement d) => d.GetProperty("appliedSequence").ValueKind == JsonValueKind.Number ? d.GetProperty("appliedSequence").GetInt64() : -1;
            bool Reachable(JsonElement d) => d.GetProperty("state").GetString() == "connected"
                && Value(d, "whitelistCount") == Value(d, "expectedCount")
                && Value(d, "pendingChanges") == 0
                && !d.GetProperty("drifted").GetBoolean();
            var done = devices.Count(d => Reachable(d) && Applied(d) >= outboxSequence);

            // Connected with nothing pending and the count expected, yet behind the outbox: said once per controller.
            foreach (var d in devices.Where(d => Reachable(d) && Applied(d) < outboxSequence))
            {
                var id = d.GetProperty("id").GetString() ?? "?";
                if (behindSeen.Add(id))
                {
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {id}: connected, nothing pending, {Value(d, "whitelistCount")} entries as expected, but applied the outbox only up to {Applied(d)} of {outboxSequence}: catching up ({watch.Elapsed.TotalSeconds:0.0} s)"));
                }
            }

            if (done == controllers)
            {
                return watch.Elapsed;
            }

            // Every controller reachable, nothing pending, counts as expected, yet some behind the outbox: the
            // moment a wait that ignored the applied sequence would have called the controllers settled.
            if (whenReachableButBehind is not null && devices.Count(Reachable) == controllers)
            {
                var call = whenReachableButBehind;
                whenReachableButBehind = null;
                await call();
            }

            if (watch.Elapsed - lastPrint >= TimeSpan.FromSeconds(10))
            {
                lastPrint = watch.Elapsed;
                var held = devices.Sum(d => Value(d, "whitelistCount"));
                var expected = devices.Sum(d => Value(d, "expectedCount"));
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  syncing: {done} of {controllers} controllers done, {held} of {expected} entries held ({watch.Elapsed.TotalSeconds:0} s)"));
            }

            if (watch.Elapsed > Bound)
            {
                throw new TimeoutException($"the controllers were not synced within {Bound}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
    }

    private static async Task<List<UnitView>> LookupAsync(HttpClient simulator, CardUid uid)
    {
        var list = await simulator.GetFromJsonAsync<JsonElement>($"whitelist/{uid}");
        return [.. list.EnumerateArray().Select(v => new UnitView(v.GetProperty("unit").GetInt32(), v.GetProperty("decision").GetString() == "denied", v.GetProperty("reason").GetString()))];
    }

    private static async Task<long> FramesAsync(HttpClient client, IEnumerable<Uri> controls)
    {
        long frames = 0;
        foreach (var control in controls)
        {
            var statistics = await client.GetFromJsonAsync<JsonElement>(new Uri(control, "statistics"));
            frames += statistics.GetProperty("framesReceived").GetInt64();
        }

        return frames;
    }

    private static long CpuTicks(int pid)
    {
        // /proc/PID/stat: the command is in parentheses and may hold spaces; utime and stime are fields 14 and 15.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    /// <summary>VmRSS in KiB.</summary>
    internal static long Rss(int pid) => long.Parse(Status(pid, "VmRSS:").Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);

    private static string Status(int pid, string key) =>
        File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(key, StringComparison.Ordinal))[key.Length..].Trim();

    private static long ClockTicksPerSecond() => SysConf(2 /* _SC_CLK_TCK */);

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    private static double Median(List<long> values) => values.Count == 0 ? double.NaN : values.Order().ElementAt(values.Count / 2);

    internal static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    internal static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    internal static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gateway.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    internal static async Task InFolderAsync(string name, Func<string, Task> run)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"gateway-bench-sync-{name}-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            await run(folder);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try
            {
                // Diagnostics: GATEWAY_BENCH_KEEP=1 keeps the folder (database, service log) for reading.
                if (Environment.GetEnvironmentVariable("GATEWAY_BENCH_KEEP") != "1")
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Child processes started by this benchmark, their output kept, all killed at the end.</summary>
    internal sealed class ProcessGroup : IAsyncDisposable
    {
        private readonly List<Child> _children = [];

        public async Task<Child> StartAsync(string name, string program, IEnumerable<string> args, string folder, string readyPattern)
        {
            var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = folder };
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }

            var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} could not be started");
            var child = new Child(name, process, readyPattern);
            _children.Add(child);
            await child.Ready.WaitAsync(TimeSpan.FromMinutes(2));
            return child;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var child in _children)
            {
                try
                {
                    if (!child.Process.HasExited)
                    {
                        child.Process.Kill(entireProcessTree: true);
                        await child.Process.WaitForExitAsync();
                    }
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }

                child.Process.Dispose();
            }
        }
    }

    internal sealed class Child
    {
        private readonly List<string> _lines = [];
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Child(string name, Process process, string readyPattern)
        {
            Name = name;
            Process = process;
            var ready = new Regex(readyPattern);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    _ready.TrySetException(new InvalidOperationException($"{name} exited before it was ready: {string.Join(" | ", Lines.TakeLast(5))}"));
                    return;
                }

                lock (_lines)
                {
                    // Keep the start-up lines; a long run's log is not held in memory.
                    if (_lines.Count < 200)
                    {
                        _lines.Add(e.Data);
                    }

                    // Warnings and errors (a controller that failed, a drift) explain outliers.
                    if (e.Data.Contains(" WRN]", StringComparison.Ordinal) || e.Data.Contains(" ERR]", StringComparison.Ordinal))
                    {
                        Warnings.Add(e.Data);
                    }
                }

                if (ready.IsMatch(e.Data))
                {
                    _ready.TrySetResult();
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    Console.Error.WriteLine($"{name}: {e.Data}");
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Name { get; }

        public Process Process { get; }

        /// <summary>Lines logged at warning or error level, in order (read under the lock of <see cref="Lines"/>).</summary>
        public List<string> Warnings { get; } = [];

        public List<string> TakeWarnings()
        {
            lock (_lines)
            {
                var list = Warnings.ToList();
                Warnings.Clear();
                return list;
            }
        }

        public int Id => Process.Id;

        public Task Ready => _ready.Task;

        public List<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public Match Match(string pattern) =>
            Lines.Select(l => Regex.Match(l, pattern)).FirstOrDefault(m => m.Success)
            ?? throw new InvalidOperationException($"{Name} did not print /{pattern}/");
    }
}
