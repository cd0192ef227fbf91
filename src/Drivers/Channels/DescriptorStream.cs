using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Gateway.Drivers.Channels;

/// <summary>
/// Asynchronous reads and writes on one non-blocking terminal descriptor (a serial port, either side
/// of a pseudo-terminal). A read takes what is already there at once; otherwise it waits for a thread
/// of this stream's own, parked in epoll_wait(2) on the descriptor (edge-triggered), to see new bytes
/// arrive — no polling interval, so a reply is taken the moment it arrives. Used by
/// <see cref="PseudoTerminal"/> and by <see cref="SerialChannel"/>'s termios driver.
/// </summary>
/// <remarks>
/// Bytes stay in the kernel's queue until a read asks for them: an open but idle port consumes
/// nothing (another program on the same pseudo-terminal sees every byte meant for it), and
/// <see cref="DiscardInput"/> is a plain flush with nothing of ours to race. The descriptor stays the
/// owner's: this class neither opens nor closes it. One reader at a time (the protocol layer); writes
/// may come from any thread. Errors are <see cref="IOException"/>s naming the device; the owner
/// translates them.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class DescriptorStream : IDisposable
{
    private const ulong DeviceEvent = 0;
    private const ulong WakeEvent = 1;
    private readonly int _fd;
    private readonly string _device;
    private readonly int _epollFd;
    private readonly int _wakeReadFd;
    private readonly int _wakeWriteFd;
    private readonly Thread _poller;
    private readonly object _sync = new();
    private readonly object _writeLock = new();
    private TaskCompletionSource? _waiter;
    private volatile bool _stopping;

    /// <param name="fd">A descriptor in non-blocking mode (O_NONBLOCK).</param>
    /// <param name="device">The device path, for errors.</param>
    /// <exception cref="IOException">The wake-up pipe could not be created.</exception>
    public unsafe DescriptorStream(int fd, string device)
    {
        _fd = fd;
        _device = device;
        var pipe = stackalloc int[2];
        if (LibC.pipe2(pipe, LibC.O_NONBLOCK | LibC.O_CLOEXEC) != 0)
        {
            throw Error(device, "pipe2");
        }

        _wakeReadFd = pipe[0];
        _wakeWriteFd = pipe[1];
        _epollFd = LibC.epoll_create1(LibC.O_CLOEXEC);
        try
        {
            if (_epollFd < 0)
            {
                throw Error(device, "epoll_create1");
            }

            // Edge-triggered on the device: one event per arrival of bytes, whether or not anyone reads
            // them, so that bytes nobody asked for do not keep the thread spinning.
            Register(_fd, LibC.EPOLLIN | LibC.EPOLLET, DeviceEvent, device);
            Register(_wakeReadFd, LibC.EPOLLIN, WakeEvent, device);
        }
        catch
        {
            if (_epollFd >= 0)
            {
                _ = LibC.close(_epollFd);
            }

            _ = LibC.close(_wakeReadFd);
            _ = LibC.close(_wakeWriteFd);
            throw;
        }

        _poller = new Thread(PollLoop) { IsBackground = true, Name = $"tty-poll {device}" };
        _poller.Start();
    }

    /// <summary>Bytes received by the device and not yet read (FIONREAD).</summary>
    public int BytesAvailable => LibC.ioctl(_fd, LibC.FIONREAD, out var n) == 0 ? n : 0;

    /// <summary>Reads at least one byte, waiting as long as the token allows.</summary>
    /// <exception cref="IOException">The device hung up, failed or was closed.</exception>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            var n = TryRead(buffer.Span);
            if (n > 0)
            {
                return n;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var waiter = Arm();

            // Bytes that arrived between the read above and the arming raised their event before
            // anyone waited: look once more.
            n = TryRead(buffer.Span);
            if (n > 0)
            {
                Disarm(waiter);
                return n;
            }

            using (cancellationToken.UnsafeRegister(static (state, token) => ((TaskCompletionSource)state!).TrySetCanceled(token), waiter))
            {
                await waiter.Task.ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes every byte, waiting in poll(2) while the output queue is full.</summary>
    /// <exception cref="IOException">The device is gone.</exception>
    public unsafe void Write(ReadOnlySpan<byte> data, CancellationToken cancellationToken)
    {
        lock (_writeLock)
        {
            while (!data.IsEmpty)
            {
                ObjectDisposedException.ThrowIf(_stopping, this);
                nint written;
                fixed (byte* p = data)
                {
                    written = LibC.write(_fd, p, (nuint)data.Length);
                }

                if (written >= 0)
                {
                    data = data[(int)written..];
                    continue;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EINTR)
                {
                    continue;
                }

                if (errno != LibC.EAGAIN)
                {
                    throw Error(_device, "write", errno);
                }

                // Output queue full (a slow line, flow control): wait for room in short slices so
                // that cancellation is seen.
                cancellationToken.ThrowIfCancellationRequested();
                var pfd = new LibC.PollFd { Fd = _fd, Events = LibC.POLLOUT };
                _ = LibC.poll(&pfd, 1, 50);
                if ((pfd.Revents & (LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL)) != 0)
                {
                    throw new IOException($"{_device}: the device hung up");
                }
            }
        }
    }

    /// <summary>Drops every byte received and not yet read.</summary>
    public void DiscardInput() => _ = LibC.tcflush(_fd, LibC.TCIFLUSH);

    /// <summary>Stops the poll thread and fails a read in progress; the descriptor itself stays open (the owner closes it).</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        Wake();
        if (Thread.CurrentThread != _poller)
        {
            // Disposed from a reader's continuation, the poll thread ends by itself after this returns.
            _poller.Join(TimeSpan.FromSeconds(2));
        }

        _ = LibC.close(_epollFd);
        _ = LibC.close(_wakeWriteFd);
        _ = LibC.close(_wakeReadFd);
        lock (_sync)
        {
            _waiter?.TrySetException(new IOException($"{_device}: closed"));
            _waiter = null;
        }
    }

    private static IOException Error(string device, string call, int? errno = null)
    {
        var code = errno ?? Marshal.GetLastPInvokeError();
        return new IOException($"{device}: {call} failed: {Marshal.GetPInvokeErrorMessage(code)} (errno {code})");
    }

    // What is there now: > 0 bytes read, 0 when the read would block.
    private unsafe int TryRead(Span<byte> buffer)
    {
        while (true)
        {
            if (_stopping)
            {
                throw new IOException($"{_device}: closed");
            }

            nint n;
            fixed (byte* p = buffer)
            {
                n = LibC.read(_fd, p, (nuint)buffer.Length);
            }

            if (n > 0)
            {
                return (int)n;
            }

            if (n == 0)
            {
                // End of file: the far side of a pseudo-terminal closed.
                throw new IOException($"{_device}: the device closed");
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

            // EIO: the device hung up (a USB adapter pulled out, the master of a pty closed).
            throw Error(_device, "read", errno);
        }
    }

    // A waiter the poll thread completes when bytes arrive (or the device hangs up).
    private TaskCompletionSource Arm()
    {
        lock (_sync)
        {
            if (_stopping)
            {
                throw new IOException($"{_device}: closed");
            }

            if (_waiter is null || _waiter.Task.IsCompleted)
            {
                // Completed by the poll thread without RunContinuationsAsynchronously: the reader goes on
                // right there (read, decode, send the next request) instead of waiting for a thread-pool
                // thread, which on a loaded 2-core machine is most of a round trip. The poll thread has
                // nothing else to do meanwhile: it only ever serves this reader.
                _waiter = new TaskCompletionSource();
            }

            return _waiter;
        }
    }

    private void Disarm(TaskCompletionSource waiter)
    {
        lock (_sync)
        {
            if (_waiter == waiter)
            {
                _waiter = null;
            }
        }
    }

    private unsafe void Wake()
    {
        byte b = 1;
        _ = LibC.write(_wakeWriteFd, &b, 1);
    }

    private unsafe void Register(int fd, uint events, ulong data, string device)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + LibC.EpollDataOffset) = data;
        if (LibC.epoll_ctl(_epollFd, LibC.EPOLL_CTL_ADD, fd, ev) != 0)
        {
            throw Error(device, "epoll_ctl");
        }
    }

    private unsafe void PollLoop()
    {
        var size = LibC.EpollEventSize;
        var events = stackalloc byte[2 * 16];
        var drain = stackalloc byte[64];
        var none = stackalloc byte[16];
        var hungUp = false;
        while (!_stopping)
        {
            var n = LibC.epoll_wait(_epollFd, events, 2, -1);
            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == LibC.EINTR)
                {
                    continue;
                }

                // epoll itself failed: let a waiting reader read and meet whatever is wrong.
                Complete();
                Thread.Sleep(10);
                continue;
            }

            for (var i = 0; i < n; i++)
            {
                var ev = events + (i * size);
                if (*(ulong*)(ev + LibC.EpollDataOffset) == WakeEvent)
                {
                    while (LibC.read(_wakeReadFd, drain, 64) > 0)
                    {
                    }

                    continue;
                }

                if (!hungUp && (*(uint*)ev & (LibC.EPOLLHUP | LibC.EPOLLERR)) != 0)
                {
                    // A hang-up stays: stop watching, or it would be reported without end. Every read
                    // from now on fails at once by itself.
                    hungUp = true;
                    _ = LibC.epoll_ctl(_epollFd, LibC.EPOLL_CTL_DEL, _fd, none);
                }

                Complete();
            }
        }
    }

    // Bytes arrived (or the device hung up): the reader waiting, if any, goes on and finds out which.
    private void Complete()
    {
        TaskCompletionSource? waiter;
        lock (_sync)
        {
            waiter = _waiter;
            _waiter = null;
        }

        waiter?.TrySetResult();
    }
}
