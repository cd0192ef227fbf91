using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Bench;

/// <summary>
/// parking: the service's real API wiring on 127.0.0.1 (port 0) over a SQLite file in WAL mode with
/// durable commits (synchronous=FULL), seeded with cards, agreements and recorded payments.
/// 1. Open loop: grants offered at a fixed rate whatever the answers (each with its Idempotency-Key),
///    payments and reads mixed in; latency counted from each request's scheduled time, so a stall
///    shows up in the figures instead of slowing the offered load (no coordinated omission).
/// 2. Closed loop: N clients granting back to back; the throughput they sustain.
/// Load goes to 127.0.0.1 only and is bounded in count and time.
/// </summary>
public static class ParkingBenchmark
{
    private const string Token = BenchService.Token;

    /// <summary>What to seed and how much load to offer; <paramref name="LoadProcess"/>: generate the load from a separate process (<c>--load-process</c>) instead of from inside the service's process.</summary>
    public sealed record Settings(int Cards, int Agreements, int GrantsPerSecond, int OpenSeconds, int Clients, int ClosedSeconds, int ClosedPayments, bool LoadProcess = false);

    /// <summary>The child process's name for <c>gateway-bench</c>: <c>parking-load --address=URL</c> plus the parent's settings.</summary>
    public const string LoadName = "parking-load";

    private const string PartDone = "#part-done";

    public static Settings Full { get; } = new(20_000, 5_000, 1_000, 20, 200, 10, 40_000);

    public static Settings Smoke { get; } = new(200, 50, 50, 1, 20, 1, 500);

    /// <summary>Overrides from <c>--rate=N --seconds=N --clients=N --closed-seconds=N</c> (to map the curve below and above the target) and <c>--load-process</c>.</summary>
    public static Settings WithArguments(Settings settings, IEnumerable<string> args)
    {
        foreach (var arg in args)
        {
            if (arg == "--load-process")
            {
                settings = settings with { LoadProcess = true };
                continue;
            }

            var parts = arg.Split('=', 2);
            if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
            {
                continue;
            }

            settings = parts[0] switch
            {
                "--rate" => settings with { GrantsPerSecond = Math.Min(value, 5_000) },
                "--seconds" => settings with { OpenSeconds = Math.Min(value, 120) },
                "--clients" => settings with { Clients = Math.Min(value, 1_000) },
                "--closed-seconds" => settings with { ClosedSeconds = Math.Min(value, 120) },
                _ => settings,
            };
        }

        return settings;
    }

