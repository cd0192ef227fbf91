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
    ushort LaneDirections,
    ushort OpenSeconds = 0);

/// <summary>A lane as the control API reports it.</summary>
public sealed record SimulatedLaneState(int Lane, LaneDirection Direction, bool ArmUp, bool ArmDown, bool Moving, bool VehiclePresent, bool Fault);

/// <summary>
/// One simulated controller of profile gateway-barrier/1 (docs/barrier-profile.md), as the slave engine
/// and the control API see it. Three parts do the work: <see cref="BarrierDevice"/> (whitelist,
/// decisions by its own clock, event ring, lanes, boot id), <see cref="BarrierRegisterMap"/> (the
/// register map over the four Modbus tables) and <see cref="BarrierFaults"/> (what is injected on
/// command). Pure: no I/O; time comes from <see cref="TimeProvider"/>. Thread-safe: one lock around
/// all three, since the slave engine and the control API call concurrently.
/// </summary>
public sealed class SimulatedBarrierController : IModbusDataModel
{
    private readonly object _gate = new();
    private readonly BarrierDevice _device;
    private readonly BarrierRegisterMap _map;
    private readonly BarrierFaults _faults = new();

    public SimulatedBarrierController(SimulatedBarrierOptions? options = null, TimeProvider? time = null, BarrierControllerSnapshot? restore = null)
    {
        Options = options ?? new SimulatedBarrierOptions();
        Options.Validate();
        _device = new BarrierDevice(Options, time ?? TimeProvider.System, restore);
        _map = new BarrierRegisterMap(_device, _faults);
    }

    public SimulatedBarrierOptions Options { get; }

    /// <summary>Changes to what a persistent controller keeps; the host saves when it moves.</summary>
    public long Revision => _device.Revision;

    public uint BootId => Locked(() => _device.BootId);

    /// <summary>The controller's clock, UTC seconds since 1970.</summary>
    public uint ClockSeconds => Locked(() => _device.Clock);

    public int WhitelistCount => Locked(() => _device.WhitelistCount);

    public ulong Digest => Locked(() => _device.Digest);

    public uint LastSequence => Locked(() => _device.LastSequence);

    public uint Acknowledged => Locked(() => _device.Acknowledged);

    public uint Overflow => Locked(() => _device.Overflow);

    public IReadOnlyDictionary<byte, string> DeviceIdentification { get; } = new Dictionary<byte, string>
    {
        [0x00] = "Gateway",
        [0x01] = "gateway-barrier/1 simulator",
        [0x02] = "1.0",
    };

    /// <summary>Acknowledgements still to be refused (see <see cref="RefuseAcknowledgements"/>).</summary>
    public int AcknowledgementsToRefuse => Locked(() => _faults.AcknowledgementsToRefuse);

    /// <summary>Sets the clock (as a register write of 10-11 would).</summary>
    public void SetClock(uint seconds) => Locked(() => _device.SetClock(seconds));

    /// <summary>A restart: new boot id, clock reset to 0, lanes down, volatile state lost (all of it unless persistent).</summary>
    public void Reboot() => Locked(() =>
    {
        _device.Reboot();
        _map.Reset();
        _faults.Clear();
    });

    /// <summary>Queues <paramref name="count"/> faults, applied to the next replies in order.</summary>
    public void InjectFaults(ModbusFault fault, int count) => Locked(() => _faults.Inject(fault, count));

    /// <summary>
    /// The next <paramref name="count"/> valid event acknowledgements are answered with exception 06
    /// (server device busy) and not applied: the acknowledgement is lost, the events stay unacknowledged
    /// and are read again. Not cleared by <see cref="ClearFaults"/>.
    /// </summary>
    public void RefuseAcknowledgements(int count) => Locked(() => _faults.RefuseAcknowledgements(count));

    /// <summary>Drops the faults still queued: a controller made silent with many drops answers again.</summary>
    public int ClearFaults() => Locked(_faults.Clear);

