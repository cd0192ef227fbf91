using System.Diagnostics;
using Gateway.Drivers.Channels;
using Microsoft.Extensions.Logging;

namespace Gateway.Drivers.CardEncoders.Pn532;

/// <summary>What a PN532 command came back with.</summary>
/// <param name="Data">The reply's parameters (after the reply code); null when there was no valid reply.</param>
/// <param name="MissedDeadline">True when the ACK or the reply did not come in time (rather than the PN532 sending the error frame).</param>
internal readonly record struct Pn532Reply(byte[]? Data, bool MissedDeadline);

/// <summary>
/// One command at a time to a PN532 over HSU (UM0701-02 §6.2.2, the host-controller dialog) on any
/// <see cref="IByteChannel"/>: write the command frame, wait for the ACK, then for the reply whose
/// code is the command's plus one. Each wait has its own deadline.
/// </summary>
/// <remarks>
/// A reply that misses its deadline must never be taken as the answer to the next command, so: bytes
/// waiting in the input when a command is sent are discarded; frames that arrive before this command's
/// ACK are stale and dropped, and so is a reply with another code; after a missed deadline the host
/// sends an ACK, which aborts the PN532's command in progress (§6.2.1.3), and before the next command
/// the line is drained until it has been quiet for a moment (a late ACK and reply land there). The
/// same drain follows a command that ended any other way without its reply (cancelled, port error).
/// A corrupt reply is asked for once more with a NACK (§6.2.1.4). Nothing here retries a command.
/// Frame contents (keys, block data) are never logged, and the send buffer is cleared after each write.
/// </remarks>
internal sealed class Pn532Client : IAsyncDisposable
{
    private const int QuietMilliseconds = 30;
    private static readonly byte[] WakeUpFrame = Pn532Frames.WakeUp.ToArray();
    private static readonly byte[] AckFrame = Pn532Frames.Ack.ToArray();
    private static readonly byte[] NackFrame = Pn532Frames.Nack.ToArray();
    private readonly IByteChannel _channel;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private readonly string _port;
    private readonly byte[] _pending = new byte[1024];
    private CancellationTokenSource _deadline = new();
    private int _count;
    private bool _dirty;

    public Pn532Client(IByteChannel channel, TimeSpan replyTimeout, ILogger logger, string? port = null)
    {
        _channel = channel;
        _timeout = replyTimeout > TimeSpan.Zero ? replyTimeout : TimeSpan.FromMilliseconds(1);
        _logger = logger;
        _port = port ?? channel.Name;
    }

    /// <summary>Stale or unexpected frames dropped so far (late replies, a second ACK).</summary>
    public long DroppedFrames { get; private set; }

    /// <summary>Commands whose ACK or reply missed its deadline.</summary>
    public long MissedDeadlines { get; private set; }

    /// <summary>Sends the HSU wake-up sequence; the first command follows it.</summary>
    public ValueTask WakeUpAsync(CancellationToken cancellationToken) => _channel.WriteAsync(WakeUpFrame, cancellationToken);

