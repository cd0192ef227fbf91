using System.Runtime.InteropServices;

namespace Gateway.Drivers.Channels;

/// <summary>
/// The Linux libc calls and constants (x86-64/arm64 glibc values) that the pseudo-terminal and the
/// termios serial driver use: raw termios, non-blocking read/write and poll(2) on a file descriptor.
/// </summary>
internal static unsafe class LibC
{
    public const int O_RDWR = 2;
    public const int O_NOCTTY = 0x100;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const int TCSANOW = 0;
    public const int TCIFLUSH = 0;
    public const int TCIOFLUSH = 2;
    public const uint CSIZE = 0x30;
    public const uint CS7 = 0x20;
    public const uint CS8 = 0x30;
    public const uint CSTOPB = 0x40;
    public const uint CREAD = 0x80;
    public const uint PARENB = 0x100;
    public const uint PARODD = 0x200;
    public const uint CLOCAL = 0x800;
    public const uint CRTSCTS = 0x80000000;
    public const short POLLOUT = 0x4;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;
    public const short POLLNVAL = 0x20;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const nuint FIONREAD = 0x541B;
    public const nuint TIOCEXCL = 0x540C;
    public const nuint TIOCNXCL = 0x540D;
    public const uint EPOLLIN = 0x1;
    public const uint EPOLLERR = 0x8;
    public const uint EPOLLHUP = 0x10;
    public const uint EPOLLET = 0x80000000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;

    /// <summary>
    /// sizeof(struct epoll_event): uint32 events then uint64 data, packed to 12 bytes on x86-64 (the
    /// kernel's EPOLL_PACKED), 16 with the data at offset 8 elsewhere (arm64).
    /// </summary>
    public static int EpollEventSize => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    /// <summary>Offset of the data field in struct epoll_event.</summary>
    public static int EpollDataOffset => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

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
    public static extern int epoll_create1(int flags);

    // ev: a struct epoll_event, see EpollEventSize.
    [DllImport("libc", SetLastError = true)]
    public static extern int epoll_ctl(int epfd, int op, int fd, byte* ev);

    [DllImport("libc", SetLastError = true)]
    public static extern int epoll_wait(int epfd, byte* events, int maxEvents, int timeout);

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

    [DllImport("libc", SetLastError = true)]
    public static extern int ioctl(int fd, nuint request, out int argument);

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static extern int ioctl(int fd, nuint request);

    [DllImport("libc", SetLastError = true)]
    public static extern int fcntl(int fd, int command, int argument);

    [DllImport("libc", SetLastError = true)]
    public static extern int posix_openpt(int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int grantpt(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern int unlockpt(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern int ptsname_r(int fd, byte* buf, nuint buflen);

    [DllImport("libc", SetLastError = true)]
    public static extern int pipe2(int* fds, int flags);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    public static extern int rename([MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);
}
