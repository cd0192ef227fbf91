using Gateway.Drivers;
using Gateway.Drivers.Modbus;

namespace Gateway.Drivers.Tests.Barriers;

/// <summary>
/// A master that hands each request straight to an <see cref="IModbusDataModel"/> (what the slave
/// engine would do on the far side), honouring its injected faults and counting the bytes the
/// exchange would take as RTU frames. A fake below the real master and engine, for speed.
/// </summary>
internal sealed class InMemoryModbusMaster : IModbusMaster
{
    private readonly Dictionary<byte, IModbusDataModel> _units;
    private readonly SemaphoreSlim _bus = new(1, 1);

    public InMemoryModbusMaster(IModbusDataModel model, byte unit = 1)
        : this(new Dictionary<byte, IModbusDataModel> { [unit] = model })
    {
    }

    public InMemoryModbusMaster(Dictionary<byte, IModbusDataModel> units)
    {
        _units = units;
    }

    public string Endpoint => "memory://test";

    /// <summary>Attempts after the first when a reply is dropped or corrupt (the real master's retry policy).</summary>
    public int Retries { get; init; } = 2;

    /// <summary>How long a dropped reply is waited for before the next attempt.</summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromMilliseconds(20);

    public long Transactions { get; private set; }

    /// <summary>Bytes both frames of every exchange would take on an RTU line (requests and replies, CRC included).</summary>
    public long RtuBytes { get; private set; }

    public ValueTask DisposeAsync()
    {
        _bus.Dispose();
        return ValueTask.CompletedTask;
    }

    public Task<bool[]> ReadCoilsAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default) =>
        ExchangeAsync(unit, 1, 8, 5 + ((count + 7) / 8), cancellationToken, m =>
        {
            var values = new bool[count];
            return (m.ReadCoils(address, values), values);
        });

    public Task<bool[]> ReadDiscreteInputsAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default) =>
        ExchangeAsync(unit, 2, 8, 5 + ((count + 7) / 8), cancellationToken, m =>
        {
            var values = new bool[count];
            return (m.ReadDiscreteInputs(address, values), values);
        });

    public Task<ushort[]> ReadHoldingRegistersAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, (ushort)125);
        return ExchangeAsync(unit, 3, 8, 5 + (2 * count), cancellationToken, m =>
        {
            var values = new ushort[count];
            return (m.ReadHoldingRegisters(address, values), values);
        });
    }

    public Task<ushort[]> ReadInputRegistersAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default) =>
        ExchangeAsync(unit, 4, 8, 5 + (2 * count), cancellationToken, m =>
        {
            var values = new ushort[count];
            return (m.ReadInputRegisters(address, values), values);
        });

    public Task WriteSingleCoilAsync(byte unit, ushort address, bool value, CancellationToken cancellationToken = default) =>
        ExchangeAsync(unit, 5, 8, 8, cancellationToken, m => (m.WriteCoils(address, new[] { value }), true));

    public Task WriteSingleRegisterAsync(byte unit, ushort address, ushort value, CancellationToken cancellationToken = default) =>
        ExchangeAsync(unit, 6, 8, 8, cancellationToken, m => (m.WriteHoldingRegisters(address, new[] { value }), true));

    public Task WriteMultipleCoilsAsync(byte unit, ushort address, ReadOnlyMemory<bool> values, CancellationToken cancellationToken = default) =>
        ExchangeAsync(unit, 15, 9 + ((values.Length + 7) / 8), 8, cancellationToken, m => (m.WriteCoils(address, values.Span), true));

    public Task WriteMultipleRegistersAsync(byte unit, ushort address, ReadOnlyMemory<ushort> values, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(values.Length, 123);
        return ExchangeAsync(unit, 16, 9 + (2 * values.Length), 8, cancellationToken, m => (m.WriteHoldingRegisters(address, values.Span), true));
    }

    public Task<ushort[]> ReadWriteMultipleRegistersAsync(byte unit, ushort readAddress, ushort readCount, ushort writeAddress, ReadOnlyMemory<ushort> values, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(readCount, (ushort)125);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(values.Length, 121);
        return ExchangeAsync(unit, 23, 13 + (2 * values.Length), 5 + (2 * readCount), cancellationToken, m =>
        {
            var error = m.WriteHoldingRegisters(writeAddress, values.Span);
            var read = new ushort[readCount];
            return (error ?? m.ReadHoldingRegisters(readAddress, read), read);
        });
    }

    public Task<IReadOnlyDictionary<byte, string>> ReadDeviceIdentificationAsync(byte unit, CancellationToken cancellationToken = default) =>
        ExchangeAsync<IReadOnlyDictionary<byte, string>>(unit, 43, 7, 40, cancellationToken, m => (m.DeviceIdentification is null ? ModbusExceptionCode.IllegalFunction : null, m.DeviceIdentification ?? new Dictionary<byte, string>()));

    private async Task<T> ExchangeAsync<T>(byte unit, byte function, int requestBytes, int replyBytes, CancellationToken cancellationToken, Func<IModbusDataModel, (ModbusExceptionCode? Error, T Value)> handle)
    {
        var model = _units.TryGetValue(unit, out var m) ? m : null;
        await _bus.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Transactions++;
                RtuBytes += requestBytes;
                if (model is null)
                {
                    await Task.Delay(ReplyTimeout, cancellationToken);
                    if (attempt < Retries)
                    {
                        continue;
                    }

                    throw new DeviceTimeoutException(Endpoint, ReplyTimeout);
                }

                var fault = model.NextFault();
                if (fault.Kind == ModbusFaultKind.Busy)
                {
                    RtuBytes += 5;
                    throw new ModbusExceptionReplyException(Endpoint, unit, function, ModbusExceptionCode.ServerDeviceBusy);
                }

                var (error, value) = handle(model);
                switch (fault.Kind)
                {
                    case ModbusFaultKind.Drop:
                        await Task.Delay(ReplyTimeout, cancellationToken);
                        if (attempt < Retries)
                        {
                            continue;
                        }

                        throw new DeviceTimeoutException(Endpoint, ReplyTimeout);
                    case ModbusFaultKind.CorruptChecksum:
                        RtuBytes += error is null ? replyBytes : 5;
                        if (attempt < Retries)
                        {
                            continue;
                        }

                        throw new ModbusCorruptFrameException(Endpoint, "CRC mismatch");
                    case ModbusFaultKind.Delay:
                        await Task.Delay(fault.Delay, cancellationToken);
                        break;
                }

                if (error is { } code)
                {
                    RtuBytes += 5;
                    throw new ModbusExceptionReplyException(Endpoint, unit, function, code);
                }

                RtuBytes += replyBytes;
                return value;
            }
        }
        finally
        {
            _bus.Release();
        }
    }
}
