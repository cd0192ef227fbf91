using Gateway.Drivers.Barriers;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Alarms;
using Gateway.Service.Api;
using Gateway.Service.Events;
using Gateway.Service.Hosting;
using Gateway.Service.Controllers;
using Gateway.Service.Site;

namespace Gateway.Service.Tests.Controllers;

public sealed class SyncEngineTests
{
    private static readonly CardTruth Access = SyncHarness.Card(1, "04A1B2C3", CardState.Issued, "access");
    private static readonly CardTruth Both = SyncHarness.Card(2, "04A1B2C3D4E5F6", CardState.Issued, "both");

    [Fact]
    public async Task Serve_NewControllersOnSharedBus_EachHoldsItsZoneAndDigestMatches()
    {
        await using var h = await SyncHarness.StartAsync(("rtu+tcp", ["common", "building-3", "car-park"]));
        h.Store.Change(1, Access);
        h.Store.Change(2, Both);
        h.Store.Change(3, SyncHarness.Card(3, "04000003", CardState.Lost, "access", DateTimeOffset.UtcNow.AddDays(-1)));

        await h.ServeUntilAsync(() => Task.FromResult(h.Engine.Health().All(x => x.State == DeviceState.Connected && x.PendingChanges == 0 && x.AppliedSequence == 3)));

        Assert.Equal(3, h.Unit(0, 1).WhitelistCount);
        Assert.Equal(3, h.Unit(0, 2).WhitelistCount);
        Assert.Equal(0, h.Unit(0, 3).WhitelistCount); // the both-card has no paid period: not in the car park
        Assert.True(h.Unit(0, 1).Whitelist().Single(e => e.Uid == CardUid.Parse("04000003")).Blocked);
        foreach (var id in new[] { "c0-1", "c0-2", "c0-3" })
        {
            var health = h.Health(id);
            Assert.Equal(DeviceState.Connected, health.State);
            Assert.False(health.Drifted);
            Assert.Equal(3, health.AppliedSequence);
            Assert.Equal(3, h.Store.Controller(id)!.AppliedSequence);
        }

        Assert.Empty(await h.AlarmsAsync(AlarmKind.Drift));
    }

    [Fact]
    public async Task Serve_OutboxMovedWhileEventsAreDue_EveryControllerOnTheBusAppliesItBeforeAnyReadsEvents()
    {
        var log = new CapturingLoggerFactory();
        await using var h = await SyncHarness.StartAsync(log, ("rtu+tcp", ["common", "common", "common"]));
        h.Store.Change(1, Access);
        await h.ServeUntilAsync(() => Task.FromResult(h.Engine.Health().All(x => x.State == DeviceState.Connected && x.PendingChanges == 0 && x.AppliedSequence == 1)));
        for (var unit = 1; unit <= 3; unit++)
        {
            Assert.Equal(AccessDecision.Granted, h.Unit(0, unit).Present(1, Access.Uid).Decision);
        }

        var bus = Assert.Single(h.Engine.Buses);
        h.Store.Change(1, Access with { State = CardState.Lost, StateSinceUtc = DateTimeOffset.UtcNow });
        await h.Engine.Outbox.PollAsync(CancellationToken.None);

        // The controller that opens the next round has taken the change already: it has only routine work left.
        bus.NextTurn = 0;
        Assert.True(await bus.Sessions[0].TurnAsync(CancellationToken.None));
        h.Engine.RequestEvents();
        log.Clear();
        await bus.ServeAsync(CancellationToken.None);

        var messages = log.Messages.ToList();
        var lastOutbox = messages.FindLastIndex(m => m.Contains("outbox up to", StringComparison.Ordinal));
        var firstEvents = messages.FindIndex(m => m.Contains("events collected", StringComparison.Ordinal));
        Assert.True(lastOutbox >= 0 && firstEvents > lastOutbox, string.Join(Environment.NewLine, messages));
        Assert.Equal(2, messages.Count(m => m.Contains("outbox up to", StringComparison.Ordinal)));
        Assert.Equal(3, messages.Count(m => m.Contains("events collected", StringComparison.Ordinal)));
        for (var unit = 1; unit <= 3; unit++)
        {
            Assert.Equal(DenyReason.Blocked, h.Unit(0, unit).Present(2, Access.Uid).Reason);
        }
    }

