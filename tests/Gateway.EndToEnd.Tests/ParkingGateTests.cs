using System.Globalization;
using System.Text.Json;

namespace Gateway.EndToEnd.Tests;

/// <summary>
/// One demo (grace 3 days) shared by the car-park scenarios. Each scenario issues its own card to its own
/// holder and uses its own controller of the car-park bus, so they never see each other's changes.
/// </summary>
public sealed class ParkingDemoFixture : IAsyncLifetime
{
    private readonly TempFolder _folder = new("gateway-e2e-parking");
    private DemoSite? _site;

    public DemoSite Site => _site ?? throw new InvalidOperationException("the demo runs on Linux only");

    public async Task InitializeAsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        _site = await DemoSite.StartAsync(_folder.Path);
        await _site.CtlAsync("cards", "receive", "200001", "200010");
    }

    /// <summary>Adds a holder, issues card <paramref name="number"/> of <paramref name="kind"/> on the demo's encoder, and returns the holder id and the card's UID.</summary>
    public Task<(long Holder, string Uid)> IssueAsync(string name, string unit, long number, string kind) =>
        Site.IssueAsync(Site.EncoderControl, name, unit, number, kind);

    /// <summary>Signs a monthly agreement for the card, records <paramref name="amountFen"/> in cash and grants it; returns the grant as gatewayctl printed it.</summary>
    public Task<JsonElement> PayAndGrantAsync(long holder, long card, string space, long amountFen) =>
        Site.PayAndGrantAsync(holder, card, space, amountFen);

    public async Task DisposeAsync()
    {
        if (_site is not null)
        {
            await _site.DisposeAsync();
        }

        _folder.Dispose();
    }
}

/// <summary>
/// The car park end to end with real processes: a grant reaches the barrier, which grants until the paid
/// end plus the site's grace by its own clock and denies after; a controller that restarts with a
/// volatile whitelist is restored by the sync engine with nobody acting.
/// </summary>
public sealed class ParkingGateTests(ParkingDemoFixture demo) : IClassFixture<ParkingDemoFixture>
{
    private const int GraceDays = 3; // the demo's Gateway:Parking:GraceDays
    private const int CarParkIn = 1;
    private const int CarParkOut = 2;
    private const int Entry = 1;
    private const int Exit = 2;
    private static readonly TimeZoneInfo Site = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    [LinuxFact]
    public async Task Grant_TwoMonthsPaid_GrantedAtBarrierUntilEndPlusGraceAndDeniedExpiredAfter()
    {
        var site = demo.Site;
        var (holder, uid) = await demo.IssueAsync("Zhang Min", "3-1-0802", 200001, "parking");

        var grant = await demo.PayAndGrantAsync(holder, 200001, "B1-101", 60_000);

        var period = grant.GetProperty("period");
        var start = DateOnly.Parse(period.GetProperty("start").GetString()!, CultureInfo.InvariantCulture);
        var end = DateOnly.Parse(period.GetProperty("end").GetString()!, CultureInfo.InvariantCulture);
        Assert.Equal(start.AddMonths(2), end);
        var validTo = LocalMidnight(end.AddDays(GraceDays));
        Assert.Equal(LocalMidnight(start), grant.GetProperty("validity").GetProperty("validFromUtc").GetDateTimeOffset());
        Assert.Equal(validTo, grant.GetProperty("validity").GetProperty("validToUtc").GetDateTimeOffset());

        await site.SyncedAsync();
        try
        {
            // Today, by the controller's own (set) clock: the paid period opens the barrier.
            Assert.StartsWith("granted", await DemoSite.PresentAsync(site.CarParkControl, CarParkOut, uid), StringComparison.Ordinal);

            // Within grace: after the paid end, before end + grace.
            var inGrace = await DemoControl.PresentAtAsync(site.CarParkControl, CarParkOut, Exit, uid, LocalMidnight(end.AddDays(1)).AddHours(12));
            Assert.Equal(("granted", "none"), (inGrace.Decision, inGrace.Reason));
            var lastSecond = await DemoControl.PresentAtAsync(site.CarParkControl, CarParkOut, Entry, uid, validTo.AddSeconds(-1));
            Assert.Equal(("granted", "none"), (lastSecond.Decision, lastSecond.Reason));

            // From end + grace on (valid-to is exclusive): expired.
            var atEnd = await DemoControl.PresentAtAsync(site.CarParkControl, CarParkOut, Exit, uid, validTo);
            Assert.Equal(("denied", "expired"), (atEnd.Decision, atEnd.Reason));
            var later = await DemoControl.PresentAtAsync(site.CarParkControl, CarParkOut, Entry, uid, validTo.AddDays(1));
            Assert.Equal(("denied", "expired"), (later.Decision, later.Reason));
        }
        finally
        {
            await DemoControl.SetClockAsync(site.CarParkControl, CarParkOut, DateTimeOffset.UtcNow);
        }
    }

