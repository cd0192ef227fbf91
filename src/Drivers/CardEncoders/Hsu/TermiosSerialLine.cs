using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Gateway.Drivers.Channels;

namespace Gateway.Drivers.CardEncoders.Hsu;

/// <summary>
/// A serial port (or a pseudo-terminal's slave) opened with open(2) and set up with termios: raw,
/// 115200 8N1, no flow control. Reads wait in poll(2) for exactly as long as the caller allows, so
/// a reply is taken the moment it arrives: System.IO.Ports on Linux hands every read to an I/O
/// thread that sleeps 1 ms between rounds, which costs about 1 ms per read call.
/// </summary>
/// <remarks>
/// Synchronous on purpose: it is used only by the encoder's own worker thread. I/O failures surface
/// as <see cref="IOException"/> (the device vanished, the pseudo-terminal's far end closed).
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class TermiosSerialLine : IDisposable
{
    private int _fd;

    private TermiosSerialLine(int fd, string path)
    {
        _fd = fd;
        Path = path;
    }

    public string Path { get; }

    /// <exception cref="IOException">The device cannot be opened or configured.</exception>
    public static TermiosSerialLine Open(string path)
    {
        var fd = LibC.open(path, LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            throw Error(path, "open");
        }

        try
        {
            Configure(fd, path);
            _ = LibC.tcflush(fd, LibC.TCIOFLUSH);
            return new TermiosSerialLine(fd, path);
        }
        catch
        {
            _ = LibC.close(fd);
            throw;
        }
    }

    /// <summary>Writes every byte.</summary>
    /// <exception cref="IOException">The device is gone.</exception>
    public unsafe void Write(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            nint written;
            fixed (byte* p = data)
            {
                written = LibC.write(Fd(), p, (nuint)data.Length);
            }

            if (written < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EINTR)
                {
                    continue;
                }

                if (errno == LibC.EAGAIN)
                {
                    Wait(LibC.POLLOUT, 100);
                    continue;
                }

                throw Error(Path, "write", errno);
            }

            data = data[(int)written..];
        }
    }

    /// <summary>Reads what is there, waiting at most <paramref name="timeoutMilliseconds"/> for a first byte.</summary>
    /// <returns>The bytes read; 0 when nothing came in time.</returns>
    /// <exception cref="IOException">The device is gone or its far end closed.</exception>
    public unsafe int Read(Span<byte> buffer, int timeoutMilliseconds)
    {
        if (!Wait(LibC.POLLIN, Math.Max(0, timeoutMilliseconds)))
        {
            return 0;
        }

        while (true)
        {
            nint n;
            fixed (byte* p = buffer)
            {
                n = LibC.read(Fd(), p, (nuint)buffer.Length);
            }

            if (n > 0)
            {
                return (int)n;
            }

            if (n == 0)
            {
                throw new IOException($"{Path}: the device closed");
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.EINTR)
            {
                continue;
            }

            if (errno == LibC.EAGAIN)
            {
                return 0;
            }

            throw Error(Path, "read", errno);
        }
    }

    /// <summary>Bytes received and not yet read (FIONREAD).</summary>
    public int BytesAvailable => LibC.ioctl(Fd(), LibC.FIONREAD, out var n) == 0 ? n : 0;

    /// <summary>Drops every byte received and not yet read.</summary>
    public void DiscardInput() => _ = LibC.tcflush(Fd(), LibC.TCIFLUSH);

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = LibC.close(fd);
        }
    }

    private static unsafe void Configure(int fd, string path)
    {
        // struct termios on Linux (glibc, x64 and arm64): c_iflag, c_oflag, c_cflag, c_lflag (4 bytes
        // each), c_line, c_cc[32], c_ispeed, c_ospeed: 60 bytes. 256 leaves room.
        var termios = stackalloc byte[256];
        if (LibC.tcgetattr(fd, termios) != 0)
        {
            throw Error(path, "tcgetattr");
        }

        LibC.cfmakeraw(termios);
        ref var cflag = ref *(uint*)(termios + 8);
        cflag &= ~(LibC.CSTOPB | LibC.CRTSCTS | LibC.PARENB);
        cflag |= LibC.CLOCAL | LibC.CREAD | LibC.CS8;
        if (LibC.cfsetspeed(termios, LibC.B115200) != 0 || LibC.tcsetattr(fd, LibC.TCSANOW, termios) != 0)
        {
            throw Error(path, "tcsetattr");
        }
    }

    private static IOException Error(string path, string call, int? errno = null)
    {
        var code = errno ?? Marshal.GetLastPInvokeError();
        return new IOException($"{path}: {call} failed: {Marshal.GetPInvokeErrorMessage(code)} (errno {code})");
    }

    private int Fd()
    {
        var fd = _fd;
        ObjectDisposedException.ThrowIf(fd < 0, this);
        return fd;
    }

    // True when the descriptor is ready for `events`; false on timeout.
    private unsafe bool Wait(short events, int timeoutMilliseconds)
    {
        var deadline = Environment.TickCount64 + timeoutMilliseconds;
        while (true)
        {
            var pfd = new LibC.PollFd { Fd = Fd(), Events = events };
            var remaining = (int)Math.Max(0, deadline - Environment.TickCount64);
            var ready = LibC.poll(&pfd, 1, remaining);
            if (ready < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EINTR)
                {
                    continue;
                }

                throw Error(Path, "poll", errno);
            }

            if (ready == 0)
            {
                return false;
            }

            if ((pfd.Revents & events) != 0)
            {
                return true;
            }

            if ((pfd.Revents & (LibC.POLLHUP | LibC.POLLERR | LibC.POLLNVAL)) != 0)
            {
                throw new IOException($"{Path}: the device hung up");
            }
        }
    }
}