    [Fact]
    public async Task Serve_CardReportedLostThenReturned_BlockedThenRemoved()
    {
        await using var h = await SyncHarness.StartAsync(("tcp", ["common"]));
        h.Store.Change(1, Access);
        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").AppliedSequence == 1));
        Assert.False(Assert.Single(h.Unit(0, 1).Whitelist()).Blocked);

        var lost = h.Store.Change(1, Access with { State = CardState.Lost, StateSinceUtc = DateTimeOffset.UtcNow });
        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").AppliedSequence == lost));

        Assert.True(Assert.Single(h.Unit(0, 1).Whitelist()).Blocked);
        Assert.Equal(DenyReason.Blocked, h.Unit(0, 1).Present(1, Access.Uid).Reason);
        Assert.Equal(lost, h.Store.Controller("c0-1")!.AppliedSequence);

        var returned = h.Store.Change(1, null);
        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").AppliedSequence == returned));

        Assert.Empty(h.Unit(0, 1).Whitelist());
        Assert.Equal(returned, h.Health("c0-1").AppliedSequence);
    }

    [Fact]
    public async Task Serve_EntryTamperedAndCheckRequested_OnlyTheDifferencesRepairedAndDriftAlarmRaised()
    {
        await using var h = await SyncHarness.StartAsync(("tcp", ["common"]));
        for (var i = 1; i <= 40; i++)
        {
            h.Store.Change(i, SyncHarness.Card(i, $"0400{i:X4}", CardState.Issued, "access"));
        }

        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").AppliedSequence == 40));
        var unit = h.Unit(0, 1);
        Assert.Equal(40, unit.WhitelistCount);
        unit.Tamper(delete: CardUid.Parse("04000005"));
        unit.Tamper(upsert: new WhitelistEntry(CardUid.Parse("0A0B0C0D"), 0, 100));
        var before = unit.Revision;

        Assert.True(h.Engine.RequestCheck("c0-1"));
        await h.ServeUntilAsync(() => Task.FromResult(!h.Health("c0-1").Drifted && unit.WhitelistCount == 40));

        Assert.Equal(40, unit.WhitelistCount);
        Assert.DoesNotContain(unit.Whitelist(), e => e.Uid == CardUid.Parse("0A0B0C0D"));
        Assert.Contains(unit.Whitelist(), e => e.Uid == CardUid.Parse("04000005"));
        // One delete and one upsert: the 39 good entries were not rewritten.
        Assert.Equal(2, unit.Revision - before);
        var alarm = Assert.Single(await h.AlarmsAsync(AlarmKind.Drift));
        Assert.Equal("c0-1", alarm.DeviceId);
        Assert.False(h.Health("c0-1").Drifted);
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 1)]
    public async Task Serve_PartlyWrittenControllerAtStart_DriftAlarmOnlyWhenNoWriteOfTheEngineWasPending(bool writePending, int driftAlarms)
    {
        // A service killed half-way through writing 40 entries leaves 15 on the controller and, in its
        // database, the mark that its write was under way; without that mark the same controller is drift.
        await using var h = await SyncHarness.StartAsync(("tcp", ["common"]));
        for (var i = 1; i <= 40; i++)
        {
            h.Store.Change(i, SyncHarness.Card(i, $"0400{i:X4}", CardState.Issued, "access"));
        }

        var unit = h.Unit(0, 1);
        for (var i = 1; i <= 15; i++)
        {
            unit.Tamper(upsert: new WhitelistEntry(CardUid.Parse($"0400{i:X4}"), 0, uint.MaxValue));
        }

        await h.Store.SaveControllerAsync(new ControllerSyncState("c0-1", 0, unit.BootId, null, writePending), CancellationToken.None);

        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").AppliedSequence == 40 && !h.Health("c0-1").Drifted && h.Health("c0-1").PendingChanges == 0));

        Assert.Equal(40, unit.WhitelistCount);
        Assert.Equal(driftAlarms, (await h.AlarmsAsync(AlarmKind.Drift)).Count);
        Assert.False(h.Store.Controller("c0-1")!.WritePending);
    }

    [Fact]
    public async Task Serve_NewControllerFilled_WriteMarkedPendingThenClearedByTheCheck()
    {
        await using var h = await SyncHarness.StartAsync(("tcp", ["common"]));
        h.Store.Change(1, Access);
        var pending = new List<bool>();
        h.Store.Saved += state => pending.Add(state.WritePending);

        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").AppliedSequence == 1 && h.Health("c0-1").PendingChanges == 0));

        // Marked before the first batch went out, cleared when the check found the controller complete.
        Assert.Contains(true, pending);
        Assert.False(pending[^1]);
        Assert.True(pending.IndexOf(true) < pending.LastIndexOf(false));
        Assert.Empty(await h.AlarmsAsync(AlarmKind.Drift));
    }

    [Fact]
    public async Task Serve_VolatileControllerRebooted_WhitelistRestoredWithoutDriftAlarm()
    {
        await using var h = await SyncHarness.StartAsync(("tcp", ["common"]));
        h.Store.Change(1, Access);
        h.Store.Change(2, Both);
        await h.ServeUntilAsync(() => Task.FromResult(h.Engine.Health().All(x => x.State == DeviceState.Connected && x.PendingChanges == 0 && x.AppliedSequence == 2)));
        var unit = h.Unit(0, 1);
        var bootBefore = unit.BootId;

        unit.Reboot();
        Assert.Equal(0, unit.WhitelistCount);
        h.Engine.RequestEvents(); // the next event read sees the new boot id
        await h.ServeUntilAsync(() => Task.FromResult(unit.WhitelistCount == 2 && h.Health("c0-1").BootId == unit.BootId));

        Assert.Equal(2, unit.WhitelistCount);
        Assert.NotEqual(bootBefore, h.Health("c0-1").BootId);
        Assert.Equal(unit.BootId, h.Health("c0-1").BootId);
        Assert.Empty(await h.AlarmsAsync(AlarmKind.Drift));
        Assert.Empty(await h.AlarmsAsync(AlarmKind.ClockSkew)); // the clock counted from 0 after the boot: set, no alarm
        Assert.InRange(Math.Abs((long)unit.ClockSeconds - DateTimeOffset.UtcNow.ToUnixTimeSeconds()), 0, 2);
    }

    [Fact]
    public async Task Serve_CardsPresented_EventsStoredOnceAcknowledgedAndBlockedCardRaisesAlarm()
    {
        await using var h = await SyncHarness.StartAsync(("tcp", ["common"]));
        h.Store.Change(1, Access);
        h.Store.Change(3, SyncHarness.Card(3, "04000003", CardState.Lost, "access", DateTimeOffset.UtcNow.AddDays(-1)));
        await h.ServeUntilAsync(() => Task.FromResult(h.Engine.Health().All(x => x.State == DeviceState.Connected && x.PendingChanges == 0 && x.AppliedSequence == 2)));
        var unit = h.Unit(0, 1);

        unit.Present(1, Access.Uid);
        unit.Present(1, CardUid.Parse("04000003"));
        unit.Present(1, CardUid.Parse("0BADCAFE"));
        for (var i = 0; i < 20; i++)
        {
            unit.Present(2, CardUid.Parse("0BADCAFE"));
        }

        h.Engine.RequestEvents();
        await h.ServeUntilAsync(async () => await h.Events.CountAsync("c0-1", CancellationToken.None) == 23 && unit.Acknowledged == 23);

        var events = (await h.Events.ListAsync(new EventFilter(ControllerId: "c0-1"), new Gateway.Service.Storage.PageRequest(500, 0), CancellationToken.None)).Items;
        Assert.Equal(23, events.Count);
        Assert.Equal(Enumerable.Range(1, 23).Select(i => (uint)i), events.Select(e => e.Sequence));
        Assert.Equal("granted", events[0].Decision);
        Assert.Equal("blocked", events[1].Reason);
        Assert.Equal(unit.LastSequence, unit.Acknowledged);
        var alarm = Assert.Single(await h.AlarmsAsync(AlarmKind.BlockedCard));
        Assert.Equal("04000003", alarm.CardUid);

        // Storing the same events again (a read repeated after a lost acknowledgement) adds nothing.
        var again = await h.Events.StoreAsync("c0-1", unit.BootId, [new BarrierEvent(1, events[0].TimeUtc, Access.Uid, 1, LaneDirection.Entry, AccessDecision.Granted, DenyReason.None)], CancellationToken.None);
        Assert.Empty(again);
        Assert.Equal(23, await h.Events.CountAsync("c0-1", CancellationToken.None));
    }

    [Fact]
    public async Task Serve_EventBufferOverflowed_AlarmSaysHowManyWereLost()
    {
        await using var h = await SyncHarness.StartAsync(("tcp", ["common"]));
        await h.ServeUntilAsync(() => Task.FromResult(h.Engine.Health().All(x => x.State == DeviceState.Connected && x.PendingChanges == 0 && x.AppliedSequence == 0)));
        var unit = h.Unit(0, 1);

        unit.FloodEvents(64 + 10);
        h.Engine.RequestEvents();
        await h.ServeUntilAsync(async () => unit.Acknowledged == 74 && (await h.AlarmsAsync(AlarmKind.BufferOverflow)).Count > 0);

        var alarm = Assert.Single(await h.AlarmsAsync(AlarmKind.BufferOverflow));
        Assert.Equal(10, alarm.Lost);
        Assert.Equal(64, await h.Events.CountAsync("c0-1", CancellationToken.None));
    }

    [Fact]
    public async Task Serve_ClockFarOff_SetToUtcAndClockSkewAlarm()
    {
        await using var h = await SyncHarness.StartAsync(("tcp", ["common"]));
        await h.ServeUntilAsync(() => Task.FromResult(h.Engine.Health().All(x => x.State == DeviceState.Connected && x.PendingChanges == 0 && x.AppliedSequence == 0)));
        var unit = h.Unit(0, 1);

        unit.SetClock((uint)DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds());
        h.Engine.RequestClock();
        await h.ServeUntilAsync(async () => (await h.AlarmsAsync(AlarmKind.ClockSkew)).Count > 0);

        Assert.InRange(Math.Abs((long)unit.ClockSeconds - DateTimeOffset.UtcNow.ToUnixTimeSeconds()), 0, 2);
        var alarm = Assert.Single(await h.AlarmsAsync(AlarmKind.ClockSkew));
        Assert.Equal("c0-1", alarm.DeviceId);
    }

    [Fact]
    public async Task Serve_ControllerDown_BacksOffRaisesOneAlarmAndOtherBusKeepsSyncing()
    {
        await using var h = await SyncHarness.StartAsync(("tcp", ["common"]), ("tcp", ["common"]));
        h.Store.Change(1, Access);
        await h.ServeUntilAsync(() => Task.FromResult(h.Engine.Health().All(x => x.State == DeviceState.Connected && x.PendingChanges == 0 && x.AppliedSequence == 1)));
        Assert.Equal(1, h.Unit(1, 1).WhitelistCount);

        // Controller c1-1 stops answering every request.
        h.Unit(1, 1).InjectFaults(new Gateway.Drivers.Modbus.ModbusFault(Gateway.Drivers.Modbus.ModbusFaultKind.Drop), 1000);
        h.Store.Change(2, Both);
        await h.ServeUntilAsync(() => Task.FromResult(h.Unit(0, 1).WhitelistCount == 2 && h.Health("c1-1").ConsecutiveFailures >= 1));

        var failing = h.Health("c1-1");
        Assert.NotEqual(DeviceState.Connected, failing.State);
        Assert.NotNull(failing.NextAttemptUtc);

        // Within the back-off the controller is skipped: no new attempt, no new timeout.
        if (DateTimeOffset.UtcNow < failing.NextAttemptUtc - TimeSpan.FromMilliseconds(300))
        {
            await h.ServeAsync();
            Assert.Equal(failing.ConsecutiveFailures, h.Health("c1-1").ConsecutiveFailures);
        }

        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c1-1").State == DeviceState.Down));
        Assert.Equal(DeviceState.Down, h.Board.Snapshot().Single(d => d.Id == "c1-1").State);
        Assert.NotNull(h.Board.Snapshot().Single(d => d.Id == "c1-1").LastError);
        Assert.Single(await h.AlarmsAsync(AlarmKind.DeviceDown));

        // It comes back: the next attempt after its back-off brings it up to date.
        while (h.Unit(1, 1).NextFault() != Gateway.Drivers.Modbus.ModbusFault.None)
        {
        }

        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c1-1").State == DeviceState.Connected && h.Unit(1, 1).WhitelistCount == 2));
        Assert.Single(await h.AlarmsAsync(AlarmKind.DeviceDown));
    }

    [Fact]
    public async Task Serve_CardRevokedWhileControllerDown_CaughtUpOnReconnectWithoutDriftAlarm()
    {
        await using var h = await SyncHarness.StartAsync(("tcp", ["common"]));
        h.Store.Change(1, Access);
        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").State == DeviceState.Connected && h.Health("c0-1").AppliedSequence == 1));

        // Busy: the controller refuses every request without acting on it, so nothing of the changes below reaches it.
        h.Unit(0, 1).InjectFaults(new Gateway.Drivers.Modbus.ModbusFault(Gateway.Drivers.Modbus.ModbusFaultKind.Busy), 1000);
        h.Store.Change(1, Access with { State = CardState.Lost, StateSinceUtc = DateTimeOffset.UtcNow });
        h.Store.Change(2, Both);
        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").ConsecutiveFailures >= 1));
        Assert.False(Assert.Single(h.Unit(0, 1).Whitelist()).Blocked);
        while (h.Unit(0, 1).NextFault() != Gateway.Drivers.Modbus.ModbusFault.None)
        {
        }

        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").State == DeviceState.Connected && h.Health("c0-1").AppliedSequence == 3 && h.Health("c0-1").PendingChanges == 0));

        Assert.Equal(DenyReason.Blocked, h.Unit(0, 1).Present(1, Access.Uid).Reason);
        Assert.Equal(AccessDecision.Granted, h.Unit(0, 1).Present(1, Both.Uid).Decision);
        Assert.Empty(await h.AlarmsAsync(AlarmKind.Drift));
        Assert.False(h.Health("c0-1").Drifted);
    }

    [Fact]
    public async Task Serve_CheckRightAfterAnOutboxReadPastTheWatcher_ComparesWithWhatWasAppliedNotAnOlderSnapshot()
    {
        // Two controllers in one zone on buses of their own, sharing the engine's snapshot cache.
        await using var h = await SyncHarness.StartAsync(("tcp", ["common"]), ("tcp", ["common"]));
        for (var i = 1; i <= 10; i++)
        {
            h.Store.Change(i, SyncHarness.Card(i, $"0400{i:X4}", CardState.Issued, "access"));
        }

        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").AppliedSequence == 10 && h.Health("c1-1").AppliedSequence == 10));

        // Card 5 is revoked (sequence 11) and the watcher reads it. c0-1 checks first and caches a snapshot at 11.
        // When c1-1 then reads the outbox itself, card 6 has been revoked meanwhile (sequence 12, not yet seen by
        // the watcher): c1-1 applies both, and a check follows at once.
        var revoked = DateTimeOffset.UtcNow;
        h.Store.Change(5, SyncHarness.Card(5, "04000005", CardState.Revoked, "access", revoked));
        Assert.True(h.Engine.RequestCheck("c0-1"));
        h.Store.BeforeNextLoadChanges = () =>
        {
            h.Store.ChangeUnannounced(6, SyncHarness.Card(6, "04000006", CardState.Revoked, "access", revoked));
            h.Engine.RequestCheck("c1-1");
        };
        await h.ServeAsync();
        Assert.Null(h.Store.BeforeNextLoadChanges);
        Assert.Equal(12, h.Health("c1-1").AppliedSequence);

        // Before the fix the check compared c1-1 with the cached snapshot at 11, in which card 6 is still issued:
        // it "repaired" card 6 back to valid with a drift alarm, and nothing later sent the revoke again.
        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c1-1").PendingChanges == 0 && h.Health("c0-1").AppliedSequence == 12));
        foreach (var unit in new[] { h.Unit(0, 1), h.Unit(1, 1) })
        {
            Assert.Equal(DenyReason.Blocked, unit.Present(1, CardUid.Parse("04000005")).Reason);
            Assert.Equal(DenyReason.Blocked, unit.Present(1, CardUid.Parse("04000006")).Reason);
        }

        Assert.Empty(await h.AlarmsAsync(AlarmKind.Drift));
        Assert.False(h.Health("c1-1").Drifted);
    }

    [Fact]
    public async Task DevicesList_ControllerThatCannotTakeAChange_ShowsTheOutboxSequenceAndHowFarBehind()
    {
        await using var h = await SyncHarness.StartAsync(("tcp", ["common"]));
        h.Store.Change(1, Access);
        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").AppliedSequence == 1));
        var synced = Assert.Single(DeviceEndpoints.List(h.Board, h.Engine));
        Assert.Equal((1L, 1L, 0L), (synced.AppliedSequence, synced.OutboxSequence, synced.Behind));

        // Busy: the controller refuses every request, so the two changes wait.
        h.Unit(0, 1).InjectFaults(new Gateway.Drivers.Modbus.ModbusFault(Gateway.Drivers.Modbus.ModbusFaultKind.Busy), 1000);
        h.Store.Change(1, Access with { State = CardState.Lost, StateSinceUtc = DateTimeOffset.UtcNow });
        h.Store.Change(2, Both);
        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").ConsecutiveFailures >= 1));
        var behind = Assert.Single(DeviceEndpoints.List(h.Board, h.Engine));
        Assert.Equal((1L, 3L, 2L), (behind.AppliedSequence, behind.OutboxSequence, behind.Behind));

        while (h.Unit(0, 1).NextFault() != Gateway.Drivers.Modbus.ModbusFault.None)
        {
        }

        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").AppliedSequence == 3));
        var caughtUp = Assert.Single(DeviceEndpoints.List(h.Board, h.Engine));
        Assert.Equal((3L, 3L, 0L), (caughtUp.AppliedSequence, caughtUp.OutboxSequence, caughtUp.Behind));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(7, 60)]
    [InlineData(30, 60)]
    public void Backoff_ConsecutiveFailures_DoublesFromOneSecondUpToTheCap(int failures, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), ControllerSession.Backoff(failures, TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public void BusKey_TcpControllersApartRtuAndSerialShared()
    {
        DeviceOptions Device(string endpoint, int unit) => new("x", DeviceKind.Barrier, endpoint, unit, "common") { ModbusEndpoint = Gateway.Drivers.Channels.DeviceEndpoint.Parse(endpoint) };

        Assert.NotEqual(SyncEngine.BusKey(Device("tcp://10.0.0.5:502", 1)), SyncEngine.BusKey(Device("tcp://10.0.0.5:502", 2)));
        Assert.Equal(SyncEngine.BusKey(Device("rtu+tcp://10.0.0.5:4001", 1)), SyncEngine.BusKey(Device("rtu+tcp://10.0.0.5:4001", 2)));
        Assert.Equal(SyncEngine.BusKey(Device("serial:///dev/ttyUSB0?baud=19200", 1)), SyncEngine.BusKey(Device("serial:///dev/ttyUSB0?baud=9600", 7)));
        Assert.NotEqual(SyncEngine.BusKey(Device("serial:///dev/ttyUSB0", 1)), SyncEngine.BusKey(Device("serial:///dev/ttyUSB1", 1)));
    }
}
