using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Gateway.Drivers.Channels;
using Gateway.Drivers.Modbus.Codec;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Drivers.Modbus;

/// <summary>
/// The slave (server) engine the simulators use: serves a set of units over Modbus TCP (many clients
/// at once), RTU on any <see cref="IByteChannel"/> (a <see cref="PseudoTerminal"/> or a serial
/// port), or RTU over TCP. Started by the static <c>Start*</c> methods; stopped by
/// <see cref="DisposeAsync"/>.
/// </summary>
/// <remarks>
/// Each unit's data model is called one request at a time. On RTU the engine stays silent for other
/// units' requests and keeps frame sync after them (frame ends come from the function code's length
/// rules); after garbage it waits for the line to fall silent. Unit 0 is broadcast: writes are
/// applied to every unit and nothing is answered. Over TCP, unit 255 reaches the only unit when
/// exactly one is served, and an unknown unit is answered with exception 0x0B (gateway target
/// device failed to respond). Faults from <see cref="IModbusDataModel.NextFault"/> are honoured.
/// </remarks>
public sealed class ModbusSlave : IAsyncDisposable
{
    private const byte TcpSelfUnit = 0xFF;
    private readonly IReadOnlyDictionary<byte, IModbusDataModel> _units;
    private readonly ModbusSlaveOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private Socket? _listener;
    private IByteChannel? _ownedChannel;
    private Task _completion = Task.CompletedTask;
    private int _clients;
    private int _disposed;

    private ModbusSlave(IReadOnlyDictionary<byte, IModbusDataModel> units, ModbusSlaveOptions? options, string endpoint)
    {
        ArgumentNullException.ThrowIfNull(units);
        if (units.Count == 0 || units.ContainsKey(ModbusLimits.BroadcastUnit))
        {
            throw new ArgumentException("serve at least one unit, and never unit 0 (broadcast)", nameof(units));
        }

        _units = units;
        _options = options ?? new ModbusSlaveOptions();
        _options.Validate();
        _logger = _options.Logger ?? NullLogger.Instance;
        Endpoint = endpoint;
    }

    /// <summary>Where the engine serves: <c>tcp://127.0.0.1:PORT</c> with the bound port, or the channel's name.</summary>
    public string Endpoint { get; private set; }

    /// <summary>The bound TCP port (useful after listening on port 0); null on a serial line or pty.</summary>
    public int? Port { get; private set; }

    /// <summary>Counters of bytes and frames, readable at any time.</summary>
    public ModbusSlaveStatistics Statistics { get; } = new();

    /// <summary>TCP clients connected now.</summary>
    public int ConnectedClients => Volatile.Read(ref _clients);

    /// <summary>Completes when the engine stops; faults if serving failed for a reason other than stopping.</summary>
    public Task Completion => _completion;

