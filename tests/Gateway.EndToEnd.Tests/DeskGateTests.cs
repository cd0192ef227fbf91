using System.Globalization;
using System.Text.Json;

namespace Gateway.EndToEnd.Tests;

/// <summary>
/// The front desk's temporary cards and remote openings end to end, with real processes (the demo service,
/// its simulated controllers and encoder, gatewayctl): a visitor's card is granted at the building door
/// inside its window and denied after it by the controller's own clock; a lane opened from the desk comes
/// back as a collected event that names who opened it and why.
/// </summary>
public sealed class DeskGateTests(ParkingDemoFixture demo) : IClassFixture<ParkingDemoFixture>
{
    private const int DoorUnit = 1; // door-b3, zone building-3
    private static readonly TimeZoneInfo Site = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    [LinuxFact]
    public async Task TemporaryVisitorCard_GrantedAtTheDoorInsideItsWindow_DeniedBeforeAndAfter_ByTheControllersClock()
    {
        var site = demo.Site;
        using var holder = JsonDocument.Parse(await site.CtlAsync("holders", "add", "--name", "Sun Li", "--unit", "3-2-0707", "--json"));
        var holderId = holder.RootElement.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture);
        var blank = await DemoControl.PlaceBlankCardAsync(site.EncoderControl);
        string[] issue = ["cards", "issue-temporary", "200008", "--purpose", "visitor", "--holder", holderId, "--kind", "access", "--days", "2", "--bearer", "Zhou Qiang", "--receipt", "V-200008"];
        await DemoControl.RunResumingAsync(RepoPaths.Cli, issue, site.Environment, "gatewayctl " + string.Join(' ', issue));

        using var shown = JsonDocument.Parse(await site.CtlAsync("cards", "show", "200008", "--json"));
        var card = shown.RootElement;
        Assert.Equal(blank, card.GetProperty("uid").GetString());
        var window = card.GetProperty("temporary");
        var from = window.GetProperty("validFrom").GetDateTimeOffset();
        var until = window.GetProperty("validUntil").GetDateTimeOffset();

        // Two whole days of the site's calendar: today's local midnight to the midnight two days later.
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Site).DateTime);
        Assert.Equal((LocalMidnight(today), LocalMidnight(today.AddDays(2))), (from, until));

        await site.SyncedAsync();
        try
        {
            var now = await DemoControl.PresentAsync(site.DoorControl, DoorUnit, 1, blank);
            Assert.Equal(("granted", "none"), (now.Decision, now.Reason));
            var lastSecond = await DemoControl.PresentAtAsync(site.DoorControl, DoorUnit, 2, blank, until.AddSeconds(-1));
            Assert.Equal(("granted", "none"), (lastSecond.Decision, lastSecond.Reason));

            // valid-until is exclusive: from its first second on, the controller says expired; before valid-from, not yet valid.
            var atEnd = await DemoControl.PresentAtAsync(site.DoorControl, DoorUnit, 1, blank, until);
            Assert.Equal(("denied", "expired"), (atEnd.Decision, atEnd.Reason));
            var before = await DemoControl.PresentAtAsync(site.DoorControl, DoorUnit, 1, blank, from.AddSeconds(-1));
            Assert.Equal(("denied", "not-yet-valid"), (before.Decision, before.Reason));
        }
        finally
        {
            await DemoControl.SetClockAsync(site.DoorControl, DoorUnit, DateTimeOffset.UtcNow);
        }
    }

    [LinuxFact]
    public async Task OpenLaneFromTheDesk_ThroughGatewayctl_TheCollectedEventSaysWhoAndWhy()
    {
        var site = demo.Site;
        await site.SyncedAsync();
        const string reason = "visitor for 3-2-0707 without a card";

        using var opened = JsonDocument.Parse(await site.CtlAsync("devices", "open", "door-b3", "--lane", "1", "--reason", reason, "--json"));
        var opening = opened.RootElement;
        Assert.Equal(("opened", true), (opening.GetProperty("outcome").GetString(), opening.GetProperty("logged").GetBoolean()));
        var id = opening.GetProperty("id").GetInt64();
        var by = opening.GetProperty("operatorId").GetString();

        // The engine collects the controller's event at once; it names the opening.
        JsonElement? found = null;
        await DemoSite.UntilAsync(
            async () =>
            {
                using var events = JsonDocument.Parse(await site.CtlAsync("events", "--controller", "door-b3", "--reason", "remote-open", "--json"));
                found = events.RootElement.GetProperty("items").EnumerateArray().Select(e => (JsonElement?)e.Clone()).FirstOrDefault(e => e!.Value.GetProperty("openingId").ValueKind == JsonValueKind.Number && e.Value.GetProperty("openingId").GetInt64() == id);
                return found is not null;
            },
            $"the event of opening {id}");
        var e = found!.Value;
        Assert.Equal(("granted", 1, by, reason), (e.GetProperty("decision").GetString(), e.GetProperty("lane").GetInt32(), e.GetProperty("openedBy").GetString(), e.GetProperty("openReason").GetString()));
        Assert.Equal(JsonValueKind.Null, e.GetProperty("cardNumber").ValueKind);

        using var openings = JsonDocument.Parse(await site.CtlAsync("devices", "openings", "--device", "door-b3", "--json"));
        var listed = openings.RootElement.GetProperty("items").EnumerateArray().Single(o => o.GetProperty("id").GetInt64() == id);
        Assert.Equal(e.GetProperty("id").GetInt64(), listed.GetProperty("eventId").GetInt64());

        // A lane the controller does not have: refused by the service, nothing recorded.
        var (code, _, stderr) = await site.TryCtlAsync("devices", "open", "door-b3", "--lane", "9", "--reason", reason);
        Assert.Equal(1, code);
        Assert.Contains("lane", stderr, StringComparison.Ordinal);
        using var after = JsonDocument.Parse(await site.CtlAsync("devices", "openings", "--json"));
        Assert.DoesNotContain(after.RootElement.GetProperty("items").EnumerateArray(), o => o.GetProperty("lane").GetInt32() == 9);
    }

    private static DateTimeOffset LocalMidnight(DateOnly date) =>
        new(TimeZoneInfo.ConvertTimeToUtc(date.ToDateTime(TimeOnly.MinValue), Site), TimeSpan.Zero);
}