    [LinuxFact]
    public async Task Reboot_VolatileCarParkControllerRestarts_EngineRestoresItsWhitelistAndCardGrantedAgain()
    {
        var site = demo.Site;
        var (holder, uid) = await demo.IssueAsync("Wang Fang", "3-2-0501", 200002, "both");
        await demo.PayAndGrantAsync(holder, 200002, "B1-102", 30_000);
        await site.SyncedAsync();
        Assert.StartsWith("granted", await DemoSite.PresentAsync(site.CarParkControl, CarParkIn, uid), StringComparison.Ordinal);
        var before = await DemoControl.UnitAsync(site.CarParkControl, CarParkIn);
        Assert.True(before.WhitelistCount >= 1);

        var rebooted = await DemoControl.RebootAsync(site.CarParkControl, CarParkIn);

        Assert.NotEqual(before.BootId, rebooted.BootId);
        Assert.Equal(0, rebooted.WhitelistCount);

        // Nobody acts: the engine sees the new boot id, writes the whitelist again and sets the clock.
        await DemoSite.UntilDecisionAsync(site.CarParkControl, CarParkIn, uid, "granted");
        var restored = await DemoControl.UnitAsync(site.CarParkControl, CarParkIn);
        Assert.Equal(rebooted.BootId, restored.BootId);
        Assert.Equal(before.WhitelistCount, restored.WhitelistCount);
        Assert.Equal(before.Digest, restored.Digest);
        Assert.InRange(restored.Clock, (uint)DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds(), (uint)DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds());
        var device = (await site.BarriersAsync()).Single(d => d.GetProperty("id").GetString() == "carpark-in");
        Assert.Equal(rebooted.BootId.ToString("X8", CultureInfo.InvariantCulture), device.GetProperty("bootId").GetString());

        // A restore is not drift: no alarm asks anyone to act.
        using var drift = JsonDocument.Parse(await site.CtlAsync("alarms", "--kind", "drift", "--device", "carpark-in", "--state", "all", "--json"));
        Assert.Empty(drift.RootElement.GetProperty("items").EnumerateArray());
    }

    [LinuxFact]
    public async Task Replace_LostParkingCard_CarParkGrantsTheReplacementAndBlocksTheLostCard()
    {
        var site = demo.Site;
        var (holder, lostUid) = await demo.IssueAsync("Chen Jing", "3-1-1101", 200003, "parking");
        await demo.PayAndGrantAsync(holder, 200003, "B1-103", 30_000);
        await site.SyncedAsync();
        Assert.StartsWith("granted", await DemoSite.PresentAsync(site.CarParkControl, CarParkOut, lostUid), StringComparison.Ordinal);

        // The resident reports the card lost and gets a replacement on the desk encoder.
        await site.CtlAsync("cards", "lost", "200003");
        var newUid = await DemoControl.PlaceBlankCardAsync(site.EncoderControl);
        string[] replace = ["cards", "replace", "200003", "--new", "200004", "--reason", "lost", "--receipt", "R-200004"];
        await DemoControl.RunResumingAsync(RepoPaths.Cli, replace, site.Environment, "gatewayctl " + string.Join(' ', replace));

        // The paid period followed the card: the agreement names the new card, and the car park grants it.
        using var agreement = JsonDocument.Parse(await site.CtlAsync("parking", "agreements", "list", "--card", "200004", "--json"));
        Assert.Equal("P-200003", agreement.RootElement.GetProperty("items").EnumerateArray().Single().GetProperty("agreementNumber").GetString());
        await site.SyncedAsync();
        var granted = await DemoControl.PresentAsync(site.CarParkControl, CarParkOut, Entry, newUid);
        Assert.Equal(("granted", "none"), (granted.Decision, granted.Reason));
        var blocked = await DemoControl.PresentAsync(site.CarParkControl, CarParkOut, Entry, lostUid);
        Assert.Equal(("denied", "blocked"), (blocked.Decision, blocked.Reason));
    }

    [LinuxFact]
    public async Task RecordPayment_NotWholeQuarters_RefusedAtTheDesk_NamingTheAmount_NothingRecorded()
    {
        var site = demo.Site;
        var (holder, _) = await demo.IssueAsync("Zhao Lei", "3-2-0303", 200005, "parking");
        using var agreement = JsonDocument.Parse(await site.CtlAsync(
            "parking", "agreements", "create", "--number", "P-200005", "--holder", holder.ToString(CultureInfo.InvariantCulture), "--card", "200005",
            "--plate", "沪B00005", "--space", "B1-105", "--fee-fen", "30000", "--cycle", "quarter", "--method", "cash", "--signed-copy", "archive/P-200005.pdf", "--json"));
        var id = agreement.RootElement.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture);

        // 800.00 yuan on a 300.00-a-month quarterly agreement: refused before any money is recorded.
        var (code, _, stderr) = await site.TryCtlAsync("parking", "payments", "record", id, "--amount-fen", "80000", "--receipt", "R-P-200005");

        Assert.Equal(5, code);
        Assert.Contains("900.00 yuan", stderr, StringComparison.Ordinal);
        using var payments = JsonDocument.Parse(await site.CtlAsync("parking", "payments", "list", "--agreement", id, "--json"));
        Assert.Empty(payments.RootElement.GetProperty("items").EnumerateArray());
    }

    private static DateTimeOffset LocalMidnight(DateOnly date) =>
        new(TimeZoneInfo.ConvertTimeToUtc(date.ToDateTime(TimeOnly.MinValue), Site), TimeSpan.Zero);
}