    /// <summary>Runs one command.</summary>
    /// <exception cref="DeviceConnectionException">The port is gone.</exception>
    public async Task<Pn532Reply> ExecuteAsync(byte command, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (_dirty)
        {
            await DrainAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // Whatever waits in the input now answers no command of ours (a reader that answered
            // twice, a reply later than the drain waited for): an ACK and a reply of the same code
            // among it would be taken as this command's.
            _count = 0;
            _channel.DiscardInput();
        }

        var frame = new byte[Pn532Frames.EncodedLength(data.Length)];
        Pn532Frames.WriteCommand(frame, command, data.Span);
        _dirty = true;
        try
        {
            await _channel.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Array.Clear(frame);
        }

        var started = Stopwatch.GetTimestamp();
        if ((await AwaitAsync(command, ack: true, cancellationToken).ConfigureAwait(false)).Kind is null)
        {
            return await MissedAsync(command, "ACK", started, cancellationToken).ConfigureAwait(false);
        }

        var nacked = false;
        while (true)
        {
            var (kind, reply) = await AwaitAsync(command, ack: false, cancellationToken).ConfigureAwait(false);
            switch (kind)
            {
                case Pn532FrameKind.Information:
                    _dirty = false;
                    return new Pn532Reply(reply, false);
                case Pn532FrameKind.Error:
                    _dirty = false;
                    _logger.LogDebug("PN532 on {Port} answered command {Command:X2} with the error frame", _port, command);
                    return new Pn532Reply(null, false);
                case Pn532FrameKind.Corrupt when !nacked:
                    nacked = true;
                    await _channel.WriteAsync(NackFrame, cancellationToken).ConfigureAwait(false);
                    continue;
                default:
                    return await MissedAsync(command, kind is null ? "reply" : "valid reply", started, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _deadline.Dispose();
        return _channel.DisposeAsync();
    }

    private async Task<Pn532Reply> MissedAsync(byte command, string what, long started, CancellationToken cancellationToken)
    {
        MissedDeadlines++;
        _logger.LogDebug("PN532 on {Port}: no {Awaited} to command {Command:X2} within {ElapsedMs:0} ms; aborting it", _port, what, command, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        await _channel.WriteAsync(AckFrame, cancellationToken).ConfigureAwait(false);
        return new Pn532Reply(null, true);
    }

    // Waits for this command's ACK (ack: true) or for its reply, the error frame or a corrupt frame.
    // Kind null: the deadline passed first.
    private async Task<(Pn532FrameKind? Kind, byte[]? Data)> AwaitAsync(byte command, bool ack, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)_timeout.TotalMilliseconds;
        while (true)
        {
            while (TryTake(command, ack, out var kind, out var data))
            {
                if (kind is not null)
                {
                    return (kind, data);
                }
            }

            if (!await FillAsync(deadline, cancellationToken).ConfigureAwait(false))
            {
                return (null, null);
            }
        }
    }

    // False when the buffer holds no complete frame. True with kind null: a frame was dropped as stale.
    private bool TryTake(byte command, bool ack, out Pn532FrameKind? kind, out byte[]? data)
    {
        kind = null;
        data = null;
        var found = Pn532Frames.TryDecode(_pending.AsSpan(0, _count), out var frame, out var consumed);
        if (found)
        {
            var wanted = ack
                ? frame.Kind == Pn532FrameKind.Ack
                : frame.Kind is Pn532FrameKind.Error or Pn532FrameKind.Corrupt
                    || (frame.Kind == Pn532FrameKind.Information && frame.Tfi == Pn532Frames.Pn532ToHost && frame.Code == (byte)(command + 1));
            if (wanted)
            {
                kind = frame.Kind;
                data = frame.Kind == Pn532FrameKind.Information ? frame.Data.ToArray() : null;
            }
            else
            {
                DroppedFrames++;
                _logger.LogDebug("PN532 on {Port}: dropped a stale {FrameKind} frame while waiting for the {Awaited} of command {Command:X2}", _port, frame.Kind, ack ? "ACK" : "reply", command);
            }
        }

        Consume(consumed);
        return found;
    }

    // Reads what comes before `deadline` (Environment.TickCount64); false when nothing did.
    private async Task<bool> FillAsync(long deadline, CancellationToken cancellationToken)
    {
        var remaining = deadline - Environment.TickCount64;
        if (remaining <= 0)
        {
            return false;
        }

        if (_count == _pending.Length)
        {
            // Nothing in a full buffer decoded: it is noise.
            _pending.AsSpan().Clear();
            _count = 0;
        }

        // One deadline source per client, re-armed for each wait and linked to the caller's token by a
        // registration: no new source or timer per read.
        if (!_deadline.TryReset())
        {
            _deadline.Dispose();
            _deadline = new CancellationTokenSource();
        }

        _deadline.CancelAfter(TimeSpan.FromMilliseconds(remaining));
        using var linked = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _deadline)
            : default;
        try
        {
            _count += await _channel.ReadAsync(_pending.AsMemory(_count), _deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    // Before the next command after one that did not end with its reply: wait (one more deadline at
    // most) for the late reply and drop it, then drop whatever follows until the line has been quiet
    // for a moment, then flush. A reply later than that arrives before the next command's ACK and is
    // dropped there.
    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)_timeout.TotalMilliseconds;
        var dropped = 0;
        var caughtUp = false;
        while (!caughtUp)
        {
            while (!caughtUp && TryTakeAny(out var kind))
            {
                dropped++;
                caughtUp = kind is Pn532FrameKind.Information or Pn532FrameKind.Error;
            }

            if (caughtUp || !await FillAsync(deadline, cancellationToken).ConfigureAwait(false))
            {
                break;
            }
        }

        while (await FillAsync(Environment.TickCount64 + QuietMilliseconds, cancellationToken).ConfigureAwait(false))
        {
            dropped++;
            _pending.AsSpan(0, _count).Clear();
            _count = 0;
        }

        _pending.AsSpan(0, _count).Clear();
        _count = 0;
        _channel.DiscardInput();
        _dirty = false;
        DroppedFrames += dropped;
        _logger.LogDebug("PN532 on {Port}: resynchronised after a missed deadline ({Outcome}, {DroppedCount} stale frames dropped)", _port, caughtUp ? "late reply caught" : "no late reply", dropped);
    }

    private bool TryTakeAny(out Pn532FrameKind kind)
    {
        var found = Pn532Frames.TryDecode(_pending.AsSpan(0, _count), out var frame, out var consumed);
        kind = frame.Kind;
        Consume(consumed);
        return found;
    }

    private void Consume(int consumed)
    {
        if (consumed > 0)
        {
            _pending.AsSpan(consumed, _count - consumed).CopyTo(_pending);
            _pending.AsSpan(_count - consumed, consumed).Clear();
            _count -= consumed;
        }
    }
}
