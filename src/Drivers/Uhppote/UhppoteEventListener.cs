using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Gateway.Drivers.Uhppote.Codec;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Drivers.Uhppote;

/// <summary>An event a board pushed: its serial number, where it came from, and its status with the event.</summary>
public sealed record UhppotePushedEvent(uint Controller, IPEndPoint From, UhppoteStatus Status);

/// <summary>
/// Receives the events boards push to their listener (set-listener): function 0x20 packets (start byte
/// 0x17, or 0x19 from v6.62 firmware) on a bound UDP port. Anything else is counted and dropped. Pushed
/// events are a prompt, not a record: a datagram can be lost, so the event log is still walked by index.
/// </summary>
public sealed class UhppoteEventListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Channel<UhppotePushedEvent> _events;
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private readonly Task _loop;
    private long _ignored;

    private UhppoteEventListener(Socket socket, int capacity, ILogger logger)
    {
        _socket = socket;
        _logger = logger;
        _events = Channel.CreateBounded<UhppotePushedEvent>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = false, SingleWriter = true });
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _loop = ReceiveLoopAsync(_stop.Token);
    }

    /// <summary>The bound address and port (the port chosen when 0 was asked).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Datagrams received that were not events (wrong size, function, or fields).</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>Binds <paramref name="bind"/> (e.g. 0.0.0.0:60001; port 0: any free port) and starts receiving.</summary>
    /// <param name="bind">Address and port to receive on.</param>
    /// <param name="capacity">Events held for a slow reader; beyond it the oldest are dropped.</param>
    /// <param name="logger">Where dropped packets are logged (Debug).</param>
    /// <exception cref="DeviceConnectionException">The port cannot be bound.</exception>
    public static UhppoteEventListener Start(IPEndPoint bind, int capacity = 1024, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(bind);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(bind);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new DeviceConnectionException($"udp://{bind}", $"cannot listen for events at {bind}: {ex.Message}", ex);
        }

        return new UhppoteEventListener(socket, capacity, logger ?? NullLogger.Instance);
    }

    /// <summary>Events as they arrive, until the listener is disposed or <paramref name="cancellationToken"/> fires.</summary>
    public IAsyncEnumerable<UhppotePushedEvent> ReadAllAsync(CancellationToken cancellationToken = default) => _events.Reader.ReadAllAsync(cancellationToken);

    /// <summary>The next event.</summary>
    public ValueTask<UhppotePushedEvent> ReadAsync(CancellationToken cancellationToken = default) => _events.Reader.ReadAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopping is what was asked.
        }

        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[1024];
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                SocketReceiveFromResult r;
                try
                {
                    r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancellationToken);
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused)
                {
                    continue;
                }

                if (TryReadEvent(buffer.AsSpan(0, r.ReceivedBytes), out var pushed))
                {
                    _events.Writer.TryWrite(pushed with { From = (IPEndPoint)r.RemoteEndPoint });
                }
                else
                {
                    Interlocked.Increment(ref _ignored);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // Disposed.
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    private bool TryReadEvent(ReadOnlySpan<byte> datagram, [NotNullWhen(true)] out UhppotePushedEvent? pushed)
    {
        pushed = null;
        if (!UhppoteCodec.TryReadHeader(datagram, out var function, out var serial) || function != UhppoteFunction.GetStatus)
        {
            return false;
        }

        if (!UhppoteCodec.TryDecodeResponse(datagram, out var response, out var error))
        {
            _logger.LogDebug("UHPPOTE listener {Endpoint}: dropped an event packet from controller {Controller}: {Error}", LocalEndPoint, serial, error);
            return false;
        }

        pushed = new UhppotePushedEvent(serial, LocalEndPoint, ((StatusResponse)response).Status);
        return true;
    }
}
