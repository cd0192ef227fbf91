using System.Net;
using System.Net.Http.Json;
using Gateway.Service.Alarms;
using Gateway.Service.Api;
using Gateway.Service.Tests.Api;

namespace Gateway.Service.Tests.Controllers;

public sealed class SyncApiTests
{
    private static readonly Dictionary<string, string?> OneController = new()
    {
        ["Gateway:Devices:0:Id"] = "gate-1",
        ["Gateway:Devices:0:Kind"] = "barrier",
        // Nothing listens on port 9 of loopback: the controller stays down, the service does not mind.
        ["Gateway:Devices:0:Endpoint"] = "tcp://127.0.0.1:9",
        ["Gateway:Devices:0:Zone"] = "car-park",
    };

    [Fact]
    public async Task GetDevices_ConfiguredController_ListedWithZoneAndState()
    {
        await using var host = await ApiTestHost.StartAsync(configuration: OneController);

        var body = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/devices", UriKind.Relative)));

        var device = Assert.Single(body.GetProperty("items").EnumerateArray());
        Assert.Equal("gate-1", device.GetProperty("id").GetString());
        Assert.Equal("barrier", device.GetProperty("kind").GetString());
        Assert.Equal("car-park", device.GetProperty("zone").GetString());
        Assert.Contains(device.GetProperty("state").GetString(), new[] { "unknown", "degraded", "down" });
        await ApiTestHost.AssertProblemAsync(await host.Client.GetAsync(new Uri("api/devices/nope", UriKind.Relative)), 404, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task AcknowledgeAlarm_OpenAlarm_AcknowledgedByTheOperatorAuditedAndNoLongerOpen()
    {
        await using var host = await ApiTestHost.StartAsync();
        var alarms = host.Services.GetRequiredService<AlarmStore>();
        var alarm = await alarms.RaiseAsync(new AlarmRaise(AlarmKind.BlockedCard, "gate-1", "blocked card presented", "04A1B2C3", 100001), CancellationToken.None);

        var open = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/alarms", UriKind.Relative)));
        var listed = Assert.Single(open.GetProperty("items").EnumerateArray());
        Assert.Equal("blocked-card", listed.GetProperty("kind").GetString());

        using var ack = await host.Client.PostAsJsonAsync(new Uri($"api/alarms/{alarm.Id}/acknowledge", UriKind.Relative), new { note = "card kept at the desk" });
        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        var acked = await ApiTestHost.ReadJsonAsync(ack);
        Assert.Equal("bootstrap-admin", acked.GetProperty("acknowledgedBy").GetString());

        var after = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/alarms", UriKind.Relative)));
        Assert.Empty(after.GetProperty("items").EnumerateArray());
        var all = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/alarms?state=acknowledged&kind=blocked-card", UriKind.Relative)));
        Assert.Equal("card kept at the desk", Assert.Single(all.GetProperty("items").EnumerateArray()).GetProperty("note").GetString());
        await ApiTestHost.AssertProblemAsync(await host.Client.PostAsJsonAsync(new Uri("api/alarms/999/acknowledge", UriKind.Relative), new { }), 404, ProblemTypes.NotFound);
    }

    [Theory]
    [InlineData("api/events?decision=maybe")]
    [InlineData("api/events?uid=xyz")]
    [InlineData("api/events?from=yesterday")]
    [InlineData("api/events?limit=0")]
    [InlineData("api/alarms?state=closed")]
    [InlineData("api/alarms?kind=fire")]
    public async Task List_BadFilter_ValidationFailed(string path)
    {
        await using var host = await ApiTestHost.StartAsync();

        await ApiTestHost.AssertProblemAsync(await host.Client.GetAsync(new Uri(path, UriKind.Relative)), 400, ProblemTypes.ValidationFailed);
    }

    [Fact]
    public async Task ListEvents_StoredEvents_FilteredByDecisionAndController()
    {
        await using var host = await ApiTestHost.StartAsync();
        var events = host.Services.GetRequiredService<Gateway.Service.Events.EventStore>();
        var uid = Gateway.Drivers.Barriers.CardUid.Parse("04A1B2C3");
        var at = DateTimeOffset.UtcNow;
        await events.StoreAsync("gate-1", 7, [
            new(1, at, uid, 1, Gateway.Drivers.Barriers.LaneDirection.Entry, Gateway.Drivers.Barriers.AccessDecision.Granted, Gateway.Drivers.Barriers.DenyReason.None),
            new(2, at, uid, 2, Gateway.Drivers.Barriers.LaneDirection.Exit, Gateway.Drivers.Barriers.AccessDecision.Denied, Gateway.Drivers.Barriers.DenyReason.AntiPassback),
        ], CancellationToken.None);
        await events.StoreAsync("door-1", 9, [new(1, at, uid, 1, Gateway.Drivers.Barriers.LaneDirection.Entry, Gateway.Drivers.Barriers.AccessDecision.Denied, Gateway.Drivers.Barriers.DenyReason.Expired)], CancellationToken.None);

        var denied = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/events?decision=denied&uid=04:a1:b2:c3", UriKind.Relative)));
        Assert.Equal(2, denied.GetProperty("items").GetArrayLength());
        var gate = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/events?controller=gate-1&limit=1", UriKind.Relative)));
        var first = Assert.Single(gate.GetProperty("items").EnumerateArray());
        Assert.Equal("granted", first.GetProperty("decision").GetString());
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, gate.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task RaiseAlarm_NotificationsConfigured_QueuedInTheOutbox_NotConfigured_ListedOnly()
    {
        await using (var quiet = await ApiTestHost.StartAsync())
        {
            await quiet.Services.GetRequiredService<AlarmStore>().RaiseAsync(new AlarmRaise(AlarmKind.DeviceDown, "gate-1", "gate-1 does not answer"), CancellationToken.None);
            Assert.Equal(0, quiet.Count("notification_outbox"));
        }

        await using var host = await ApiTestHost.StartAsync(configuration: new Dictionary<string, string?>
        {
            ["Gateway:Notifications:Transport"] = "webhook",
            ["Gateway:Notifications:Webhook:Url"] = "http://127.0.0.1:9/hook",
            ["Gateway:Notifications:DepartmentHead"] = "head@example.org",
        });
        await host.Services.GetRequiredService<AlarmStore>().RaiseAsync(new AlarmRaise(AlarmKind.DeviceDown, "gate-1", "gate-1 does not answer"), CancellationToken.None);

        var queued = await host.Services.GetRequiredService<Gateway.Service.Notifications.NotificationOutbox>().ListAsync(10, CancellationToken.None);
        var notice = Assert.Single(queued);
        Assert.Equal("alarm.device-down", notice.Kind);
        Assert.Contains("gate-1", notice.Subject, StringComparison.Ordinal);
    }
}
