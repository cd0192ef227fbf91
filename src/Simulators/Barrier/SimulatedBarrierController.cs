using System.Security.Cryptography;
using Gateway.Drivers.Barriers;
using Gateway.Drivers.Modbus;

namespace Gateway.Simulators.Barrier;

/// <summary>Settings of one simulated gateway-barrier/1 controller.</summary>
public sealed record SimulatedBarrierOptions
{
    /// <summary>Whitelist records the controller holds (the profile allows up to 65,535: the audit index is 16-bit).</summary>
    public int Capacity { get; init; } = 20_000;

    /// <summary>Lanes (1..16).</summary>
    public int Lanes { get; init; } = 2;

    /// <summary>Unacknowledged events the ring holds before the oldest is lost.</summary>
    public int EventCapacity { get; init; } = 1024;

    /// <summary>Time the arm takes to go up or down.</summary>
    public TimeSpan ArmTravelTime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Firmware id reported in the identification block.</summary>
    public uint FirmwareId { get; init; } = 0x0001_0000;

    /// <summary>True: the whitelist, options and event ring survive a reboot (a --state file); false: they are lost.</summary>
    public bool Persistent { get; init; }

    public void Validate()
    {
        if (Capacity is < 1 or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(Capacity), Capacity, "capacity is 1..65535");
        }

        if (Lanes is < 1 or > 16)
        {
            throw new ArgumentOutOfRangeException(nameof(Lanes), Lanes, "lanes are 1..16");
        }

        if (EventCapacity is < 1 or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(EventCapacity), EventCapacity, "event capacity is 1..65535");
        }

        if (ArmTravelTime < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ArmTravelTime), ArmTravelTime, "arm travel time is not negative");
        }
    }
}

/// <summary>What the controller holds that survives a reboot when it is persistent (a --state file).</summary>
public sealed record BarrierControllerSnapshot(
    IReadOnlyList<WhitelistEntry> Whitelist,
    IReadOnlyList<BarrierEvent> PendingEvents,
    uint LastSequence,
    uint Acknowledged,
    ushort Options,
    ushort LaneDirections);

/// <summary>A lane as the control API reports it.</summary>
public sealed record SimulatedLaneState(int Lane, LaneDirection Direction, bool ArmUp, bool ArmDown, bool Moving, bool VehiclePresent, bool Fault);

/// <summary>
/// One simulated controller of profile gateway-barrier/1 (docs/barrier-profile.md): the whole register
/// map over the four Modbus tables, a whitelist with a capacity, the digest, decisions by its own clock,
/// an event ring that overflows, lanes with an arm that takes time to move, a boot id, fault injection.
/// Pure: no I/O; time comes from <see cref="TimeProvider"/>. Thread-safe: the slave engine and a
/// control API may call it concurrently.
/// </summary>
public sealed class SimulatedBarrierController : IModbusDataModel
{
    private readonly object _gate = new();
    private readonly SimulatedBarrierOptions _options;
    private readonly TimeProvider _time;
    private readonly SortedList<ulong, WhitelistEntry> _whitelist = [];
    private readonly LinkedList<BarrierEvent> _pending = new();
    private readonly Dictionary<CardUid, LaneDirection> _lastPassage = [];
    private readonly Queue<ModbusFault> _faults = new();
    private readonly ushort[] _staging = new ushort[BarrierProfile.StagingLength];
    private readonly Lane[] _lanes;
    private ulong? _digest;
    private long _clockOffset;
    private uint _bootId;
    private uint _lastSequence;
    private uint _acknowledged;
    private int _refuseAcknowledgements;
    private uint _overflow;
    private ushort _resultCode;
    private ushort _resultDetail;
    private ushort _auditIndex;
    private ushort _optionBits = BarrierProfile.AntiPassbackOption;
    private ushort _laneDirections;
    private long _revision;

