using System.Diagnostics;
using Gateway.Drivers.Channels;
using Gateway.Drivers.Modbus.Codec;
using Microsoft.Extensions.Logging;

namespace Gateway.Drivers.Modbus;

/// <summary>
/// Modbus RTU master over any <see cref="IByteChannel"/>: a serial port, a pseudo-terminal, or the
/// TCP stream of a serial device server. Where a reply ends is found from its function code's length
/// rules, so no inter-character timer is needed on the normal path. RTU has no transaction id, so a
/// reply left over from an earlier exchange looks exactly like the answer to a new request of the same
/// shape; the master never takes one: bytes waiting when a request is sent are dropped, a line just
/// opened is drained until silent before its first request, and after a timeout or garbage the line is
/// drained until silent — after a timeout, until the late answer has come and gone or
/// <see cref="ModbusMasterOptions.LateReplyWait"/> has passed without one.
/// </summary>
public sealed class ModbusRtuMaster : ModbusMaster
{
    private readonly byte[] _tx = new byte[ModbusLimits.MaxRtuAduLength];
    private readonly byte[] _rx = new byte[2 * ModbusLimits.MaxRtuAduLength];
    private readonly TimeSpan _silence;
    private readonly TimeSpan _lateReplyWait;
    private bool _lineDirty;

    // When the last attempt timed out (Stopwatch ticks), 0 when it did not: its answer may still be on its way.
    private long _timedOutAt;

    public ModbusRtuMaster(IByteChannel channel, ModbusMasterOptions? options = null, bool ownsChannel = true, string? endpoint = null)
        : base(channel, options, ownsChannel, endpoint)
    {
        _silence = Options.ResyncSilence ?? DefaultSilence(channel);
        _lateReplyWait = Options.LateReplyWait ?? Options.Timeout;
    }

    /// <inheritdoc />
    protected override void OnChannelOpened()
    {
        // What the line held or carried before this master opened it (a previous master's late answer, a
        // slave cut off mid-reply, a serial device server replaying what its serial side received while no
        // client was connected) is no answer to the first request.
        _lineDirty = true;
    }

    private enum Step
    {
        NeedMore,
        Reply,
        Skipped,
        Corrupt,
    }

