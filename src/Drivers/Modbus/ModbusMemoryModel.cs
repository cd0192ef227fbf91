using System.Collections.Concurrent;

namespace Gateway.Drivers.Modbus;

/// <summary>
/// A plain in-memory unit for <see cref="ModbusSlave"/>: four tables of a fixed size starting at
/// address 0 (an access beyond them is answered with illegal data address), an optional
/// identification, and a queue of faults to inject into the next replies. Thread-safe for a
/// control API next to the engine.
/// </summary>
public sealed class ModbusMemoryModel : IModbusDataModel
{
    private readonly Lock _lock = new();
    private readonly bool[] _coils;
    private readonly bool[] _discreteInputs;
    private readonly ushort[] _holding;
    private readonly ushort[] _input;
    private readonly ConcurrentQueue<ModbusFault> _faults = new();

    /// <param name="size">Entries in each table (1-65536).</param>
    public ModbusMemoryModel(int size = 65536)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, 65536);
        _coils = new bool[size];
        _discreteInputs = new bool[size];
        _holding = new ushort[size];
        _input = new ushort[size];
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<byte, string>? DeviceIdentification { get; set; }

    /// <summary>Requests this unit has handled (faults excepted).</summary>
    public int Requests { get; private set; }

    /// <summary>Queues a fault for a coming request (first in, first out).</summary>
    public void InjectFault(ModbusFault fault) => _faults.Enqueue(fault);

    /// <inheritdoc />
    public ModbusFault NextFault() => _faults.TryDequeue(out var fault) ? fault : ModbusFault.None;

    /// <summary>Sets holding registers from <paramref name="address"/>.</summary>
    public void SetHolding(int address, params ReadOnlySpan<ushort> values)
    {
        lock (_lock)
        {
            values.CopyTo(_holding.AsSpan(address));
        }
    }

    /// <summary>Sets input registers from <paramref name="address"/>.</summary>
    public void SetInput(int address, params ReadOnlySpan<ushort> values)
    {
        lock (_lock)
        {
            values.CopyTo(_input.AsSpan(address));
        }
    }

    /// <summary>Sets coils from <paramref name="address"/>.</summary>
    public void SetCoils(int address, params ReadOnlySpan<bool> values)
    {
        lock (_lock)
        {
            values.CopyTo(_coils.AsSpan(address));
        }
    }

    /// <summary>Sets discrete inputs from <paramref name="address"/>.</summary>
    public void SetDiscreteInputs(int address, params ReadOnlySpan<bool> values)
    {
        lock (_lock)
        {
            values.CopyTo(_discreteInputs.AsSpan(address));
        }
    }

    /// <summary>A copy of holding registers.</summary>
    public ushort[] GetHolding(int address, int count)
    {
        lock (_lock)
        {
            return _holding.AsSpan(address, count).ToArray();
        }
    }

    /// <summary>A copy of coils.</summary>
    public bool[] GetCoils(int address, int count)
    {
        lock (_lock)
        {
            return _coils.AsSpan(address, count).ToArray();
        }
    }

    /// <inheritdoc />
    public ModbusExceptionCode? ReadCoils(int address, Span<bool> destination) => Read(_coils, address, destination);

    /// <inheritdoc />
    public ModbusExceptionCode? ReadDiscreteInputs(int address, Span<bool> destination) => Read(_discreteInputs, address, destination);

    /// <inheritdoc />
    public ModbusExceptionCode? ReadHoldingRegisters(int address, Span<ushort> destination) => Read(_holding, address, destination);

    /// <inheritdoc />
    public ModbusExceptionCode? ReadInputRegisters(int address, Span<ushort> destination) => Read(_input, address, destination);

    /// <inheritdoc />
    public ModbusExceptionCode? WriteCoils(int address, ReadOnlySpan<bool> values) => Write(_coils, address, values);

    /// <inheritdoc />
    public ModbusExceptionCode? WriteHoldingRegisters(int address, ReadOnlySpan<ushort> values) => Write(_holding, address, values);

    private ModbusExceptionCode? Read<T>(T[] table, int address, Span<T> destination)
    {
        lock (_lock)
        {
            if (address < 0 || address + destination.Length > table.Length)
            {
                return ModbusExceptionCode.IllegalDataAddress;
            }

            Requests++;
            table.AsSpan(address, destination.Length).CopyTo(destination);
            return null;
        }
    }

    private ModbusExceptionCode? Write<T>(T[] table, int address, ReadOnlySpan<T> values)
    {
        lock (_lock)
        {
            if (address < 0 || address + values.Length > table.Length)
            {
                return ModbusExceptionCode.IllegalDataAddress;
            }

            Requests++;
            values.CopyTo(table.AsSpan(address));
            return null;
        }
    }
}
