using Gateway.Drivers.Barriers;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Hosting;
using Gateway.Service.Storage;
using Gateway.Service.Parking;
using Gateway.Service.Controllers;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Service.Tests.Controllers;

/// <summary>
/// The site's grace (<c>Gateway:Parking:GraceDays</c>) from configuration to the car-park controller:
/// the rules the engine builds, a grant's period through the SQLite store to the desired entry, and the
/// entry a simulated controller holds and judges by its own clock.
/// </summary>
public sealed class ParkingGraceSyncTests : IDisposable
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    // 2026-03-10 12:00 in Shanghai: a first grant starts a chain at local midnight of that day.
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 4, 0, 0, TimeSpan.Zero);
    private static readonly Actor Desk = new("desk", "Front desk");
    private readonly TempFolder _folder = new("gateway-grace");

    [Theory]
    [InlineData("3", 3)]
    [InlineData("0", 0)]
    [InlineData(null, 0)]
    public void RulesFrom_GraceDaysInConfiguration_RulesCarryThemInTheSiteZone(string? graceDays, int expected)
    {
        var options = Options(new() { ["Gateway:Parking:GraceDays"] = graceDays, ["Gateway:Parking:ProrationAllowed"] = "true", ["Gateway:Sync:BlockedRetentionDays"] = "7" });

        var rules = SyncEngine.RulesFrom(options.Parking, options.SiteTimeZone, options.Sync);

        Assert.Equal(expected, rules.Parking.GraceDays);
        Assert.True(rules.Parking.ProrationAllowed);
        Assert.Equal(options.SiteTimeZone, rules.Parking.TimeZone);
        Assert.Equal(TimeSpan.FromDays(7), rules.BlockedRetention);
    }

    [Fact]
    public void RulesFrom_OptionsWhoseParkingRulesNameAnotherZone_TheSiteZoneIsUsed()
    {
        var options = Options(new() { ["Gateway:Parking:GraceDays"] = "2" }) with { Parking = new ParkingRules(TimeZoneInfo.Utc, 2, false) };

        var rules = SyncEngine.RulesFrom(options.Parking, options.SiteTimeZone, options.Sync);

        Assert.Equal(options.SiteTimeZone, rules.Parking.TimeZone);
        Assert.Equal(options.SiteTimeZone, rules.Parking.Calendar.TimeZone);
        Assert.Equal(2, rules.Parking.GraceDays);
    }

    [Fact]
    public async Task Grant_GraceThreeDaysConfigured_MarkerLoadedAndCarParkEntryRunsFromChainStartToEndPlusGrace()
    {
        var options = Options(new() { ["Gateway:Parking:GraceDays"] = "3" });
        var database = new GatewayDatabase(options.DatabasePath);
        var time = new FakeTimeProvider(Now);
        database.Initialize(options.SiteId, Migrator.Discover(), time);
        var writes = new UnitOfWorkFactory(database, time, []);
        Exec(database, """
            INSERT INTO holders(id, name, building, unit, room, created_utc, updated_utc) VALUES (1, 'Li Wei', '3', '2', '1201', '2026-03-01T00:00:00.0000000Z', '2026-03-01T00:00:00.0000000Z');
            INSERT INTO cards(number, state, uid, holder_id, kind, received_utc, updated_utc) VALUES (100001, 'issued', '04A1B2C3', 1, 'both', '2026-03-01T00:00:00.0000000Z', '2026-03-01T00:00:00.0000000Z');
            """);
        var parking = new ParkingWorkflow(database, writes, options.Parking);
        var sync = new SqliteSyncStore(database, writes, time);
        var agreement = (await parking.CreateAgreementAsync(Desk, new NewAgreement("P-1", 1, 100001, "沪A12345", "B1-001", 30_000, BillingCycle.Month, PaymentMethod.Cash, "archive/P-1.pdf"), CancellationToken.None)).Value!;
        var payment = (await parking.RecordPaymentAsync(Desk, new NewPayment(agreement.Id, 30_000, PaymentMethod.Cash, "R-1"), CancellationToken.None)).Value!;
        var before = await sync.LatestOutboxSequenceAsync(CancellationToken.None);

        var grant = (await parking.GrantAsync(Desk, payment.Id, CancellationToken.None)).Value!;

        // One month from 2026-03-10 local; the controllers get until local midnight starting 2026-04-13.
        Assert.Equal(new DateOnly(2026, 4, 10), grant.Period.End);
        var validFrom = LocalMidnight(2026, 3, 10);
        var validTo = LocalMidnight(2026, 4, 13);
        Assert.Equal(new ControllerValidity(validFrom, validTo), grant.Validity);
        var marked = await sync.ReadOutboxAsync(before, grant.OutboxSequence, CancellationToken.None);
        Assert.Equal(100001, Assert.Single(marked).Number);
        var snapshot = await sync.LoadSnapshotAsync(CancellationToken.None);
        var card = Assert.Single(snapshot.Cards);
        Assert.Contains(DesiredWhitelist.CarParkZone, card.Zones);
        Assert.Equal(new DateOnly(2026, 4, 10), Assert.Single(card.ParkingPeriods).End);

        var entry = DesiredWhitelist.EntryFor(card, DesiredWhitelist.CarParkZone, SyncEngine.RulesFrom(options.Parking, options.SiteTimeZone, options.Sync), Now)!.Value;

        Assert.Equal(CardUid.Parse("04A1B2C3"), entry.Uid);
        Assert.False(entry.Blocked);
        Assert.Equal(validFrom, entry.ValidFrom);
        Assert.Equal(validTo, entry.ValidTo);
    }

    [Fact]
    public async Task Serve_GraceThreeDaysConfigured_ControllerGrantsUntilEndPlusGraceAndDeniesExpiredAfter()
    {
        await using var h = await SyncHarness.StartAsync(new Dictionary<string, string?> { ["Gateway:Parking:GraceDays"] = "3" }, ("tcp", ["car-park"]));
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Shanghai).DateTime);
        var chainStart = today.AddDays(-20);
        var end = chainStart.AddMonths(1);
        var card = SyncHarness.Card(1, "04A1B2C3", CardState.Issued, "both") with { ParkingPeriods = [new PaidPeriod(1, chainStart, 1, 0, chainStart, end)] };
        var sequence = h.Store.Change(1, card);

        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").AppliedSequence == sequence));

        var unit = h.Unit(0, 1);
        var entry = Assert.Single(unit.Whitelist());
        var endPlusGrace = LocalMidnight(end.AddDays(3));
        Assert.Equal(LocalMidnight(chainStart), entry.ValidFrom);
        Assert.Equal(endPlusGrace, entry.ValidTo);
        unit.SetClock((uint)endPlusGrace.AddSeconds(-1).ToUnixTimeSeconds());
        Assert.Equal(AccessDecision.Granted, unit.Present(1, card.Uid).Decision);
        unit.SetClock((uint)endPlusGrace.ToUnixTimeSeconds());
        Assert.Equal(DenyReason.Expired, unit.Present(2, card.Uid).Reason);
    }

    [Fact]
    public async Task Serve_GrantReachesConnectedControllerThroughOutbox_EntryWrittenAndNothingLeftPending()
    {
        await using var h = await SyncHarness.StartAsync(new Dictionary<string, string?> { ["Gateway:Parking:GraceDays"] = "3" }, ("tcp", ["car-park"]));
        var card = SyncHarness.Card(1, "04A1B2C3", CardState.Issued, "both");
        var issued = h.Store.Change(1, card);
        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").AppliedSequence == issued));
        Assert.Empty(h.Unit(0, 1).Whitelist());

        var chainStart = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Shanghai).DateTime);
        var granted = h.Store.Change(1, card with { ParkingPeriods = [new PaidPeriod(1, chainStart, 1, 0, chainStart, chainStart.AddMonths(1))] });
        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").AppliedSequence == granted));

        Assert.Equal(LocalMidnight(chainStart.AddMonths(1).AddDays(3)), Assert.Single(h.Unit(0, 1).Whitelist()).ValidTo);
        Assert.Equal(0, h.Health("c0-1").PendingChanges);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    private GatewayOptions Options(Dictionary<string, string?> settings)
    {
        settings["Gateway:DataFolder"] = _folder.Path;
        settings["Gateway:SiteTimeZone"] = "Asia/Shanghai";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        Assert.True(GatewayOptions.TryLoad(configuration, out var options, out var error), error);
        return options;
    }

    private static DateTimeOffset LocalMidnight(int year, int month, int day) => LocalMidnight(new DateOnly(year, month, day));

    private static DateTimeOffset LocalMidnight(DateOnly date) => new DateTimeOffset(date.Year, date.Month, date.Day, 0, 0, 0, TimeSpan.FromHours(8)).ToUniversalTime();

    private static void Exec(GatewayDatabase database, string sql)
    {
        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