    /// <inheritdoc />
    protected override async Task PrepareAsync(CancellationToken callerToken)
    {
        if (_lineDirty)
        {
            // The last attempt timed out or read garbage, or the line was just opened: a late reply may
            // still be on its way, and RTU has no transaction id to tell it from the answer to this request.
            await ResyncAsync(callerToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override async Task<byte[]> ExchangeAsync(byte unit, byte[] request, CancellationToken cancellationToken, CancellationToken callerToken)
    {
        Channel.DiscardInput();
        _lineDirty = true;
        var length = ModbusRtuCodec.Encode(_tx, unit, request);
        if (Logger.IsEnabled(LogLevel.Trace))
        {
            Logger.LogTrace("Modbus {Endpoint} sent {Frame}", Endpoint, Convert.ToHexString(_tx, 0, length));
        }

        await Channel.WriteAsync(_tx.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        if (unit == ModbusLimits.BroadcastUnit)
        {
            if (Options.BroadcastTurnaround > TimeSpan.Zero)
            {
                await Task.Delay(Options.BroadcastTurnaround, callerToken).ConfigureAwait(false);
            }

            _lineDirty = false;
            return [];
        }

        var filled = 0;
        while (true)
        {
            try
            {
                filled += await Channel.ReadAsync(_rx.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
            {
                // Timed out: the slave may still answer, and that answer would look like the next one.
                _timedOutAt = Stopwatch.GetTimestamp();
                throw;
            }

            while (filled > 0)
            {
                var step = Decode(unit, request, filled, out var reply, out var consumed, out var error);
                if (step == Step.NeedMore)
                {
                    break;
                }

                if (step == Step.Reply)
                {
                    _lineDirty = false;
                    return reply!;
                }

                if (step == Step.Corrupt)
                {
                    Logger.LogDebug("Modbus {Endpoint} unit {UnitId}: corrupt reply ({Error}); waiting for silence", Endpoint, unit, error!.Message);
                    await ResyncAsync(callerToken).ConfigureAwait(false);
                    throw Corrupt(unit, error);
                }

                // A well-formed frame for another unit or function: a stale reply. Drop it, keep reading.
                Logger.LogDebug("Modbus {Endpoint} unit {UnitId}: dropped a {Length}-byte frame that answers another request", Endpoint, unit, consumed);
                Buffer.BlockCopy(_rx, consumed, _rx, 0, filled - consumed);
                filled -= consumed;
            }
        }
    }

    private static TimeSpan DefaultSilence(IByteChannel channel)
    {
        var floor = TimeSpan.FromMilliseconds(5);
        if (channel is TcpChannel)
        {
            return TimeSpan.FromMilliseconds(20);
        }

        if (channel is SerialChannel serial)
        {
            // Section 2.5.1.1: t3.5 is 3.5 characters of 11 bits, fixed at 1.75 ms above 19200 baud.
            var t35 = serial.Endpoint.BaudRate > 19200 ? TimeSpan.FromMilliseconds(1.75) : TimeSpan.FromSeconds(3.5 * 11 / serial.Endpoint.BaudRate);
            return t35 > floor ? t35 : floor;
        }

        return floor;
    }

    private Step Decode(byte unit, byte[] request, int filled, out byte[]? reply, out int consumed, out ModbusCorruptFrameException? error)
    {
        reply = null;
        error = null;
        try
        {
            if (!ModbusRtuCodec.TryDecodeResponse(_rx.AsSpan(0, filled), out var frame, out consumed))
            {
                return Step.NeedMore;
            }

            if (frame.Unit != unit || (frame.Pdu[0] & 0x7F) != request[0])
            {
                return Step.Skipped;
            }

            if (Logger.IsEnabled(LogLevel.Trace))
            {
                Logger.LogTrace("Modbus {Endpoint} received {Frame}", Endpoint, Convert.ToHexString(_rx, 0, consumed));
            }

            ModbusPdu.CheckResponse(request, frame.Pdu);
            reply = frame.Pdu.ToArray();
            return Step.Reply;
        }
        catch (ModbusCorruptFrameException ex)
        {
            consumed = filled;
            error = ex;
            return Step.Corrupt;
        }
    }

    /// <summary>
    /// Reads and drops bytes until the line has been silent for the resync gap. After a timeout it waits
    /// longer: until the late answer has arrived and the line fell silent after it, or until
    /// <see cref="ModbusMasterOptions.LateReplyWait"/> after the timeout has passed in silence. A line that
    /// never falls silent is given up on after one timeout more.
    /// </summary>
    private async Task ResyncAsync(CancellationToken callerToken)
    {
        var lateWindow = TimeSpan.Zero;
        if (_timedOutAt != 0)
        {
            lateWindow = _lateReplyWait - Stopwatch.GetElapsedTime(_timedOutAt);
            _timedOutAt = 0;
        }

        var start = Stopwatch.GetTimestamp();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
        bound.CancelAfter(Options.Timeout + (lateWindow > TimeSpan.Zero ? lateWindow : TimeSpan.Zero));
        var heard = false;
        while (true)
        {
            // Until a byte comes, the silence must also last out what remains of the late answer's window.
            var quiet = _silence;
            if (!heard && lateWindow - Stopwatch.GetElapsedTime(start) is var remaining && remaining > quiet)
            {
                quiet = remaining;
            }

            using var gap = CancellationTokenSource.CreateLinkedTokenSource(bound.Token);
            gap.CancelAfter(quiet);
            try
            {
                heard |= await Channel.ReadAsync(_rx, gap.Token).ConfigureAwait(false) > 0;
            }
            catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
            {
                return;
            }
            catch (DeviceConnectionException)
            {
                return;
            }
        }
    }
}
