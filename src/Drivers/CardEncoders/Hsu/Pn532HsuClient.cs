using System.Diagnostics;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;

namespace Gateway.Drivers.CardEncoders.Hsu;

/// <summary>
/// One command at a time to a PN532 over HSU (UM0701-02 §6.2.2, the host-controller dialog): write
/// the command frame, wait for the ACK, then for the reply whose code is the command's plus one.
/// Each wait has its own deadline (<c>replyTimeout</c>, not the binding's fixed 89 ms).
/// </summary>
/// <remarks>
/// A reply that misses its deadline must never be taken as the answer to the next command, so:
/// bytes waiting in the input when a command is sent are discarded, frames that arrive before this
/// command's ACK are stale and dropped, and so is a reply with another
/// code; after a missed deadline the host sends an ACK, which aborts the PN532's command in progress
/// (§6.2.1.3), and before the next command the line is drained until it has been quiet for a moment
/// (a late ACK and reply land there). A corrupt reply is asked for once more with a NACK (§6.2.1.4).
/// Nothing here retries a command: that is the encoder's step layer. Frame contents (keys, block data)
/// are never logged; only codes, lengths and timing, at Debug.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class Pn532HsuClient : IDisposable
{
    private const int QuietMilliseconds = 30;
    private readonly TermiosSerialLine _line;
    private readonly int _timeoutMilliseconds;
    private readonly ILogger _logger;
    private readonly byte[] _pending = new byte[1024];
    private int _count;
    private bool _desynchronised;

    public Pn532HsuClient(TermiosSerialLine line, TimeSpan replyTimeout, ILogger logger)
    {
        _line = line;
        _timeoutMilliseconds = (int)Math.Clamp(replyTimeout.TotalMilliseconds, 1, int.MaxValue);
        _logger = logger;
    }

    /// <summary>Stale or unexpected frames dropped so far (late replies, a second ACK).</summary>
    public long DroppedFrames { get; private set; }

    /// <summary>Commands whose ACK or reply missed its deadline.</summary>
    public long MissedDeadlines { get; private set; }

    /// <summary>True when the last command's ACK or reply missed its deadline (rather than the PN532 refusing it).</summary>
    public bool LastMissedDeadline { get; private set; }

    /// <summary>Sends the HSU wake-up sequence; the first command follows it.</summary>
    public void WakeUp() => _line.Write(Pn532HsuFrames.WakeUp);

    /// <summary>Runs one command.</summary>
    /// <returns>The reply's data (after the reply code); null when the PN532 did not answer in time or sent the error frame.</returns>
    /// <exception cref="IOException">The port is gone.</exception>
    public byte[]? Execute(byte command, ReadOnlySpan<byte> data)
    {
        LastMissedDeadline = false;
        if (_desynchronised)
        {
            Drain();
        }
        else
        {
            // Whatever waits in the input now answers no command of ours (a reader that answered
            // twice, a reply later than the resynchronisation waited for): an ACK and a reply of the
            // same code among it would be taken as this command's. Drop it, and any postamble or half
            // start code left from the last reply.
            _count = 0;
            _line.DiscardInput();
        }

        _line.Write(Pn532HsuFrames.EncodeCommand(command, data));
        var started = Stopwatch.GetTimestamp();
        if (!Await(command, ack: true, out _))
        {
            return Missed(command, "ACK", started);
        }

        var nacked = false;
        while (true)
        {
            if (!Await(command, ack: false, out var frame))
            {
                return Missed(command, "reply", started);
            }

            switch (frame.Kind)
            {
                case Pn532FrameKind.Reply:
                    return frame.Data;
                case Pn532FrameKind.Error:
                    _logger.LogDebug("PN532 on {Port} answered command {Command:X2} with the error frame", _line.Path, command);
                    return null;
                case Pn532FrameKind.Corrupt when !nacked:
                    nacked = true;
                    _line.Write(Pn532HsuFrames.Nack);
                    continue;
                default:
                    return Missed(command, "valid reply", started);
            }
        }
    }

    public void Dispose() => _line.Dispose();

    private byte[]? Missed(byte command, string what, long started)
    {
        MissedDeadlines++;
        LastMissedDeadline = true;
        _logger.LogDebug("PN532 on {Port}: no {Awaited} to command {Command:X2} within {ElapsedMs:0} ms; aborting it", _line.Path, what, command, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        _line.Write(Pn532HsuFrames.Ack);
        _desynchronised = true;
        return null;
    }

    // Waits for this command's ACK (ack: true) or for its reply, the error frame or a corrupt frame.
    private bool Await(byte command, bool ack, out Pn532Frame frame)
    {
        var deadline = Environment.TickCount64 + _timeoutMilliseconds;
        while (true)
        {
            while (TryTake(out frame))
            {
                var wanted = ack
                    ? frame.Kind == Pn532FrameKind.Ack
                    : frame.Kind is Pn532FrameKind.Error or Pn532FrameKind.Corrupt || (frame.Kind == Pn532FrameKind.Reply && frame.Code == (byte)(command + 1));
                if (wanted)
                {
                    return true;
                }

                DroppedFrames++;
                _logger.LogDebug("PN532 on {Port}: dropped a stale {FrameKind} frame while waiting for the {Awaited} of command {Command:X2}", _line.Path, frame.Kind, ack ? "ACK" : "reply", command);
            }

            var remaining = deadline - Environment.TickCount64;
            if (remaining <= 0 || !Fill((int)remaining))
            {
                return false;
            }
        }
    }

    private bool TryTake(out Pn532Frame frame)
    {
        var found = Pn532HsuFrames.TryDecode(_pending.AsSpan(0, _count), out frame, out var consumed);
        if (consumed > 0)
        {
            _pending.AsSpan(consumed, _count - consumed).CopyTo(_pending);
            _count -= consumed;
        }

        return found;
    }

    private bool Fill(int timeoutMilliseconds)
    {
        if (_count == _pending.Length)
        {
            // Nothing in a full buffer decoded: it is noise.
            _count = 0;
        }

        var n = _line.Read(_pending.AsSpan(_count), timeoutMilliseconds);
        _count += n;
        return n > 0;
    }

    // After a missed deadline: wait (one more deadline at most) for the late reply and drop it, then
    // drop whatever follows until the line has been quiet for a moment, then flush. A reply later
    // than that arrives before the next command's ACK and is dropped there.
    private void Drain()
    {
        var deadline = Environment.TickCount64 + _timeoutMilliseconds;
        var dropped = 0;
        var caughtUp = false;
        while (!caughtUp)
        {
            while (!caughtUp && TryTake(out var frame))
            {
                dropped++;
                caughtUp = frame.Kind is Pn532FrameKind.Reply or Pn532FrameKind.Error;
            }

            var remaining = deadline - Environment.TickCount64;
            if (caughtUp || remaining <= 0 || !Fill((int)remaining))
            {
                break;
            }
        }

        Span<byte> scratch = stackalloc byte[256];
        while (_line.Read(scratch, QuietMilliseconds) > 0)
        {
            dropped++;
        }

        _count = 0;
        _line.DiscardInput();
        _desynchronised = false;
        DroppedFrames += dropped;
        _logger.LogDebug("PN532 on {Port}: resynchronised after a missed deadline ({Outcome}, {DroppedCount} stale frames dropped)", _line.Path, caughtUp ? "late reply caught" : "no late reply", dropped);
    }
}
