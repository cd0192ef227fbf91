namespace Gateway.Drivers.Modbus;

/// <summary>
/// A Modbus client on one bus or connection. Implementations enforce one request in flight (RTU is
/// half-duplex; callers may call concurrently and are queued), apply the per-request timeout and the
/// retry policy, and check every reply against its request (unit, function code, byte count,
/// transaction id). Addresses are 0-based protocol addresses. Quantities beyond the specification's
/// limits (read 125 registers / 2000 bits, write 123 registers / 1968 bits, function 23 write 121)
/// are refused with <see cref="ArgumentOutOfRangeException"/> before anything is sent.
/// </summary>
/// <remarks>
/// Errors: <see cref="ModbusExceptionReplyException"/> (the device answered an exception),
/// <see cref="DeviceTimeoutException"/> (no valid answer in time, after retries),
/// <see cref="ModbusCorruptFrameException"/> (replies kept arriving corrupt),
/// <see cref="DeviceConnectionException"/> (port or connection lost and could not be re-opened).
/// <see cref="OperationCanceledException"/> means the caller cancelled, never a timeout.
/// Unit 0 is broadcast: only writes are allowed and no reply is awaited.
/// </remarks>
public interface IModbusMaster : IAsyncDisposable
{
    /// <summary>The endpoint string this master talks to.</summary>
    string Endpoint { get; }

    Task<bool[]> ReadCoilsAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default);

    Task<bool[]> ReadDiscreteInputsAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default);

    Task<ushort[]> ReadHoldingRegistersAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default);

    Task<ushort[]> ReadInputRegistersAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default);

    Task WriteSingleCoilAsync(byte unit, ushort address, bool value, CancellationToken cancellationToken = default);

    Task WriteSingleRegisterAsync(byte unit, ushort address, ushort value, CancellationToken cancellationToken = default);

    Task WriteMultipleCoilsAsync(byte unit, ushort address, ReadOnlyMemory<bool> values, CancellationToken cancellationToken = default);

    Task WriteMultipleRegistersAsync(byte unit, ushort address, ReadOnlyMemory<ushort> values, CancellationToken cancellationToken = default);

    /// <summary>Function 23: writes first, then reads, in one transaction.</summary>
    Task<ushort[]> ReadWriteMultipleRegistersAsync(byte unit, ushort readAddress, ushort readCount, ushort writeAddress, ReadOnlyMemory<ushort> values, CancellationToken cancellationToken = default);

    /// <summary>Function 43/14, basic objects (vendor name, product code, revision), by object id.</summary>
    Task<IReadOnlyDictionary<byte, string>> ReadDeviceIdentificationAsync(byte unit, CancellationToken cancellationToken = default);
}
