using System.Text.Json;
using Gateway.Drivers.Barriers;
using Gateway.Drivers.Channels;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Controllers;
using Gateway.Service.Tests.Api;
using Gateway.Service.Tests.Hosting;
using Gateway.Simulators.Barrier;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Tests.Controllers;

/// <summary>
/// The service's real composition (DI, the hosted sync engine under its loop supervisor, the HTTP API)
/// driving two simulated controllers on one RTU-over-TCP bus, with the controllers' bookkeeping in a
/// store that can be made to fail as a broken group commit does.
/// </summary>
public sealed class SupervisionTests
{
    private static readonly CardTruth Access = SyncHarness.Card(1, "04A1B2C3", CardState.Issued, "access");
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task BusWorker_GroupCommitFailsMidRevoke_FaultShownAtOnceWorkerRestartsAndTheRevokeReachesBothControllers()
    {
        await using var simulator = await BarrierSimulator.StartAsync(new BarrierSimulatorSettings
        {
            Listen = DeviceEndpoint.Parse("rtu+tcp://127.0.0.1:0"),
            Units = [1, 2],
            Controller = new SimulatedBarrierOptions { ArmTravelTime = TimeSpan.FromMilliseconds(10), EventCapacity = 64 },
        });
        var store = new InMemorySyncStore();
        var log = new CapturingLoggerProvider();
        await using var host = await ApiTestHost.StartAsync(
            services =>
            {
                services.AddSingleton<ISyncStore>(store);
                services.AddSingleton<ILoggerProvider>(log);
                services.RunControllerSync();
            },
            configuration: new Dictionary<string, string?>
            {
                ["Gateway:Devices:0:Id"] = "gate-1",
                ["Gateway:Devices:0:Kind"] = "barrier",
                ["Gateway:Devices:0:Endpoint"] = simulator.ModbusEndpoint,
                ["Gateway:Devices:0:Unit"] = "1",
                ["Gateway:Devices:0:Zone"] = "common",
                ["Gateway:Devices:1:Id"] = "gate-2",
                ["Gateway:Devices:1:Kind"] = "barrier",
                ["Gateway:Devices:1:Endpoint"] = simulator.ModbusEndpoint,
                ["Gateway:Devices:1:Unit"] = "2",
                ["Gateway:Devices:1:Zone"] = "common",
                ["Gateway:Sync:EventIntervalMs"] = "3600000",
            });
        var units = new[] { simulator.Units[1], simulator.Units[2] };
        store.Change(1, Access);
        await UntilAsync(() => Task.FromResult(units.All(u => u.Whitelist().Any(e => e.Uid == Access.Uid && !e.Blocked))), "the card never reached both controllers");
        await UntilAsync(async () => (await DevicesAsync(host)).All(d => d.GetProperty("state").GetString() == "connected"), "the controllers never showed connected");

        // The next save of a controller's progress fails as a broken group commit does (a full disk, an I/O error).
        var failed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        store.SaveFailed += state => failed.TrySetResult(state.ControllerId);
        store.FailNextSave(new InvalidOperationException("the group's write transaction failed; its changes were not committed", new SqliteException("disk I/O error", 10)));
        store.Change(1, Access with { State = CardState.Lost, StateSinceUtc = DateTimeOffset.UtcNow });
        var culprit = await failed.Task.WaitAsync(Bound);

        // At once: both controllers of the stopped worker show faulted, with the error, while it waits out its back-off.
        JsonElement[] faulted = [];
        await UntilAsync(async () => (faulted = [.. await DevicesAsync(host)]).All(d => d.GetProperty("state").GetString() == "faulted"), "the devices never showed the worker's fault");
        Assert.All(faulted, d => Assert.Contains("InvalidOperationException: the group's write transaction failed", d.GetProperty("lastError").GetString(), StringComparison.Ordinal));
        Assert.All(faulted, d => Assert.Contains($"sync worker for bus rtu+tcp://127.0.0.1:{new Uri(simulator.ModbusEndpoint).Port}", d.GetProperty("lastError").GetString(), StringComparison.Ordinal));

        // An alarm names the worker, the controller it was serving and the error (raised just after the health shows it).
        JsonElement[] raised = [];
        await UntilAsync(async () => (raised = [.. (await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/alarms?kind=service-fault", UriKind.Relative)))).GetProperty("items").EnumerateArray()]).Length > 0, "no service-fault alarm");
        var alarm = Assert.Single(raised);
        Assert.Equal(culprit, alarm.GetProperty("deviceId").GetString());
        Assert.Contains($"while serving {culprit}", alarm.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("InvalidOperationException", alarm.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.False(alarm.GetProperty("held").GetBoolean());

        // The log names the loop and the controller, with the exception.
        var entry = Assert.Single(log.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("stopped on an unexpected error", StringComparison.Ordinal));
        Assert.Contains($"while serving {culprit}", entry.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(entry.Exception);

        // After the restart the revoke reaches both controllers: the card is refused as blocked at each.
        await UntilAsync(() => Task.FromResult(units.All(u => u.Whitelist().Single(e => e.Uid == Access.Uid).Blocked)), "the revoke never reached both controllers after the restart");
        Assert.All(units, u => Assert.Equal(DenyReason.Blocked, u.Present(1, Access.Uid).Reason));
        await UntilAsync(async () => (await DevicesAsync(host)).All(d => d.GetProperty("state").GetString() == "connected"), "the controllers never showed connected after the restart");

        // Health tells the story: the loop runs again after one restart; the controllers were not drifted, only behind.
        var health = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("health", UriKind.Relative)));
        var loop = health.GetProperty("loops").EnumerateArray().Single(l => l.GetProperty("name").GetString()!.StartsWith("sync worker for bus", StringComparison.Ordinal));
        Assert.Equal("running", loop.GetProperty("state").GetString());
        Assert.Equal(1, loop.GetProperty("restarts").GetInt32());
        Assert.Contains("InvalidOperationException", loop.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        var drift = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/alarms?kind=drift", UriKind.Relative)));
        Assert.Empty(drift.GetProperty("items").EnumerateArray());
    }

    private static async Task<IReadOnlyList<JsonElement>> DevicesAsync(ApiTestHost host)
    {
        var body = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/devices", UriKind.Relative)));
        return [.. body.GetProperty("items").EnumerateArray()];
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow + Bound;
        while (!await condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, what);
            await Task.Delay(20);
        }
    }
}
