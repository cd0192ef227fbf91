using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;

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
    private readonly int _masterFd;
    private readonly int _slaveFd;
    private readonly DescriptorStream _master;
    private volatile bool _disposed;

    private PseudoTerminal(int masterFd, int slaveFd, string slavePath, string? linkPath)
    {
        _masterFd = masterFd;
        _slaveFd = slaveFd;
        SlavePath = slavePath;
        LinkPath = linkPath;
        _master = new DescriptorStream(masterFd, slavePath);
    }

    /// <summary>The slave device, e.g. /dev/pts/7.</summary>
    public string SlavePath { get; }

    /// <summary>The symlink that points at <see cref="SlavePath"/>, when one was requested.</summary>
    public string? LinkPath { get; }

    /// <inheritdoc />
    public string Name => LinkPath ?? SlavePath;

    /// <inheritdoc />
    public bool IsConnected => !_disposed;

    /// <summary>Bytes that arrived on the master side and wait to be read (tests wait for input to arrive).</summary>
    internal int BytesAvailable => _master.BytesAvailable;

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

            // DescriptorStream reads what is there and waits in poll(2) otherwise: a read must never block.
            var flags = LibC.fcntl(master, LibC.F_GETFL, 0);
            if (flags < 0 || LibC.fcntl(master, LibC.F_SETFL, flags | LibC.O_NONBLOCK) != 0)
            {
                throw Error(slavePath, "fcntl O_NONBLOCK");
            }

            if (linkPath is not null)
            {
                Publish(slavePath, linkPath);
            }

            return new PseudoTerminal(master, slave, slavePath, linkPath);
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
        try
        {
            return await _master.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new DeviceConnectionException(Name, "pseudo-terminal closed", ex);
        }
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            _master.Write(buffer.Span, cancellationToken);
        }
        catch (IOException ex)
        {
            throw new DeviceConnectionException(Name, $"write to pseudo-terminal failed: {ex.Message}", ex);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void DiscardInput() => _master.DiscardInput();

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
        _master.Dispose();
        _ = LibC.close(_slaveFd);
        _ = LibC.close(_masterFd);
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