    public ModbusFault NextFault() => Locked(_faults.Next);

    /// <summary>A card presented at a lane: the controller decides alone, logs the event and raises the arm when granted.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such lane.</exception>
    public BarrierEvent Present(int lane, CardUid uid) => Locked(() => _device.Present(lane, uid));

    /// <summary>
    /// What the controller would decide if <paramref name="uid"/> were presented at <paramref name="lane"/> now,
    /// and the whitelist entry it holds for it (null: none), without logging an event or moving an arm.
    /// Benchmarks and tests watch a change reach a controller this way without touching its bus or event ring.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No such lane.</exception>
    public (DenyReason Reason, WhitelistEntry? Entry) Lookup(int lane, CardUid uid) => Locked(() => _device.Lookup(lane, uid));

    /// <summary>Logs <paramref name="count"/> denied presentations of unknown cards at lane 1 (to overflow the ring).</summary>
    public void FloodEvents(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Locked(() => _device.FloodEvents(count));
    }

    /// <summary>Sets a lane's vehicle-present input; a held lowering starts when the vehicle leaves.</summary>
    public void SetVehiclePresent(int lane, bool present) => Locked(() => _device.SetVehiclePresent(lane, present));

    /// <summary>Sets a lane's fault input.</summary>
    public void SetLaneFault(int lane, bool fault) => Locked(() => _device.SetLaneFault(lane, fault));

    public SimulatedLaneState LaneState(int lane) => Locked(() => _device.LaneState(lane));

    /// <summary>The anti-passback option (register 28, bit 0); set behind the master's back as a technician at the controller would.</summary>
    public bool AntiPassback
    {
        get => Locked(() => (_device.OptionBits & BarrierProfile.AntiPassbackOption) != 0);
        set => Locked(() => _device.SetOptions(value ? BarrierProfile.AntiPassbackOption : (ushort)0));
    }

    /// <summary>The open time in seconds (register 30, profile 1.2); set behind the master's back as a technician would.</summary>
    public ushort OpenSeconds
    {
        get => Locked(() => _device.OpenSeconds);
        set => Locked(() => _device.SetOpenTime(value));
    }

    /// <summary>Changes the whitelist behind the master's back (as a technician at the controller would).</summary>
    public void Tamper(WhitelistEntry? upsert = null, CardUid? delete = null) => Locked(() => _device.Tamper(upsert, delete));

    public IReadOnlyList<WhitelistEntry> Whitelist() => Locked(() => _device.Whitelist);

    public BarrierControllerSnapshot Snapshot() => Locked(_device.Snapshot);

    public ModbusExceptionCode? ReadCoils(int address, Span<bool> destination)
    {
        lock (_gate)
        {
            return _map.ReadCoils(address, destination);
        }
    }

    public ModbusExceptionCode? ReadDiscreteInputs(int address, Span<bool> destination)
    {
        lock (_gate)
        {
            return _map.ReadDiscreteInputs(address, destination);
        }
    }

    public ModbusExceptionCode? ReadInputRegisters(int address, Span<ushort> destination) => ModbusExceptionCode.IllegalDataAddress;

    public ModbusExceptionCode? WriteCoils(int address, ReadOnlySpan<bool> values)
    {
        lock (_gate)
        {
            return _map.WriteCoils(address, values);
        }
    }

    public ModbusExceptionCode? ReadHoldingRegisters(int address, Span<ushort> destination)
    {
        lock (_gate)
        {
            return _map.ReadHoldingRegisters(address, destination);
        }
    }

    public ModbusExceptionCode? WriteHoldingRegisters(int address, ReadOnlySpan<ushort> values)
    {
        lock (_gate)
        {
            return _map.WriteHoldingRegisters(address, values);
        }
    }

    private T Locked<T>(Func<T> read)
    {
        lock (_gate)
        {
            return read();
        }
    }

    private void Locked(Action change)
    {
        lock (_gate)
        {
            change();
        }
    }
}
