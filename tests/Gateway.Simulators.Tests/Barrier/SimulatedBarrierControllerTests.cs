using Gateway.Drivers.Barriers;
using Gateway.Drivers.Modbus;
using Gateway.Simulators.Barrier;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Simulators.Tests.Barrier;

/// <summary>The simulated controller at the register level, as the profile document states it.</summary>
public sealed class SimulatedBarrierControllerTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly uint NowSeconds = (uint)Now.ToUnixTimeSeconds();
    private readonly FakeTimeProvider _time = new(Now);

    [Fact]
    public void ReadHoldingRegisters_IdentificationBlock_HoldsMagicVersionCapacityLanesAndBootId()
    {
        var sim = new SimulatedBarrierController(new SimulatedBarrierOptions { Lanes = 3, Capacity = 20_000, EventCapacity = 500, FirmwareId = 0x01020304 }, _time);
        var r = new ushort[10];

        Assert.Null(sim.ReadHoldingRegisters(0, r));

        Assert.Equal(new ushort[] { 0x4742, 0x0102, 0, 20_000, 3, 500, 0x0102, 0x0304, (ushort)(sim.BootId >> 16), (ushort)sim.BootId }, r);
    }

    [Fact]
    public void OpenTime_GrantedCard_ArmLowersByItselfAfterTheOpenTime_HeldWhileAVehicleIsPresent()
    {
        var sim = new SimulatedBarrierController(new SimulatedBarrierOptions { Lanes = 2, ArmTravelTime = TimeSpan.FromSeconds(1) }, _time);
        var uid = CardUid.Parse("04A1B2C3");
        sim.SetClock(NowSeconds);
        sim.Tamper(new WhitelistEntry(uid, NowSeconds - 60, NowSeconds + 86_400));
        sim.AntiPassback = false; // the same card at the same lane, again and again

        // 0 (the default, and profile 1.0's behaviour): the arm stays up until lowered.
        var r = new ushort[1];
        Assert.Null(sim.ReadHoldingRegisters(BarrierProfile.OpenTimeRegister, r));
        Assert.Equal(0, r[0]);
        sim.Present(1, uid);
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.True(sim.LaneState(1).ArmUp);
        sim.WriteCoils(BarrierProfile.LowerCoil(1), [true]);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(sim.LaneState(1).ArmDown);

        // 5 s: up after its travel, lowering 5 s after reaching the top, down a travel later.
        Assert.Equal(ModbusExceptionCode.IllegalDataValue, sim.WriteHoldingRegisters(BarrierProfile.OpenTimeRegister, new ushort[] { 3601 }));
        Assert.Null(sim.WriteHoldingRegisters(BarrierProfile.OpenTimeRegister, new ushort[] { 5 }));
        Assert.Equal(5, sim.OpenSeconds);
        sim.Present(1, uid);
        _time.Advance(TimeSpan.FromSeconds(5.5));
        Assert.True(sim.LaneState(1).ArmUp);
        _time.Advance(TimeSpan.FromSeconds(0.6));
        Assert.True(sim.LaneState(1).Moving);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(sim.LaneState(1).ArmDown);

        // A vehicle under the arm when the time is up: the lowering waits until it has left.
        sim.Present(1, uid);
        sim.SetVehiclePresent(1, true);
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(sim.LaneState(1).ArmUp);
        sim.SetVehiclePresent(1, false);
        Assert.True(sim.LaneState(1).Moving);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(sim.LaneState(1).ArmDown);
    }

    [Fact]
    public void WriteHoldingRegisters_RemoteOpen_RaisesTheArm_AndLogsGrantedRemoteOpenWithTheTag()
    {
        var sim = new SimulatedBarrierController(new SimulatedBarrierOptions { Lanes = 2, ArmTravelTime = TimeSpan.FromSeconds(1) }, _time);

        Assert.Null(sim.WriteHoldingRegisters(BarrierProfile.RemoteOpenRegister, new ushort[] { 2, 0xA0B1, 0xC2D3 }));

        Assert.True(sim.LaneState(2).Moving);
        Assert.True(sim.LaneState(1).ArmDown);
        var e = Assert.Single(sim.Snapshot().PendingEvents);
        Assert.Equal((AccessDecision.Granted, DenyReason.RemoteOpen, 2, "A0B1C2D3"), (e.Decision, e.Reason, e.Lane, e.Uid.ToString()));
        Assert.True(BarrierController.TryReadRemoteOpenTag(e, out var tag));
        Assert.Equal(0xA0B1C2D3u, tag);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(sim.LaneState(2).ArmUp);
    }

    [Theory]
    [InlineData(0, 1)]  // no lane 0
    [InlineData(3, 1)]  // two lanes
    [InlineData(1, 0)]  // tag 0
    public void WriteHoldingRegisters_RemoteOpenBadLaneOrTag_IllegalDataValue_NothingMovesOrIsLogged(int lane, int tag)
    {
        var sim = new SimulatedBarrierController(new SimulatedBarrierOptions { Lanes = 2 }, _time);

        Assert.Equal(ModbusExceptionCode.IllegalDataValue, sim.WriteHoldingRegisters(BarrierProfile.RemoteOpenRegister, new ushort[] { (ushort)lane, 0, (ushort)tag }));

        Assert.Empty(sim.Snapshot().PendingEvents);
        Assert.True(sim.LaneState(1).ArmDown);
        Assert.True(sim.LaneState(2).ArmDown);
    }

    [Fact]
    public void WriteHoldingRegisters_HalfTheRemoteOpen_IllegalDataAddress()
    {
        var sim = new SimulatedBarrierController(null, _time);

        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, sim.WriteHoldingRegisters(BarrierProfile.RemoteOpenRegister, new ushort[] { 1, 0 }));
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, sim.WriteHoldingRegisters(BarrierProfile.RemoteOpenRegister + 1, new ushort[] { 0, 1 }));
        Assert.Empty(sim.Snapshot().PendingEvents);
    }

    [Fact]
    public void ReadHoldingRegisters_BeyondTheMap_IllegalDataAddress()
    {
        var sim = new SimulatedBarrierController(null, _time);

        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, sim.ReadHoldingRegisters(BarrierProfile.HoldingRegisterEnd - 1, new ushort[2]));
        Assert.Null(sim.ReadHoldingRegisters(BarrierProfile.HoldingRegisterEnd - 1, new ushort[1]));
    }

    [Theory]
    [InlineData(0)]   // magic
    [InlineData(14)]  // count
    [InlineData(16)]  // digest
    [InlineData(161)] // audit window
    [InlineData(288)] // event window
    public void WriteHoldingRegisters_ReadOnlyRegister_IllegalDataAddressAndNothingChanges(int address)
    {
        var sim = new SimulatedBarrierController(null, _time);
        var before = Read(sim, 0, 32);

        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, sim.WriteHoldingRegisters(address, new ushort[] { 1 }));
        Assert.Equal(before, Read(sim, 0, 32));
    }

    [Fact]
    public void WriteHoldingRegisters_HalfTheClock_IllegalDataAddress()
    {
        var sim = new SimulatedBarrierController(null, _time);

        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, sim.WriteHoldingRegisters(BarrierProfile.ClockRegister + 1, new ushort[] { 5 }));
        Assert.Null(sim.WriteHoldingRegisters(BarrierProfile.ClockRegister, new ushort[] { (ushort)(NowSeconds >> 16), (ushort)NowSeconds }));
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(NowSeconds + 3, sim.ClockSeconds);
    }

    [Fact]
    public void WriteHoldingRegisters_AcknowledgeWithoutBootIdOrWithAnotherBootId_Refused()
    {
        var sim = new SimulatedBarrierController(null, _time);
        sim.FloodEvents(4);
        var boot = sim.BootId;

        var alone = sim.WriteHoldingRegisters(BarrierProfile.AcknowledgedRegister, new ushort[] { 0, 2 });
        var other = sim.WriteHoldingRegisters(BarrierProfile.AcknowledgeBootIdRegister, new ushort[] { (ushort)(boot >> 16), (ushort)(boot + 1), 0, 2 });
        Assert.Equal(0u, sim.Acknowledged);
        var right = sim.WriteHoldingRegisters(BarrierProfile.AcknowledgeBootIdRegister, new ushort[] { (ushort)(boot >> 16), (ushort)boot, 0, 2 });

        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, alone);
        Assert.Equal(ModbusExceptionCode.IllegalDataValue, other);
        Assert.Null(right);
        Assert.Equal(2u, sim.Acknowledged);
        Assert.Equal(new ushort[] { (ushort)(boot >> 16), (ushort)boot, 0, 2 }, Read(sim, BarrierProfile.AcknowledgeBootIdRegister, 4));
    }

    [Fact]
    public void Upsert_ValidBatch_ResultOkDetailChangedAndCountDigestFollow()
    {
        var sim = new SimulatedBarrierController(null, _time);
        var a = Entry("04A1B2C3", 0, 100);
        var b = Entry("04112233445566", 10, 20, blocked: true);

        var result = Command(sim, BarrierCommand.Upsert, a, b);
        var again = Command(sim, BarrierCommand.Upsert, a);
        var status = Read(sim, BarrierProfile.CountRegister, 6);

        Assert.Equal(((ushort)BarrierResultCode.Ok, (ushort)2), result);
        Assert.Equal(((ushort)BarrierResultCode.Ok, (ushort)0), again);
        Assert.Equal(2u, BarrierProfile.ReadUInt32(status, 0));
        Assert.Equal(WhitelistEntry.ComputeDigest([a, b]), BarrierProfile.ReadUInt64(status, 2));
    }

    [Fact]
    public void Upsert_DuplicateInBatch_ResultDuplicateAtSecondIndexNothingApplied()
    {
        var sim = new SimulatedBarrierController(null, _time);
        var a = Entry("04A1B2C3", 0, 100);

        Assert.Equal(((ushort)BarrierResultCode.Duplicate, (ushort)2), Command(sim, BarrierCommand.Upsert, Entry("01010101", 0, 1), a, a));
        Assert.Equal(0, sim.WhitelistCount);
    }

    [Fact]
    public void Upsert_ValidToBeforeValidFrom_ResultInvalidPeriod()
    {
        var sim = new SimulatedBarrierController(null, _time);
        var staging = new ushort[1 + 16];
        Entry("01010101", 0, 1).Write(staging.AsSpan(1, 8));
        Entry("02020202", 0, 1).Write(staging.AsSpan(9, 8));
        BarrierProfile.WriteUInt32(staging, 9 + 4, 500);
        BarrierProfile.WriteUInt32(staging, 9 + 6, 499);
        staging[0] = BarrierProfile.CommandValue(BarrierCommand.Upsert, 2);

        Assert.Null(sim.WriteHoldingRegisters(BarrierProfile.CommandRegister, staging));

        Assert.Equal(new ushort[] { (ushort)BarrierResultCode.InvalidPeriod, 1 }, Read(sim, BarrierProfile.ResultCodeRegister, 2));
        Assert.Equal(0, sim.WhitelistCount);
    }

    [Theory]
    [InlineData(0x0501, 0x0203, 0x0400, 0x0000)] // length 5
    [InlineData(0x0401, 0x0203, 0x0405, 0x0000)] // 4-byte UID with non-zero padding
    [InlineData(0x2401, 0x0203, 0x0400, 0x0000)] // reserved flag bit
    [InlineData(0x0000, 0x0000, 0x0000, 0x0000)] // empty
    public void Upsert_MalformedUidField_ResultMalformedUid(int r0, int r1, int r2, int r3)
    {
        var sim = new SimulatedBarrierController(null, _time);
        var values = new ushort[] { BarrierProfile.CommandValue(BarrierCommand.Upsert, 1), (ushort)r0, (ushort)r1, (ushort)r2, (ushort)r3, 0, 0, 0, 1 };

        Assert.Null(sim.WriteHoldingRegisters(BarrierProfile.CommandRegister, values));

        Assert.Equal(new ushort[] { (ushort)BarrierResultCode.MalformedUid, 0 }, Read(sim, BarrierProfile.ResultCodeRegister, 2));
    }

    [Fact]
    public void Upsert_BeyondCapacity_ResultFullAtFirstNewRecordThatDoesNotFit()
    {
        var sim = new SimulatedBarrierController(new SimulatedBarrierOptions { Capacity = 2 }, _time);
        var a = Entry("01010101", 0, 1);
        Command(sim, BarrierCommand.Upsert, a);

        var result = Command(sim, BarrierCommand.Upsert, a, Entry("02020202", 0, 1), Entry("03030303", 0, 1));

        Assert.Equal(((ushort)BarrierResultCode.Full, (ushort)2), result);
        Assert.Equal(1, sim.WhitelistCount);
    }

    [Theory]
    [InlineData(0x0100)] // upsert of 0 records
    [InlineData(0x0110)] // upsert of 16 records
    [InlineData(0x021F)] // delete of 31
    [InlineData(0x0301)] // clear with a count
    public void Command_BadCount_ResultBadCount(int command)
    {
        var sim = new SimulatedBarrierController(null, _time);

        Assert.Null(sim.WriteHoldingRegisters(BarrierProfile.CommandRegister, new[] { (ushort)command }));

        Assert.Equal((ushort)BarrierResultCode.BadCount, Read(sim, BarrierProfile.ResultCodeRegister, 1)[0]);
    }

    [Fact]
    public void Command_UnknownOpcode_ResultUnknownCommand()
    {
        var sim = new SimulatedBarrierController(null, _time);

        Assert.Null(sim.WriteHoldingRegisters(BarrierProfile.CommandRegister, new ushort[] { 0x0900 }));

        Assert.Equal((ushort)BarrierResultCode.UnknownCommand, Read(sim, BarrierProfile.ResultCodeRegister, 1)[0]);
    }

    [Fact]
    public void AuditWindow_IndexWritten_ReadsRecordsInUidOrderThenZeros()
    {
        var sim = new SimulatedBarrierController(null, _time);
        var entries = new[] { Entry("04112233445566", 1, 2), Entry("FFFFFFFF", 3, 4), Entry("00000001", 5, 6) };
        Command(sim, BarrierCommand.Upsert, entries);

        Assert.Null(sim.WriteHoldingRegisters(BarrierProfile.AuditIndexRegister, new ushort[] { 1 }));
        var window = Read(sim, BarrierProfile.AuditWindowRegister, 24);

        Assert.Equal(BarrierResultCode.Ok, WhitelistEntry.TryRead(window.AsSpan(0, 8), out var first));
        Assert.Equal(BarrierResultCode.Ok, WhitelistEntry.TryRead(window.AsSpan(8, 8), out var second));
        Assert.Equal(entries[1], first);
        Assert.Equal(entries[0], second);
        Assert.All(window[16..], r => Assert.Equal(0, r));
    }

    [Fact]
    public void Present_EachCase_DecidesWithTheRightReason()
    {
        var sim = new SimulatedBarrierController(null, _time);
        sim.SetClock(NowSeconds);
        Command(
            sim,
            BarrierCommand.Upsert,
            Entry("01010101", NowSeconds - 10, NowSeconds + 10),
            Entry("02020202", NowSeconds - 10, NowSeconds + 10, blocked: true),
            Entry("03030303", NowSeconds - 10, NowSeconds),
            Entry("04040404", NowSeconds + 1, NowSeconds + 10));

        var granted = sim.Present(1, CardUid.Parse("01010101"));
        var passback = sim.Present(1, CardUid.Parse("01010101"));
        var exit = sim.Present(2, CardUid.Parse("01010101"));

        Assert.Equal((AccessDecision.Granted, DenyReason.None, LaneDirection.Entry), (granted.Decision, granted.Reason, granted.Direction));
        Assert.Equal((AccessDecision.Denied, DenyReason.AntiPassback), (passback.Decision, passback.Reason));
        Assert.Equal((AccessDecision.Granted, LaneDirection.Exit), (exit.Decision, exit.Direction));
        Assert.Equal(DenyReason.Blocked, sim.Present(1, CardUid.Parse("02020202")).Reason);
        Assert.Equal(DenyReason.Expired, sim.Present(1, CardUid.Parse("03030303")).Reason);
        Assert.Equal(DenyReason.NotYetValid, sim.Present(1, CardUid.Parse("04040404")).Reason);
        Assert.Equal(DenyReason.Unknown, sim.Present(1, CardUid.Parse("05050505")).Reason);
        Assert.Equal(7u, sim.LastSequence);
    }

    [Fact]
    public void Lookup_BlockedAndUnknownCards_DecidesWithoutLoggingOrMovingTheArm()
    {
        var sim = new SimulatedBarrierController(null, _time);
        sim.SetClock(NowSeconds);
        Command(sim, BarrierCommand.Upsert, Entry("01010101", NowSeconds - 10, NowSeconds + 10), Entry("02020202", NowSeconds - 10, NowSeconds + 10, blocked: true));

        var (granted, held) = sim.Lookup(1, CardUid.Parse("01010101"));
        var (blocked, blockedEntry) = sim.Lookup(1, CardUid.Parse("02020202"));
        var (unknown, none) = sim.Lookup(1, CardUid.Parse("05050505"));

        Assert.Equal((DenyReason.None, NowSeconds + 10), (granted, held!.Value.ValidToSeconds));
        Assert.Equal((DenyReason.Blocked, true), (blocked, blockedEntry!.Value.Blocked));
        Assert.Equal(DenyReason.Unknown, unknown);
        Assert.Null(none);
        Assert.Equal(0u, sim.LastSequence);
        Assert.False(sim.LaneState(1).Moving);
        Assert.False(sim.LaneState(1).ArmUp);
    }

    [Fact]
    public void Present_AntiPassbackOptionOff_GrantsTwiceInTheSameDirection()
    {
        var sim = new SimulatedBarrierController(null, _time);
        sim.SetClock(NowSeconds);
        Command(sim, BarrierCommand.Upsert, Entry("01010101", 0, NowSeconds + 10));
        Assert.Null(sim.WriteHoldingRegisters(BarrierProfile.OptionsRegister, new ushort[] { 0 }));

        sim.Present(1, CardUid.Parse("01010101"));

        Assert.Equal(AccessDecision.Granted, sim.Present(1, CardUid.Parse("01010101")).Decision);
    }

    [Fact]
    public void Present_Granted_RaisesTheArmWhichTakesItsTravelTime()
    {
        var sim = new SimulatedBarrierController(new SimulatedBarrierOptions { ArmTravelTime = TimeSpan.FromSeconds(3) }, _time);
        sim.SetClock(NowSeconds);
        Command(sim, BarrierCommand.Upsert, Entry("01010101", 0, NowSeconds + 10));

        sim.Present(1, CardUid.Parse("01010101"));
        var moving = sim.LaneState(1);
        _time.Advance(TimeSpan.FromSeconds(3));
        var up = sim.LaneState(1);

        Assert.True(moving.Moving);
        Assert.False(moving.ArmUp);
        Assert.True(up.ArmUp);
    }

    [Fact]
    public void FloodEvents_BeyondCapacity_CountsOverflowAndKeepsNewest()
    {
        var sim = new SimulatedBarrierController(new SimulatedBarrierOptions { EventCapacity = 10 }, _time);

        sim.FloodEvents(25);
        var window = Read(sim, BarrierProfile.EventWindowRegister, BarrierProfile.EventWindowHeaderLength + BarrierProfile.EventRegisters);

        Assert.Equal(15u, sim.Overflow);
        Assert.Equal(10, window[0]);
        Assert.True(BarrierEvent.TryRead(window.AsSpan(BarrierProfile.EventWindowHeaderLength), out var oldest));
        Assert.Equal(16u, oldest.Sequence);
    }

    [Fact]
    public void Reboot_Volatile_LosesWhitelistEventsAndClockAndChangesBootId()
    {
        var sim = new SimulatedBarrierController(null, _time);
        sim.SetClock(NowSeconds);
        Command(sim, BarrierCommand.Upsert, Entry("01010101", 0, 1));
        sim.FloodEvents(3);
        var bootId = sim.BootId;

        sim.Reboot();

        Assert.NotEqual(bootId, sim.BootId);
        Assert.Equal(0, sim.WhitelistCount);
        Assert.Equal(0u, sim.LastSequence);
        Assert.Equal(0u, sim.ClockSeconds);
    }

    [Fact]
    public void Reboot_Persistent_KeepsWhitelistAndSequencesButResetsClock()
    {
        var sim = new SimulatedBarrierController(new SimulatedBarrierOptions { Persistent = true }, _time);
        sim.SetClock(NowSeconds);
        Command(sim, BarrierCommand.Upsert, Entry("01010101", 0, 1));
        sim.FloodEvents(3);

        sim.Reboot();

        Assert.Equal(1, sim.WhitelistCount);
        Assert.Equal(3u, sim.LastSequence);
        Assert.Equal(0u, sim.ClockSeconds);
    }

    [Fact]
    public void Snapshot_RestoredIntoANewController_SameDigestAndEvents()
    {
        var sim = new SimulatedBarrierController(new SimulatedBarrierOptions { Persistent = true }, _time);
        Command(sim, BarrierCommand.Upsert, Entry("01010101", 0, 1), Entry("0202020202020F", 5, 9, blocked: true));
        sim.FloodEvents(4);

        var copy = new SimulatedBarrierController(new SimulatedBarrierOptions { Persistent = true }, _time, sim.Snapshot());

        Assert.Equal(sim.Digest, copy.Digest);
        Assert.Equal(4u, copy.LastSequence);
        Assert.NotEqual(sim.BootId, copy.BootId);
    }

    [Fact]
    public void WriteCoils_BeyondTheLanes_IllegalDataAddress()
    {
        var sim = new SimulatedBarrierController(new SimulatedBarrierOptions { Lanes = 2 }, _time);

        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, sim.WriteCoils(4, new[] { true }));
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, sim.ReadDiscreteInputs(8, new bool[1]));
        Assert.Null(sim.ReadDiscreteInputs(0, new bool[8]));
    }

    [Fact]
    public void NextFault_Injected_ReturnsThemInOrderThenNone()
    {
        var sim = new SimulatedBarrierController(null, _time);
        sim.InjectFaults(new ModbusFault(ModbusFaultKind.Drop), 2);
        sim.InjectFaults(new ModbusFault(ModbusFaultKind.Busy), 1);

        Assert.Equal(
            [ModbusFaultKind.Drop, ModbusFaultKind.Drop, ModbusFaultKind.Busy, ModbusFaultKind.None],
            Enumerable.Range(0, 4).Select(_ => sim.NextFault().Kind));
    }

    [Fact]
    public void RefuseAcknowledgements_One_FirstValidAcknowledgementBusyAndNotAppliedSecondApplied()
    {
        var sim = new SimulatedBarrierController(null, _time);
        sim.FloodEvents(4);
        var boot = sim.BootId;
        ushort[] acknowledgeTwo = [(ushort)(boot >> 16), (ushort)boot, 0, 2];
        sim.RefuseAcknowledgements(1);
        sim.InjectFaults(new ModbusFault(ModbusFaultKind.Drop), 3);

        Assert.Equal(ModbusExceptionCode.ServerDeviceBusy, sim.WriteHoldingRegisters(BarrierProfile.AcknowledgeBootIdRegister, acknowledgeTwo));
        Assert.Equal(0u, sim.Acknowledged);
        Assert.Equal(0, sim.AcknowledgementsToRefuse);
        Assert.Equal(3, sim.ClearFaults()); // clears the queued drops only
        Assert.Null(sim.WriteHoldingRegisters(BarrierProfile.AcknowledgeBootIdRegister, acknowledgeTwo));
        Assert.Equal(2u, sim.Acknowledged);
    }

    [Fact]
    public void ClearFaults_ManyDropsQueued_RepliesAgainAndSaysHowManyWereCleared()
    {
        var sim = new SimulatedBarrierController(null, _time);
        sim.InjectFaults(new ModbusFault(ModbusFaultKind.Drop), 1000);
        Assert.Equal(ModbusFaultKind.Drop, sim.NextFault().Kind);

        Assert.Equal(999, sim.ClearFaults());

        Assert.Equal(ModbusFaultKind.None, sim.NextFault().Kind);
        Assert.Equal(0, sim.ClearFaults());
    }

    private static WhitelistEntry Entry(string uid, uint from, uint to, bool blocked = false) => new(CardUid.Parse(uid), from, to, blocked);

    private static ushort[] Read(SimulatedBarrierController sim, int address, int count)
    {
        var r = new ushort[count];
        Assert.Null(sim.ReadHoldingRegisters(address, r));
        return r;
    }

    private static (ushort Code, ushort Detail) Command(SimulatedBarrierController sim, BarrierCommand command, params WhitelistEntry[] entries)
    {
        var values = new ushort[1 + (8 * entries.Length)];
        values[0] = BarrierProfile.CommandValue(command, entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i].Write(values.AsSpan(1 + (8 * i), 8));
        }

        Assert.Null(sim.WriteHoldingRegisters(BarrierProfile.CommandRegister, values));
        var r = Read(sim, BarrierProfile.ResultCodeRegister, 2);
        return (r[0], r[1]);
    }
}
