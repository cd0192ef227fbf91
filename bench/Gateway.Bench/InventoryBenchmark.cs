using System.Diagnostics;
using System.Globalization;
using Gateway.Service;
using Gateway.Service.Hosting;
using Gateway.Service.Inventory;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;

namespace Gateway.Bench;

/// <summary>
/// inventory: the monthly report of an open month over a site-sized file database — issued cards with a
/// year of collected controller events — dominated by the "not seen at any controller for 90 days"
/// anomaly, which asks every issued card for its last event before month end.
/// </summary>
public static class InventoryBenchmark
{
    private const string Month = "2026-02";

    public static async Task RunAsync(int cards, int events, int reads, TextWriter output)
    {
        var folder = Directory.CreateTempSubdirectory("gateway-bench-inventory");
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Gateway:DataFolder"] = folder.FullName,
                ["Gateway:SiteId"] = "bench",
            }).Build();
            if (!GatewayOptions.TryLoad(configuration, out var options, out var error))
            {
                throw new InvalidOperationException(error);
            }

            var database = new GatewayDatabase(options.DatabasePath);
            database.Initialize(options.SiteId, Migrator.Discover(typeof(GatewayDatabase).Assembly));
            var seed = Stopwatch.StartNew();
            var flagged = Seed(database, cards, events, options.SiteTimeZone);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"inventory: seeded {cards} issued cards and {events} controller events in {seed.Elapsed.TotalSeconds:0.0} s ({new FileInfo(options.DatabasePath).Length / 1024 / 1024} MiB file); {flagged} cards never presented"));

            var store = new InventoryWorkflow(database, new UnitOfWorkFactory(database, TimeProvider.System, []), options.Inventory, new Gateway.Service.Domain.Parking.SiteCalendar(options.SiteTimeZone));
            await MeasureAsync(store, reads, "with migration 440's (card, time) indexes", output);

            // The same report on the single-column indexes of migration 400 only: what migration 440 buys.
            await using (var connection = database.OpenConnection())
            await using (var drop = connection.CreateCommand())
            {
                drop.CommandText = "DROP INDEX controller_events_uid_time; DROP INDEX controller_events_card_time;";
                await drop.ExecuteNonQueryAsync();
            }

            await MeasureAsync(store, Math.Max(1, reads / 3), "without them", output);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    private static async Task MeasureAsync(InventoryWorkflow store, int reads, string condition, TextWriter output)
    {
        var stats = new Stats();
        InventoryReport? report = null;
        for (var i = 0; i < reads + 1; i++)
        {
            var started = Stopwatch.GetTimestamp();
            report = await store.GetAsync(Month, CancellationToken.None) ?? throw new InvalidOperationException("the month was not opened");
            var elapsed = Stopwatch.GetTimestamp() - started;
            if (i > 0)
            {
                // The first read warms the page cache and the JIT.
                stats.AddTicks(elapsed);
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"inventory: report of {Month}, {condition} ({report!.Anomalies.NotSeenTotal} cards flagged not seen for 90 days, {report.Anomalies.NotSeenAtControllers!.Count} listed): {stats.Summary("ms")}"));
    }

    /// <summary>Cards issued in 2025; events over the year before month end on nine in ten of them (the rest never presented); the month opened.</summary>
    private static int Seed(GatewayDatabase database, int cards, int events, TimeZoneInfo zone)
    {
        var end = new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(new DateTime(2026, 3, 1), zone), TimeSpan.Zero);
        var start = new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(new DateTime(2026, 2, 1), zone), TimeSpan.Zero);
        var issued = UnitOfWork.Timestamp(end.AddDays(-400));
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO holders(id, name, building, unit, room, created_utc, updated_utc) VALUES (1, 'Resident', '1', '1', '101', $at, $at)";
        command.Parameters.AddWithValue("$at", issued);
        command.ExecuteNonQuery();
        command.CommandText = """
            INSERT INTO cards(number, state, uid, holder_id, kind, batch, received_utc, updated_utc) VALUES ($n, 'issued', $uid, 1, 'access', 'B', $at, $at);
            INSERT INTO card_events(card_number, action, from_state, to_state, at_utc, operator_id) VALUES ($n, 'receive', NULL, 'in-stock', $at, 'bench');
            INSERT INTO card_events(card_number, action, from_state, to_state, at_utc, operator_id) VALUES ($n, 'issue', 'in-stock', 'issued', $at, 'bench');
            INSERT INTO card_issues(card_number, holder_id, kind, uid, issue_counter, items, receipt_reference, issued_utc, issued_by) VALUES ($n, 1, 'access', $uid, 1, '["card"]', 'R', $at, 'bench');
            """;
        var number = command.Parameters.Add("$n", SqliteType.Integer);
        var uid = command.Parameters.Add("$uid", SqliteType.Text);
        for (var n = 1; n <= cards; n++)
        {
            number.Value = n;
            uid.Value = Uid(n);
            command.ExecuteNonQuery();
        }

        command.Parameters.Clear();
        command.CommandText = """
            INSERT INTO controller_events(controller_id, boot_id, sequence, time_utc, card_uid, lane, direction, decision, reason, card_number, holder_id, plate, collected_utc)
            VALUES ('door-1', 1, $seq, $time, $uid, 1, 'entry', 'granted', 'none', $n, 1, NULL, $time)
            """;
        var sequence = command.Parameters.Add("$seq", SqliteType.Integer);
        var time = command.Parameters.Add("$time", SqliteType.Text);
        var eventUid = command.Parameters.Add("$uid", SqliteType.Text);
        var eventCard = command.Parameters.Add("$n", SqliteType.Integer);
        var random = new Random(7);
        var presented = cards - (cards / 10);
        for (var i = 1; i <= events; i++)
        {
            // A tenth of the cards never shows up; the others are seen at random over the last year, some only long ago.
            var card = 1 + random.Next(presented);
            var days = card % 7 == 0 ? 120 + random.Next(240) : random.Next(365);
            sequence.Value = i;
            time.Value = UnitOfWork.Timestamp(end.AddDays(-days).AddSeconds(-random.Next(86_400)));
            eventUid.Value = Uid(card);
            eventCard.Value = card;
            command.ExecuteNonQuery();
        }

        command.Parameters.Clear();
        command.CommandText = "INSERT INTO inventory_months(month, state, starts_utc, ends_utc, opened_utc, opened_by) VALUES ($m, 'open', $s, $e, $e, 'bench')";
        command.Parameters.AddWithValue("$m", Month);
        command.Parameters.AddWithValue("$s", UnitOfWork.Timestamp(start));
        command.Parameters.AddWithValue("$e", UnitOfWork.Timestamp(end));
        command.ExecuteNonQuery();
        transaction.Commit();
        return cards - presented;
    }

    private static string Uid(int n) => "04" + n.ToString("X12", CultureInfo.InvariantCulture);
}
