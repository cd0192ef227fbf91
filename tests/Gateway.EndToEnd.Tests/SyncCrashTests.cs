using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Gateway.EndToEnd.Tests;

/// <summary>
/// The service killed with SIGKILL in the middle of writing a 10,000-entry whitelist to a controller
/// on a pseudo-terminal RTU bus, then started again on the same data: the controller converges to
/// exactly the desired whitelist and the audit chain verifies.
/// </summary>
[Collection(CrashCollection.Name)]
public sealed class SyncCrashTests : IDisposable
{
    private const int Cards = 10_000;

    // 115200 baud with line-rate emulation instead of the demo's 19200: the profile is the same at any
    // rate (the driver's batches and the wire bytes do not change, docs/benchmarks.md "barrier"), and a
    // full write of 10,000 entries takes ~18 s of wire time instead of ~104 s, which keeps CI in budget.
    private const int Baud = 115_200;

    private readonly TempFolder _folder = new("gateway-sync-kill");

    [LinuxFact]
    public async Task Sync_ServiceKilledMidWayThrough10000Entries_ControllerConvergesExactlyAndAuditVerifies()
    {
        await using var bus = await BarrierSimulatorProcess.StartAsync("--pty", _folder.Combine("tty-bus"), "--units", "1", "--baud", Baud.ToString(CultureInfo.InvariantCulture));
        await using var site = new ServiceSite(_folder.Path);
        var expected = await SeedIssuedCardsAsync(site);

        site.AddBarrier("common-1", $"serial://{_folder.Combine("tty-bus")}?baud={Baud}&parity=even", 1, "common");
        await site.StartAsync();

        // Kill once a good part, but not all, of the whitelist is on the controller.
        var atKill = await UntilCountAsync(bus, n => n >= Cards / 4, "the controller never received a quarter of the whitelist");
        await site.KillAsync();
        var afterKill = await CountAsync(bus);
        Assert.True(afterKill < Cards, $"the sync had finished ({afterKill} entries) before the kill: nothing was tested");
        Assert.True(atKill <= afterKill);

        await site.StartAsync();
        var deadline = DateTimeOffset.UtcNow + DemoSite.Bound;
        while (true)
        {
            var d = await site.DeviceAsync("common-1");
            if (d.GetProperty("state").GetString() == "connected"
                && d.GetProperty("whitelistCount").GetInt32() == Cards
                && d.GetProperty("expectedCount").GetInt32() == Cards
                && !d.GetProperty("drifted").GetBoolean()
                && d.GetProperty("pendingChanges").GetInt64() == 0)
            {
                break;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"the controller did not converge after the restart: {d.GetRawText()}, {await CountAsync(bus)} on the controller\n{site.Service!.StandardOutput}");
            await Task.Delay(500);
        }

        // Exactly the desired whitelist: every UID once, nothing else, none blocked.
        var whitelist = await bus.GetAsync("units/1/whitelist");
        var uids = whitelist.EnumerateArray().Select(e => e.GetProperty("uid").GetString()!).ToList();
        Assert.Equal(Cards, uids.Count);
        Assert.Equal(Cards, uids.Distinct(StringComparer.Ordinal).Count());
        Assert.True(expected.SetEquals(uids), $"{expected.Except(uids).Count()} UIDs missing, {uids.Except(expected).Count()} unexpected");
        Assert.All(whitelist.EnumerateArray(), e => Assert.False(e.GetProperty("blocked").GetBoolean()));
        var windows = whitelist.EnumerateArray().Select(e => (e.GetProperty("validFrom").GetUInt32(), e.GetProperty("validTo").GetUInt32())).Distinct().ToList();
        Assert.Single(windows);
        Assert.True(windows[0].Item1 < windows[0].Item2);

        // The half-written controller was the engine's own unfinished work, not drift: no alarm for it.
        using (var drift = JsonDocument.Parse(await site.CtlAsync("alarms", "--kind", "drift", "--json")))
        {
            Assert.Empty(drift.RootElement.GetProperty("items").EnumerateArray());
        }

        var verify = await site.CtlAsync("audit", "verify");
        Assert.Contains("intact", verify, StringComparison.OrdinalIgnoreCase);
        await site.StopAsync();
    }

    /// <summary>
    /// 10,000 cards issued to one holder. The holder and the stock are created through the API as an
    /// operator would (audited); issuing 10,000 cards on an encoder would take hours, so the issue
    /// itself is written into the stopped service's database by SQL — which bypasses the audit log,
    /// and the test proves at the end that the audit chain still verifies. A third of the UIDs are 7 bytes.
    /// </summary>
    private static async Task<HashSet<string>> SeedIssuedCardsAsync(ServiceSite site)
    {
        await site.StartAsync();
        await site.CtlAsync("holders", "add", "--name", "Zhang Min", "--unit", "3-1-0101");
        await site.CtlAsync("cards", "receive", "1", Cards.ToString(CultureInfo.InvariantCulture));
        await site.StopAsync();

        await using (var connection = new SqliteConnection($"Data Source={site.DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                UPDATE cards SET state = 'issued', holder_id = 1, kind = 'access', issue_count = 1, updated_utc = received_utc,
                       uid = CASE WHEN number % 3 = 0 THEN printf('04%012X', number) ELSE printf('%08X', 2684354560 + number) END;
                INSERT INTO card_issues(card_number, holder_id, kind, uid, issue_counter, items, receipt_reference, issued_utc, issued_by)
                    SELECT number, holder_id, kind, uid, 1, '["card"]', 'SEED-' || number, received_utc, 'seed' FROM cards;
                INSERT INTO card_events(card_number, action, from_state, to_state, at_utc, operator_id)
                    SELECT number, 'issue', 'in-stock', 'issued', received_utc, 'seed' FROM cards;
                """;
            Assert.Equal(3 * Cards, await command.ExecuteNonQueryAsync());
            await transaction.CommitAsync();
        }

        return Enumerable.Range(1, Cards)
            .Select(n => n % 3 == 0 ? string.Create(CultureInfo.InvariantCulture, $"04{n:X12}") : string.Create(CultureInfo.InvariantCulture, $"{0xA0000000L + n:X8}"))
            .ToHashSet(StringComparer.Ordinal);
    }

    private static async Task<int> CountAsync(BarrierSimulatorProcess bus) =>
        (await bus.GetAsync("units/1")).GetProperty("whitelistCount").GetInt32();

    private static async Task<int> UntilCountAsync(BarrierSimulatorProcess bus, Func<int, bool> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow + DemoSite.Bound;
        while (true)
        {
            var count = await CountAsync(bus);
            if (condition(count))
            {
                return count;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"{what} ({count} entries)");
            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
