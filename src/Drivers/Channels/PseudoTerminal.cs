using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using System.Threading.Channels;

namespace Gateway.Drivers.Channels;

/// <summary>
/// A pseudo-terminal pair created by this process (posix_openpt, grantpt, unlockpt, ptsname) and
/// published at a link path, so that a simulator looks like a serial device to any client without
/// socat. The master side is this object's <see cref="IByteChannel"/>; clients open the slave
/// through <see cref="LinkPath"/> as if it were /dev/ttyUSB0.
/// </summary>
/// <remarks>
/// Field notes this class follows: the slave is put in raw mode, or the line discipline would echo
/// and translate bytes; one descriptor of the slave stays open here, or reads on the master fail
/// with EIO whenever no client has the port open; the link is replaced atomically (symlink to a
/// temporary name, then rename). A pty ignores baud, parity and stop bits and transfers instantly.
/// </remarks>
[SupportedOSPlatform("linux")]
public sealed class PseudoTerminal : IByteChannel
{
    private const int ReadChunk = 4096;
    private readonly int _masterFd;
    private readonly int _slaveFd;
    private readonly int _wakeReadFd;
    private readonly int _wakeWriteFd;
    private readonly Thread _reader;
    private readonly Channel<byte[]> _chunks = System.Threading.Channels.Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly object _writeLock = new();
    private ReadOnlyMemory<byte> _leftover;
    private long _received;
    private volatile bool _disposed;

