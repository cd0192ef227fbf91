using Gateway.Drivers.Barriers;
using Gateway.Drivers.Modbus;

namespace Gateway.Simulators.Barrier;

/// <summary>
/// The gateway-barrier/1 register map (docs/barrier-profile.md) over the four Modbus tables: which
/// address reads or writes what of a <see cref="BarrierDevice"/>, the staging area and the audit index,
/// and the rules a write must follow (writable addresses, 32-bit values written whole, valid values)
/// before anything of it is applied. Not thread-safe: <see cref="SimulatedBarrierController"/> holds
/// its lock around every call.
/// </summary>
internal sealed class BarrierRegisterMap
{
    private const int AuditLength = 1 + (BarrierProfile.AuditWindowRecords * BarrierProfile.RecordRegisters);
    private const int EventWindowLength = BarrierProfile.HoldingRegisterEnd - BarrierProfile.EventWindowRegister;
    private readonly BarrierDevice _device;
    private readonly BarrierFaults _faults;
    private readonly ushort[] _staging = new ushort[BarrierProfile.StagingLength];
    private ushort _auditIndex;

    public BarrierRegisterMap(BarrierDevice device, BarrierFaults faults)
    {
        _device = device;
        _faults = faults;
    }

    /// <summary>At boot the staging area and the audit index are cleared.</summary>
    public void Reset()
    {
        _auditIndex = 0;
        Array.Clear(_staging);
    }

    public ModbusExceptionCode? ReadCoils(int address, Span<bool> destination)
    {
        if (address + destination.Length > 2 * _device.LaneCount)
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = _device.CoilState(address + i);
        }