    public SimulatedBarrierController(SimulatedBarrierOptions? options = null, TimeProvider? time = null, BarrierControllerSnapshot? restore = null)
    {
        _options = options ?? new SimulatedBarrierOptions();
        _options.Validate();
        _time = time ?? TimeProvider.System;
        _lanes = new Lane[_options.Lanes];
        for (var i = 0; i < _lanes.Length; i++)
        {
            _lanes[i] = new Lane();
        }

        // Odd lanes are entries, even lanes exits, until configured otherwise.
        for (var lane = 2; lane <= _options.Lanes; lane += 2)
        {
            _laneDirections |= (ushort)(1 << (lane - 1));
        }

        if (restore is not null)
        {
            Restore(restore);
        }

        Boot();
    }

    public SimulatedBarrierOptions Options => _options;

    /// <summary>Changes to what a persistent controller keeps; the host saves when it moves.</summary>
    public long Revision => Interlocked.Read(ref _revision);

    public uint BootId
    {
        get
        {
            lock (_gate)
            {
                return _bootId;
            }
        }
    }

    /// <summary>The controller's clock, UTC seconds since 1970.</summary>
    public uint ClockSeconds
    {
        get
        {
            lock (_gate)
            {
                return Clock();
            }
        }
    }

    public int WhitelistCount
    {
        get
        {
            lock (_gate)
            {
                return _whitelist.Count;
            }
        }
    }

    public ulong Digest
    {
        get
        {
            lock (_gate)
            {
                return CurrentDigest();
            }
        }
    }

    public uint LastSequence
    {
        get
        {
            lock (_gate)
            {
                return _lastSequence;
            }
        }
    }

    public uint Acknowledged
    {
        get
        {
            lock (_gate)
            {
                return _acknowledged;
            }
        }
    }

    public uint Overflow
    {
        get
        {
            lock (_gate)
            {
                return _overflow;
            }
        }
    }

    public IReadOnlyDictionary<byte, string> DeviceIdentification { get; } = new Dictionary<byte, string>
    {
        [0x00] = "Gateway",
        [0x01] = "gateway-barrier/1 simulator",
        [0x02] = "1.0",
    };

    /// <summary>Sets the clock (as a register write of 10-11 would).</summary>
    public void SetClock(uint seconds)
    {
        lock (_gate)
        {
            _clockOffset = seconds - NowSeconds();
        }
    }

    /// <summary>A restart: new boot id, clock reset to 0, lanes down, volatile state lost (all of it unless persistent).</summary>
    public void Reboot()
    {
        lock (_gate)
        {
            if (!_options.Persistent)
            {
                _whitelist.Clear();
                _digest = null;
                _pending.Clear();
                _lastSequence = 0;
                _acknowledged = 0;
                _optionBits = BarrierProfile.AntiPassbackOption;
            }

            _overflow = 0;
            foreach (var lane in _lanes)
            {
                lane.Reset();
            }

            Boot();
        }
    }