    private PseudoTerminal(int masterFd, int slaveFd, int wakeReadFd, int wakeWriteFd, string slavePath, string? linkPath)
    {
        _masterFd = masterFd;
        _slaveFd = slaveFd;
        _wakeReadFd = wakeReadFd;
        _wakeWriteFd = wakeWriteFd;
        SlavePath = slavePath;
        LinkPath = linkPath;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"pty-reader {slavePath}" };
        _reader.Start();
    }

    /// <summary>The slave device, e.g. /dev/pts/7.</summary>
    public string SlavePath { get; }

    /// <summary>The symlink that points at <see cref="SlavePath"/>, when one was requested.</summary>
    public string? LinkPath { get; }

    /// <inheritdoc />
    public string Name => LinkPath ?? SlavePath;

    /// <inheritdoc />
    public bool IsConnected => !_disposed;

    /// <summary>Bytes taken off the master side so far (read or still waiting to be read), for tests that wait for input to arrive.</summary>
    internal long ReceivedByteCount => Interlocked.Read(ref _received);

    /// <summary>
    /// Creates a pseudo-terminal pair and, when <paramref name="linkPath"/> is given, publishes
    /// the slave there (replacing an existing link atomically).
    /// </summary>
    /// <exception cref="DeviceConnectionException">The system refused to create the pair or the link.</exception>
    public static PseudoTerminal Create(string? linkPath = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("pseudo-terminals are created on Linux only");
        }

        var master = LibC.posix_openpt(LibC.O_RDWR | LibC.O_NOCTTY);
        if (master < 0)
        {
            throw Error(linkPath ?? "pty", "posix_openpt");
        }

        var slave = -1;
        try
        {
            if (LibC.grantpt(master) != 0)
            {
                throw Error(linkPath ?? "pty", "grantpt");
            }

            if (LibC.unlockpt(master) != 0)
            {
                throw Error(linkPath ?? "pty", "unlockpt");
            }

            var slavePath = SlaveName(master, linkPath);
            slave = LibC.open(slavePath, LibC.O_RDWR | LibC.O_NOCTTY);
            if (slave < 0)
            {
                throw Error(slavePath, "open slave");
            }

            MakeRaw(slave, slavePath);
            MakeRaw(master, slavePath);

            Span<int> pipe = stackalloc int[2];
            unsafe
            {
                fixed (int* p = pipe)
                {
                    if (LibC.pipe(p) != 0)
                    {
                        throw Error(slavePath, "pipe");
                    }
                }
            }

            if (linkPath is not null)
            {
                Publish(slavePath, linkPath);
            }

            return new PseudoTerminal(master, slave, pipe[0], pipe[1], slavePath, linkPath);
        }
        catch
        {
            if (slave >= 0)
            {
                _ = LibC.close(slave);
            }

            _ = LibC.close(master);
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_leftover.IsEmpty)
        {
            try
            {
                _leftover = await _chunks.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException ex)
            {
                throw new DeviceConnectionException(Name, "pseudo-terminal closed", ex);
            }
        }

        var n = Math.Min(buffer.Length, _leftover.Length);
        _leftover[..n].CopyTo(buffer);
        _leftover = _leftover[n..];
        return n;
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_writeLock)
        {
            var span = buffer.Span;
            while (!span.IsEmpty)
            {
                nint written;
                unsafe
                {
                    fixed (byte* p = span)
                    {
                        written = LibC.write(_masterFd, p, (nuint)span.Length);
                    }
                }

                if (written < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EINTR || errno == LibC.EAGAIN)
                    {
                        continue;
                    }

                    throw new DeviceConnectionException(Name, $"write to pseudo-terminal failed: {Marshal.GetPInvokeErrorMessage(errno)}");
                }

                span = span[(int)written..];
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void DiscardInput()
    {
        _ = LibC.tcflush(_masterFd, LibC.TCIFLUSH);
        _leftover = ReadOnlyMemory<byte>.Empty;
        while (_chunks.Reader.TryRead(out _))
        {
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes both sides and removes the published link if it still points at this pair.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        unsafe
        {
            byte b = 1;
            _ = LibC.write(_wakeWriteFd, &b, 1);
        }

        _reader.Join(TimeSpan.FromSeconds(2));
        _ = LibC.close(_wakeWriteFd);
        _ = LibC.close(_wakeReadFd);
        _ = LibC.close(_slaveFd);
        _ = LibC.close(_masterFd);
        _chunks.Writer.TryComplete();
        if (LinkPath is not null)
        {
            try
            {
                var info = new FileInfo(LinkPath);
                if (info.LinkTarget == SlavePath)
                {
                    info.Delete();
                }
            }
            catch (IOException)
            {
                // The link was replaced or removed by someone else: nothing of ours to clean.
            }
        }
    }

    private unsafe void ReadLoop()
    {
        var buffer = new byte[ReadChunk];
        var fds = stackalloc LibC.PollFd[2];
        while (!_disposed)
        {
            fds[0] = new LibC.PollFd { Fd = _masterFd, Events = LibC.POLLIN };
            fds[1] = new LibC.PollFd { Fd = _wakeReadFd, Events = LibC.POLLIN };
            var ready = LibC.poll(fds, 2, -1);
            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() == LibC.EINTR)
                {
                    continue;
                }

                break;
            }

            if (fds[1].Revents != 0 || _disposed)
            {
                break;
            }

            if ((fds[0].Revents & (LibC.POLLIN | LibC.POLLHUP | LibC.POLLERR)) == 0)
            {
                continue;
            }

            nint n;
            fixed (byte* p = buffer)
            {
                n = LibC.read(_masterFd, p, (nuint)buffer.Length);
            }

            if (n > 0)
            {
                _chunks.Writer.TryWrite(buffer.AsSpan(0, (int)n).ToArray());
                Interlocked.Add(ref _received, n);
            }
            else if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno is LibC.EINTR or LibC.EAGAIN)
                {
                    continue;
                }

                // EIO cannot happen while we hold the slave open; anything else ends the channel.
                break;
            }
        }

        _chunks.Writer.TryComplete();
    }

    private static unsafe string SlaveName(int master, string? linkPath)
    {
        var name = stackalloc byte[256];
        if (LibC.ptsname_r(master, name, 256) != 0)
        {
            throw Error(linkPath ?? "pty", "ptsname_r");
        }

        return Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(name));
    }

    private static unsafe void MakeRaw(int fd, string device)
    {
        // struct termios is 60 bytes on Linux (glibc, x64 and arm64); 256 leaves room on any ABI.
        var termios = stackalloc byte[256];
        if (LibC.tcgetattr(fd, termios) != 0)
        {
            throw Error(device, "tcgetattr");
        }

        LibC.cfmakeraw(termios);
        if (LibC.tcsetattr(fd, LibC.TCSANOW, termios) != 0)
        {
            throw Error(device, "tcsetattr");
        }
    }

    private static void Publish(string slavePath, string linkPath)
    {
        var full = Path.GetFullPath(linkPath);
        var directory = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var temp = $"{full}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.CreateSymbolicLink(temp, slavePath);
        if (LibC.rename(temp, full) != 0)
        {
            var error = Error(linkPath, "rename link");
            File.Delete(temp);
            throw error;
        }
    }

    private static DeviceConnectionException Error(string device, string call)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new DeviceConnectionException(device, $"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }
}
