namespace Gateway.Drivers.Channels;

/// <summary>Which code talks to a serial port.</summary>
public enum SerialDriver
{
    /// <summary>Raw termios on Linux (for every standard baud rate it has a constant for), System.IO.Ports elsewhere.</summary>
    Auto,

    /// <summary>
    /// Gateway's own: open(2), raw termios and a thread waiting in poll(2), so a byte is taken the
    /// moment it arrives (Linux only).
    /// </summary>
    Termios,

    /// <summary>
    /// System.IO.Ports: the default on Windows. On Linux its I/O loop waits in 1 ms steps, so each
    /// read costs about a millisecond (docs/benchmarks.md, "modbus").
    /// </summary>
    SystemIOPorts,
}

/// <summary>
/// A serial port as an <see cref="IByteChannel"/>, with the line settings of a <c>serial://</c>
/// endpoint: the one serial transport of Gateway, used by the Modbus RTU master and slave and by
/// the PN532 encoder alike. Re-opened by <see cref="OpenAsync"/> after the port vanished (a USB
/// adapter pulled out).
/// </summary>
/// <remarks>
/// A real serial port is opened for exclusive use (TIOCEXCL, as System.IO.Ports does on Linux); a
/// pseudo-terminal is not, and is opened 8N1 whatever the endpoint says (see <see cref="OpenAsync"/>).
/// RTS and DTR are left alone: their ioctls fail on a pseudo-terminal. Every I/O failure marks the
/// channel lost (System.IO.Ports, for one, reports a vanished device by a write that throws
/// <see cref="ObjectDisposedException"/> while <c>IsOpen</c> still says true) and surfaces as
/// <see cref="DeviceConnectionException"/>; timeouts are the caller's token (System.IO.Ports'
/// <c>BaseStream.ReadAsync</c> ignores <c>ReadTimeout</c>).
/// </remarks>
public sealed class SerialChannel : IByteChannel
{
    private readonly SerialEndpoint _endpoint;
    private ISerialPortDriver? _port;
    private string? _openedDevice;
    private bool _lost;
    private bool _disposed;

    /// <summary>A channel on <paramref name="endpoint"/>'s port with the default driver for this system.</summary>
    public SerialChannel(SerialEndpoint endpoint)
        : this(endpoint, SerialDriver.Auto)
    {
    }

    /// <summary>A channel on <paramref name="endpoint"/>'s port through the chosen driver.</summary>
    /// <exception cref="PlatformNotSupportedException"><see cref="SerialDriver.Termios"/> off Linux.</exception>
    public SerialChannel(SerialEndpoint endpoint, SerialDriver driver)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        _endpoint = endpoint;
        Name = endpoint.ToString();
        Driver = Resolve(driver, endpoint.BaudRate);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The line settings.</summary>
    public SerialEndpoint Endpoint => _endpoint;

    /// <summary>The driver in use: <see cref="SerialDriver.Termios"/> or <see cref="SerialDriver.SystemIOPorts"/>, never Auto.</summary>
    public SerialDriver Driver { get; }

    /// <inheritdoc />
    public bool IsConnected => _port is not null && !_lost && !_disposed;

    /// <summary>Bytes received and not yet read through the termios driver (0 through System.IO.Ports). Tests wait on it.</summary>
    internal int BytesAvailable => OperatingSystem.IsLinux() && _port is TermiosSerialPort termios ? termios.BytesAvailable : 0;

    /// <inheritdoc />
    /// <remarks>
    /// A pseudo-terminal carries bytes whatever the line settings, but the Linux pty driver forces 8
    /// data bits and clears PARENB: asked for parity (or 7 bits) the settings never stick, and
    /// System.IO.Ports refuses the open whenever the baud rate does not change either (the second open
    /// of the same pty, a service restarted against a simulator that kept running, failed with "Value
    /// does not fall within the expected range"). On a pty the port is opened 8N1.
    /// </remarks>
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

        var device = ResolveDevice();
        var pty = IsPseudoTerminal(device);
        try
        {
            _port = Driver == SerialDriver.Termios && OperatingSystem.IsLinux()
                ? TermiosSerialPort.Open(_endpoint, pty)
                : SystemIOSerialPort.Open(_endpoint, pty);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            throw new DeviceConnectionException(Name, $"cannot open {_endpoint.PortName}: {ex.Message}", ex);
        }

        _openedDevice = device;
        _lost = false;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var port = Port();
        int n;
        try
        {
            n = await port.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsPortFailure(ex))
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
        var port = Port();
        try
        {
            await port.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsPortFailure(ex))
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
            port.DiscardInput();
        }
        catch (Exception ex) when (IsPortFailure(ex))
        {
            _lost = true;
        }
    }

    /// <summary>
    /// Checks that the device opened is still the one at the port's path: a USB adapter pulled out
    /// (the path is gone) or a pseudo-terminal replaced (the link points elsewhere) leaves an open
    /// descriptor that may report no error, only silence. Called by the Modbus master after a timeout;
    /// when the device changed the channel is marked lost, so the next open takes the new one.
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

    /// <summary>True for a Unix98 pseudo-terminal slave (/dev/pts/N), the device a simulator's link path resolves to.</summary>
    internal static bool IsPseudoTerminal(string? device) =>
        device is not null && device.StartsWith("/dev/pts/", StringComparison.Ordinal);

    private static SerialDriver Resolve(SerialDriver driver, int baudRate)
    {
        if (driver == SerialDriver.Termios && !OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the termios serial driver needs Linux");
        }

        if (driver != SerialDriver.Auto)
        {
            return driver;
        }

        // termios has no constant for some rates System.IO.Ports accepts (14400): those keep it.
        return OperatingSystem.IsLinux() && TermiosSerialPort.Supports(baudRate) ? SerialDriver.Termios : SerialDriver.SystemIOPorts;
    }

    private static bool IsPortFailure(Exception ex) =>
        ex is IOException or ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException;

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

    private ISerialPortDriver Port()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_port is not { } port || _lost)
        {
            throw new DeviceConnectionException(Name, "port not open");
        }

        return port;
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
        try
        {
            port?.Dispose();
        }
        catch (Exception ex) when (IsPortFailure(ex))
        {
            // The device is already gone; closing what is left cannot fail usefully.
        }
    }
}

/// <summary>One open serial port behind <see cref="SerialChannel"/>. Failures are the platform's exceptions; the channel translates them.</summary>
internal interface ISerialPortDriver : IDisposable
{
    ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken);

    void DiscardInput();
}
