using System.Globalization;
using System.Text.Json;

namespace Gateway.EndToEnd.Tests;

/// <summary>
/// A car-park lane on a UHPPOTE board, end to end with real processes (the service, <c>gateway-sim
/// uhppote</c> and <c>gateway-sim encoder</c>): a paid parking period reaches the board as one card record
/// whose inclusive date window ends on the paid period's last day plus the site's grace, and the board,
/// judging by its own clock, grants the card on that last day and refuses it the day after.
/// </summary>
public sealed class UhppoteCarParkTests : IDisposable
{
    private const uint Serial = 423187757;
    private const int GraceDays = 3;
    private const int LaneIn = 1;
    private const int LaneOut = 2;
    private const string BoardTime = "yyyy-MM-dd HH:mm:ss";
    private static readonly TimeZoneInfo Site = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private readonly TempFolder _folder = new("gateway-e2e-uhppote-carpark");

    [LinuxFact]
    public async Task Grant_PaidMonthOnCarParkBoard_BoardGrantsOnLastDayPlusGraceAndRefusesTheDayAfter()
    {
        var link = _folder.Combine("tty-encoder");
        await using var encoder = ChildProcess.StartDotnet(RepoPaths.Simulator, ["encoder", "--pty", link, "--card", "none", "--timing", "off", "--control", "http://127.0.0.1:0"]);
        var encoderControl = (await encoder.WaitForLineAsync(@"^control (http://\S+)", DemoSite.Bound)).Groups[1].Value;
        await encoder.WaitForLineAsync("^ready$", DemoSite.Bound);
        await using var board = await UhppoteSimulatorProcess.StartAsync("--controllers", Serial.ToString(CultureInfo.InvariantCulture), "--doors", "2");

        await using var site = new ServiceSite(_folder.Path);
        site.AddEncoder("desk", link);
        site.AddBoard("carpark-lane", board.Endpoint, Serial, ("car-park", "in"), ("car-park", "out"));
        site.Set("Gateway:SiteTimeZone", Site.Id);
        site.Set("Gateway:Parking:GraceDays", GraceDays.ToString(CultureInfo.InvariantCulture));
        site.Set("Gateway:Sync:EventIntervalMs", "500");

        // The test moves the board's clock to chosen days; the service's clock keeping (every 600 s by
        // default) would set it back. An hour keeps it out of the way of this test's few seconds.
        site.Set("Gateway:Sync:ClockIntervalSeconds", "3600");
        await site.StartAsync();
        await site.CtlAsync("cards", "receive", "300001", "300001");

        var (holder, uid) = await site.IssueAsync(encoderControl, "Liu Yang", "5-2-0601", 300001, "parking");
        var grant = await site.PayAndGrantAsync(holder, 300001, "B2-017", 30_000);

        // The paid period is half-open [start, end): its last day is end - 1, and grace extends it.
        var period = grant.GetProperty("period");
        var start = DateOnly.Parse(period.GetProperty("start").GetString()!, CultureInfo.InvariantCulture);
        var end = DateOnly.Parse(period.GetProperty("end").GetString()!, CultureInfo.InvariantCulture);
        Assert.Equal(start.AddMonths(1), end);
        var lastDay = end.AddDays(GraceDays - 1);

        // The board receives one record: both lanes, from the period's first day to the last day plus grace, inclusive.
        var number = await CardNumberAsync(board, uid);
        var record = await UntilCardAsync(board, number);
        Assert.Equal(start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), record.GetProperty("from").GetString());
        Assert.Equal(lastDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), record.GetProperty("to").GetString());
        Assert.Equal(1, record.GetProperty("doors").GetProperty("1").GetInt32());
        Assert.Equal(1, record.GetProperty("doors").GetProperty("2").GetInt32());

        // The service set the board to the car park's anti-passback (entry 1, exit 2) and its clock to the site's time.
        var state = await board.GetAsync($"controllers/{Serial}");
        Assert.Equal("1:2;3:4", state.GetProperty("antiPassback").GetString());
        var boardNow = DateTime.ParseExact(state.GetProperty("time").GetString()!, BoardTime, CultureInfo.InvariantCulture);
        var siteNow = TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, Site);
        Assert.InRange(boardNow, siteNow.AddMinutes(-5), siteNow.AddMinutes(5));

        // The last day plus grace, a minute before midnight by the board's clock: granted on the way in.
        await SetClockAsync(board, lastDay.ToDateTime(new TimeOnly(23, 59, 0)));
        var onLastDay = await PresentAsync(board, LaneIn, uid, "in");
        Assert.True(onLastDay.GetProperty("granted").GetBoolean(), onLastDay.GetRawText());
        Assert.Equal("granted", onLastDay.GetProperty("explanation").GetString());

        // The day after, by the board's clock: refused at the exit (past its window, not by anti-passback).
        await SetClockAsync(board, lastDay.AddDays(1).ToDateTime(new TimeOnly(0, 0, 5)));
        var dayAfter = await PresentAsync(board, LaneOut, uid, "out");
        Assert.False(dayAfter.GetProperty("granted").GetBoolean(), dayAfter.GetRawText());
        Assert.Equal("expired", dayAfter.GetProperty("explanation").GetString());

        // Both swipes reach the service at the board's times, mapped to the card and its plate.
        var events = await UntilEventsAsync(site, 2);
        Assert.Equal(
            [("granted", "none", LaneIn, "entry", lastDay), ("denied", "no-privilege", LaneOut, "exit", lastDay.AddDays(1))],
            events.Select(e => (
                e.GetProperty("decision").GetString(),
                e.GetProperty("reason").GetString(),
                e.GetProperty("lane").GetInt32(),
                e.GetProperty("direction").GetString(),
                DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(e.GetProperty("timeUtc").GetDateTimeOffset().UtcDateTime, Site)))));
        Assert.All(events, e => Assert.Equal(300001, e.GetProperty("cardNumber").GetInt64()));
        Assert.All(events, e => Assert.Equal("沪B00001", e.GetProperty("plate").GetString()));
        await site.StopAsync();
    }

    private static async Task<uint> CardNumberAsync(UhppoteSimulatorProcess board, string uid)
    {
        // What the lane's reader outputs for the card, asked of the board without logging anything.
        var decision = await board.GetAsync($"controllers/{Serial}/doors/{LaneIn}/decision?uid={uid}");
        return decision.GetProperty("card").GetUInt32();
    }

    private static async Task<JsonElement> UntilCardAsync(UhppoteSimulatorProcess board, uint number)
    {
        JsonElement? found = null;
        await DemoSite.UntilAsync(
            async () =>
            {
                var cards = await board.GetAsync($"controllers/{Serial}/cards");
                found = cards.EnumerateArray().Where(c => c.GetProperty("card").GetUInt32() == number).Select(c => (JsonElement?)c).SingleOrDefault();
                return found is not null;
            },
            $"card {number} never reached board {Serial}");
        return found!.Value;
    }

    private static Task<JsonElement> SetClockAsync(UhppoteSimulatorProcess board, DateTime local) =>
        board.PutAsync($"controllers/{Serial}/clock", new { time = local.ToString(BoardTime, CultureInfo.InvariantCulture) });

    private static Task<JsonElement> PresentAsync(UhppoteSimulatorProcess board, int door, string uid, string direction) =>
        board.PostAsync($"controllers/{Serial}/present", new { door, uid, direction });

    private static async Task<List<JsonElement>> UntilEventsAsync(ServiceSite site, int count)
    {
        var events = new List<JsonElement>();
        await DemoSite.UntilAsync(
            async () =>
            {
                using var page = JsonDocument.Parse(await site.CtlAsync("events", "--controller", "carpark-lane", "--json"));
                events = [.. page.RootElement.GetProperty("items").EnumerateArray().Select(e => e.Clone()).OrderBy(e => e.GetProperty("sequence").GetUInt32())];
                return events.Count >= count;
            },
            $"the service never collected {count} events of the car-park board");
        Assert.Equal(count, events.Count);
        return events;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
