using Microsoft.Extensions.Logging;

namespace Gateway.Drivers.Modbus;

/// <summary>Settings of a <see cref="ModbusMaster"/>. Every timing is a <see cref="TimeSpan"/>.</summary>
public sealed class ModbusMasterOptions
{
    /// <summary>
    /// How long one attempt may take, from the moment the request goes on the bus to the last byte
    /// of a valid reply (waiting for the bus is not counted). Default 1 s.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Further attempts after a timeout, a corrupt reply or a lost connection (0 = one attempt only).
    /// Exception replies are never retried: the device did answer. Default 2.
    /// </summary>
    public int Retries { get; set; } = 2;

    /// <summary>Wait before the first retry; doubled before each further one, up to <see cref="MaxRetryDelay"/>. Default 50 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Upper bound of the back-off between retries. Default 1 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// RTU only: the silence that ends garbage on the line before the next frame can be trusted
    /// (used after a corrupt frame, a timeout, or opening the line; never on the normal path). Null: 3.5 characters at the
    /// port's baud rate, but no less than 5 ms on a serial port or pty and 20 ms through a serial
    /// device server (TCP delivers in bursts).
    /// </summary>
    public TimeSpan? ResyncSilence { get; set; }

    /// <summary>
    /// RTU only: after a timeout, how long the slave's late answer is waited for (and dropped) before the
    /// next request goes on the bus, counted from the timeout; the wait ends early once an answer came and
    /// the line fell silent after it, and is not spent at all when the next request comes later anyway.
    /// RTU has no transaction id: an answer arriving after the next request was sent would be taken for
    /// that request's if it had the same unit, function and length. Null: <see cref="Timeout"/> (a slave up
    /// to twice as slow as the timeout allows is never misread). Zero: only <see cref="ResyncSilence"/>.
    /// </summary>
    public TimeSpan? LateReplyWait { get; set; }

    /// <summary>
    /// RTU only: the turnaround delay after a broadcast (unit 0) before the bus is free again, so that
    /// slaves can act on it (serial line specification, section 2.4.1: typically 100-200 ms). Default 100 ms.
    /// </summary>
    public TimeSpan BroadcastTurnaround { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Where retries, stale replies and (at Trace) frames are logged. Null: nowhere.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a setting that cannot work.</summary>
    public void Validate()
    {
        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "must be positive");
        }

        if (Retries is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(Retries), Retries, "must be 0-100");
        }

        if (RetryDelay < TimeSpan.Zero || MaxRetryDelay < RetryDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(RetryDelay), RetryDelay, "must be >= 0 and <= MaxRetryDelay");
        }

        if (ResyncSilence is { } silence && silence <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ResyncSilence), silence, "must be positive");
        }

        if (LateReplyWait is { } late && late < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(LateReplyWait), late, "must not be negative");
        }

        if (BroadcastTurnaround < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(BroadcastTurnaround), BroadcastTurnaround, "must not be negative");
        }
    }
}
