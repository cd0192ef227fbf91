using Gateway.Drivers.Channels;
using Gateway.Drivers.Modbus.Codec;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Drivers.Modbus;

/// <summary>
/// Gateway's Modbus master over one <see cref="IByteChannel"/>. The bus object: one request in flight
/// at a time (callers may call concurrently and are queued), the per-request timeout as a linked
/// token, and the retry policy with back-off (the only layer that retries). Subclasses frame and
/// match replies: <see cref="ModbusRtuMaster"/> (serial, pseudo-terminal, RTU over TCP) and
/// <see cref="ModbusTcpMaster"/> (MBAP).
/// </summary>
/// <remarks>See docs/modbus.md for the error model. Addresses are 0-based protocol addresses.</remarks>
public abstract class ModbusMaster : IModbusMaster
{
    private readonly SemaphoreSlim _bus = new(1, 1);
    private readonly bool _ownsChannel;
    private CancellationTokenSource? _attemptTimeout;
    private int _disposed;

    protected ModbusMaster(IByteChannel channel, ModbusMasterOptions? options, bool ownsChannel, string? endpoint)
    {
        ArgumentNullException.ThrowIfNull(channel);
        Options = options ?? new ModbusMasterOptions();
        Options.Validate();
        Channel = channel;
        _ownsChannel = ownsChannel;
        Endpoint = endpoint ?? channel.Name;
        Logger = Options.Logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public string Endpoint { get; }

    /// <summary>The channel the master talks through.</summary>
    protected IByteChannel Channel { get; }

    protected ModbusMasterOptions Options { get; }

    protected ILogger Logger { get; }

    /// <summary>
    /// A master for an endpoint: <c>tcp://</c> speaks Modbus TCP (MBAP), <c>rtu+tcp://</c> RTU frames
    /// through a serial device server, <c>serial://</c> RTU on a serial port. Nothing is opened until
    /// the first request; a lost connection or port is re-opened by the next attempt.
    /// </summary>
    public static IModbusMaster Create(DeviceEndpoint endpoint, ModbusMasterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var name = endpoint.ToString();
        return endpoint switch
        {
            TcpEndpoint { RtuFraming: false } tcp => new ModbusTcpMaster(new TcpChannel(tcp.Host, tcp.Port, name), options, ownsChannel: true, name),
            TcpEndpoint tcp => new ModbusRtuMaster(new TcpChannel(tcp.Host, tcp.Port, name), options, ownsChannel: true, name),
            SerialEndpoint serial => new ModbusRtuMaster(new SerialChannel(serial), options, ownsChannel: true, name),
            _ => throw new ArgumentException($"unsupported endpoint {name}", nameof(endpoint)),
        };
    }

    /// <summary>Parses <paramref name="endpoint"/> (see <see cref="DeviceEndpoint.Parse"/>) and creates its master.</summary>
    /// <exception cref="FormatException">The endpoint string is malformed.</exception>
    public static IModbusMaster Create(string endpoint, ModbusMasterOptions? options = null) =>
        Create(DeviceEndpoint.Parse(endpoint), options);

    /// <summary>An RTU master over any channel (a pseudo-terminal, a serial port, a TCP stream).</summary>
    public static IModbusMaster CreateRtu(IByteChannel channel, ModbusMasterOptions? options = null, bool ownsChannel = true) =>
        new ModbusRtuMaster(channel, options, ownsChannel);

    /// <summary>A Modbus TCP (MBAP) master over any channel.</summary>
    public static IModbusMaster CreateTcp(IByteChannel channel, ModbusMasterOptions? options = null, bool ownsChannel = true) =>
        new ModbusTcpMaster(channel, options, ownsChannel);

    /// <inheritdoc />
    public Task<bool[]> ReadCoilsAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default) =>
        ReadBitsAsync(unit, ModbusFunction.ReadCoils, address, count, cancellationToken);

