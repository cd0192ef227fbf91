using System.Net;
using System.Net.Sockets;

namespace Gateway.Drivers.Channels;

/// <summary>
/// A TCP connection as an <see cref="IByteChannel"/>: the client side of <c>tcp://</c> and
/// <c>rtu+tcp://</c> endpoints (re-connected by <see cref="OpenAsync"/> after a loss), or a
/// connection a listener accepted. Nagle is off: Modbus frames are small and latency-bound.
/// </summary>
public sealed class TcpChannel : IByteChannel
{
    private readonly string? _host;
    private readonly int _port;
    private readonly byte[] _discard = new byte[512];
    private Socket? _socket;
    private bool _lost;
    private bool _disposed;

    /// <summary>A client channel to <paramref name="host"/>:<paramref name="port"/>; nothing is connected until <see cref="OpenAsync"/>.</summary>
    public TcpChannel(string host, int port, string? name = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        _host = host;
        _port = port;
        Name = name ?? $"tcp://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}";
    }

    /// <summary>A channel over a connection accepted by a listener; it cannot be re-opened once lost.</summary>
    public TcpChannel(Socket connected, string name)
    {
        ArgumentNullException.ThrowIfNull(connected);
        _socket = connected;
        _socket.NoDelay = true;
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool IsConnected => _socket is not null && !_lost && !_disposed;

    /// <summary>The remote end of the connection, when connected.</summary>
    public EndPoint? RemoteEndPoint => _socket?.RemoteEndPoint;

    /// <inheritdoc />
    public async ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsConnected)
        {
            return;
        }

        if (_host is null)
        {
            throw new DeviceConnectionException(Name, "the connection was closed and cannot be re-opened from this side");
        }

        Close();
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_host, _port, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new DeviceConnectionException(Name, $"cannot connect: {ex.Message}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _socket = socket;
        _lost = false;
    }

    /// <inheritdoc />
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var socket = Connected();
        int n;
        try
        {
            n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw Lost($"connection lost: {ex.Message}", ex);
        }
        catch (ObjectDisposedException ex)
        {
            throw Lost("connection closed", ex);
        }

        if (n == 0 && !buffer.IsEmpty)
        {
            throw Lost("the peer closed the connection", null);
        }

        return n;
    }

    /// <inheritdoc />
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        var socket = Connected();
        try
        {
            while (!buffer.IsEmpty)
            {
                var n = await socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                buffer = buffer[n..];
            }
        }
        catch (SocketException ex)
        {
            throw Lost($"connection lost: {ex.Message}", ex);
        }
        catch (ObjectDisposedException ex)
        {
            throw Lost("connection closed", ex);
        }
    }

    /// <inheritdoc />
    public void DiscardInput()
    {
        var socket = _socket;
        if (socket is null || _lost)
        {
            return;
        }

        try
        {
            // Available > 0 means Receive returns at once: this never blocks.
            while (socket.Available > 0)
            {
                if (socket.Receive(_discard, Math.Min(socket.Available, _discard.Length), SocketFlags.None) == 0)
                {
                    _lost = true;
                    return;
                }
            }
        }
        catch (SocketException)
        {
            _lost = true;
        }
        catch (ObjectDisposedException)
        {
            _lost = true;
        }
    }

    /// <summary>
    /// Drops the connection so that the next <see cref="OpenAsync"/> connects afresh: the only way
    /// back into step after a byte stream that cannot be framed.
    /// </summary>
    public void Reset()
    {
        _lost = true;
        Close();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _disposed = true;
        Close();
        return ValueTask.CompletedTask;
    }

    private Socket Connected()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _socket is { } socket && !_lost ? socket : throw new DeviceConnectionException(Name, "not connected");
    }

    private DeviceConnectionException Lost(string message, Exception? inner)
    {
        _lost = true;
        return new DeviceConnectionException(Name, message, inner);
    }

    private void Close()
    {
        var socket = _socket;
        _socket = null;
        if (socket is null)
        {
            return;
        }

        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer: nothing to shut down.
        }
        catch (ObjectDisposedException)
        {
        }

        socket.Dispose();
    }
}
