using Gateway.Drivers.Barriers;
using Gateway.Drivers.Modbus;

namespace Gateway.Drivers.Tests.Barriers;

/// <summary>
/// The driver over Gateway's real Modbus master against <c>gateway-sim barrier</c> running as a real
/// process: Modbus TCP, RTU over TCP, and RTU on the pseudo-terminal the simulator creates.
/// </summary>
public sealed class BarrierEndToEndTests
{
    // Generous for exchanges that must succeed on a loaded machine; short where a timeout is the point.
    private static readonly TimeSpan NormalTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(1);

    public static TheoryData<string> Transports => new() { "tcp", "pty" };

    [LinuxTheory]
    [MemberData(nameof(Transports))]
    public async Task UpsertWhitelistAsync_10000Entries_AuditFindsNoDifferences(string transport)
    {
        await using var run = await Run.StartAsync(transport);
        var entries = BarrierControllerTests.Entries(10_000);

        var identity = await run.Driver.IdentifyAsync();
        await run.Driver.ClearWhitelistAsync();
        var change = await run.Driver.UpsertWhitelistAsync(entries);
        var audit = await run.Driver.AuditWhitelistAsync(entries);
        var drift = await run.Driver.CheckDriftAsync(entries);
        var state = await run.Sim.GetAsync("units/1");

        Assert.True(identity.Capacity >= 20_000);
        Assert.Equal(10_000, change.Count);
        Assert.True(audit.InSync, string.Join("; ", audit.Differences.Take(5)));
        Assert.True(drift.InSync);
        Assert.Equal(10_000, state.GetProperty("whitelistCount").GetInt32());
        Assert.Equal(drift.ExpectedDigest.ToString("X16", System.Globalization.CultureInfo.InvariantCulture), state.GetProperty("digest").GetString());
    }

    [LinuxFact]
    public async Task CheckDriftAsync_SimulatorChangedThroughControlApi_FindsDriftAndAuditListsIt()
    {
        await using var run = await Run.StartAsync("rtu+tcp");
        var entries = BarrierControllerTests.Entries(200);
        await run.Driver.UpsertWhitelistAsync(entries);
        Assert.True((await run.Driver.CheckDriftAsync(entries)).InSync);

        await run.Sim.DeleteAsync($"units/1/whitelist/{entries[10].Uid}");
        await run.Sim.PutAsync($"units/1/whitelist/{entries[11].Uid}", new { validFrom = entries[11].ValidFromSeconds, validTo = entries[11].ValidToSeconds + 86_400, blocked = entries[11].Blocked });
        var drift = await run.Driver.CheckDriftAsync(entries);
        var audit = await run.Driver.AuditWhitelistAsync(entries);

        Assert.False(drift.InSync);
        Assert.Equal(2, audit.Differences.Count);
        Assert.Contains(audit.Differences, d => d.Kind == WhitelistDifferenceKind.Missing && d.Uid == entries[10].Uid);
        Assert.Contains(audit.Differences, d => d.Kind == WhitelistDifferenceKind.Different && d.Uid == entries[11].Uid && d.Actual!.Value.ValidToSeconds == entries[11].ValidToSeconds + 86_400);
    }

    [LinuxFact]
    public async Task ReadEventsAsync_FloodedPastOverflow_ReportsLostAndAcknowledgesToTheEnd()
    {
        await using var run = await Run.StartAsync("tcp", "--event-capacity", "40");
        await run.Sim.PostAsync("units/1/flood", new { count = 100 });

        uint lost = 0;
        var sequences = new List<uint>();
        BarrierEventBatch batch;
        do
        {
            batch = await run.Driver.ReadEventsAsync();
            lost += batch.Lost;
            sequences.AddRange(batch.Events.Select(e => e.Sequence));
            if (batch.Events.Count > 0)
            {
                await run.Driver.AcknowledgeEventsAsync(batch);
            }
        }
        while (batch.More);
        var status = await run.Driver.ReadStatusAsync();

        Assert.Equal(60u, lost);
        Assert.Equal(60u, status.Overflow);
        Assert.Equal(Enumerable.Range(61, 40).Select(i => (uint)i), sequences);
        Assert.Equal(100u, status.AcknowledgedSequence);
        Assert.Empty((await run.Driver.ReadEventsAsync()).Events);
    }

    [LinuxTheory]
    [InlineData("drop")]
    [InlineData("corrupt")]
    public async Task ReadStatusAsync_FewerFaultsThanRetries_RecoveredByTheMaster(string kind)
    {
        // A dropped reply costs a whole timeout: 2 s each keeps the test short and the third attempt safe.
        await using var run = await Run.StartAsync("pty", TimeSpan.FromSeconds(2));
        await run.Sim.PostAsync("units/1/faults", new { kind, count = 2 });

        var status = await run.Driver.ReadStatusAsync();

        Assert.NotEqual(0u, status.BootId);
    }

