using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Gateway.Drivers.Modbus;

/// <summary>Settings of a <see cref="ModbusSlave"/>.</summary>
public sealed class ModbusSlaveOptions
{
    /// <summary>
    /// Line-rate emulation: when set, each exchange takes the time its bytes would take on a real
    /// line at this baud rate (11 bits per character: start, 8 data, parity, stop), plus the t3.5
    /// gap, before the reply is written. A pseudo-terminal or loopback socket transfers instantly
    /// whatever baud is set, so without this timing figures mean nothing. Null: no emulation.
    /// </summary>
    public int? EmulatedBaudRate { get; set; }

    /// <summary>
    /// RTU only: the silence after which an incomplete frame is dropped and after which the line is
    /// trusted again following garbage. Null: 3.5 characters at the line's baud rate, no less than
    /// 5 ms (20 ms for RTU over TCP, which delivers in bursts).
    /// </summary>
    public TimeSpan? ResyncSilence { get; set; }

    /// <summary>Where connections, corrupt frames and (at Trace) frames are logged. Null: nowhere.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a setting that cannot work.</summary>
    public void Validate()
    {
        if (EmulatedBaudRate is { } baud && (baud < 300 || baud > 4_000_000))
        {
            throw new ArgumentOutOfRangeException(nameof(EmulatedBaudRate), baud, "must be 300-4000000");
        }

        if (ResyncSilence is { } silence && silence <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ResyncSilence), silence, "must be positive");
        }
    }
}

/// <summary>
/// Counters of a <see cref="ModbusSlave"/>, readable at any time from any thread, so a benchmark can
/// compute what the line carried independently of the master.
/// </summary>
public sealed class ModbusSlaveStatistics
{
    private long _bytesReceived;
    private long _bytesSent;
    private long _framesReceived;
    private long _framesSent;
    private long _corruptFrames;
    private long _exceptionsSent;
    private long _ignoredFrames;
    private long _emulatedTicks;

    /// <summary>Bytes read from every client or line.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Bytes written, replies only.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Well-formed request frames, for any unit (including broadcasts and other units' requests on RTU).</summary>
    public long FramesReceived => Interlocked.Read(ref _framesReceived);

    /// <summary>Reply frames written (exception replies included).</summary>
    public long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>Frames dropped as corrupt: CRC mismatch, unknown function, impossible length, incomplete.</summary>
    public long CorruptFrames => Interlocked.Read(ref _corruptFrames);

    /// <summary>Exception replies among <see cref="FramesSent"/>.</summary>
    public long ExceptionsSent => Interlocked.Read(ref _exceptionsSent);

    /// <summary>Frames not answered by design: other units' requests on RTU, broadcasts.</summary>
    public long IgnoredFrames => Interlocked.Read(ref _ignoredFrames);

    /// <summary>Total time spent emulating the line rate (see <see cref="ModbusSlaveOptions.EmulatedBaudRate"/>).</summary>
    public TimeSpan EmulatedLineTime => TimeSpan.FromTicks(Interlocked.Read(ref _emulatedTicks));

    internal void Received(int bytes) => Interlocked.Add(ref _bytesReceived, bytes);

    internal void Frame() => Interlocked.Increment(ref _framesReceived);

    internal void Corrupt() => Interlocked.Increment(ref _corruptFrames);

    internal void Ignored() => Interlocked.Increment(ref _ignoredFrames);

    internal void Emulated(TimeSpan time) => Interlocked.Add(ref _emulatedTicks, time.Ticks);

    internal void Sent(int bytes, bool exception)
    {
        Interlocked.Add(ref _bytesSent, bytes);
        Interlocked.Increment(ref _framesSent);
        if (exception)
        {
            Interlocked.Increment(ref _exceptionsSent);
        }
    }

    internal static long Now() => Stopwatch.GetTimestamp();
}
