using System.Net;
using System.Net.Sockets;

namespace Gateway.Drivers.Channels;

/// <summary>
/// A connected UDP socket as an <see cref="IByteChannel"/>: each <see cref="WriteAsync"/> sends one
/// datagram and each <see cref="ReadAsync"/> returns one datagram (so the buffer must hold the largest
/// expected). Connected, so the kernel drops datagrams from any other address and port, and on Linux a
/// peer with no listener shows up as <see cref="DeviceConnectionException"/> ("port unreachable")
/// rather than as silence. Bound to an ephemeral local port at <see cref="OpenAsync"/>: a new channel
/// never receives what was sent to an earlier one.
/// </summary>
public sealed class UdpChannel : IByteChannel
{
    private readonly string? _host;
    private readonly int _port;
    private IPEndPoint? _remote;
    private Socket? _socket;
    private bool _lost;
    private bool _disposed;

    /// <summary>A channel to <paramref name="remote"/> (IPv4 or IPv6); nothing is opened until <see cref="OpenAsync"/>.</summary>
    public UdpChannel(IPEndPoint remote, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(remote);
        _remote = remote;
        _port = remote.Port;
        Name = name ?? $"udp://{remote}";
    }

    /// <summary>A channel to <paramref name="host"/>:<paramref name="port"/>, resolved (IPv4 first) at <see cref="OpenAsync"/>.</summary>
    public UdpChannel(string host, int port, string? name = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        _host = host;
        _port = port;
        Name = name ?? $"udp://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}";
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool IsConnected => _socket is not null && !_lost && !_disposed;

    /// <summary>The local end (address and ephemeral port) once open.</summary>
    public IPEndPoint? LocalEndPoint => _socket?.LocalEndPoint as IPEndPoint;

    /// <inheritdoc />
    public async ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsConnected)
        {
            return;
        }

        _socket?.Dispose();
        _socket = null;
        _lost = false;
        try
        {
            _remote ??= await ResolveAsync(_host!, _port, cancellationToken);
            var socket = new Socket(_remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                await socket.ConnectAsync(_remote, cancellationToken);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            _socket = socket;
        }
        catch (SocketException ex)
        {
            throw new DeviceConnectionException(Name, $"cannot open a UDP socket to {Name}: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var socket = Socket();
        while (true)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            }
            catch (SocketException ex)
            {
                throw Lost(ex);
            }
            catch (ObjectDisposedException ex)
            {
                throw Lost(ex);
            }

            // An empty datagram carries nothing; the seam promises at least one byte.
            if (n > 0 || buffer.IsEmpty)
            {
                return n;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        var socket = Socket();
        try
        {
            await socket.SendAsync(buffer, SocketFlags.None, cancellationToken);
        }
        catch (SocketException ex)
        {
            throw Lost(ex);
        }
        catch (ObjectDisposedException ex)
        {
            throw Lost(ex);
        }
    }

    /// <inheritdoc />
    public void DiscardInput()
    {
        if (_socket is not { } socket || _lost)
        {
            return;
        }

        var scratch = new byte[2048];
        try
        {
            while (socket.Available > 0)
            {
                socket.Receive(scratch, SocketFlags.None);
            }
        }
        catch (SocketException)
        {
            // A pending error (port unreachable) is dropped with the stale datagrams.
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _disposed = true;
        _socket?.Dispose();
        _socket = null;
        return ValueTask.CompletedTask;
    }

    /// <summary>Resolves <paramref name="host"/> to one address, IPv4 preferred.</summary>
    /// <exception cref="SocketException">The name does not resolve.</exception>
    public static async Task<IPEndPoint> ResolveAsync(string host, int port, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            return new IPEndPoint(literal, port);
        }

        var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
        var address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new SocketException((int)SocketError.HostNotFound);
        return new IPEndPoint(address, port);
    }

    private Socket Socket()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _socket is { } socket && !_lost
            ? socket
            : throw new DeviceConnectionException(Name, $"{Name} is not open");
    }

    private DeviceConnectionException Lost(Exception ex)
    {
        _lost = true;
        var message = ex is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.ConnectionReset }
            ? $"nothing listens at {Name} (port unreachable)"
            : $"UDP to {Name} failed: {ex.Message}";
        return new DeviceConnectionException(Name, message, ex);
    }
}
