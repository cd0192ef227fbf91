using System.Buffers.Binary;
using System.Security.Cryptography;
using Gateway.Drivers.Barriers;

namespace Gateway.Simulators.Barrier;

/// <summary>
/// What a gateway-barrier/1 controller is and does, apart from how Modbus reaches it: the whitelist
/// with its capacity and digest, decisions by its own clock, the event ring that overflows, lanes with
/// an arm that takes time to move, the boot id, and the staging commands (upsert, delete, clear).
/// Not thread-safe: <see cref="SimulatedBarrierController"/> holds its lock around every call.
/// </summary>
internal sealed class BarrierDevice
{
    private readonly SimulatedBarrierOptions _options;
    private readonly TimeProvider _time;
    private readonly SortedList<ulong, WhitelistEntry> _whitelist = [];
    private readonly LinkedList<BarrierEvent> _pending = new();
    private readonly Dictionary<CardUid, LaneDirection> _lastPassage = [];
    private readonly Lane[] _lanes;
    private ulong? _digest;
    private long _clockOffset;
    private long _revision;

    public BarrierDevice(SimulatedBarrierOptions options, TimeProvider time, BarrierControllerSnapshot? restore)
    {
        _options = options;
        _time = time;
        _lanes = new Lane[options.Lanes];
        for (var i = 0; i < _lanes.Length; i++)
        {
            _lanes[i] = new Lane();
        }

        // Odd lanes are entries, even lanes exits, until configured otherwise.
        for (var lane = 2; lane <= options.Lanes; lane += 2)
        {
            LaneDirections |= (ushort)(1 << (lane - 1));
        }

        if (restore is not null)
        {
            Restore(restore);
        }

        Boot();
    }

    public int LaneCount => _lanes.Length;

    /// <summary>Changes to what a persistent controller keeps; the host saves when it moves.</summary>
    public long Revision => Interlocked.Read(ref _revision);

    public uint BootId { get; private set; }

    public uint LastSequence { get; private set; }

    public uint Acknowledged { get; private set; }

    public uint Overflow { get; private set; }

    public ushort ResultCode { get; private set; }

    public ushort ResultDetail { get; private set; }

    public ushort OptionBits { get; private set; } = BarrierProfile.AntiPassbackOption;

    public ushort LaneDirections { get; private set; }

    /// <summary>Seconds a lane stays open after a grant or a remote opening before the arm lowers by itself (0: until lowered; profile 1.2).</summary>
    public ushort OpenSeconds { get; private set; }

    public int WhitelistCount => _whitelist.Count;

    /// <summary>The controller's clock, UTC seconds since 1970.</summary>
    public uint Clock => (uint)(NowSeconds() + _clockOffset);

    public ulong Digest => _digest ??= WhitelistEntry.ComputeDigestOfSorted(_whitelist.Values);

    public IReadOnlyList<WhitelistEntry> Whitelist => [.. _whitelist.Values];

    public BarrierControllerSnapshot Snapshot() =>
        new([.. _whitelist.Values], [.. _pending], LastSequence, Acknowledged, OptionBits, LaneDirections, OpenSeconds);

    public void SetClock(uint seconds) => _clockOffset = seconds - NowSeconds();

    /// <summary>A restart: new boot id, clock reset to 0, lanes down, volatile state lost (all of it unless persistent).</summary>
    public void Reboot()
    {
        if (!_options.Persistent)
        {
            _whitelist.Clear();
            _digest = null;
            _pending.Clear();
            LastSequence = 0;
            Acknowledged = 0;
            OptionBits = BarrierProfile.AntiPassbackOption;
            OpenSeconds = 0;
        }

        Overflow = 0;
        foreach (var lane in _lanes)
        {
            lane.Reset();
        }

        Boot();
    }

    /// <summary>A card presented at a lane: the controller decides alone, logs the event and raises the arm when granted.</summary>
    public BarrierEvent Present(int lane, CardUid uid)
    {
        CheckLane(lane);
        var now = Clock;
        var direction = DirectionOf(lane);
        var reason = Decide(uid, now, direction);
        var decision = reason == DenyReason.None ? AccessDecision.Granted : AccessDecision.Denied;
        if (decision == AccessDecision.Granted)
        {
            _lastPassage[uid] = direction;
            Open(Settled(lane - 1));
        }

        return Log(new BarrierEvent(0, DateTimeOffset.FromUnixTimeSeconds(now), uid, lane, direction, decision, reason));
    }

