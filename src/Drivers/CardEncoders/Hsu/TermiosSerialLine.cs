using System.Runtime.InteropServices;
using System.Runtime.Versioning;

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
        var fd = Native.open(path, Native.O_RDWR | Native.O_NOCTTY | Native.O_NONBLOCK | Native.O_CLOEXEC);
        if (fd < 0)
        {
            throw Error(path, "open");
        }

        try
        {
            Configure(fd, path);
            _ = Native.tcflush(fd, Native.TCIOFLUSH);
            return new TermiosSerialLine(fd, path);
        }
        catch
        {
            _ = Native.close(fd);
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
                written = Native.write(Fd(), p, (nuint)data.Length);
            }

            if (written < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Native.EINTR)
                {
                    continue;
                }

                if (errno == Native.EAGAIN)
                {
                    Wait(Native.POLLOUT, 100);
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
        if (!Wait(Native.POLLIN, Math.Max(0, timeoutMilliseconds)))
        {
            return 0;
        }

        while (true)
        {
            nint n;
            fixed (byte* p = buffer)
            {
                n = Native.read(Fd(), p, (nuint)buffer.Length);
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
            if (errno == Native.EINTR)
            {
                continue;
            }

            if (errno == Native.EAGAIN)
            {
                return 0;
            }

            throw Error(Path, "read", errno);
        }
    }

    /// <summary>Drops every byte received and not yet read.</summary>
    public void DiscardInput() => _ = Native.tcflush(Fd(), Native.TCIFLUSH);

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = Native.close(fd);
        }
    }

    private static unsafe void Configure(int fd, string path)
    {
        // struct termios on Linux (glibc, x64 and arm64): c_iflag, c_oflag, c_cflag, c_lflag (4 bytes
        // each), c_line, c_cc[32], c_ispeed, c_ospeed: 60 bytes. 256 leaves room.
        var termios = stackalloc byte[256];
        if (Native.tcgetattr(fd, termios) != 0)
        {
            throw Error(path, "tcgetattr");
        }

        Native.cfmakeraw(termios);
        ref var cflag = ref *(uint*)(termios + 8);
        cflag &= ~(Native.CSTOPB | Native.CRTSCTS | Native.PARENB);
        cflag |= Native.CLOCAL | Native.CREAD | Native.CS8;
        if (Native.cfsetspeed(termios, Native.B115200) != 0 || Native.tcsetattr(fd, Native.TCSANOW, termios) != 0)
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
            var pfd = new Native.PollFd { Fd = Fd(), Events = events };
            var remaining = (int)Math.Max(0, deadline - Environment.TickCount64);
            var ready = Native.poll(&pfd, 1, remaining);
            if (ready < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Native.EINTR)
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

            if ((pfd.Revents & (Native.POLLHUP | Native.POLLERR | Native.POLLNVAL)) != 0)
            {
                throw new IOException($"{Path}: the device hung up");
            }
        }
    }

    private static unsafe partial class Native
    {
        public const int O_RDWR = 2;
        public const int O_NOCTTY = 0x100;
        public const int O_NONBLOCK = 0x800;
        public const int O_CLOEXEC = 0x80000;
        public const int TCSANOW = 0;
        public const int TCIFLUSH = 0;
        public const int TCIOFLUSH = 2;
        public const uint B115200 = 0x1002;
        public const uint CS8 = 0x30;
        public const uint CSTOPB = 0x40;
        public const uint CREAD = 0x80;
        public const uint PARENB = 0x100;
        public const uint CLOCAL = 0x800;
        public const uint CRTSCTS = 0x80000000;
        public const short POLLIN = 0x1;
        public const short POLLOUT = 0x4;
        public const short POLLERR = 0x8;
        public const short POLLHUP = 0x10;
        public const short POLLNVAL = 0x20;
        public const int EINTR = 4;
        public const int EAGAIN = 11;

        [StructLayout(LayoutKind.Sequential)]
        public struct PollFd
        {
            public int Fd;
            public short Events;
            public short Revents;
        }

        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern nint read(int fd, byte* buf, nuint count);

        [DllImport("libc", SetLastError = true)]
        public static extern nint write(int fd, byte* buf, nuint count);

        [DllImport("libc", SetLastError = true)]
        public static extern int poll(PollFd* fds, nuint nfds, int timeout);

        [DllImport("libc", SetLastError = true)]
        public static extern int tcgetattr(int fd, byte* termios);

        [DllImport("libc", SetLastError = true)]
        public static extern int tcsetattr(int fd, int optionalActions, byte* termios);

        [DllImport("libc")]
        public static extern void cfmakeraw(byte* termios);

        [DllImport("libc", SetLastError = true)]
        public static extern int cfsetspeed(byte* termios, uint speed);

        [DllImport("libc", SetLastError = true)]
        public static extern int tcflush(int fd, int queueSelector);
    }
}