    [LinuxFact]
    public async Task ReadStatusAsync_RepliesKeepDropping_ThrowsDeviceTimeout()
    {
        await using var run = await Run.StartAsync("tcp", ShortTimeout);
        await run.Sim.PostAsync("units/1/faults", new { kind = "drop", count = 3 });

        var error = await Assert.ThrowsAnyAsync<DeviceTimeoutException>(() => run.Driver.ReadStatusAsync());

        Assert.Contains(run.Sim.ModbusEndpoint, error.Device, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task ReadStatusAsync_RepliesKeepCorrupt_ThrowsCorruptFrame()
    {
        await using var run = await Run.StartAsync("pty");
        await run.Sim.PostAsync("units/1/faults", new { kind = "corrupt", count = 3 });

        await Assert.ThrowsAsync<ModbusCorruptFrameException>(() => run.Driver.ReadStatusAsync());
    }

    [LinuxFact]
    public async Task ReadStatusAsync_ShortDelay_Answered()
    {
        await using var run = await Run.StartAsync("tcp");
        await run.Sim.PostAsync("units/1/faults", new { kind = "delay", count = 1, delayMs = 100 });

        var status = await run.Driver.ReadStatusAsync();

        Assert.NotEqual(0u, status.BootId);
    }

    [LinuxFact]
    public async Task ReadStatusAsync_DelayedBeyondTheTimeout_ThrowsDeviceTimeout()
    {
        await using var run = await Run.StartAsync("tcp", ShortTimeout);
        await run.Sim.PostAsync("units/1/faults", new { kind = "delay", count = 3, delayMs = 2_000 });

        await Assert.ThrowsAnyAsync<DeviceTimeoutException>(() => run.Driver.ReadStatusAsync());
    }

    [LinuxFact]
    public async Task UpsertWhitelistAsync_Busy_ThrowsServerDeviceBusy()
    {
        await using var run = await Run.StartAsync("pty");
        await run.Sim.PostAsync("units/1/faults", new { kind = "busy", count = 1 });

        var error = await Assert.ThrowsAsync<ModbusExceptionReplyException>(() => run.Driver.UpsertWhitelistAsync(BarrierControllerTests.Entries(5)));

        Assert.Equal(ModbusExceptionCode.ServerDeviceBusy, error.Code);
        Assert.Equal(5, (await run.Driver.UpsertWhitelistAsync(BarrierControllerTests.Entries(5))).Count);
    }

    [LinuxFact]
    public async Task IdentifyAsync_AfterRebootThroughControlApi_NewBootIdClockResetAndWhitelistLost()
    {
        await using var run = await Run.StartAsync("tcp");
        var entries = BarrierControllerTests.Entries(20);
        var before = await run.Driver.IdentifyAsync();
        await run.Driver.SetClockAsync();
        await run.Driver.UpsertWhitelistAsync(entries);
        var set = await run.Driver.ReadClockAsync();

        await run.Sim.PostAsync("units/1/reboot");
        var after = await run.Driver.IdentifyAsync();
        var clock = await run.Driver.ReadClockAsync();

        Assert.True(Math.Abs(set.Drift.TotalSeconds) <= 2, set.Drift.ToString());
        Assert.NotEqual(before.BootId, after.BootId);
        Assert.True(clock.ControllerTime < DateTimeOffset.UnixEpoch.AddHours(1));
        Assert.False((await run.Driver.CheckDriftAsync(entries)).InSync);
    }

    [LinuxFact]
    public async Task RaiseArmAsync_OverTheBus_LaneReportsArmUpAfterTravel()
    {
        await using var run = await Run.StartAsync("pty", "--arm-time-ms", "100");
        await run.Driver.IdentifyAsync();

        await run.Driver.RaiseArmAsync(1);
        LaneStatus status;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            status = await run.Driver.ReadLaneStatusAsync(1);
        }
        while (!status.ArmUp && DateTime.UtcNow < deadline);

        Assert.True(status.ArmUp);
        Assert.False(status.ArmDown);
        Assert.True((await run.Driver.ReadLaneStatusAsync(2)).ArmDown);
    }

    [LinuxFact]
    public async Task Drivers_TwoUnitsOnOnePty_EachHasItsOwnWhitelist()
    {
        await using var run = await Run.StartAsync("pty", "--units", "3,5");
        var three = new BarrierController(run.Master, 3);
        var five = new BarrierController(run.Master, 5);

        await three.UpsertWhitelistAsync(BarrierControllerTests.Entries(30));
        await five.UpsertWhitelistAsync(BarrierControllerTests.Entries(7));

        Assert.Equal(30, (await three.ReadStatusAsync()).WhitelistCount);
        Assert.Equal(7, (await five.ReadStatusAsync()).WhitelistCount);
        Assert.NotEqual((await three.IdentifyAsync()).BootId, (await five.IdentifyAsync()).BootId);
    }

    /// <summary>A simulator process, a real master on the transport and a driver for unit 1.</summary>
    private sealed class Run : IAsyncDisposable
    {
        private readonly TempFolder _folder;

        private Run(TempFolder folder, BarrierSimulatorProcess sim, IModbusMaster master)
        {
            _folder = folder;
            Sim = sim;
            Master = master;
            Driver = new BarrierController(master, 1);
        }

        public BarrierSimulatorProcess Sim { get; }

        public IModbusMaster Master { get; }

        public BarrierController Driver { get; }

        public static Task<Run> StartAsync(string transport, params string[] extra) => StartAsync(transport, NormalTimeout, extra);

        public static async Task<Run> StartAsync(string transport, TimeSpan timeout, params string[] extra)
        {
            var folder = new TempFolder("gateway-barrier");
            string[] where = transport == "pty" ? ["--pty", folder.Combine("ttyBarrier")] : ["--listen", $"{transport}://127.0.0.1:0"];
            var sim = await BarrierSimulatorProcess.StartAsync([.. where, .. extra]);
            var endpoint = transport == "pty" ? $"serial://{sim.ModbusEndpoint}?baud=19200&parity=none" : sim.ModbusEndpoint;
            var master = ModbusMaster.Create(endpoint, new ModbusMasterOptions { Timeout = timeout, Retries = 2, RetryDelay = TimeSpan.FromMilliseconds(10) });
            return new Run(folder, sim, master);
        }

        public async ValueTask DisposeAsync()
        {
            await Master.DisposeAsync();
            await Sim.DisposeAsync();
            _folder.Dispose();
        }
    }
}