    /// <summary>What the controller would decide for <paramref name="uid"/> at <paramref name="lane"/> now, and its entry; nothing logged.</summary>
    public (DenyReason Reason, WhitelistEntry? Entry) Lookup(int lane, CardUid uid)
    {
        CheckLane(lane);
        var reason = Decide(uid, Clock, DirectionOf(lane));
        return (reason, _whitelist.TryGetValue(uid.SortKey, out var entry) ? entry : null);
    }

    /// <summary>Logs <paramref name="count"/> denied presentations of unknown cards at lane 1 (to overflow the ring).</summary>
    public void FloodEvents(int count)
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(Clock);
        Span<byte> bytes = stackalloc byte[4];
        for (var i = 0; i < count; i++)
        {
            RandomNumberGenerator.Fill(bytes);
            var uid = CardUid.FromBytes(bytes);
            var reason = _whitelist.ContainsKey(uid.SortKey) ? DenyReason.AntiPassback : DenyReason.Unknown;
            Log(new BarrierEvent(0, now, uid, 1, DirectionOf(1), AccessDecision.Denied, reason));
        }
    }

    /// <summary>Sets a lane's vehicle-present input; a held lowering starts when the vehicle leaves.</summary>
    public void SetVehiclePresent(int lane, bool present)
    {
        CheckLane(lane);
        var state = Settled(lane - 1);
        state.VehiclePresent = present;
        if (!present && state.LowerHeld)
        {
            state.LowerHeld = false;
            StartMove(state, up: false);
        }
    }

    public void SetLaneFault(int lane, bool fault)
    {
        CheckLane(lane);
        _lanes[lane - 1].Fault = fault;
    }

    public SimulatedLaneState LaneState(int lane)
    {
        CheckLane(lane);
        var state = Settled(lane - 1);
        var moving = IsMoving(state);
        return new SimulatedLaneState(lane, DirectionOf(lane), state.Up && !moving, !state.Up && !moving, moving, state.VehiclePresent, state.Fault);
    }

    /// <summary>Changes the whitelist behind the master's back (as a technician at the controller would).</summary>
    public void Tamper(WhitelistEntry? upsert, CardUid? delete)
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

    /// <summary>Coil <paramref name="coil"/> (two per lane: raise, lower) reads 1 while that command is in progress.</summary>
    public bool CoilState(int coil)
    {
        var lane = Settled(coil / 2);
        var raise = coil % 2 == 0;
        return (IsMoving(lane) && lane.Up == raise) || (!raise && lane.LowerHeld);
    }

    /// <summary>Discrete input <paramref name="input"/>: per lane arm up, arm down, vehicle present, fault.</summary>
    public bool InputState(int input)
    {
        var lane = Settled(input / BarrierProfile.InputsPerLane);
        var moving = IsMoving(lane);
        return (input % BarrierProfile.InputsPerLane) switch
        {
            0 => lane.Up && !moving,
            1 => !lane.Up && !moving,
            2 => lane.VehiclePresent,
            _ => lane.Fault,
        };
    }

    /// <summary>A coil written with 1: raise, or lower (held while a vehicle is present: the safety loop).</summary>
    public void CommandCoil(int coil)
    {
        var lane = Settled(coil / 2);

        // A command from the master takes the lane over: no lowering of the open time is pending any more.
        lane.LowerAt = null;
        if (coil % 2 == 0)
        {
            lane.LowerHeld = false;
            StartMove(lane, up: true);
        }
        else if (lane.VehiclePresent)
        {
            // Never lower onto a vehicle; lower once it has left.
            lane.LowerHeld = true;
        }
        else
        {
            StartMove(lane, up: false);
        }
    }

    /// <summary>
    /// A remote opening (profile 1.1, registers 153-155): raises lane <paramref name="lane"/>'s arm and logs it
    /// as granted, reason remote-open, with <paramref name="tag"/> in the UID field. Anti-passback is not touched:
    /// no card passed.
    /// </summary>
    public BarrierEvent RemoteOpen(int lane, uint tag)
    {
        CheckLane(lane);
        var state = Settled(lane - 1);
        state.LowerHeld = false;
        Open(state);
        var uid = BarrierController.RemoteOpenUid(tag);
        return Log(new BarrierEvent(0, DateTimeOffset.FromUnixTimeSeconds(Clock), uid, lane, DirectionOf(lane), AccessDecision.Granted, DenyReason.RemoteOpen));
    }

    /// <summary>The identification and status block from holding register 0.</summary>
    public void WriteStatus(Span<ushort> status)
    {
        status[BarrierProfile.MagicRegister] = BarrierProfile.Magic;
        status[BarrierProfile.VersionRegister] = (BarrierProfile.MajorVersion << 8) | BarrierProfile.MinorVersion;
        BarrierProfile.WriteUInt32(status, BarrierProfile.CapacityRegister, (uint)_options.Capacity);
        status[BarrierProfile.LaneCountRegister] = (ushort)_lanes.Length;
        status[BarrierProfile.EventCapacityRegister] = (ushort)_options.EventCapacity;
        BarrierProfile.WriteUInt32(status, BarrierProfile.FirmwareIdRegister, _options.FirmwareId);
        BarrierProfile.WriteUInt32(status, BarrierProfile.BootIdRegister, BootId);
        BarrierProfile.WriteUInt32(status, BarrierProfile.ClockRegister, Clock);
        status[BarrierProfile.ResultCodeRegister] = ResultCode;
        status[BarrierProfile.ResultDetailRegister] = ResultDetail;
        BarrierProfile.WriteUInt32(status, BarrierProfile.CountRegister, (uint)_whitelist.Count);
        BarrierProfile.WriteUInt64(status, BarrierProfile.DigestRegister, Digest);
        BarrierProfile.WriteUInt32(status, BarrierProfile.LastSequenceRegister, LastSequence);
        BarrierProfile.WriteUInt32(status, BarrierProfile.AcknowledgeBootIdRegister, BootId);
        BarrierProfile.WriteUInt32(status, BarrierProfile.AcknowledgedRegister, Acknowledged);
        BarrierProfile.WriteUInt32(status, BarrierProfile.OverflowRegister, Overflow);
        status[BarrierProfile.OptionsRegister] = OptionBits;
        status[BarrierProfile.LaneDirectionsRegister] = LaneDirections;
        status[BarrierProfile.OpenTimeRegister] = OpenSeconds;
    }

    /// <summary>Whitelist records from <paramref name="index"/> on, as many as fit, in the profile's record format.</summary>
    public void WriteRecords(int index, Span<ushort> records)
    {
        for (var i = 0; (i + 1) * BarrierProfile.RecordRegisters <= records.Length && index + i < _whitelist.Count; i++)
        {
            _whitelist.Values[index + i].Write(records.Slice(i * BarrierProfile.RecordRegisters, BarrierProfile.RecordRegisters));
        }
    }

    /// <summary>The event window: count, boot id, acknowledged, then the oldest unacknowledged events.</summary>
    public void WriteEventWindow(Span<ushort> window)
    {
        var count = 0;
        for (var node = _pending.First; node is not null && count < BarrierProfile.EventWindowEvents; node = node.Next, count++)
        {
            node.Value.Write(window.Slice(BarrierProfile.EventWindowHeaderLength + (count * BarrierProfile.EventRegisters), BarrierProfile.EventRegisters));
        }

        window[0] = (ushort)count;
        BarrierProfile.WriteUInt32(window, 1, BootId);
        BarrierProfile.WriteUInt32(window, 3, Acknowledged);
    }

    public void SetOpenTime(ushort seconds)
    {
        OpenSeconds = seconds;
        Changed();
    }

    public void SetOptions(ushort bits)
    {
        OptionBits = bits;
        Changed();
    }

    public void SetLaneDirections(ushort bits)
    {
        LaneDirections = bits;
        Changed();
    }

    /// <summary>Events up to <paramref name="sequence"/> were read: they leave the ring. Never moves backwards.</summary>
    public void Acknowledge(uint sequence)
    {
        if (sequence <= Acknowledged)
        {
            return;
        }

        Acknowledged = sequence;
        while (_pending.First is { } first && first.Value.Sequence <= sequence)
        {
            _pending.RemoveFirst();
        }

        Changed();
    }

    /// <summary>Runs a command register value (opcode, count) over the staging area; its result goes to the result registers.</summary>
    public void Execute(ushort command, ReadOnlySpan<ushort> staging)
    {
        var opcode = command >> 8;
        var count = command & 0xFF;
        (ResultCode, ResultDetail) = opcode switch
        {
            (int)BarrierCommand.Upsert => Upsert(count, staging),
            (int)BarrierCommand.Delete => Delete(count, staging),
            (int)BarrierCommand.Clear => Clear(count),
            _ => ((ushort)BarrierResultCode.UnknownCommand, (ushort)0),
        };
    }

    private static (ushort Code, ushort Detail) Result(BarrierResultCode code, int detail) => ((ushort)code, (ushort)detail);

    private (ushort Code, ushort Detail) Upsert(int count, ReadOnlySpan<ushort> staging)
    {
        if (count is < 1 or > BarrierProfile.MaxUpsertBatch)
        {
            return Result(BarrierResultCode.BadCount, 0);
        }

        var batch = new WhitelistEntry[count];
        var seen = new HashSet<CardUid>();
        for (var i = 0; i < count; i++)
        {
            var code = WhitelistEntry.TryRead(staging.Slice(i * BarrierProfile.RecordRegisters, BarrierProfile.RecordRegisters), out batch[i]);
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

    private (ushort Code, ushort Detail) Delete(int count, ReadOnlySpan<ushort> staging)
    {
        if (count is < 1 or > BarrierProfile.MaxDeleteBatch)
        {
            return Result(BarrierResultCode.BadCount, 0);
        }

        var batch = new CardUid[count];
        var seen = new HashSet<CardUid>();
        for (var i = 0; i < count; i++)
        {
            if (!CardUid.TryReadField(staging.Slice(i * BarrierProfile.UidFieldRegisters, BarrierProfile.UidFieldRegisters), 0, out batch[i], out _))
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

        if ((OptionBits & BarrierProfile.AntiPassbackOption) != 0 && _lastPassage.TryGetValue(uid, out var last) && last == direction)
        {
            return DenyReason.AntiPassback;
        }

        return DenyReason.None;
    }

    private BarrierEvent Log(BarrierEvent value)
    {
        var logged = value with { Sequence = ++LastSequence };
        if (_pending.Count >= _options.EventCapacity)
        {
            // The ring is full of unacknowledged events: the oldest is lost and counted.
            _pending.RemoveFirst();
            Overflow++;
        }

        _pending.AddLast(logged);
        Changed();
        return logged;
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

        LastSequence = snapshot.LastSequence;
        Acknowledged = Math.Min(snapshot.Acknowledged, snapshot.LastSequence);
        OptionBits = (ushort)(snapshot.Options & BarrierProfile.AntiPassbackOption);
        LaneDirections = (ushort)(snapshot.LaneDirections & ((1 << _lanes.Length) - 1));
        OpenSeconds = Math.Min(snapshot.OpenSeconds, BarrierProfile.MaxOpenSeconds);
    }

    private void Boot()
    {
        Span<byte> bytes = stackalloc byte[4];
        do
        {
            RandomNumberGenerator.Fill(bytes);
        }
        while (BinaryPrimitives.ReadUInt32BigEndian(bytes) == 0 || BinaryPrimitives.ReadUInt32BigEndian(bytes) == BootId);

        BootId = BinaryPrimitives.ReadUInt32BigEndian(bytes);

        // No battery-backed clock: it starts at 0 (1970-01-01) until Gateway sets it.
        _clockOffset = -NowSeconds();
        _lastPassage.Clear();
        ResultCode = (ushort)BarrierResultCode.Idle;
        ResultDetail = 0;
    }

    private void Changed()
    {
        _digest = null;
        Interlocked.Increment(ref _revision);
    }

    private long NowSeconds() => _time.GetUtcNow().ToUnixTimeSeconds();

    private LaneDirection DirectionOf(int lane) => (LaneDirections & (1 << (lane - 1))) != 0 ? LaneDirection.Exit : LaneDirection.Entry;

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

    /// <summary>Raises the arm for a grant or a remote opening; with an open time, it lowers by itself that long after reaching the top.</summary>
    private void Open(Lane lane)
    {
        StartMove(lane, up: true);
        lane.LowerAt = OpenSeconds == 0 ? null : lane.MoveStarted + _options.ArmTravelTime + TimeSpan.FromSeconds(OpenSeconds);
    }

    /// <summary>Lane <paramref name="index"/>, its open time's lowering started if it fell due (held while a vehicle is present, as a lower command is).</summary>
    private Lane Settled(int index)
    {
        var lane = _lanes[index];
        if (lane.LowerAt is { } at && _time.GetUtcNow() >= at)
        {
            lane.LowerAt = null;
            if (lane.VehiclePresent)
            {
                lane.LowerHeld = true;
            }
            else if (lane.Up)
            {
                lane.Up = false;
                lane.MoveStarted = at;
            }
        }

        return lane;
    }

    private sealed class Lane
    {
        public bool Up { get; set; }

        public DateTimeOffset? LowerAt { get; set; }

        public DateTimeOffset MoveStarted { get; set; } = DateTimeOffset.MinValue;

        public bool VehiclePresent { get; set; }

        public bool Fault { get; set; }

        public bool LowerHeld { get; set; }

        public void Reset()
        {
            Up = false;
            LowerAt = null;
            MoveStarted = DateTimeOffset.MinValue;
            VehiclePresent = false;
            Fault = false;
            LowerHeld = false;
        }
    }
}
