using System.IO.Ports;

namespace Gateway.Drivers.Channels;

/// <summary>
/// A serial port (System.IO.Ports) as an <see cref="IByteChannel"/>, with the line settings of a
/// <c>serial://</c> endpoint. Re-opened by <see cref="OpenAsync"/> after the port vanished
/// (a USB adapter pulled out).
/// </summary>
/// <remarks>
/// Field notes this class follows: on Linux <c>BaseStream.ReadAsync</c> ignores <c>ReadTimeout</c>,
/// so every read takes a <see cref="CancellationToken"/> and timeouts are the caller's linked token;
/// <c>ReadTimeout</c> is floored at 30 ms anyway and is not used. When the port disappears, writes
/// throw <see cref="ObjectDisposedException"/> while <c>IsOpen</c> still says true, so every
/// failure marks the channel lost. RTS/DTR are left alone: their ioctls fail on a pseudo-terminal.
/// </remarks>
public sealed class SerialChannel : IByteChannel
{
    private readonly SerialEndpoint _endpoint;
    private SerialPort? _port;
    private string? _openedDevice;
    private bool _lost;
    private bool _disposed;

    public SerialChannel(SerialEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        _endpoint = endpoint;
        Name = endpoint.ToString();
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The line settings.</summary>
    public SerialEndpoint Endpoint => _endpoint;

    /// <inheritdoc />
    public bool IsConnected => _port is not null && !_lost && !_disposed;

    /// <inheritdoc />
    public ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (IsConnected)
        {
            return ValueTask.CompletedTask;
        }

        Close();
        if (!OperatingSystem.IsWindows() && !File.Exists(_endpoint.PortName))
        {
            // System.IO.Ports reports a missing device as "access denied"; say what is wrong.
            throw new DeviceConnectionException(Name, $"cannot open {_endpoint.PortName}: no such device");
        }

        // A pseudo-terminal carries bytes whatever the line settings, but the Linux pty driver forces
        // 8 data bits and clears PARENB: asked for parity (or 7 bits), the settings never stick, and
        // System.IO.Ports refuses the open whenever the baud rate does not change either — the second
        // open of the same pty (a service restarted against a simulator that kept running) fails with
        // "Value does not fall within the expected range". On a pty the port is opened 8N1.
        var pty = IsPseudoTerminal(ResolveDevice());
        var port = new SerialPort(_endpoint.PortName, _endpoint.BaudRate, pty ? Parity.None : ToParity(_endpoint.Parity), pty ? 8 : _endpoint.DataBits, _endpoint.StopBits == 2 ? StopBits.Two : StopBits.One)
        {
            Handshake = Handshake.None,
        };
        try
        {
            port.Open();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            port.Dispose();
            throw new DeviceConnectionException(Name, $"cannot open {_endpoint.PortName}: {ex.Message}", ex);
        }

        _port = port;
        _openedDevice = ResolveDevice();
        _lost = false;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var stream = Stream();
        int n;
        try
        {
            n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException)
        {
            throw Lost($"port lost: {ex.Message}", ex);
        }

        if (n == 0 && !buffer.IsEmpty)
        {
            throw Lost("port closed", null);
        }

        return n;
    }

    /// <inheritdoc />
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        var stream = Stream();
        try
        {
            await stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException)
        {
            throw Lost($"port lost: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public void DiscardInput()
    {
        if (_port is not { } port || _lost)
        {
            return;
        }

        try
        {
            port.DiscardInBuffer();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            _lost = true;
        }
    }

    /// <summary>
    /// Checks that the device opened is still the one at the port's path: a USB adapter pulled out
    /// (the path is gone) or a pseudo-terminal replaced (the link points elsewhere) leaves an open
    /// descriptor that System.IO.Ports reports no error on, only silence. Called by the master after
    /// a timeout; when the device changed the channel is marked lost, so the next open takes the new one.
    /// </summary>
    /// <returns>False when the channel was marked lost.</returns>
    public bool VerifyDevice()
    {
        if (_port is null || _lost)
        {
            return false;
        }

        if (ResolveDevice() == _openedDevice)
        {
            return true;
        }

        _lost = true;
        Close();
        return false;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _disposed = true;
        Close();
        return ValueTask.CompletedTask;
    }

    private string? ResolveDevice()
    {
        try
        {
            var info = new FileInfo(_endpoint.PortName);
            if (!info.Exists && info.LinkTarget is null)
            {
                return null;
            }

            return info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>True for a Unix98 pseudo-terminal slave (/dev/pts/N), the device a simulator's link path resolves to.</summary>
    internal static bool IsPseudoTerminal(string? device) =>
        device is not null && device.StartsWith("/dev/pts/", StringComparison.Ordinal);

    private static Parity ToParity(SerialParity parity) => parity switch
    {
        SerialParity.Odd => Parity.Odd,
        SerialParity.Even => Parity.Even,
        _ => Parity.None,
    };

    private Stream Stream()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_port is not { } port || _lost)
        {
            throw new DeviceConnectionException(Name, "port not open");
        }

        try
        {
            return port.BaseStream;
        }
        catch (InvalidOperationException ex)
        {
            throw Lost($"port lost: {ex.Message}", ex);
        }
    }

    private DeviceConnectionException Lost(string message, Exception? inner)
    {
        _lost = true;
        return new DeviceConnectionException(Name, message, inner);
    }

    private void Close()
    {
        var port = _port;
        _port = null;
        if (port is null)
        {
            return;
        }

        try
        {
            port.Close();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException)
        {
            // The device is already gone; closing what is left cannot fail usefully.
        }

        port.Dispose();
    }
}