    /// <summary>Queues <paramref name="count"/> faults, applied to the next replies in order.</summary>
    public void InjectFaults(ModbusFault fault, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _faults.Enqueue(fault);
            }
        }
    }

    /// <summary>Acknowledgements still to be refused (see <see cref="RefuseAcknowledgements"/>).</summary>
    public int AcknowledgementsToRefuse
    {
        get
        {
            lock (_gate)
            {
                return _refuseAcknowledgements;
            }
        }
    }

    /// <summary>
    /// The next <paramref name="count"/> valid event acknowledgements are answered with exception 06
    /// (server device busy) and not applied: the acknowledgement is lost, the events stay unacknowledged
    /// and are read again. Not cleared by <see cref="ClearFaults"/>.
    /// </summary>
    public void RefuseAcknowledgements(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_gate)
        {
            _refuseAcknowledgements = count;
        }
    }

    /// <summary>Drops the faults still queued: a controller made silent with many drops answers again.</summary>
    public int ClearFaults()
    {
        lock (_gate)
        {
            var count = _faults.Count;
            _faults.Clear();
            return count;
        }
    }

    public ModbusFault NextFault()
    {
        lock (_gate)
        {
            return _faults.TryDequeue(out var fault) ? fault : ModbusFault.None;
        }
    }

    /// <summary>A card presented at a lane: the controller decides alone, logs the event and raises the arm when granted.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such lane.</exception>
    public BarrierEvent Present(int lane, CardUid uid)
    {
        lock (_gate)
        {
            CheckLane(lane);
            var now = Clock();
            var direction = DirectionOf(lane);
            var reason = Decide(uid, now, direction);
            var decision = reason == DenyReason.None ? AccessDecision.Granted : AccessDecision.Denied;
            if (decision == AccessDecision.Granted)
            {
                _lastPassage[uid] = direction;
                StartMove(_lanes[lane - 1], up: true);
            }

            return Log(new BarrierEvent(0, DateTimeOffset.FromUnixTimeSeconds(now), uid, lane, direction, decision, reason));
        }
    }

    /// <summary>
    /// What the controller would decide if <paramref name="uid"/> were presented at <paramref name="lane"/> now,
    /// and the whitelist entry it holds for it (null: none), without logging an event or moving an arm.
    /// Benchmarks and tests watch a change reach a controller this way without touching its bus or event ring.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No such lane.</exception>
    public (DenyReason Reason, WhitelistEntry? Entry) Lookup(int lane, CardUid uid)
    {
        lock (_gate)
        {
            CheckLane(lane);
            var reason = Decide(uid, Clock(), DirectionOf(lane));
            return (reason, _whitelist.TryGetValue(uid.SortKey, out var entry) ? entry : null);
        }
    }

    /// <summary>Logs <paramref name="count"/> denied presentations of unknown cards at lane 1 (to overflow the ring).</summary>
    public void FloodEvents(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_gate)
        {
            var now = DateTimeOffset.FromUnixTimeSeconds(Clock());
            Span<byte> bytes = stackalloc byte[4];
            for (var i = 0; i < count; i++)
            {
                RandomNumberGenerator.Fill(bytes);
                var uid = CardUid.FromBytes(bytes);
                var reason = _whitelist.ContainsKey(uid.SortKey) ? DenyReason.AntiPassback : DenyReason.Unknown;
                Log(new BarrierEvent(0, now, uid, 1, DirectionOf(1), AccessDecision.Denied, reason));
            }
        }
    }

    /// <summary>Sets a lane's vehicle-present input; a held lowering starts when the vehicle leaves.</summary>
    public void SetVehiclePresent(int lane, bool present)
    {
        lock (_gate)
        {
            CheckLane(lane);
            var state = _lanes[lane - 1];
            state.VehiclePresent = present;
            if (!present && state.LowerHeld)
            {
                state.LowerHeld = false;
                StartMove(state, up: false);
            }
        }
    }

    /// <summary>Sets a lane's fault input.</summary>
    public void SetLaneFault(int lane, bool fault)
    {
        lock (_gate)
        {
            CheckLane(lane);
            _lanes[lane - 1].Fault = fault;
        }
    }

    public SimulatedLaneState LaneState(int lane)
    {
        lock (_gate)
        {
            CheckLane(lane);
            var state = _lanes[lane - 1];
            var moving = IsMoving(state);
            return new SimulatedLaneState(lane, DirectionOf(lane), state.Up && !moving, !state.Up && !moving, moving, state.VehiclePresent, state.Fault);
        }
    }

    /// <summary>Changes the whitelist behind the master's back (as a technician at the controller would).</summary>
    public void Tamper(WhitelistEntry? upsert = null, CardUid? delete = null)
    {
        lock (_gate)
        {
            if (upsert is { } entry)
            {
                _whitelist[entry.Uid.SortKey] = entry;
            }

            if (delete is { } uid)
            {
                _whitelist.Remove(uid.SortKey);
            }

            Changed();
        }
    }

    public IReadOnlyList<WhitelistEntry> Whitelist()
    {
        lock (_gate)
        {
            return [.. _whitelist.Values];
        }
    }

    public BarrierControllerSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new BarrierControllerSnapshot([.. _whitelist.Values], [.. _pending], _lastSequence, _acknowledged, _optionBits, _laneDirections);
        }
    }

    public ModbusExceptionCode? ReadCoils(int address, Span<bool> destination)
    {
        lock (_gate)
        {
            if (address + destination.Length > 2 * _lanes.Length)
            {
                return ModbusExceptionCode.IllegalDataAddress;
            }

            for (var i = 0; i < destination.Length; i++)
            {
                var lane = _lanes[(address + i) / 2];
                var raise = (address + i) % 2 == 0;
                destination[i] = (IsMoving(lane) && lane.Up == raise) || (!raise && lane.LowerHeld);
            }

            return null;
        }
    }

    public ModbusExceptionCode? ReadDiscreteInputs(int address, Span<bool> destination)
    {
        lock (_gate)
        {
            if (address + destination.Length > BarrierProfile.InputsPerLane * _lanes.Length)
            {
                return ModbusExceptionCode.IllegalDataAddress;
            }

            for (var i = 0; i < destination.Length; i++)
            {
                var lane = _lanes[(address + i) / BarrierProfile.InputsPerLane];
                var moving = IsMoving(lane);
                destination[i] = ((address + i) % BarrierProfile.InputsPerLane) switch
                {
                    0 => lane.Up && !moving,
                    1 => !lane.Up && !moving,
                    2 => lane.VehiclePresent,
                    _ => lane.Fault,
                };
            }

            return null;
        }
    }

    public ModbusExceptionCode? ReadInputRegisters(int address, Span<ushort> destination) => ModbusExceptionCode.IllegalDataAddress;

    public ModbusExceptionCode? WriteCoils(int address, ReadOnlySpan<bool> values)
    {
        lock (_gate)
        {
            if (address + values.Length > 2 * _lanes.Length)
            {
                return ModbusExceptionCode.IllegalDataAddress;
            }

            for (var i = 0; i < values.Length; i++)
            {
                if (!values[i])
                {
                    continue; // Writing 0 is no command.
                }

                var lane = _lanes[(address + i) / 2];
                if ((address + i) % 2 == 0)
                {
                    lane.LowerHeld = false;
                    StartMove(lane, up: true);
                }
                else if (lane.VehiclePresent)
                {
                    // The safety loop: never lower onto a vehicle; lower once it has left.
                    lane.LowerHeld = true;
                }
                else
                {
                    StartMove(lane, up: false);
                }
            }

            return null;
        }
    }

    public ModbusExceptionCode? ReadHoldingRegisters(int address, Span<ushort> destination)
    {
        lock (_gate)
        {
            var end = address + destination.Length;
            if (end > BarrierProfile.HoldingRegisterEnd)
            {
                return ModbusExceptionCode.IllegalDataAddress;
            }

            destination.Clear();
            if (address < BarrierProfile.StatusBlockLength)
            {
                Span<ushort> status = stackalloc ushort[BarrierProfile.StatusBlockLength];
                FillStatus(status);
                CopyOverlap(status, 0, address, destination);
            }

            if (Overlaps(address, end, BarrierProfile.StagingRegister, BarrierProfile.StagingLength))
            {
                CopyOverlap(_staging, BarrierProfile.StagingRegister, address, destination);
            }

            if (Overlaps(address, end, BarrierProfile.AuditIndexRegister, 1 + (BarrierProfile.AuditWindowRecords * BarrierProfile.RecordRegisters)))
            {
                Span<ushort> audit = stackalloc ushort[1 + (BarrierProfile.AuditWindowRecords * BarrierProfile.RecordRegisters)];
                audit[0] = _auditIndex;
                for (var i = 0; i < BarrierProfile.AuditWindowRecords && _auditIndex + i < _whitelist.Count; i++)
                {
                    _whitelist.Values[_auditIndex + i].Write(audit.Slice(1 + (i * BarrierProfile.RecordRegisters), BarrierProfile.RecordRegisters));
                }

                CopyOverlap(audit, BarrierProfile.AuditIndexRegister, address, destination);
            }

            if (Overlaps(address, end, BarrierProfile.EventWindowRegister, BarrierProfile.HoldingRegisterEnd - BarrierProfile.EventWindowRegister))
            {
                Span<ushort> window = stackalloc ushort[BarrierProfile.HoldingRegisterEnd - BarrierProfile.EventWindowRegister];
                var count = 0;
                for (var node = _pending.First; node is not null && count < BarrierProfile.EventWindowEvents; node = node.Next, count++)
                {
                    node.Value.Write(window.Slice(BarrierProfile.EventWindowHeaderLength + (count * BarrierProfile.EventRegisters), BarrierProfile.EventRegisters));
                }

                window[0] = (ushort)count;
                BarrierProfile.WriteUInt32(window, 1, _bootId);
                BarrierProfile.WriteUInt32(window, 3, _acknowledged);
                CopyOverlap(window, BarrierProfile.EventWindowRegister, address, destination);
            }

            return null;
        }
    }

    public ModbusExceptionCode? WriteHoldingRegisters(int address, ReadOnlySpan<ushort> values)
    {
        lock (_gate)
        {
            var end = address + values.Length;
            if (end > BarrierProfile.HoldingRegisterEnd)
            {
                return ModbusExceptionCode.IllegalDataAddress;
            }

            for (var a = address; a < end; a++)
            {
                if (!IsWritable(a))
                {
                    return ModbusExceptionCode.IllegalDataAddress;
                }
            }

            // 32-bit registers change only as a whole: half a clock or half a sequence is no value.
            // An acknowledgement names the boot id it belongs to, so that one meant for events of an
            // earlier boot never acknowledges events of this one that nobody has read.
            if (SplitsPair(address, end, BarrierProfile.ClockRegister) || SplitsGroup(address, end, BarrierProfile.AcknowledgeBootIdRegister, 4))
            {
                return ModbusExceptionCode.IllegalDataAddress;
            }

            uint? ack = null;
            if (Contains(address, end, BarrierProfile.AcknowledgedRegister))
            {
                ack = BarrierProfile.ReadUInt32(values, BarrierProfile.AcknowledgedRegister - address);
                if (ack > _lastSequence || BarrierProfile.ReadUInt32(values, BarrierProfile.AcknowledgeBootIdRegister - address) != _bootId)
                {
                    return ModbusExceptionCode.IllegalDataValue;
                }

                if (_refuseAcknowledgements > 0)
                {
                    _refuseAcknowledgements--;
                    return ModbusExceptionCode.ServerDeviceBusy;
                }
            }

            if (Contains(address, end, BarrierProfile.OptionsRegister) && (values[BarrierProfile.OptionsRegister - address] & ~BarrierProfile.AntiPassbackOption) != 0)
            {
                return ModbusExceptionCode.IllegalDataValue;
            }

            if (Contains(address, end, BarrierProfile.LaneDirectionsRegister) && (values[BarrierProfile.LaneDirectionsRegister - address] >> _lanes.Length) != 0)
            {
                return ModbusExceptionCode.IllegalDataValue;
            }

            if (Contains(address, end, BarrierProfile.ClockRegister))
            {
                _clockOffset = BarrierProfile.ReadUInt32(values, BarrierProfile.ClockRegister - address) - NowSeconds();
            }

            if (ack is { } acknowledged)
            {
                Acknowledge(acknowledged);
            }

            if (Contains(address, end, BarrierProfile.OptionsRegister))
            {
                _optionBits = values[BarrierProfile.OptionsRegister - address];
                Changed();
            }

            if (Contains(address, end, BarrierProfile.LaneDirectionsRegister))
            {
                _laneDirections = values[BarrierProfile.LaneDirectionsRegister - address];
                Changed();
            }

            if (Contains(address, end, BarrierProfile.AuditIndexRegister))
            {
                _auditIndex = values[BarrierProfile.AuditIndexRegister - address];
            }

            for (var a = Math.Max(address, BarrierProfile.StagingRegister); a < Math.Min(end, BarrierProfile.StagingRegister + BarrierProfile.StagingLength); a++)
            {
                _staging[a - BarrierProfile.StagingRegister] = values[a - address];
            }

            // The command runs after the whole write is stored, so one write can carry staging and command.
            if (Contains(address, end, BarrierProfile.CommandRegister))
            {
                Execute(values[BarrierProfile.CommandRegister - address]);
            }

            return null;
        }
    }

    private static bool IsWritable(int address) =>
        address is BarrierProfile.ClockRegister or BarrierProfile.ClockRegister + 1
            or BarrierProfile.AcknowledgeBootIdRegister or BarrierProfile.AcknowledgeBootIdRegister + 1
            or BarrierProfile.AcknowledgedRegister or BarrierProfile.AcknowledgedRegister + 1
            or BarrierProfile.OptionsRegister or BarrierProfile.LaneDirectionsRegister
            or BarrierProfile.AuditIndexRegister
        || (address >= BarrierProfile.CommandRegister && address < BarrierProfile.StagingRegister + BarrierProfile.StagingLength);

    private static bool Contains(int start, int end, int address) => address >= start && address < end;

    private static bool SplitsPair(int start, int end, int first) => SplitsGroup(start, end, first, 2);

    private static bool SplitsGroup(int start, int end, int first, int length) =>
        Overlaps(start, end, first, length) && (start > first || end < first + length);

    private static bool Overlaps(int start, int end, int blockStart, int blockLength) => start < blockStart + blockLength && end > blockStart;

    private static void CopyOverlap(ReadOnlySpan<ushort> block, int blockStart, int address, Span<ushort> destination)
    {
        var from = Math.Max(address, blockStart);
        var to = Math.Min(address + destination.Length, blockStart + block.Length);
        if (to > from)
        {
            block[(from - blockStart)..(to - blockStart)].CopyTo(destination[(from - address)..]);
        }
    }

    private void FillStatus(Span<ushort> status)
    {
        status[BarrierProfile.MagicRegister] = BarrierProfile.Magic;
        status[BarrierProfile.VersionRegister] = (BarrierProfile.MajorVersion << 8) | BarrierProfile.MinorVersion;
        BarrierProfile.WriteUInt32(status, BarrierProfile.CapacityRegister, (uint)_options.Capacity);
        status[BarrierProfile.LaneCountRegister] = (ushort)_lanes.Length;
        status[BarrierProfile.EventCapacityRegister] = (ushort)_options.EventCapacity;
        BarrierProfile.WriteUInt32(status, BarrierProfile.FirmwareIdRegister, _options.FirmwareId);
        BarrierProfile.WriteUInt32(status, BarrierProfile.BootIdRegister, _bootId);
        BarrierProfile.WriteUInt32(status, BarrierProfile.ClockRegister, Clock());
        status[BarrierProfile.ResultCodeRegister] = _resultCode;
        status[BarrierProfile.ResultDetailRegister] = _resultDetail;
        BarrierProfile.WriteUInt32(status, BarrierProfile.CountRegister, (uint)_whitelist.Count);
        BarrierProfile.WriteUInt64(status, BarrierProfile.DigestRegister, CurrentDigest());
        BarrierProfile.WriteUInt32(status, BarrierProfile.LastSequenceRegister, _lastSequence);
        BarrierProfile.WriteUInt32(status, BarrierProfile.AcknowledgeBootIdRegister, _bootId);
        BarrierProfile.WriteUInt32(status, BarrierProfile.AcknowledgedRegister, _acknowledged);
        BarrierProfile.WriteUInt32(status, BarrierProfile.OverflowRegister, _overflow);
        status[BarrierProfile.OptionsRegister] = _optionBits;
        status[BarrierProfile.LaneDirectionsRegister] = _laneDirections;
    }

    private void Execute(ushort command)
    {
        var opcode = command >> 8;
        var count = command & 0xFF;
        (_resultCode, _resultDetail) = opcode switch
        {
            (int)BarrierCommand.Upsert => Upsert(count),
            (int)BarrierCommand.Delete => Delete(count),
            (int)BarrierCommand.Clear => Clear(count),
            _ => ((ushort)BarrierResultCode.UnknownCommand, (ushort)0),
        };
    }

    private (ushort Code, ushort Detail) Upsert(int count)
    {
        if (count is < 1 or > BarrierProfile.MaxUpsertBatch)
        {
            return Result(BarrierResultCode.BadCount, 0);
        }

        var batch = new WhitelistEntry[count];
        var seen = new HashSet<CardUid>();
        for (var i = 0; i < count; i++)
        {
            var code = WhitelistEntry.TryRead(_staging.AsSpan(i * BarrierProfile.RecordRegisters, BarrierProfile.RecordRegisters), out batch[i]);
            if (code != BarrierResultCode.Ok)
            {
                return Result(code, i);
            }

            if (!seen.Add(batch[i].Uid))
            {
                return Result(BarrierResultCode.Duplicate, i);
            }
        }

        var room = _options.Capacity - _whitelist.Count;
        for (var i = 0; i < count; i++)
        {
            if (!_whitelist.ContainsKey(batch[i].Uid.SortKey) && --room < 0)
            {
                return Result(BarrierResultCode.Full, i);
            }
        }

        var changed = 0;
        foreach (var entry in batch)
        {
            if (!_whitelist.TryGetValue(entry.Uid.SortKey, out var existing) || existing != entry)
            {
                _whitelist[entry.Uid.SortKey] = entry;
                changed++;
            }
        }

        Changed();
        return Result(BarrierResultCode.Ok, changed);
    }

    private (ushort Code, ushort Detail) Delete(int count)
    {
        if (count is < 1 or > BarrierProfile.MaxDeleteBatch)
        {
            return Result(BarrierResultCode.BadCount, 0);
        }

        var batch = new CardUid[count];
        var seen = new HashSet<CardUid>();
        for (var i = 0; i < count; i++)
        {
            if (!CardUid.TryReadField(_staging.AsSpan(i * BarrierProfile.UidFieldRegisters, BarrierProfile.UidFieldRegisters), 0, out batch[i], out _))
            {
                return Result(BarrierResultCode.MalformedUid, i);
            }

            if (!seen.Add(batch[i]))
            {
                return Result(BarrierResultCode.Duplicate, i);
            }
        }

        var removed = 0;
        foreach (var uid in batch)
        {
            if (_whitelist.Remove(uid.SortKey))
            {
                _lastPassage.Remove(uid);
                removed++;
            }
        }

        Changed();
        return Result(BarrierResultCode.Ok, removed);
    }

    private (ushort Code, ushort Detail) Clear(int count)
    {
        if (count != 0)
        {
            return Result(BarrierResultCode.BadCount, 0);
        }

        var removed = _whitelist.Count;
        _whitelist.Clear();
        _lastPassage.Clear();
        Changed();
        return Result(BarrierResultCode.Ok, Math.Min(removed, ushort.MaxValue));
    }

    private static (ushort Code, ushort Detail) Result(BarrierResultCode code, int detail) => ((ushort)code, (ushort)detail);

    private DenyReason Decide(CardUid uid, uint now, LaneDirection direction)
    {
        if (!_whitelist.TryGetValue(uid.SortKey, out var entry))
        {
            return DenyReason.Unknown;
        }

        if (entry.Blocked)
        {
            return DenyReason.Blocked;
        }

        if (now < entry.ValidFromSeconds)
        {
            return DenyReason.NotYetValid;
        }

        if (now >= entry.ValidToSeconds)
        {
            return DenyReason.Expired;
        }

        if ((_optionBits & BarrierProfile.AntiPassbackOption) != 0 && _lastPassage.TryGetValue(uid, out var last) && last == direction)
        {
            return DenyReason.AntiPassback;
        }

        return DenyReason.None;
    }

    private BarrierEvent Log(BarrierEvent value)
    {
        var logged = value with { Sequence = ++_lastSequence };
        if (_pending.Count >= _options.EventCapacity)
        {
            // The ring is full of unacknowledged events: the oldest is lost and counted.
            _pending.RemoveFirst();
            _overflow++;
        }

        _pending.AddLast(logged);
        Changed();
        return logged;
    }

    private void Acknowledge(uint sequence)
    {
        if (sequence <= _acknowledged)
        {
            return; // A repeated or late acknowledgement never moves backwards.
        }

        _acknowledged = sequence;
        while (_pending.First is { } first && first.Value.Sequence <= sequence)
        {
            _pending.RemoveFirst();
        }

        Changed();
    }

    private void Restore(BarrierControllerSnapshot snapshot)
    {
        foreach (var entry in snapshot.Whitelist.Take(_options.Capacity))
        {
            _whitelist[entry.Uid.SortKey] = entry;
        }

        foreach (var value in snapshot.PendingEvents.TakeLast(_options.EventCapacity))
        {
            _pending.AddLast(value);
        }

        _lastSequence = snapshot.LastSequence;
        _acknowledged = Math.Min(snapshot.Acknowledged, snapshot.LastSequence);
        _optionBits = (ushort)(snapshot.Options & BarrierProfile.AntiPassbackOption);
        _laneDirections = (ushort)(snapshot.LaneDirections & ((1 << _lanes.Length) - 1));
    }

    private void Boot()
    {
        Span<byte> bytes = stackalloc byte[4];
        do
        {
            RandomNumberGenerator.Fill(bytes);
        }
        while (System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes) == 0 || System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes) == _bootId);

        _bootId = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);

        // No battery-backed clock: it starts at 0 (1970-01-01) until Gateway sets it.
        _clockOffset = -NowSeconds();
        _lastPassage.Clear();
        _resultCode = (ushort)BarrierResultCode.Idle;
        _resultDetail = 0;
        _auditIndex = 0;
        Array.Clear(_staging);
        _faults.Clear();
    }

    private void Changed()
    {
        _digest = null;
        Interlocked.Increment(ref _revision);
    }

    private ulong CurrentDigest() => _digest ??= WhitelistEntry.ComputeDigestOfSorted(_whitelist.Values);

    private long NowSeconds() => _time.GetUtcNow().ToUnixTimeSeconds();

    private uint Clock() => (uint)(NowSeconds() + _clockOffset);

    private LaneDirection DirectionOf(int lane) => (_laneDirections & (1 << (lane - 1))) != 0 ? LaneDirection.Exit : LaneDirection.Entry;

    private void CheckLane(int lane)
    {
        if (lane < 1 || lane > _lanes.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(lane), lane, $"lanes are 1..{_lanes.Length}");
        }
    }

    private bool IsMoving(Lane lane) => _time.GetUtcNow() - lane.MoveStarted < _options.ArmTravelTime;

    private void StartMove(Lane lane, bool up)
    {
        if (lane.Up == up)
        {
            return;
        }

        // Reversing mid-travel takes as long as the part already travelled.
        var now = _time.GetUtcNow();
        var travelled = now - lane.MoveStarted;
        lane.MoveStarted = travelled < _options.ArmTravelTime ? now - (_options.ArmTravelTime - travelled) : now;
        lane.Up = up;
    }

    private sealed class Lane
    {
        public bool Up { get; set; }

        public DateTimeOffset MoveStarted { get; set; } = DateTimeOffset.MinValue;

        public bool VehiclePresent { get; set; }

        public bool Fault { get; set; }

        public bool LowerHeld { get; set; }

        public void Reset()
        {
            Up = false;
            MoveStarted = DateTimeOffset.MinValue;
            VehiclePresent = false;
            Fault = false;
            LowerHeld = false;
        }
    }
}