        return null;
    }

    public ModbusExceptionCode? ReadDiscreteInputs(int address, Span<bool> destination)
    {
        if (address + destination.Length > BarrierProfile.InputsPerLane * _device.LaneCount)
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = _device.InputState(address + i);
        }

        return null;
    }

    public ModbusExceptionCode? WriteCoils(int address, ReadOnlySpan<bool> values)
    {
        if (address + values.Length > 2 * _device.LaneCount)
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        for (var i = 0; i < values.Length; i++)
        {
            // Writing 0 is no command.
            if (values[i])
            {
                _device.CommandCoil(address + i);
            }
        }

        return null;
    }

    public ModbusExceptionCode? ReadHoldingRegisters(int address, Span<ushort> destination)
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
            _device.WriteStatus(status);
            CopyOverlap(status, 0, address, destination);
        }

        if (Overlaps(address, end, BarrierProfile.StagingRegister, BarrierProfile.StagingLength))
        {
            CopyOverlap(_staging, BarrierProfile.StagingRegister, address, destination);
        }

        if (Overlaps(address, end, BarrierProfile.AuditIndexRegister, AuditLength))
        {
            Span<ushort> audit = stackalloc ushort[AuditLength];
            audit[0] = _auditIndex;
            _device.WriteRecords(_auditIndex, audit[1..]);
            CopyOverlap(audit, BarrierProfile.AuditIndexRegister, address, destination);
        }

        if (Overlaps(address, end, BarrierProfile.EventWindowRegister, EventWindowLength))
        {
            Span<ushort> window = stackalloc ushort[EventWindowLength];
            _device.WriteEventWindow(window);
            CopyOverlap(window, BarrierProfile.EventWindowRegister, address, destination);
        }

        return null;
    }

    public ModbusExceptionCode? WriteHoldingRegisters(int address, ReadOnlySpan<ushort> values)
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
        if (SplitsGroup(address, end, BarrierProfile.ClockRegister, 2) || SplitsGroup(address, end, BarrierProfile.AcknowledgeBootIdRegister, 4)
            || SplitsGroup(address, end, BarrierProfile.RemoteOpenRegister, BarrierProfile.RemoteOpenLength))
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        uint? ack = null;
        if (Contains(address, end, BarrierProfile.AcknowledgedRegister))
        {
            ack = BarrierProfile.ReadUInt32(values, BarrierProfile.AcknowledgedRegister - address);
            if (ack > _device.LastSequence || BarrierProfile.ReadUInt32(values, BarrierProfile.AcknowledgeBootIdRegister - address) != _device.BootId)
            {
                return ModbusExceptionCode.IllegalDataValue;
            }

            if (_faults.RefuseAcknowledgement())
            {
                return ModbusExceptionCode.ServerDeviceBusy;
            }
        }

        if (Contains(address, end, BarrierProfile.OptionsRegister) && (values[BarrierProfile.OptionsRegister - address] & ~BarrierProfile.AntiPassbackOption) != 0)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        if (Contains(address, end, BarrierProfile.LaneDirectionsRegister) && (values[BarrierProfile.LaneDirectionsRegister - address] >> _device.LaneCount) != 0)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        if (Contains(address, end, BarrierProfile.OpenTimeRegister) && values[BarrierProfile.OpenTimeRegister - address] > BarrierProfile.MaxOpenSeconds)
        {
            return ModbusExceptionCode.IllegalDataValue;
        }

        (int Lane, uint Tag)? open = null;
        if (Contains(address, end, BarrierProfile.RemoteOpenRegister))
        {
            var lane = values[BarrierProfile.RemoteOpenRegister - address];
            var tag = BarrierProfile.ReadUInt32(values, BarrierProfile.RemoteOpenRegister + 1 - address);
            if (lane < 1 || lane > _device.LaneCount || tag == 0)
            {
                return ModbusExceptionCode.IllegalDataValue;
            }

            open = (lane, tag);
        }

        // Valid: apply it all.
        if (Contains(address, end, BarrierProfile.ClockRegister))
        {
            _device.SetClock(BarrierProfile.ReadUInt32(values, BarrierProfile.ClockRegister - address));
        }

        if (ack is { } acknowledged)
        {
            _device.Acknowledge(acknowledged);
        }

        if (Contains(address, end, BarrierProfile.OptionsRegister))
        {
            _device.SetOptions(values[BarrierProfile.OptionsRegister - address]);
        }

        if (Contains(address, end, BarrierProfile.LaneDirectionsRegister))
        {
            _device.SetLaneDirections(values[BarrierProfile.LaneDirectionsRegister - address]);
        }

        if (Contains(address, end, BarrierProfile.OpenTimeRegister))
        {
            _device.SetOpenTime(values[BarrierProfile.OpenTimeRegister - address]);
        }

        if (Contains(address, end, BarrierProfile.AuditIndexRegister))
        {
            _auditIndex = values[BarrierProfile.AuditIndexRegister - address];
        }

        for (var a = Math.Max(address, BarrierProfile.StagingRegister); a < Math.Min(end, BarrierProfile.StagingRegister + BarrierProfile.StagingLength); a++)
        {
            _staging[a - BarrierProfile.StagingRegister] = values[a - address];
        }

        if (open is { } remote)
        {
            _device.RemoteOpen(remote.Lane, remote.Tag);
        }

        // The command runs after the whole write is stored, so one write can carry staging and command.
        if (Contains(address, end, BarrierProfile.CommandRegister))
        {
            _device.Execute(values[BarrierProfile.CommandRegister - address], _staging);
        }

        return null;
    }

    private static bool IsWritable(int address) =>
        address is BarrierProfile.ClockRegister or BarrierProfile.ClockRegister + 1
            or BarrierProfile.AcknowledgeBootIdRegister or BarrierProfile.AcknowledgeBootIdRegister + 1
            or BarrierProfile.AcknowledgedRegister or BarrierProfile.AcknowledgedRegister + 1
            or BarrierProfile.OptionsRegister or BarrierProfile.LaneDirectionsRegister or BarrierProfile.OpenTimeRegister
            or BarrierProfile.AuditIndexRegister
        || (address >= BarrierProfile.CommandRegister && address < BarrierProfile.StagingRegister + BarrierProfile.StagingLength)
        || (address >= BarrierProfile.RemoteOpenRegister && address < BarrierProfile.RemoteOpenRegister + BarrierProfile.RemoteOpenLength);

    private static bool Contains(int start, int end, int address) => address >= start && address < end;

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
}