    /// <summary>
    /// Serves <paramref name="units"/> at <paramref name="listen"/>: <c>tcp://HOST:PORT</c> listens for
    /// Modbus TCP, <c>rtu+tcp://HOST:PORT</c> for RTU frames over TCP (port 0: any free port, see
    /// <see cref="Port"/>), <c>serial://PORT?...</c> opens the serial port and serves RTU on it.
    /// </summary>
    /// <exception cref="DeviceConnectionException">The address cannot be bound or the port opened.</exception>
    public static async Task<ModbusSlave> StartAsync(IReadOnlyDictionary<byte, IModbusDataModel> units, DeviceEndpoint listen, ModbusSlaveOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(listen);
        switch (listen)
        {
            case TcpEndpoint tcp:
                return StartTcp(units, Resolve(tcp), options, rtuFraming: tcp.RtuFraming);
            case SerialEndpoint serial:
                var channel = new SerialChannel(serial);
                try
                {
                    await channel.OpenAsync(cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    await channel.DisposeAsync().ConfigureAwait(false);
                    throw;
                }

                var slave = StartRtu(units, channel, options, serial.BaudRate);
                slave._ownedChannel = channel;
                return slave;
            default:
                throw new ArgumentException($"unsupported endpoint {listen}", nameof(listen));
        }
    }

    /// <summary>
    /// Listens on <paramref name="localEndPoint"/> (port 0 allowed) and serves every client that
    /// connects, each on its own task: Modbus TCP, or RTU frames when <paramref name="rtuFraming"/>.
    /// </summary>
    /// <exception cref="DeviceConnectionException">The address cannot be bound.</exception>
    public static ModbusSlave StartTcp(IReadOnlyDictionary<byte, IModbusDataModel> units, IPEndPoint localEndPoint, ModbusSlaveOptions? options = null, bool rtuFraming = false)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        var scheme = rtuFraming ? "rtu+tcp" : "tcp";
        var slave = new ModbusSlave(units, options, $"{scheme}://{localEndPoint}");
        var listener = new Socket(localEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // A restarted simulator must get its port back while old connections sit in TIME_WAIT.
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(localEndPoint);
            listener.Listen(64);
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            throw new DeviceConnectionException(slave.Endpoint, $"cannot listen: {ex.Message}", ex);
        }

        var bound = (IPEndPoint)listener.LocalEndPoint!;
        slave._listener = listener;
        slave.Port = bound.Port;
        slave.Endpoint = string.Create(CultureInfo.InvariantCulture, $"{scheme}://{(bound.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{bound.Address}]" : bound.Address.ToString())}:{bound.Port}");
        slave._completion = slave.AcceptLoopAsync(listener, rtuFraming, slave._stop.Token);
        return slave;
    }

    /// <summary>
    /// Serves RTU on <paramref name="channel"/> (opened already, or opened here) until disposed. The
    /// channel is not disposed with the engine: its creator owns it.
    /// </summary>
    /// <param name="units">The units served, by unit id (1-247).</param>
    /// <param name="channel">The line: a pseudo-terminal, a serial port or any channel.</param>
    /// <param name="options">Line-rate emulation, resync silence, logging.</param>
    /// <param name="baudRate">The line's baud rate, for the t3.5 silence; null: the emulated rate or 19200.</param>
    public static ModbusSlave StartRtu(IReadOnlyDictionary<byte, IModbusDataModel> units, IByteChannel channel, ModbusSlaveOptions? options = null, int? baudRate = null)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var slave = new ModbusSlave(units, options, channel.Name);
        var silence = slave._options.ResyncSilence ?? Silence(baudRate ?? slave._options.EmulatedBaudRate ?? 19200, TimeSpan.FromMilliseconds(5));
        slave._completion = slave.ServeRtuLineAsync(channel, silence, slave._stop.Token);
        return slave;
    }

    /// <summary>Stops serving: closes the listener and every connection, waits for their tasks.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        try
        {
            await Task.WhenAll([_completion, .. connections]).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping is what was asked.
        }

        if (_ownedChannel is not null)
        {
            await _ownedChannel.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private static IPEndPoint Resolve(TcpEndpoint endpoint)
    {
        if (IPAddress.TryParse(endpoint.Host, out var address))
        {
            return new IPEndPoint(address, endpoint.Port);
        }

        if (endpoint.Host is "*")
        {
            return new IPEndPoint(IPAddress.Any, endpoint.Port);
        }

        var addresses = Dns.GetHostAddresses(endpoint.Host);
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new DeviceConnectionException(endpoint.ToString(), $"host '{endpoint.Host}' has no address");
        return new IPEndPoint(chosen, endpoint.Port);
    }

    /// <summary>Section 2.5.1.1: t3.5 is 3.5 characters of 11 bits, fixed at 1.75 ms above 19200 baud.</summary>
    private static TimeSpan T35(int baud) => baud > 19200 ? TimeSpan.FromMilliseconds(1.75) : TimeSpan.FromSeconds(3.5 * 11 / baud);

    private static TimeSpan Silence(int baud, TimeSpan floor) => T35(baud) > floor ? T35(baud) : floor;

    private static async ValueTask<int> ReadWithinAsync(IByteChannel channel, Memory<byte> buffer, TimeSpan within, CancellationToken cancellationToken)
    {
        using var gap = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        gap.CancelAfter(within);
        try
        {
            return await channel.ReadAsync(buffer, gap.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
    }

    private async Task AcceptLoopAsync(Socket listener, bool rtuFraming, CancellationToken stop)
    {
        var silence = _options.ResyncSilence ?? Silence(_options.EmulatedBaudRate ?? 19200, TimeSpan.FromMilliseconds(20));
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                _logger.LogWarning("Modbus slave {Endpoint}: accept failed: {Error}", Endpoint, ex.Message);
                continue;
            }

            var name = $"{(rtuFraming ? "rtu+tcp" : "tcp")}://{client.RemoteEndPoint}";
            var channel = new TcpChannel(client, name);
            _logger.LogDebug("Modbus slave {Endpoint}: client {Client} connected", Endpoint, name);
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(ServeConnectionAsync(channel, rtuFraming, silence, stop));
            }
        }
    }

    private async Task ServeConnectionAsync(TcpChannel channel, bool rtuFraming, TimeSpan silence, CancellationToken stop)
    {
        Interlocked.Increment(ref _clients);
        try
        {
            await using (channel.ConfigureAwait(false))
            {
                if (rtuFraming)
                {
                    await ServeRtuAsync(channel, silence, stop).ConfigureAwait(false);
                }
                else
                {
                    await ServeTcpAsync(channel, stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (DeviceConnectionException ex)
        {
            _logger.LogDebug("Modbus slave {Endpoint}: client {Client} gone: {Error}", Endpoint, channel.Name, ex.Message);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Modbus slave {Endpoint}: serving client {Client} failed", Endpoint, channel.Name);
        }
        finally
        {
            Interlocked.Decrement(ref _clients);
        }
    }

    private async Task ServeRtuLineAsync(IByteChannel channel, TimeSpan silence, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!channel.IsConnected)
                {
                    await channel.OpenAsync(stop).ConfigureAwait(false);
                }

                await ServeRtuAsync(channel, silence, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (DeviceConnectionException ex) when (channel is SerialChannel)
            {
                // A serial adapter that vanished may come back: try again each second.
                _logger.LogWarning("Modbus slave {Endpoint}: line lost ({Error}); re-opening", Endpoint, ex.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            catch (DeviceConnectionException ex)
            {
                _logger.LogInformation("Modbus slave {Endpoint}: channel closed ({Error})", Endpoint, ex.Message);
                return;
            }
            catch (ObjectDisposedException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    // ------------------------------------------------------------------ Modbus TCP

    private async Task ServeTcpAsync(IByteChannel channel, CancellationToken stop)
    {
        var rx = new byte[4 * ModbusLimits.MaxTcpAduLength];
        var tx = new byte[ModbusLimits.MaxTcpAduLength];
        var filled = 0;
        while (true)
        {
            var n = await channel.ReadAsync(rx.AsMemory(filled), stop).ConfigureAwait(false);
            var arrived = Stopwatch.GetTimestamp();
            Statistics.Received(n);
            filled += n;
            var offset = 0;
            while (offset < filled)
            {
                int consumed;
                int replyLength;
                int requestLength;
                ModbusFault fault;
                try
                {
                    if (!TryHandleTcp(rx.AsSpan(offset, filled - offset), tx, out consumed, out replyLength, out requestLength, out fault))
                    {
                        break;
                    }
                }
                catch (ModbusCorruptFrameException ex)
                {
                    // An MBAP stream that cannot be framed has no way back into step: drop the client.
                    Statistics.Corrupt();
                    _logger.LogWarning("Modbus slave {Endpoint}: client {Client} sent a corrupt frame ({Error}); closing", Endpoint, channel.Name, ex.Message);
                    return;
                }

                offset += consumed;
                if (replyLength > 0)
                {
                    if (fault.Kind == ModbusFaultKind.CorruptChecksum)
                    {
                        // Mangle the MBAP length: 0 is never valid.
                        tx[4] = 0;
                        tx[5] = 0;
                    }

                    await ReplyAsync(channel, tx, replyLength, ModbusTcpCodec.HeaderLength, requestLength - ModbusTcpCodec.HeaderLength + ModbusRtuCodec.Overhead, replyLength - ModbusTcpCodec.HeaderLength + ModbusRtuCodec.Overhead, fault, arrived, stop).ConfigureAwait(false);
                }
            }

            Buffer.BlockCopy(rx, offset, rx, 0, filled - offset);
            filled -= offset;
        }
    }

    private bool TryHandleTcp(ReadOnlySpan<byte> input, Span<byte> tx, out int consumed, out int replyLength, out int requestLength, out ModbusFault fault)
    {
        replyLength = 0;
        fault = default;
        if (!ModbusTcpCodec.TryDecode(input, out var frame, out consumed))
        {
            requestLength = 0;
            return false;
        }

        requestLength = consumed;
        Statistics.Frame();
        var pduLength = Dispatch(frame.Unit, frame.Pdu, tx[ModbusTcpCodec.HeaderLength..], tcp: true, out fault);
        if (pduLength <= 0)
        {
            return true;
        }

        BinaryPrimitives.WriteUInt16BigEndian(tx, frame.TransactionId); // 00-01 transaction id, echoed
        BinaryPrimitives.WriteUInt16BigEndian(tx[2..], 0); // 02-03 protocol id
        BinaryPrimitives.WriteUInt16BigEndian(tx[4..], (ushort)(pduLength + 1)); // 04-05 length
        tx[6] = frame.Unit; // 06 unit, echoed
        replyLength = ModbusTcpCodec.HeaderLength + pduLength;
        return true;
    }

    // ------------------------------------------------------------------ RTU

    private async Task ServeRtuAsync(IByteChannel channel, TimeSpan silence, CancellationToken stop)
    {
        var rx = new byte[4 * ModbusLimits.MaxRtuAduLength];
        var tx = new byte[ModbusLimits.MaxRtuAduLength];
        var filled = 0;
        while (true)
        {
            int n;
            if (filled == 0)
            {
                n = await channel.ReadAsync(rx, stop).ConfigureAwait(false);
            }
            else
            {
                // Section 2.5.1.1: a frame interrupted by silence is incomplete and is discarded.
                n = await ReadWithinAsync(channel, rx.AsMemory(filled), silence, stop).ConfigureAwait(false);
                if (n == 0)
                {
                    Statistics.Corrupt();
                    _logger.LogDebug("Modbus slave {Endpoint}: dropped an incomplete {Length}-byte frame", Endpoint, filled);
                    filled = 0;
                    continue;
                }
            }

            var arrived = Stopwatch.GetTimestamp();
            Statistics.Received(n);
            filled += n;
            var offset = 0;
            var corrupt = false;
            while (offset < filled)
            {
                int consumed;
                int replyLength;
                ModbusFault fault;
                try
                {
                    if (!TryHandleRtu(rx.AsSpan(offset, filled - offset), tx, out consumed, out replyLength, out fault))
                    {
                        break;
                    }
                }
                catch (ModbusCorruptFrameException ex)
                {
                    Statistics.Corrupt();
                    _logger.LogDebug("Modbus slave {Endpoint}: corrupt frame ({Error}); waiting for silence", Endpoint, ex.Message);
                    await ResyncAsync(channel, rx, offset, filled, tx, silence, stop).ConfigureAwait(false);
                    corrupt = true;
                    break;
                }

                offset += consumed;
                if (replyLength > 0)
                {
                    if (fault.Kind == ModbusFaultKind.CorruptChecksum)
                    {
                        tx[replyLength - 1] ^= 0xFF;
                    }

                    await ReplyAsync(channel, tx, replyLength, 1, consumed, replyLength, fault, arrived, stop).ConfigureAwait(false);
                }
            }

            if (corrupt)
            {
                filled = 0;
                continue;
            }

            Buffer.BlockCopy(rx, offset, rx, 0, filled - offset);
            filled -= offset;
        }
    }

    private bool TryHandleRtu(ReadOnlySpan<byte> input, Span<byte> tx, out int consumed, out int replyLength, out ModbusFault fault)
    {
        replyLength = 0;
        fault = default;
        if (!ModbusRtuCodec.TryDecodeRequest(input, out var frame, out consumed))
        {
            return false;
        }

        Statistics.Frame();
        var pduLength = Dispatch(frame.Unit, frame.Pdu, tx[1..], tcp: false, out fault);
        if (pduLength > 0)
        {
            replyLength = FinishRtu(tx, frame.Unit, pduLength);
        }

        return true;
    }

    private static int FinishRtu(Span<byte> tx, byte unit, int pduLength)
    {
        tx[0] = unit;
        BinaryPrimitives.WriteUInt16LittleEndian(tx[(1 + pduLength)..], ModbusCrc.Compute(tx[..(1 + pduLength)]));
        return pduLength + ModbusRtuCodec.Overhead;
    }

    /// <summary>
    /// After garbage: read and drop until the line is silent. If what arrived in one piece was a
    /// frame with a valid CRC for one of our units (a function code whose length rules we do not
    /// know), answer it with illegal function, as the specification asks.
    /// </summary>
    private async Task ResyncAsync(IByteChannel channel, byte[] rx, int offset, int filled, byte[] tx, TimeSpan silence, CancellationToken stop)
    {
        var pending = filled - offset;
        Buffer.BlockCopy(rx, offset, rx, 0, pending);
        while (true)
        {
            var room = rx.Length - pending;
            var n = await ReadWithinAsync(channel, rx.AsMemory(room > 0 ? pending : 0), silence, stop).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            Statistics.Received(n);
            pending = room > 0 ? pending + n : rx.Length + 1;
        }

        if (pending is >= 4 and <= ModbusLimits.MaxRtuAduLength && ModbusCrc.Check(rx.AsSpan(0, pending)) && _units.ContainsKey(rx[0]))
        {
            var pduLength = ModbusSlaveLogic.Exception(tx.AsSpan(1), rx[1], ModbusExceptionCode.IllegalFunction);
            var length = FinishRtu(tx, rx[0], pduLength);
            Statistics.Sent(length, exception: true);
            await channel.WriteAsync(tx.AsMemory(0, length), stop).ConfigureAwait(false);
        }
    }

    // ------------------------------------------------------------------ shared

    /// <summary>Runs one request; returns the reply PDU length written to <paramref name="reply"/>, or 0 for no reply.</summary>
    private int Dispatch(byte unit, ReadOnlySpan<byte> pdu, Span<byte> reply, bool tcp, out ModbusFault fault)
    {
        fault = default;
        if (unit == ModbusLimits.BroadcastUnit)
        {
            Statistics.Ignored();
            if (ModbusFunction.IsWrite(pdu[0]))
            {
                lock (_gate)
                {
                    foreach (var model in _units.Values)
                    {
                        _ = ModbusSlaveLogic.Handle(model, pdu, reply);
                    }
                }
            }

            return 0;
        }

        if (!_units.TryGetValue(unit, out var target))
        {
            if (tcp && unit == TcpSelfUnit && _units.Count == 1)
            {
                target = _units.Values.First();
            }
            else if (tcp)
            {
                return ModbusSlaveLogic.Exception(reply, pdu[0], ModbusExceptionCode.GatewayTargetDeviceFailedToRespond);
            }
            else
            {
                Statistics.Ignored();
                return 0;
            }
        }

        lock (_gate)
        {
            fault = target.NextFault();
            return fault.Kind == ModbusFaultKind.Busy
                ? ModbusSlaveLogic.Exception(reply, pdu[0], ModbusExceptionCode.ServerDeviceBusy)
                : ModbusSlaveLogic.Handle(target, pdu, reply);
        }
    }

    private async ValueTask ReplyAsync(IByteChannel channel, byte[] tx, int length, int pduStart, int requestLineBytes, int replyLineBytes, ModbusFault fault, long arrived, CancellationToken stop)
    {
        if (_options.EmulatedBaudRate is { } baud)
        {
            // The request arrived at once; a real line would have needed its characters, the t3.5
            // gap and the reply's characters before the reply's last byte is in.
            var line = TimeSpan.FromSeconds((requestLineBytes + replyLineBytes) * 11.0 / baud) + T35(baud);
            Statistics.Emulated(line);
            var remaining = line - Stopwatch.GetElapsedTime(arrived);
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining, stop).ConfigureAwait(false);
            }
        }

        if (fault.Kind == ModbusFaultKind.Drop)
        {
            return;
        }

        if (fault.Kind == ModbusFaultKind.Delay && fault.Delay > TimeSpan.Zero)
        {
            await Task.Delay(fault.Delay, stop).ConfigureAwait(false);
        }

        if (fault.Kind == ModbusFaultKind.Hold && fault.Until is { } until)
        {
            await until.WaitAsync(stop).ConfigureAwait(false);
        }

        if (_logger.IsEnabled(LogLevel.Trace))
        {
            _logger.LogTrace("Modbus slave {Endpoint} sent {Frame}", Endpoint, Convert.ToHexString(tx, 0, length));
        }

        // Counted before the write so that a reader who has the reply also sees it counted.
        Statistics.Sent(length, (tx[pduStart] & ModbusFunction.ExceptionFlag) != 0);
        await channel.WriteAsync(tx.AsMemory(0, length), stop).ConfigureAwait(false);
    }
}
