namespace Gateway.Drivers.Modbus;

/// <summary>
/// The data of one unit (slave id) served by the slave engine: the four Modbus tables. The engine
/// validates framing, function codes and the specification's quantity limits, then calls these
/// methods; a method returns null on success or the exception code to reply with (typically
/// <see cref="ModbusExceptionCode.IllegalDataAddress"/> for an address range it does not hold, or
/// <see cref="ModbusExceptionCode.IllegalDataValue"/> for a value it refuses). The engine calls a
/// unit's methods one at a time (never concurrently), so an implementation needs no locking against
/// the engine, only against its own other users (a control API, a clock).
/// For function 23 the engine calls <see cref="WriteHoldingRegisters"/> before
/// <see cref="ReadHoldingRegisters"/>, as the specification orders (section 6.17).
/// </summary>
public interface IModbusDataModel
{
    /// <summary>Function 01. <paramref name="destination"/>.Length is the quantity asked.</summary>
    ModbusExceptionCode? ReadCoils(int address, Span<bool> destination);

    /// <summary>Function 02.</summary>
    ModbusExceptionCode? ReadDiscreteInputs(int address, Span<bool> destination);

    /// <summary>Functions 03 and 23 (read part).</summary>
    ModbusExceptionCode? ReadHoldingRegisters(int address, Span<ushort> destination);

    /// <summary>Function 04.</summary>
    ModbusExceptionCode? ReadInputRegisters(int address, Span<ushort> destination);

    /// <summary>Functions 05 and 15.</summary>
    ModbusExceptionCode? WriteCoils(int address, ReadOnlySpan<bool> values);

    /// <summary>Functions 06, 16 and 23 (write part).</summary>
    ModbusExceptionCode? WriteHoldingRegisters(int address, ReadOnlySpan<ushort> values);

    /// <summary>
    /// Basic device identification objects for function 43/14 (object ids 0x00 vendor name,
    /// 0x01 product code, 0x02 major/minor revision). Null: the unit answers 43/14 with illegal function.
    /// </summary>
    IReadOnlyDictionary<byte, string>? DeviceIdentification => null;

    /// <summary>
    /// Asked once per request addressed to this unit, before it is handled: lets a simulator inject
    /// faults (drop, delay, corrupt the checksum, answer busy). Default: none.
    /// </summary>
    ModbusFault NextFault() => ModbusFault.None;
}

/// <summary>What a fault-injecting unit does with the next request.</summary>
public enum ModbusFaultKind
{
    None,

    /// <summary>Handle the request but send no reply.</summary>
    Drop,

    /// <summary>Handle the request and reply after <see cref="ModbusFault.Delay"/>.</summary>
    Delay,

    /// <summary>Reply with a corrupted CRC (RTU) or a mangled MBAP length (TCP).</summary>
    CorruptChecksum,

    /// <summary>Do not handle the request; reply exception 06 (server device busy).</summary>
    Busy,

    /// <summary>
    /// Handle the request and reply only once <see cref="ModbusFault.Until"/> has completed: a reply
    /// that is late by as long as the caller decides, however slowly the machine runs.
    /// </summary>
    Hold,
}

/// <summary>A fault to inject on one reply. <paramref name="Until"/> is what a <see cref="ModbusFaultKind.Hold"/> waits for.</summary>
public readonly record struct ModbusFault(ModbusFaultKind Kind, TimeSpan Delay = default, Task? Until = null)
{
    public static ModbusFault None => default;
}
