using Gateway.Drivers.Barriers;
using Gateway.Drivers.Modbus;
using Gateway.Simulators.Barrier;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Drivers.Tests.Barriers;

/// <summary>The driver against the simulated controller, in-process (the master fake hands requests straight to it).</summary>
public sealed class BarrierControllerTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);

    [Fact]
    public async Task IdentifyAsync_Simulator_ReportsProfileCapacityAndLanes()
    {
        var (sim, _, driver) = Make(new SimulatedBarrierOptions { Lanes = 4, Capacity = 30_000 });

        var identity = await driver.IdentifyAsync();

        Assert.Equal(1, identity.MajorVersion);
        Assert.Equal(30_000, identity.Capacity);
        Assert.Equal(4, identity.Lanes);
        Assert.Equal(sim.BootId, identity.BootId);
        Assert.NotEqual(0u, identity.BootId);
    }

    [Fact]
    public async Task IdentifyAsync_AfterReboot_BootIdChanges()
    {
        var (sim, _, driver) = Make();
        var first = await driver.IdentifyAsync();

        sim.Reboot();
        var second = await driver.IdentifyAsync();

        Assert.NotEqual(first.BootId, second.BootId);
    }

    [Fact]
    public async Task IdentifyAsync_NotABarrierController_ThrowsProfileMismatch()
    {
        await using var master = new InMemoryModbusMaster(new ForeignDevice());
        var driver = new BarrierController(master, 1);

        var error = await Assert.ThrowsAsync<BarrierProfileMismatchException>(() => driver.IdentifyAsync());
        Assert.Contains("memory://test#1", error.Device, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpsertWhitelistAsync_10000Entries_AuditFindsNoDifferencesWithin24BytesPerEntry()
    {
        var (sim, master, driver) = Make();
        var entries = Entries(10_000);

        var change = await driver.UpsertWhitelistAsync(entries);
        var wireBytesPerEntry = (double)master.RtuBytes / entries.Count;
        var audit = await driver.AuditWhitelistAsync(entries);

        Assert.Equal(10_000, sim.WhitelistCount);
        Assert.Equal(10_000, change.Count);
        Assert.Equal(10_000, change.Changed);
        Assert.Equal((10_000 + 14) / 15, change.Transactions);
        Assert.Equal(WhitelistEntry.ComputeDigest(entries), change.Digest);
        Assert.True(wireBytesPerEntry <= 24, $"{wireBytesPerEntry:0.00} bytes per entry");
        Assert.True(audit.InSync, string.Join("; ", audit.Differences.Take(5)));
        Assert.Equal(10_000, audit.ControllerCount);
    }

    [Fact]
    public async Task UpsertWhitelistAsync_OneChangedEntry_OneTransactionLeavesControllerInSync()
    {
        var (_, master, driver) = Make();
        var entries = Entries(100);
        await driver.UpsertWhitelistAsync(entries);
        var changed = new WhitelistEntry(entries[42].Uid, entries[42].ValidFrom, entries[42].ValidTo.AddDays(31));
        entries[42] = changed;
        var before = master.Transactions;

        var change = await driver.UpsertWhitelistAsync([changed]);

        Assert.Equal(1, master.Transactions - before);
        Assert.Equal(1, change.Changed);
        Assert.Equal(WhitelistEntry.ComputeDigest(entries), change.Digest);
        Assert.True((await driver.CheckDriftAsync(entries)).InSync);
    }

    [Fact]
    public async Task CheckDriftAsync_ChangedBehindTheDriversBack_ReportsDriftAndAuditListsEachDifference()
    {
        var (sim, _, driver) = Make();
        var entries = Entries(50);
        await driver.UpsertWhitelistAsync(entries);
        Assert.True((await driver.CheckDriftAsync(entries)).InSync);

        var stranger = new WhitelistEntry(CardUid.Parse("04112233445566"), Now, Now.AddDays(1));
        var altered = new WhitelistEntry(entries[7].Uid, entries[7].ValidFrom, entries[7].ValidTo, blocked: true);
        sim.Tamper(upsert: stranger);
        sim.Tamper(delete: entries[3].Uid);
        sim.Tamper(upsert: altered);

        var drift = await driver.CheckDriftAsync(entries);
        var audit = await driver.AuditWhitelistAsync(entries);

        Assert.False(drift.InSync);
        Assert.Equal(50, drift.ActualCount);
        Assert.NotEqual(drift.ExpectedDigest, drift.ActualDigest);
        Assert.Equal(3, audit.Differences.Count);
        Assert.Contains(audit.Differences, d => d.Kind == WhitelistDifferenceKind.Extra && d.Uid == stranger.Uid);
        Assert.Contains(audit.Differences, d => d.Kind == WhitelistDifferenceKind.Missing && d.Uid == entries[3].Uid);
        Assert.Contains(audit.Differences, d => d.Kind == WhitelistDifferenceKind.Different && d.Uid == altered.Uid && d.Actual == altered);
    }

    [Fact]
    public async Task CheckDriftAsync_OnlyValidityChanged_ReportsDriftWithEqualCount()
    {
        var (sim, _, driver) = Make();
        var entries = Entries(20);
        await driver.UpsertWhitelistAsync(entries);

        sim.Tamper(upsert: new WhitelistEntry(entries[5].Uid, entries[5].ValidFromSeconds, entries[5].ValidToSeconds + 1));
        var drift = await driver.CheckDriftAsync(entries);

        Assert.Equal(drift.ExpectedCount, drift.ActualCount);
        Assert.False(drift.InSync);
    }

    [Fact]
    public async Task ReconcileWhitelistAsync_InSync_OneTransactionNothingRepaired()
    {
        var (_, master, driver) = Make();
        var entries = Entries(100);
        await driver.UpsertWhitelistAsync(entries);
        var before = master.Transactions;

        var result = await driver.ReconcileWhitelistAsync(entries);

        Assert.True(result.InSync);
        Assert.Empty(result.Repaired);
        Assert.Equal(1, master.Transactions - before);
    }

    [Fact]
    public async Task ReconcileWhitelistAsync_Drifted_RepairsMissingExtraAndDifferent()
    {
        var (sim, master, driver) = Make();
        var entries = Entries(100);
        await driver.UpsertWhitelistAsync(entries);
        sim.Tamper(delete: entries[1].Uid);
        sim.Tamper(upsert: new WhitelistEntry(CardUid.Parse("99999999"), 0u, 1u));
        sim.Tamper(upsert: new WhitelistEntry(entries[2].Uid, entries[2].ValidFromSeconds, entries[2].ValidToSeconds, !entries[2].Blocked));
        var before = master.Transactions;

        var result = await driver.ReconcileWhitelistAsync(entries);

        Assert.True(result.InSync);
        Assert.Equal(3, result.Repaired.Count);
        Assert.Equal(master.Transactions - before, result.Transactions);
        Assert.Equal(WhitelistEntry.ComputeDigest(entries), sim.Digest);
        Assert.True((await driver.AuditWhitelistAsync(entries)).InSync);
    }

    [Fact]
    public async Task DeleteWhitelistAsync_ManyCards_RemovesThemIn30PerTransaction()
    {
        var (sim, _, driver) = Make();
        var entries = Entries(200);
        await driver.UpsertWhitelistAsync(entries);

        var change = await driver.DeleteWhitelistAsync(entries.Take(90).Select(e => e.Uid).Append(CardUid.Parse("DEADBEEF")));

        Assert.Equal(4, change.Transactions);
        Assert.Equal(90, change.Changed);
        Assert.Equal(110, sim.WhitelistCount);
        Assert.Equal(WhitelistEntry.ComputeDigest(entries.Skip(90)), change.Digest);
    }

    [Fact]
    public async Task ClearWhitelistAsync_Filled_LeavesEmptyWhitelistWithEmptyDigest()
    {
        var (sim, _, driver) = Make();
        await driver.UpsertWhitelistAsync(Entries(40));

        var change = await driver.ClearWhitelistAsync();

        Assert.Equal(0, sim.WhitelistCount);
        Assert.Equal(40, change.Changed);
        Assert.Equal(WhitelistEntry.ComputeDigest([]), change.Digest);
    }

    [Fact]
    public async Task UpsertWhitelistAsync_BeyondCapacity_ThrowsFullNamingTheCardAndKeepsEarlierBatches()
    {
        var (sim, _, driver) = Make(new SimulatedBarrierOptions { Capacity = 20 });
        var entries = Entries(25);

        var error = await Assert.ThrowsAsync<BarrierCommandException>(() => driver.UpsertWhitelistAsync(entries));

        Assert.Equal(BarrierResultCode.Full, error.Result);
        Assert.Equal(entries.OrderBy(e => e.Uid).ElementAt(20).Uid, error.Uid);
        Assert.Equal(15, sim.WhitelistCount);
    }

    [Fact]
    public async Task UpsertWhitelistAsync_SameCardTwice_ThrowsBeforeSending()
    {
        var (_, master, driver) = Make();
        var entries = Entries(3);

        await Assert.ThrowsAsync<ArgumentException>(() => driver.UpsertWhitelistAsync([.. entries, entries[1]]));
        Assert.Equal(0, master.Transactions);
    }

    [Fact]
    public async Task ReadClockAsync_AfterSet_NoDriftAndAfterControllerJump_ReportsIt()
    {
        var (sim, _, driver) = Make();

        var unset = await driver.ReadClockAsync();
        await driver.SetClockAsync();
        var set = await driver.ReadClockAsync();
        sim.SetClock(sim.ClockSeconds + 300);
        var jumped = await driver.ReadClockAsync();

        Assert.Equal(DateTimeOffset.UnixEpoch, unset.ControllerTime);
        Assert.True(Math.Abs(set.Drift.TotalSeconds) <= 1, set.Drift.ToString());
        Assert.InRange(jumped.Drift.TotalSeconds, 299, 301);
    }

    [Fact]
    public async Task ReadEventsAsync_Decisions_ReadUntilAcknowledged()
    {
        var (sim, _, driver) = Make();
        await driver.SetClockAsync();
        var entries = new[] { new WhitelistEntry(CardUid.Parse("0A0B0C0D"), Now.AddDays(-1), Now.AddDays(30)) };
        await driver.UpsertWhitelistAsync(entries);
        sim.Present(1, entries[0].Uid);
        sim.Present(1, CardUid.Parse("01020304"));

        var batch = await driver.ReadEventsAsync();
        var again = await driver.ReadEventsAsync();
        await driver.AcknowledgeEventsAsync(batch);
        var after = await driver.ReadEventsAsync();

        Assert.Equal(sim.BootId, batch.BootId);
        Assert.Equal([1u, 2u], batch.Events.Select(e => e.Sequence));
        Assert.Equal(AccessDecision.Granted, batch.Events[0].Decision);
        Assert.Equal(entries[0].Uid, batch.Events[0].Uid);
        Assert.Equal(Now, batch.Events[0].Time);
        Assert.Equal(DenyReason.Unknown, batch.Events[1].Reason);
        Assert.Equal(batch.Events, again.Events);
        Assert.Empty(after.Events);
        Assert.Equal(2u, after.Acknowledged);
    }

    [Fact]
    public async Task ReadEventsAsync_NoEvents_OneTransactionOfTheFiveHeaderRegisters()
    {
        var (sim, master, driver) = Make();
        var before = (master.Transactions, master.RtuBytes);

        var batch = await driver.ReadEventsAsync();

        Assert.Empty(batch.Events);
        Assert.False(batch.More);
        Assert.Equal(sim.BootId, batch.BootId);
        // Request 8 bytes, reply 5 + 2 × 5 = 15: instead of 263 for the whole window.
        Assert.Equal((before.Transactions + 1, before.RtuBytes + 23), (master.Transactions, master.RtuBytes));
    }

    [Fact]
    public async Task ReadEventsAsync_TwoEvents_ReadsTheHeaderThenOnlyThoseTwo()
    {
        var (sim, master, driver) = Make();
        sim.Present(1, CardUid.Parse("01020304"));
        sim.Present(2, CardUid.Parse("01020305"));
        var before = (master.Transactions, master.RtuBytes);

        var batch = await driver.ReadEventsAsync();

        Assert.Equal([1u, 2u], batch.Events.Select(e => e.Sequence));
        Assert.Equal(CardUid.Parse("01020305"), batch.Events[1].Uid);
        Assert.False(batch.More);
        // 23 bytes for the header, then 8 + 5 + 2 × 25 = 63 for the header and two events.
        Assert.Equal((before.Transactions + 2, before.RtuBytes + 23 + 63), (master.Transactions, master.RtuBytes));
    }

    [Fact]
    public async Task ReadEventsAsync_AcrossOverflow_ReportsLostAndReadsTheRestInOrder()
    {
        var (sim, _, driver) = Make(new SimulatedBarrierOptions { EventCapacity = 30 });
        sim.FloodEvents(5);
        var first = await driver.ReadEventsAsync();
        await driver.AcknowledgeEventsAsync(first);

        sim.FloodEvents(37);
        var read = new List<BarrierEvent>();
        uint lost = 0;
        BarrierEventBatch batch;
        do
        {
            batch = await driver.ReadEventsAsync();
            lost += batch.Lost;
            read.AddRange(batch.Events);
            if (batch.Events.Count > 0)
            {
                await driver.AcknowledgeEventsAsync(batch);
            }
        }
        while (batch.More);

        var status = await driver.ReadStatusAsync();
        Assert.Equal(7u, lost);
        Assert.Equal(7u, status.Overflow);
        Assert.Equal(30, read.Count);
        Assert.Equal(Enumerable.Range(13, 30).Select(i => (uint)i), read.Select(e => e.Sequence));
        Assert.Equal(42u, status.AcknowledgedSequence);
    }

    [Fact]
    public async Task AcknowledgeEventsAsync_BeyondLastSequence_ThrowsAcknowledgeRejected()
    {
        var (sim, _, driver) = Make();
        sim.FloodEvents(2);

        var error = await Assert.ThrowsAsync<BarrierAcknowledgeRejectedException>(() => driver.AcknowledgeEventsAsync(sim.BootId, 3));

        Assert.Equal(3u, error.Sequence);
        Assert.Equal(0u, sim.Acknowledged);
    }

    [Fact]
    public async Task AcknowledgeEventsAsync_ControllerRestartedSinceTheRead_RejectedAndNewEventsStayUnacknowledged()
    {
        var (sim, _, driver) = Make();
        sim.FloodEvents(5);
        var batch = await driver.ReadEventsAsync();

        sim.Reboot();
        sim.FloodEvents(8);
        var error = await Assert.ThrowsAsync<BarrierAcknowledgeRejectedException>(() => driver.AcknowledgeEventsAsync(batch));
        var again = await driver.ReadEventsAsync();

        Assert.Equal(batch.BootId, error.BootId);
        Assert.Equal(0u, sim.Acknowledged);
        Assert.Equal(8, again.Events.Count);
        Assert.NotEqual(batch.BootId, again.BootId);
    }

    [Fact]
    public async Task RaiseArmAsync_ThenTravelTime_ArmUpAndLowerHeldWhileVehiclePresent()
    {
        var (sim, _, driver) = Make(new SimulatedBarrierOptions { ArmTravelTime = TimeSpan.FromSeconds(2) });
        await driver.IdentifyAsync();

        var down = await driver.ReadLaneStatusAsync(2);
        await driver.RaiseArmAsync(2);
        var moving = await driver.ReadLaneStatusAsync(2);
        _time.Advance(TimeSpan.FromSeconds(2));
        var up = await driver.ReadLaneStatusAsync(2);
        sim.SetVehiclePresent(2, true);
        await driver.LowerArmAsync(2);
        _time.Advance(TimeSpan.FromSeconds(5));
        var held = await driver.ReadLaneStatusAsync(2);
        sim.SetVehiclePresent(2, false);
        _time.Advance(TimeSpan.FromSeconds(2));
        var lowered = await driver.ReadLaneStatusAsync(2);

        Assert.True(down.ArmDown);
        Assert.True(moving.Moving);
        Assert.True(moving.Raising);
        Assert.True(up.ArmUp);
        Assert.True(held.ArmUp);
        Assert.True(held.VehiclePresent);
        Assert.True(held.Lowering);
        Assert.True(lowered.ArmDown);
        Assert.False((await driver.ReadLaneStatusAsync(1)).ArmUp);
    }

    [Fact]
    public async Task OpenLaneAsync_Profile11_OneTransaction_ArmRises_AndTheEventCarriesTheTag()
    {
        var (_, master, driver) = Make();
        await driver.IdentifyAsync();

        var logged = await driver.OpenLaneAsync(2, 4711);
        var transactions = master.Transactions;
        var lane = await driver.ReadLaneStatusAsync(2);
        var batch = await driver.ReadEventsAsync();

        Assert.True(logged);
        Assert.Equal(2, transactions);
        Assert.True(lane.Raising);
        var e = Assert.Single(batch.Events);
        Assert.Equal((AccessDecision.Granted, DenyReason.RemoteOpen, 2), (e.Decision, e.Reason, e.Lane));
        Assert.True(BarrierController.TryReadRemoteOpenTag(e, out var tag));
        Assert.Equal(4711u, tag);
    }

    [Fact]
    public async Task SetOpenTimeAsync_Profile12Controller_Written_OlderControllerSendsNothing()
    {
        var sim = new SimulatedBarrierController(null, _time);
        var driver = new BarrierController(new InMemoryModbusMaster(sim), 1, new BarrierControllerOptions { TimeProvider = _time });
        await driver.IdentifyAsync();
        Assert.Equal(2, driver.Identity!.MinorVersion);
        Assert.True(await driver.SetOpenTimeAsync(8));
        Assert.Equal(8, sim.OpenSeconds);
        Assert.Equal(8, (await driver.ReadStatusAsync()).OpenSeconds);

        var old = new SimulatedBarrierController(null, _time);
        var oldDriver = new BarrierController(new InMemoryModbusMaster(new ProfileOneZero(old)), 1, new BarrierControllerOptions { TimeProvider = _time });
        await oldDriver.IdentifyAsync();
        Assert.False(await oldDriver.SetOpenTimeAsync(8));
        Assert.Equal(0, old.OpenSeconds);
        Assert.Equal(0, (await oldDriver.ReadStatusAsync()).OpenSeconds);
    }

    [Fact]
    public async Task OpenLaneAsync_Profile10Controller_RaisesByTheCoil_AndSaysItIsNotLogged()
    {
        var sim = new SimulatedBarrierController(null, _time);
        var master = new InMemoryModbusMaster(new ProfileOneZero(sim));
        var driver = new BarrierController(master, 1, new BarrierControllerOptions { TimeProvider = _time });
        await driver.IdentifyAsync();

        var logged = await driver.OpenLaneAsync(1, 7);

        Assert.False(logged);
        Assert.Equal(0, driver.Identity!.MinorVersion);
        Assert.True(sim.LaneState(1).Moving);
        Assert.Empty(sim.Snapshot().PendingEvents);
    }

    [Fact]
    public async Task OpenLaneAsync_NoSuchLaneOrTagZero_ThrowsBeforeSending()
    {
        var (sim, master, driver) = Make();
        await driver.IdentifyAsync();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => driver.OpenLaneAsync(3, 1));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => driver.OpenLaneAsync(1, 0));
        Assert.Equal(1, master.Transactions);
        Assert.Empty(sim.Snapshot().PendingEvents);
    }

    [Fact]
    public async Task RaiseArmAsync_NoSuchLane_ThrowsBeforeSending()
    {
        var (_, master, driver) = Make();
        await driver.IdentifyAsync();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => driver.RaiseArmAsync(3));
        Assert.Equal(1, master.Transactions);
    }

    [Fact]
    public async Task UpsertWhitelistAsync_ReplyDroppedOnce_RecoveredByTheMastersRetry()
    {
        var (sim, _, driver) = Make();
        var entries = Entries(30);
        sim.InjectFaults(new ModbusFault(ModbusFaultKind.Drop), 1);

        var change = await driver.UpsertWhitelistAsync(entries);

        Assert.Equal(30, change.Count);
        Assert.True((await driver.CheckDriftAsync(entries)).InSync);
    }

    [Fact]
    public async Task ReadStatusAsync_Busy_ThrowsModbusExceptionWithCode06()
    {
        var (sim, _, driver) = Make();
        sim.InjectFaults(new ModbusFault(ModbusFaultKind.Busy), 1);

        var error = await Assert.ThrowsAsync<ModbusExceptionReplyException>(() => driver.ReadStatusAsync());

        Assert.Equal(ModbusExceptionCode.ServerDeviceBusy, error.Code);
    }

    [Fact]
    public async Task ReadStatusAsync_RepliesKeepCorrupt_ThrowsCorruptFrame()
    {
        var (sim, _, driver) = Make();
        sim.InjectFaults(new ModbusFault(ModbusFaultKind.CorruptChecksum), 3);

        await Assert.ThrowsAsync<ModbusCorruptFrameException>(() => driver.ReadStatusAsync());
    }

    [Fact]
    public async Task ReadStatusAsync_ReplyLaterThanTransactionTimeout_ThrowsDeviceTimeout()
    {
        var sim = new SimulatedBarrierController();
        await using var master = new InMemoryModbusMaster(sim);
        var driver = new BarrierController(master, 1, new BarrierControllerOptions { TransactionTimeout = TimeSpan.FromMilliseconds(50) });
        sim.InjectFaults(new ModbusFault(ModbusFaultKind.Delay, TimeSpan.FromSeconds(30)), 1);

        var error = await Assert.ThrowsAsync<DeviceTimeoutException>(() => driver.ReadStatusAsync());

        Assert.Equal("memory://test#1", error.Device);
    }

    [Fact]
    public async Task ReadStatusAsync_CallerCancels_ThrowsOperationCanceled()
    {
        var sim = new SimulatedBarrierController();
        await using var master = new InMemoryModbusMaster(sim);
        var driver = new BarrierController(master, 1);
        sim.InjectFaults(new ModbusFault(ModbusFaultKind.Delay, TimeSpan.FromSeconds(30)), 1);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => driver.ReadStatusAsync(cancel.Token));

        Assert.IsNotType<DeviceTimeoutException>(error.InnerException);
    }

    [Fact]
    public async Task ComputeDigest_OrderOfInput_DoesNotMatter()
    {
        var entries = Entries(10);
        var (_, _, driver) = Make();
        await driver.UpsertWhitelistAsync(entries.AsEnumerable().Reverse());

        Assert.Equal(WhitelistEntry.ComputeDigest(entries), WhitelistEntry.ComputeDigest(entries.AsEnumerable().Reverse()));
        Assert.True((await driver.CheckDriftAsync(entries)).InSync);
    }

    internal static List<WhitelistEntry> Entries(int count)
    {
        var random = new Random(count);
        var entries = new Dictionary<CardUid, WhitelistEntry>();
        var bytes = new byte[7];
        while (entries.Count < count)
        {
            random.NextBytes(bytes);
            var uid = CardUid.FromBytes(entries.Count % 3 == 0 ? bytes : bytes.AsSpan(0, 4));
            var from = Now.AddDays(-random.Next(0, 400));
            entries.TryAdd(uid, new WhitelistEntry(uid, from, from.AddDays(random.Next(1, 800)), blocked: entries.Count % 17 == 0));
        }

        return [.. entries.Values];
    }

    private (SimulatedBarrierController Sim, InMemoryModbusMaster Master, BarrierController Driver) Make(SimulatedBarrierOptions? options = null)
    {
        var sim = new SimulatedBarrierController(options, _time);
        var master = new InMemoryModbusMaster(sim);
        return (sim, master, new BarrierController(master, 1, new BarrierControllerOptions { TimeProvider = _time }));
    }

    /// <summary>A controller of profile 1.0: version register 0x0100, no remote-opening block (exception 02 there).</summary>
    private sealed class ProfileOneZero(SimulatedBarrierController inner) : IModbusDataModel
    {
        public ModbusExceptionCode? ReadCoils(int address, Span<bool> destination) => inner.ReadCoils(address, destination);

        public ModbusExceptionCode? ReadDiscreteInputs(int address, Span<bool> destination) => inner.ReadDiscreteInputs(address, destination);

        public ModbusExceptionCode? ReadHoldingRegisters(int address, Span<ushort> destination)
        {
            var result = inner.ReadHoldingRegisters(address, destination);
            if (result is null && address <= BarrierProfile.VersionRegister && address + destination.Length > BarrierProfile.VersionRegister)
            {
                destination[BarrierProfile.VersionRegister - address] = 0x0100;
            }

            return result;
        }

        public ModbusExceptionCode? ReadInputRegisters(int address, Span<ushort> destination) => inner.ReadInputRegisters(address, destination);

        public ModbusExceptionCode? WriteCoils(int address, ReadOnlySpan<bool> values) => inner.WriteCoils(address, values);

        public ModbusExceptionCode? WriteHoldingRegisters(int address, ReadOnlySpan<ushort> values) =>
            address < BarrierProfile.RemoteOpenRegister + BarrierProfile.RemoteOpenLength && address + values.Length > BarrierProfile.RemoteOpenRegister
                ? ModbusExceptionCode.IllegalDataAddress
                : inner.WriteHoldingRegisters(address, values);
    }

    /// <summary>A Modbus device that is not a barrier controller: every holding register reads 0x1234.</summary>
    private sealed class ForeignDevice : IModbusDataModel
    {
        public ModbusExceptionCode? ReadCoils(int address, Span<bool> destination) => ModbusExceptionCode.IllegalDataAddress;

        public ModbusExceptionCode? ReadDiscreteInputs(int address, Span<bool> destination) => ModbusExceptionCode.IllegalDataAddress;

        public ModbusExceptionCode? ReadHoldingRegisters(int address, Span<ushort> destination)
        {
            destination.Fill(0x1234);
            return null;
        }

        public ModbusExceptionCode? ReadInputRegisters(int address, Span<ushort> destination) => ModbusExceptionCode.IllegalDataAddress;

        public ModbusExceptionCode? WriteCoils(int address, ReadOnlySpan<bool> values) => ModbusExceptionCode.IllegalDataAddress;

        public ModbusExceptionCode? WriteHoldingRegisters(int address, ReadOnlySpan<ushort> values) => ModbusExceptionCode.IllegalDataAddress;
    }
}
