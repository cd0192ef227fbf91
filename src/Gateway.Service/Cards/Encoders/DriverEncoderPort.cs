using System.Collections.Concurrent;
using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;
using DriverCardKind = Gateway.Drivers.CardEncoders.CardKind;
using DomainCardKind = Gateway.Service.Domain.Cards.CardKind;

namespace Gateway.Service.Cards.Encoders;

/// <summary>
/// <see cref="ICardEncoderPort"/> over the encoder drivers (Gateway.Drivers.CardEncoders): one
/// encoder per configured device, a <see cref="Pn532CardEncoder"/> on a serial port or a
/// <see cref="Drivers.CardEncoders.Pcsc.PcscCardEncoder"/> for a <c>pcsc://</c> endpoint, created on
/// first use, journaling to the
/// service's SQLite file. The site key (<c>Gateway:CardKeys</c>) is loaded on first use: a missing or
/// weak key refuses issuing (503) without stopping the rest of the service. Driver errors are
/// translated here, once: no card / wrong card / write failures → <see cref="EncoderOperationException"/>
/// (the issue can be resumed), missing key → <see cref="EncoderUnavailableException"/>.
/// </summary>
public sealed class DriverEncoderPort : ICardEncoderPort, IAsyncDisposable
{
    private readonly CardEncoderOptions _options;
    private readonly ICardWriteJournal _journal;
    private readonly ILoggerFactory _loggers;
    private readonly ConcurrentDictionary<string, MifareCardEncoder> _encoders = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _keysLock = new();
    private SiteCardKeys? _keys;

    public DriverEncoderPort(CardEncoderOptions options, ICardWriteJournal journal, ILoggerFactory loggers)
    {
        _options = options;
        _journal = journal;
        _loggers = loggers;
    }

    public async Task<EncodedCard> IssueAsync(CardWriteOrder order, CancellationToken cancellationToken)
    {
        var encoder = Encoder(order.EncoderId);
        try
        {
            var card = await encoder.IssueAsync(new CardIssueRequest(checked((uint)order.CardNumber), ToDriver(order.Kind), checked((uint)order.IssueCounter), order.ExpectedUid), cancellationToken);
            return new EncodedCard(card.Card.Uid);
        }
        catch (CardKeyException ex)
        {
            throw new EncoderUnavailableException(ex.Message);
        }
        catch (CardEncoderException ex)
        {
            throw new EncoderOperationException(ex.Message, ex);
        }
    }

    public async Task EraseAsync(string encoderId, long cardNumber, string expectedUid, CancellationToken cancellationToken)
    {
        var encoder = Encoder(encoderId);
        try
        {
            var info = await encoder.GetInfoAsync(cancellationToken);
            if (info.Card is null)
            {
                throw new EncoderOperationException($"no card on encoder '{encoderId}': place card {cardNumber} on it");
            }

            if (!string.Equals(info.Card.Uid, expectedUid, StringComparison.OrdinalIgnoreCase))
            {
                throw new EncoderOperationException($"the card on encoder '{encoderId}' (UID {info.Card.Uid}) is not card {cardNumber} (UID {expectedUid})");
            }

            await encoder.EraseAsync(cancellationToken);
        }
        catch (CardKeyException ex)
        {
            throw new EncoderUnavailableException(ex.Message);
        }
        catch (CardEncoderException ex)
        {
            throw new EncoderOperationException(ex.Message, ex);
        }
    }

    public async Task<CardReading> ReadAsync(string encoderId, CancellationToken cancellationToken)
    {
        var encoder = Encoder(encoderId);
        try
        {
            var card = await encoder.ReadAsync(cancellationToken);
            return new CardReading(CardReadStatus.Valid, card.Card.Uid, card.Payload.CardNumber, ToDomain(card.Payload.Kind), checked((int)card.Payload.IssueCounter), null);
        }
        catch (CardKeyException ex)
        {
            throw new EncoderUnavailableException(ex.Message);
        }
        catch (CardNotPresentException ex)
        {
            return new CardReading(CardReadStatus.NoCard, null, null, null, null, ex.Message);
        }
        catch (MultipleCardsException ex)
        {
            return new CardReading(CardReadStatus.MultipleCards, null, null, null, null, ex.Message);
        }
        catch (NotGatewayCardException ex)
        {
            var status = ex.Reason switch
            {
                Drivers.CardEncoders.NotGatewayCardReason.Blank => CardReadStatus.Blank,
                Drivers.CardEncoders.NotGatewayCardReason.OtherSite => CardReadStatus.OtherSite,
                _ => CardReadStatus.NotGatewayCard,
            };
            return new CardReading(status, ex.CardUid, null, null, null, ex.Detail);
        }
        catch (CardEncoderException ex)
        {
            throw new EncoderOperationException(ex.Message, ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var encoder in _encoders.Values)
        {
            await encoder.DisposeAsync();
        }

        _encoders.Clear();
    }

    private MifareCardEncoder Encoder(string encoderId)
    {
        var device = _options.Encoders.FirstOrDefault(d => string.Equals(d.Id, encoderId, StringComparison.OrdinalIgnoreCase))
            ?? throw new EncoderUnavailableException($"'{encoderId}' is not a configured encoder");
        var keys = Keys();
        return _encoders.GetOrAdd(device.Id, _ => CardEncoderFactory.Create(device.Endpoint, _options.SiteId, keys, _journal, _loggers));
    }

    private SiteCardKeys Keys()
    {
        lock (_keysLock)
        {
            if (_keys is not null)
            {
                return _keys;
            }

            try
            {
                return _keys = SiteCardKeys.Load(_options.Keys ?? new CardKeyOptions(null, null));
            }
            catch (CardKeyException ex)
            {
                // Not cached: fixing the key file takes effect without a restart.
                throw new EncoderUnavailableException($"issuing is refused: {ex.Message}");
            }
        }
    }

    private static DriverCardKind ToDriver(DomainCardKind kind) => kind switch
    {
        DomainCardKind.Access => DriverCardKind.Access,
        DomainCardKind.Parking => DriverCardKind.Parking,
        DomainCardKind.Both => DriverCardKind.Both,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static DomainCardKind ToDomain(DriverCardKind kind) => kind switch
    {
        DriverCardKind.Access => DomainCardKind.Access,
        DriverCardKind.Parking => DomainCardKind.Parking,
        DriverCardKind.Both => DomainCardKind.Both,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
