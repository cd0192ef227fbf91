using Gateway.Drivers.Channels;
using Gateway.Drivers.Modbus.Codec;
using Microsoft.Extensions.Logging;

namespace Gateway.Drivers.Modbus;

/// <summary>
/// Modbus RTU master over any <see cref="IByteChannel"/>: a serial port, a pseudo-terminal, or the
/// TCP stream of a serial device server. Where a reply ends is found from its function code's length
/// rules, so no inter-character timer is needed on the normal path; after garbage the master waits
/// for the line to fall silent before the next attempt.
/// </summary>
public sealed class ModbusRtuMaster : ModbusMaster
{
    private readonly byte[] _tx = new byte[ModbusLimits.MaxRtuAduLength];
    private readonly byte[] _rx = new byte[2 * ModbusLimits.MaxRtuAduLength];
    private readonly TimeSpan _silence;
    private bool _lineDirty;

    public ModbusRtuMaster(IByteChannel channel, ModbusMasterOptions? options = null, bool ownsChannel = true, string? endpoint = null)
        : base(channel, options, ownsChannel, endpoint)
    {
        _silence = Options.ResyncSilence ?? DefaultSilence(channel);
    }

    private enum Step
    {
        NeedMore,
        Reply,
        Skipped,
        Corrupt,
    }

    /// <inheritdoc />
    protected override async Task<byte[]> ExchangeAsync(byte unit, byte[] request, CancellationToken cancellationToken, CancellationToken callerToken)
    {
        if (_lineDirty)
        {
            // The last attempt timed out or read garbage: a late reply may still be on its way, and
            // RTU has no transaction id to tell it from the answer to this request.
            await ResyncAsync(callerToken).ConfigureAwait(false);
        }

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
            filled += await Channel.ReadAsync(_rx.AsMemory(filled), cancellationToken).ConfigureAwait(false);
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

    /// <summary>Reads and drops bytes until the line has been silent for the resync gap (bounded by the timeout).</summary>
    private async Task ResyncAsync(CancellationToken callerToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
        bound.CancelAfter(Options.Timeout);
        while (true)
        {
            using var gap = CancellationTokenSource.CreateLinkedTokenSource(bound.Token);
            gap.CancelAfter(_silence);
            try
            {
                _ = await Channel.ReadAsync(_rx, gap.Token).ConfigureAwait(false);
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
