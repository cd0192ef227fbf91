using Gateway.Drivers.Channels;
using Gateway.Drivers.Modbus.Codec;
using Microsoft.Extensions.Logging;

namespace Gateway.Drivers.Modbus;

/// <summary>
/// Modbus TCP (MBAP) master over a <see cref="IByteChannel"/>, normally a <see cref="TcpChannel"/>.
/// Every request carries a new transaction id; a reply with another id (a late answer to an attempt
/// that timed out) is dropped, never returned. A byte stream that cannot be framed is not
/// resynchronised: the connection is dropped and the next attempt connects afresh.
/// </summary>
public sealed class ModbusTcpMaster : ModbusMaster
{
    private readonly byte[] _tx = new byte[ModbusLimits.MaxTcpAduLength];
    private readonly byte[] _rx = new byte[2 * ModbusLimits.MaxTcpAduLength];
    private ushort _transactionId;
    private bool _dirty = true;

    public ModbusTcpMaster(IByteChannel channel, ModbusMasterOptions? options = null, bool ownsChannel = true, string? endpoint = null)
        : base(channel, options, ownsChannel, endpoint)
    {
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
        if (_dirty)
        {
            // Only after an attempt that did not end with its reply can stale bytes be waiting; a
            // late reply that arrives later still carries an old transaction id and is dropped.
            Channel.DiscardInput();
        }

        _dirty = true;
        var transactionId = ++_transactionId;
        var length = ModbusTcpCodec.Encode(_tx, transactionId, unit, request);
        if (Logger.IsEnabled(LogLevel.Trace))
        {
            Logger.LogTrace("Modbus {Endpoint} sent {Frame}", Endpoint, Convert.ToHexString(_tx, 0, length));
        }

        await Channel.WriteAsync(_tx.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        if (unit == ModbusLimits.BroadcastUnit)
        {
            // Some servers answer unit 0 anyway (libmodbus's TCP server answers any unit): leave
            // the line marked dirty so such a reply is discarded before the next request.
            return [];
        }

        var filled = 0;
        while (true)
        {
            filled += await Channel.ReadAsync(_rx.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            while (filled > 0)
            {
                var step = Decode(transactionId, unit, request, filled, out var reply, out var consumed, out var error);
                switch (step)
                {
                    case Step.NeedMore:
                        break;
                    case Step.Reply:
                        _dirty = false;
                        return reply!;
                    case Step.Corrupt:
                        if (Channel is TcpChannel tcp)
                        {
                            tcp.Reset();
                        }
                        else
                        {
                            Channel.DiscardInput();
                        }

                        throw Corrupt(unit, error!);
                    default:
                        Logger.LogDebug("Modbus {Endpoint} unit {UnitId}: dropped a stale reply ({Length} bytes)", Endpoint, unit, consumed);
                        Buffer.BlockCopy(_rx, consumed, _rx, 0, filled - consumed);
                        filled -= consumed;
                        continue;
                }

                break;
            }
        }
    }

    private Step Decode(ushort transactionId, byte unit, byte[] request, int filled, out byte[]? reply, out int consumed, out ModbusCorruptFrameException? error)
    {
        reply = null;
        error = null;
        try
        {
            if (!ModbusTcpCodec.TryDecode(_rx.AsSpan(0, filled), out var frame, out consumed))
            {
                return Step.NeedMore;
            }

            if (frame.TransactionId != transactionId)
            {
                return Step.Skipped;
            }

            if (Logger.IsEnabled(LogLevel.Trace))
            {
                Logger.LogTrace("Modbus {Endpoint} received {Frame}", Endpoint, Convert.ToHexString(_rx, 0, consumed));
            }

            if (frame.Unit != unit)
            {
                throw ModbusPdu.Corrupt($"reply from unit {frame.Unit} to a request for unit {unit}");
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
}