    /// <inheritdoc />
    public Task<bool[]> ReadDiscreteInputsAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default) =>
        ReadBitsAsync(unit, ModbusFunction.ReadDiscreteInputs, address, count, cancellationToken);

    /// <inheritdoc />
    public Task<ushort[]> ReadHoldingRegistersAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default) =>
        ReadRegistersAsync(unit, ModbusFunction.ReadHoldingRegisters, address, count, cancellationToken);

    /// <inheritdoc />
    public Task<ushort[]> ReadInputRegistersAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default) =>
        ReadRegistersAsync(unit, ModbusFunction.ReadInputRegisters, address, count, cancellationToken);

    /// <inheritdoc />
    public Task WriteSingleCoilAsync(byte unit, ushort address, bool value, CancellationToken cancellationToken = default)
    {
        var request = new byte[5];
        ModbusPdu.WriteSingleCoilRequest(request, address, value);
        return ExecuteAsync(unit, request, cancellationToken);
    }

    /// <inheritdoc />
    public Task WriteSingleRegisterAsync(byte unit, ushort address, ushort value, CancellationToken cancellationToken = default)
    {
        var request = new byte[5];
        ModbusPdu.WriteSingleRegisterRequest(request, address, value);
        return ExecuteAsync(unit, request, cancellationToken);
    }

    /// <inheritdoc />
    public Task WriteMultipleCoilsAsync(byte unit, ushort address, ReadOnlyMemory<bool> values, CancellationToken cancellationToken = default)
    {
        var request = new byte[6 + ((values.Length + 7) / 8)];
        ModbusPdu.WriteMultipleCoilsRequest(request, address, values.Span);
        return ExecuteAsync(unit, request, cancellationToken);
    }

    /// <inheritdoc />
    public Task WriteMultipleRegistersAsync(byte unit, ushort address, ReadOnlyMemory<ushort> values, CancellationToken cancellationToken = default)
    {
        var request = new byte[6 + (values.Length * 2)];
        ModbusPdu.WriteMultipleRegistersRequest(request, address, values.Span);
        return ExecuteAsync(unit, request, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ushort[]> ReadWriteMultipleRegistersAsync(byte unit, ushort readAddress, ushort readCount, ushort writeAddress, ReadOnlyMemory<ushort> values, CancellationToken cancellationToken = default)
    {
        var request = new byte[10 + (values.Length * 2)];
        ModbusPdu.WriteReadWriteRequest(request, readAddress, readCount, writeAddress, values.Span);
        CheckUnicast(unit);
        var reply = await ExecuteAsync(unit, request, cancellationToken).ConfigureAwait(false);
        var result = new ushort[readCount];
        ModbusPdu.ReadRegisters(reply.AsSpan(2), result);
        return result;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<byte, string>> ReadDeviceIdentificationAsync(byte unit, CancellationToken cancellationToken = default)
    {
        CheckUnicast(unit);
        var objects = new SortedDictionary<byte, string>();
        byte next = 0;
        for (var round = 0; round < 256; round++)
        {
            var request = new byte[4];
            ModbusPdu.WriteDeviceIdentificationRequest(request, 0x01, next);
            var reply = await ExecuteAsync(unit, request, cancellationToken).ConfigureAwait(false);
            var more = ModbusPdu.DeviceIdentificationResponse(reply, objects);
            if (more is not { } id || id <= next)
            {
                break;
            }

            next = id;
        }

        return objects;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_ownsChannel)
        {
            await Channel.DisposeAsync().ConfigureAwait(false);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// One attempt on the bus (called with the bus held and the channel open): send
    /// <paramref name="request"/> (a PDU) to <paramref name="unit"/>, return the reply PDU that
    /// <see cref="ModbusPdu.CheckResponse"/> accepts, or an empty array for a broadcast.
    /// </summary>
    /// <param name="unit">The unit addressed; 0 is broadcast.</param>
    /// <param name="request">The request PDU.</param>
    /// <param name="cancellationToken">Fires on the caller's cancellation or the attempt's timeout.</param>
    /// <param name="callerToken">The caller's own token, to tell the two apart.</param>
    protected abstract Task<byte[]> ExchangeAsync(byte unit, byte[] request, CancellationToken cancellationToken, CancellationToken callerToken);

    /// <summary>Called after the channel was (re)opened, before the first exchange on it.</summary>
    protected virtual void OnChannelOpened()
    {
    }

    /// <summary>
    /// Called with the bus held and the channel open, before the attempt's <see cref="ModbusMasterOptions.Timeout"/>
    /// starts: makes the line ready for a request (an RTU master waits out what an earlier exchange may
    /// still send), so that this wait is never counted against the request that follows it.
    /// </summary>
    /// <param name="callerToken">The caller's own token.</param>
    protected virtual Task PrepareAsync(CancellationToken callerToken) => Task.CompletedTask;

    /// <summary>Re-throws a codec error as this master's, naming endpoint and unit.</summary>
    protected ModbusCorruptFrameException Corrupt(byte unit, ModbusCorruptFrameException error) =>
        new(Endpoint, unit, error.Message, error);

    private static void CheckUnicast(byte unit)
    {
        if (unit == ModbusLimits.BroadcastUnit)
        {
            throw new ArgumentOutOfRangeException(nameof(unit), unit, "unit 0 is broadcast: only writes can be broadcast");
        }
    }

    private async Task<bool[]> ReadBitsAsync(byte unit, byte function, ushort address, ushort count, CancellationToken cancellationToken)
    {
        var request = new byte[5];
        ModbusPdu.WriteReadRequest(request, function, address, count);
        CheckUnicast(unit);
        var reply = await ExecuteAsync(unit, request, cancellationToken).ConfigureAwait(false);
        var result = new bool[count];
        ModbusPdu.UnpackBits(reply.AsSpan(2), result);
        return result;
    }

    private async Task<ushort[]> ReadRegistersAsync(byte unit, byte function, ushort address, ushort count, CancellationToken cancellationToken)
    {
        var request = new byte[5];
        ModbusPdu.WriteReadRequest(request, function, address, count);
        CheckUnicast(unit);
        var reply = await ExecuteAsync(unit, request, cancellationToken).ConfigureAwait(false);
        var result = new ushort[count];
        ModbusPdu.ReadRegisters(reply.AsSpan(2), result);
        return result;
    }

    /// <summary>The retry policy: attempts, back-off, and the final error.</summary>
    private async Task<byte[]> ExecuteAsync(byte unit, byte[] request, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (unit > ModbusLimits.MaxUnit && this is ModbusRtuMaster)
        {
            // 248-255 are reserved on a serial line; Modbus TCP uses 255 for "the server itself".
            throw new ArgumentOutOfRangeException(nameof(unit), unit, $"unit must be 0-{ModbusLimits.MaxUnit} on a serial line");
        }

        var delay = Options.RetryDelay;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var reply = await AttemptAsync(unit, request, cancellationToken).ConfigureAwait(false);
                ModbusPdu.ThrowIfException(reply, request[0], Endpoint, unit);
                return reply;
            }
            catch (DeviceException ex) when (attempt < Options.Retries && ex is not ModbusExceptionReplyException)
            {
                Logger.LogWarning("Modbus {Endpoint} unit {UnitId}: attempt {Attempt} failed ({Error}); retrying in {DelayMs} ms", Endpoint, unit, attempt + 1, ex.Message, delay.TotalMilliseconds);
            }

            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Options.MaxRetryDelay.Ticks));
        }
    }

    private async Task<byte[]> AttemptAsync(byte unit, byte[] request, CancellationToken cancellationToken)
    {
        await _bus.WaitAsync(cancellationToken).ConfigureAwait(false);

        // One timeout source per bus, re-armed for each attempt (held under the bus lock), and linked
        // to the caller's token by a registration: no new source or timer per request.
        var timeout = _attemptTimeout;
        if (timeout is null || !timeout.TryReset())
        {
            timeout?.Dispose();
            timeout = _attemptTimeout = new CancellationTokenSource();
        }

        var linked = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), timeout)
            : default;
        try
        {
            if (!Channel.IsConnected)
            {
                timeout.CancelAfter(Options.Timeout);
                await Channel.OpenAsync(timeout.Token).ConfigureAwait(false);
                timeout.CancelAfter(Timeout.InfiniteTimeSpan);
                OnChannelOpened();
            }

            await PrepareAsync(cancellationToken).ConfigureAwait(false);
            timeout.CancelAfter(Options.Timeout);
            return await ExchangeAsync(unit, request, timeout.Token, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            if (Channel is SerialChannel serial && !serial.VerifyDevice())
            {
                throw new ModbusConnectionException(Endpoint, unit, "the serial device went away", ex);
            }

            throw new ModbusTimeoutException(Endpoint, unit, Options.Timeout, ex);
        }
        catch (DeviceConnectionException ex) when (ex is not ModbusConnectionException)
        {
            throw new ModbusConnectionException(Endpoint, unit, ex.Message, ex);
        }
        finally
        {
            linked.Dispose();
            _bus.Release();
        }
    }
}