    public static async Task RunAsync(Settings settings, TextWriter output)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"gateway-bench-parking-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            await RunInAsync(folder, settings, output);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task RunInAsync(string folder, Settings s, TextWriter output)
    {
        var openGrants = s.GrantsPerSecond * s.OpenSeconds;
        await using var service = BenchService.Create(folder);
        var (app, database) = (service.App, service.Database);
        var seed = Stopwatch.StartNew();
        Seed(database, s.Cards, s.Agreements, openGrants + s.ClosedPayments);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parking: seeded {s.Cards} cards, {s.Agreements} agreements, {openGrants + s.ClosedPayments} recorded payments in {seed.Elapsed.TotalSeconds:0.0} s ({service.FileMiB} MiB file, WAL, synchronous=FULL)"));

        var address = await service.StartAsync();
        try
        {
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
            using var client = new HttpClient(handler) { BaseAddress = new Uri(address + "/"), Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

            // Warm up JIT, connections and caches on a handful of reads.
            for (var i = 0; i < 50; i++)
            {
                using var warm = await client.GetAsync($"api/parking/agreements/{(i % s.Agreements) + 1}");
            }

            await FloorAsync(app.Services, s, output);
            var writes = app.Services.GetRequiredService<UnitOfWorkFactory>();
            var (units, groups) = (writes.CommittedUnits, writes.CommittedGroups);
            if (s.LoadProcess)
            {
                output.WriteLine("parking: load generated by a separate process (gateway-bench parking-load)");
                await RunLoadProcessAsync(address, s, output, () =>
                {
                    CommitLine(writes, units, groups, output);
                    (units, groups) = (writes.CommittedUnits, writes.CommittedGroups);
                });
                return;
            }

            output.WriteLine("parking: load generated inside the service's process");
            await OpenLoopAsync(client, s, openGrants, output);
            CommitLine(writes, units, groups, output);
            (units, groups) = (writes.CommittedUnits, writes.CommittedGroups);
            await ClosedLoopAsync(client, s, firstPayment: openGrants + 1, output);
            CommitLine(writes, units, groups, output);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    /// <summary>
    /// The load generator's side when it runs as its own process (<c>gateway-bench parking-load
    /// --address=URL ...</c>): the same open and closed loops against the parent's service; after
    /// each part a marker line tells the parent to print that part's commit counts.
    /// </summary>
    public static async Task RunLoadAsync(Settings s, string address, TextWriter output)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(address.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        for (var i = 0; i < 50; i++)
        {
            using var warm = await client.GetAsync($"api/parking/agreements/{(i % s.Agreements) + 1}");
        }

        var openGrants = s.GrantsPerSecond * s.OpenSeconds;
        await OpenLoopAsync(client, s, openGrants, output);
        output.WriteLine(PartDone);
        await ClosedLoopAsync(client, s, firstPayment: openGrants + 1, output);
        output.WriteLine(PartDone);
    }

    /// <summary>Starts this program as <c>parking-load</c> against <paramref name="address"/>, relays its figures, and calls <paramref name="partDone"/> at each part's end.</summary>
    private static async Task RunLoadProcessAsync(string address, Settings s, TextWriter output, Action partDone)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(ParkingBenchmark).Assembly.Location);
        start.ArgumentList.Add(LoadName);
        start.ArgumentList.Add("--address=" + address);
        if (s.Agreements == Smoke.Agreements && s.ClosedPayments == Smoke.ClosedPayments)
        {
            start.ArgumentList.Add("--smoke");
        }

        start.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"--rate={s.GrantsPerSecond}"));
        start.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"--seconds={s.OpenSeconds}"));
        start.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"--clients={s.Clients}"));
        start.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"--closed-seconds={s.ClosedSeconds}"));
        using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the load generator process");
        try
        {
            while (await child.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line == PartDone)
                {
                    partDone();
                }
                else if (!line.StartsWith("gateway-bench ", StringComparison.Ordinal))
                {
                    output.WriteLine(line);
                }
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await child.WaitForExitAsync(timeout.Token);
            if (child.ExitCode != 0)
            {
                throw new InvalidOperationException($"the load generator process exited with {child.ExitCode}");
            }
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill();
            }
        }
    }

    /// <summary>Durable writes (units of work and infrastructure writes) and SQLite COMMITs (fsyncs) a part made.</summary>
    private static void CommitLine(UnitOfWorkFactory writes, long units, long groups, TextWriter output)
    {
        var u = writes.CommittedUnits - units;
        var g = writes.CommittedGroups - groups;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  durable writes {u}, COMMITs (fsyncs) {g}, {(g == 0 ? 0 : u / (double)g):0.0} writes per COMMIT"));
    }

    /// <summary>
    /// The floor under the API figures: an empty durable commit, and a grant through the store
    /// without HTTP or idempotency bookkeeping, one at a time. Uses its own payments (recorded here).
    /// </summary>
    private static async Task FloorAsync(IServiceProvider services, Settings s, TextWriter output)
    {
        var writes = services.GetRequiredService<UnitOfWorkFactory>();
        var store = services.GetRequiredService<Gateway.Service.Parking.ParkingWorkflow>();
        var actor = new Actor("bench", "bench");
        var count = Math.Min(200, s.Agreements);
        var commit = new Stats();
        for (var i = 0; i < count; i++)
        {
            var t = Stopwatch.GetTimestamp();
            await writes.RunExclusiveAsync((c, tx) => Task.FromResult(0), CancellationToken.None);
            commit.AddTicks(Stopwatch.GetTimestamp() - t);
        }

        var record = new Stats();
        var grant = new Stats();
        for (var i = 0; i < count; i++)
        {
            var t = Stopwatch.GetTimestamp();
            var payment = await store.RecordPaymentAsync(actor, new Gateway.Service.Parking.NewPayment(i + 1, 30000, Gateway.Service.Domain.Parking.PaymentMethod.Cash, $"FLOOR-{i}"), CancellationToken.None);
            record.AddTicks(Stopwatch.GetTimestamp() - t);
            t = Stopwatch.GetTimestamp();
            await store.GrantAsync(actor, payment.Value!.Id, CancellationToken.None);
            grant.AddTicks(Stopwatch.GetTimestamp() - t);
        }

        output.WriteLine($"parking floor (one at a time, no HTTP): empty durable commit {commit.Summary("ms")}");
        output.WriteLine($"  record payment {record.Summary("ms")}");
        output.WriteLine($"  grant          {grant.Summary("ms")}");
    }

    private static async Task OpenLoopAsync(HttpClient client, Settings s, int grants, TextWriter output)
    {
        var grantStats = new Stats();
        var paymentStats = new Stats();
        var readStats = new Stats();
        var errors = 0;
        var gate = new object();
        var interval = Stopwatch.Frequency / (double)s.GrantsPerSecond;
        var inFlight = new List<Task>(grants * 2);
        var random = new Random(1);
        var start = Stopwatch.GetTimestamp();

        async Task Measure(Func<Task<HttpResponseMessage>> send, long scheduled, Stats stats)
        {
            try
            {
                using var response = await send();
                var done = Stopwatch.GetTimestamp();
                lock (gate)
                {
                    stats.AddTicks(done - scheduled);
                    if (!response.IsSuccessStatusCode)
                    {
                        errors++;
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // A refused connection or the client's 30 s timeout: counted, not measured.
                lock (gate)
                {
                    errors++;
                }
            }
        }

        var next = 0;
        while (next < grants)
        {
            var now = Stopwatch.GetTimestamp();
            while (next < grants && start + (long)(next * interval) <= now)
            {
                var i = next++;
                var scheduled = start + (long)(i * interval);
                var payment = i + 1;
                inFlight.Add(Measure(() => Post(client, $"api/parking/payments/{payment}/grant", null, $"bench-grant-{payment}"), scheduled, grantStats));
                if (i % 10 == 0)
                {
                    var agreement = (i % s.Agreements) + 1;
                    inFlight.Add(Measure(() => Post(client, $"api/parking/agreements/{agreement}/payments", new StringContent($"{{\"amountFen\":30000,\"method\":\"cash\",\"receiptNumber\":\"OPEN-{i}\"}}", System.Text.Encoding.UTF8, "application/json"), $"bench-pay-{i}"), scheduled, paymentStats));
                }

                if (i % 5 == 0)
                {
                    var agreement = random.Next(1, s.Agreements + 1);
                    inFlight.Add(Measure(() => client.GetAsync($"api/parking/agreements/{agreement}"), scheduled, readStats));
                }
            }

            await Task.Delay(1);
        }

        var offeredFor = Stopwatch.GetElapsedTime(start);
        await Task.WhenAll(inFlight);
        var elapsed = Stopwatch.GetElapsedTime(start);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parking open loop: {s.GrantsPerSecond} grants/s offered for {offeredFor.TotalSeconds:0.0} s (+{s.GrantsPerSecond / 10} payments/s, +{s.GrantsPerSecond / 5} reads/s); all answered after {elapsed.TotalSeconds:0.0} s; errors {errors}"));
        output.WriteLine($"  grant   {grantStats.Summary("ms")} p50={grantStats.Percentile(50) / 1000:0.0}ms max={grantStats.Percentile(100) / 1000:0.0}ms");
        output.WriteLine($"  payment {paymentStats.Summary("ms")}");
        output.WriteLine($"  read    {readStats.Summary("ms")}");
    }

    private static async Task ClosedLoopAsync(HttpClient client, Settings s, int firstPayment, TextWriter output)
    {
        var stats = new Stats();
        var errors = 0;
        var gate = new object();
        var nextPayment = firstPayment - 1;
        var lastPayment = firstPayment + s.ClosedPayments - 1;
        var deadline = Stopwatch.GetTimestamp() + (s.ClosedSeconds * Stopwatch.Frequency);
        var start = Stopwatch.GetTimestamp();

        async Task Worker()
        {
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var payment = Interlocked.Increment(ref nextPayment);
                if (payment > lastPayment)
                {
                    return;
                }

                var sent = Stopwatch.GetTimestamp();
                using var response = await Post(client, $"api/parking/payments/{payment}/grant", null, $"bench-grant-{payment}");
                var done = Stopwatch.GetTimestamp();
                lock (gate)
                {
                    stats.AddTicks(done - sent);
                    if (!response.IsSuccessStatusCode)
                    {
                        errors++;
                    }
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, s.Clients).Select(_ => Task.Run(Worker)));
        var elapsed = Stopwatch.GetElapsedTime(start);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parking closed loop: {s.Clients} clients granting back to back: {stats.Count / elapsed.TotalSeconds:0} grants/s sustained over {elapsed.TotalSeconds:0.0} s; errors {errors}"));
        output.WriteLine($"  grant   {stats.Summary("ms")}");
    }

    private static async Task<HttpResponseMessage> Post(HttpClient client, string path, HttpContent? content, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Add("Idempotency-Key", key);
        return await client.SendAsync(request);
    }

    /// <summary>Holders with one issued card each, agreements on the first cards (every fourth by bank debit), and recorded payments spread over them.</summary>
    private static void Seed(GatewayDatabase database, int cards, int agreements, int payments)
    {
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction();
        const string At = "2026-01-01T00:00:00.0000000Z";
        using (var holder = connection.CreateCommand())
        using (var card = connection.CreateCommand())
        {
            holder.Transaction = transaction;
            card.Transaction = transaction;
            holder.CommandText = "INSERT INTO holders(id, name, building, unit, room, created_utc, updated_utc) VALUES ($id, 'Resident', $b, '1', $r, $at, $at)";
            card.CommandText = "INSERT INTO cards(number, state, holder_id, kind, received_utc, updated_utc) VALUES ($n, 'issued', $h, $k, $at, $at)";
            var hId = holder.Parameters.Add("$id", SqliteType.Integer);
            var hB = holder.Parameters.Add("$b", SqliteType.Text);
            var hR = holder.Parameters.Add("$r", SqliteType.Text);
            holder.Parameters.AddWithValue("$at", At);
            var cN = card.Parameters.Add("$n", SqliteType.Integer);
            var cH = card.Parameters.Add("$h", SqliteType.Integer);
            var cK = card.Parameters.Add("$k", SqliteType.Text);
            card.Parameters.AddWithValue("$at", At);
            for (var i = 1; i <= cards; i++)
            {
                hId.Value = i;
                hB.Value = (1 + (i % 20)).ToString(CultureInfo.InvariantCulture);
                hR.Value = i.ToString(CultureInfo.InvariantCulture);
                holder.ExecuteNonQuery();
                cN.Value = 100_000 + i;
                cH.Value = i;
                cK.Value = i <= agreements ? "parking" : "access";
                card.ExecuteNonQuery();
            }
        }

        using (var agreement = connection.CreateCommand())
        {
            agreement.Transaction = transaction;
            agreement.CommandText = """
                INSERT INTO parking_agreements(id, agreement_number, holder_id, card_number, plate, space, monthly_fee_fen, billing_cycle, payment_method, signed_copy_ref, created_utc, created_by)
                VALUES ($id, $number, $id, $card, $plate, $space, 30000, 'month', $method, 'archive', $at, 'bench')
                """;
            var id = agreement.Parameters.Add("$id", SqliteType.Integer);
            var number = agreement.Parameters.Add("$number", SqliteType.Text);
            var cardNumber = agreement.Parameters.Add("$card", SqliteType.Integer);
            var plate = agreement.Parameters.Add("$plate", SqliteType.Text);
            var space = agreement.Parameters.Add("$space", SqliteType.Text);
            var method = agreement.Parameters.Add("$method", SqliteType.Text);
            agreement.Parameters.AddWithValue("$at", At);
            for (var i = 1; i <= agreements; i++)
            {
                id.Value = i;
                number.Value = string.Create(CultureInfo.InvariantCulture, $"P-{i:00000}");
                cardNumber.Value = 100_000 + i;
                plate.Value = string.Create(CultureInfo.InvariantCulture, $"沪A{i:00000}");
                space.Value = string.Create(CultureInfo.InvariantCulture, $"B1-{i:00000}");
                method.Value = i % 4 == 0 ? "bank-debit" : "cash";
                agreement.ExecuteNonQuery();
            }
        }

        using (var payment = connection.CreateCommand())
        {
            payment.Transaction = transaction;
            payment.CommandText = "INSERT INTO parking_payments(id, agreement_id, amount_fen, method, receipt_number, state, recorded_utc, recorded_by) VALUES ($id, $agreement, 30000, 'cash', $receipt, 'recorded', $at, 'bench')";
            var id = payment.Parameters.Add("$id", SqliteType.Integer);
            var agreementId = payment.Parameters.Add("$agreement", SqliteType.Integer);
            var receipt = payment.Parameters.Add("$receipt", SqliteType.Text);
            payment.Parameters.AddWithValue("$at", At);
            for (var i = 1; i <= payments; i++)
            {
                id.Value = i;
                agreementId.Value = ((i - 1) % agreements) + 1;
                receipt.Value = string.Create(CultureInfo.InvariantCulture, $"SEED-{i}");
                payment.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }
}
