using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Gateway.Drivers.Channels;

/// <summary>
/// A serial port opened with open(2) and set up with termios (<see cref="SerialDriver.Termios"/>):
/// raw mode, the endpoint's baud rate, data bits, parity and stop bits, no flow control. Its
/// <see cref="DescriptorStream"/> waits in poll(2), so a reply is taken the moment it arrives.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class TermiosSerialPort : ISerialPortDriver
{
    private readonly int _fd;
    private readonly bool _exclusive;
    private readonly DescriptorStream _stream;
    private int _disposed;

    private TermiosSerialPort(int fd, bool exclusive, DescriptorStream stream)
    {
        _fd = fd;
        _exclusive = exclusive;
        _stream = stream;
    }

    /// <summary>True when termios has a speed constant for <paramref name="baudRate"/>.</summary>
    public static bool Supports(int baudRate) => Speed(baudRate) is not null;

    /// <param name="endpoint">Port and line settings.</param>
    /// <param name="pty">
    /// A pseudo-terminal: opened 8N1, and not exclusively (a simulator holds its slave side open for
    /// good, so an exclusive flag would outlive this client and lock out the next one).
    /// </param>
    /// <exception cref="IOException">The device cannot be opened, is in use, or refuses the settings.</exception>
    public static TermiosSerialPort Open(SerialEndpoint endpoint, bool pty)
    {
        var path = endpoint.PortName;
        var speed = Speed(endpoint.BaudRate) ?? throw new IOException($"{path}: termios has no constant for {endpoint.BaudRate} baud");
        var fd = LibC.open(path, LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            throw Error(path, "open");
        }

        var exclusive = false;
        try
        {
            if (!pty)
            {
                if (LibC.ioctl(fd, LibC.TIOCEXCL) != 0)
                {
                    throw Error(path, "TIOCEXCL (exclusive use)");
                }

                exclusive = true;
            }

            Configure(fd, path, speed, pty ? endpoint with { Parity = SerialParity.None, DataBits = 8, StopBits = 1 } : endpoint);
            _ = LibC.tcflush(fd, LibC.TCIOFLUSH);
            return new TermiosSerialPort(fd, exclusive, new DescriptorStream(fd, path));
        }
        catch
        {
            if (exclusive)
            {
                _ = LibC.ioctl(fd, LibC.TIOCNXCL);
            }

            _ = LibC.close(fd);
            throw;
        }
    }

    /// <summary>Bytes received and not yet read.</summary>
    public int BytesAvailable => _stream.BytesAvailable;

    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _stream.ReadAsync(buffer, cancellationToken);

    public ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        _stream.Write(buffer.Span, cancellationToken);
        return ValueTask.CompletedTask;
    }

    public void DiscardInput() => _stream.DiscardInput();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stream.Dispose();
        if (_exclusive)
        {
            _ = LibC.ioctl(_fd, LibC.TIOCNXCL);
        }

        _ = LibC.close(_fd);
    }

    // The Bxxx constants of Linux's termios-baud.h (the same on x86-64 and arm64).
    private static uint? Speed(int baudRate) => baudRate switch
    {
        1200 => 0x9,
        2400 => 0xB,
        4800 => 0xC,
        9600 => 0xD,
        19200 => 0xE,
        38400 => 0xF,
        57600 => 0x1001,
        115200 => 0x1002,
        230400 => 0x1003,
        460800 => 0x1004,
        921600 => 0x1007,
        _ => null,
    };

    private static unsafe void Configure(int fd, string path, uint speed, SerialEndpoint line)
    {
        // struct termios on Linux (glibc, x86-64 and arm64): c_iflag, c_oflag, c_cflag, c_lflag (4
        // bytes each), c_line, c_cc[32], c_ispeed, c_ospeed: 60 bytes. 256 leaves room.
        var termios = stackalloc byte[256];
        if (LibC.tcgetattr(fd, termios) != 0)
        {
            throw Error(path, "tcgetattr");
        }

        LibC.cfmakeraw(termios);
        ref var cflag = ref *(uint*)(termios + 8);
        cflag &= ~(LibC.CSIZE | LibC.CSTOPB | LibC.PARENB | LibC.PARODD | LibC.CRTSCTS);
        cflag |= LibC.CLOCAL | LibC.CREAD | (line.DataBits == 7 ? LibC.CS7 : LibC.CS8);
        if (line.StopBits == 2)
        {
            cflag |= LibC.CSTOPB;
        }

        if (line.Parity != SerialParity.None)
        {
            cflag |= LibC.PARENB | (line.Parity == SerialParity.Odd ? LibC.PARODD : 0);
        }

        if (LibC.cfsetspeed(termios, speed) != 0 || LibC.tcsetattr(fd, LibC.TCSANOW, termios) != 0)
        {
            throw Error(path, "tcsetattr");
        }
    }

    private static IOException Error(string path, string call)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{path}: {call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }
}
