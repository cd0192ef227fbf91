using Gateway.Drivers.CardEncoders.Issuing;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Drivers.CardEncoders;

/// <summary>
/// <see cref="ICardEncoder"/> over any reader that implements <see cref="ICardBlockTransport"/>: the
/// public operations, the journal, and the order of the issuing steps. The steps themselves are in
/// <c>Issuing/CardSteps</c>; opening, losing and reopening the reader in <see cref="ReaderHost"/>.
/// </summary>
/// <remarks>
/// Every operation looks up the single card on the reader at its start (so a card can be swapped
/// between calls), runs alone (callers are queued), and journals each card-write step before it is
/// done. A step whose command the card refused is run once more (steps re-probe the card, so they are
/// idempotent); a transport fault is not retried here.
/// </remarks>
public class MifareCardEncoder : ICardEncoder
{
    private static readonly byte[] Zeros = new byte[CardLayout.PayloadLength];

    private readonly string _siteId;
    private readonly SiteCardKeys? _keys;
    private readonly ICardWriteJournal _journal;
    private readonly ILogger _logger;
    private readonly TimeSpan _pollInterval;
    private readonly ReaderHost _reader;

    /// <param name="port">The reader's name for errors and logs (a serial port, a PC/SC reader name).</param>
    /// <param name="siteId">This site's id, written on issued cards and expected on read ones.</param>
    /// <param name="openTransport">Opens the reader; throws <see cref="EncoderNotRespondingException"/> when it cannot.</param>
    /// <param name="keys">The site's card keys; null allows only <see cref="GetInfoAsync"/> and <see cref="WaitForCardAsync"/>.</param>
    /// <param name="journal">Where card writes are journaled before each step.</param>
    /// <param name="logger">Never receives key material.</param>
    /// <param name="pollInterval">How often <see cref="WaitForCardAsync"/> looks for a card (default 100 ms).</param>
    public MifareCardEncoder(string port, string siteId, Func<CancellationToken, Task<ICardBlockTransport>> openTransport, SiteCardKeys? keys, ICardWriteJournal journal, ILogger? logger = null, TimeSpan? pollInterval = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(port);
        ArgumentNullException.ThrowIfNull(siteId);
        ArgumentNullException.ThrowIfNull(openTransport);
        Port = port;
        _siteId = siteId;
        _keys = keys;
        _journal = journal ?? throw new ArgumentNullException(nameof(journal));
        _logger = logger ?? NullLogger.Instance;
        _pollInterval = pollInterval ?? TimeSpan.FromMilliseconds(100);
        _reader = new ReaderHost(port, openTransport, _logger);
    }

    /// <inheritdoc />
    public string Port { get; }

    /// <inheritdoc />
    public long CommandCount => _reader.CommandCount;

    /// <inheritdoc />
    public Task<EncoderInfo> GetInfoAsync(CancellationToken cancellationToken) => _reader.UseAsync(
        async transport =>
        {
            var cards = await transport.DetectCardsAsync(cancellationToken).ConfigureAwait(false);
            return new EncoderInfo(Port, transport.Firmware, cards.Count == 1 ? Supported(cards[0]) : null);
        },
        cancellationToken);

    /// <inheritdoc />
    public async Task<PresentedCard> WaitForCardAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            try
            {
                return await _reader.UseAsync(async transport => Single(await transport.DetectCardsAsync(deadline.Token).ConfigureAwait(false)), deadline.Token).ConfigureAwait(false);
            }
            catch (CardNotPresentException)
            {
                try
                {
                    await Task.Delay(_pollInterval, deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new CardNotPresentException(Port, $"no card was placed on the encoder within {timeout.TotalSeconds:0.#} s");
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new CardNotPresentException(Port, $"no card was placed on the encoder within {timeout.TotalSeconds:0.#} s");
            }
        }
    }

    /// <inheritdoc />
    public Task<GatewayCard> ReadAsync(CancellationToken cancellationToken)
    {
        var keys = RequireKeys();
        return _reader.UseAsync(
            async transport =>
            {
                var (card, steps) = await PresentAsync(transport, keys, cancellationToken).ConfigureAwait(false);
                var open = await _journal.FindOpenAsync(card.Uid, cancellationToken).ConfigureAwait(false);
                if (open is not null)
                {
                    throw new NotGatewayCardException(Port, card.Uid, NotGatewayCardReason.Torn, $"an interrupted {open.Kind.ToString().ToLowerInvariant()} is open on this card (journal #{open.Id}, last step {open.LastStep?.ToString() ?? "none"}); recover it first");
                }

                CardPayload payload;
                try
                {
                    payload = await steps.ReadPayloadAsync(_siteId, cancellationToken).ConfigureAwait(false);
                }
                catch (CardEncoderException ex) when (ex is CardWriteException or CardAuthenticationException || (ex is NotGatewayCardException n && n.Reason == NotGatewayCardReason.UnknownKeys))
                {
                    // Through the binding a lost reply looks like a wrong key: read once more before saying so.
                    _logger.LogDebug("Reading card {CardUid} on {Port} once more after {Reason}", card.Uid, Port, ex.Message);
                    steps.ForgetSession();
                    payload = await steps.ReadPayloadAsync(_siteId, cancellationToken).ConfigureAwait(false);
                }

                return new GatewayCard(card, payload);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<GatewayCard> IssueAsync(CardIssueRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var keys = RequireKeys();
        var payload = new CardPayload(_siteId, request.CardNumber, request.Kind, request.IssueCounter, keys.CurrentVersion);
        return _reader.UseAsync(
            async transport =>
            {
                var (card, steps) = await PresentAsync(transport, keys, cancellationToken).ConfigureAwait(false);
                if (request.ExpectedUid is not null && !string.Equals(request.ExpectedUid, card.Uid, StringComparison.OrdinalIgnoreCase))
                {
                    throw new CardNotBlankException(Port, card.Uid, $"card {card.Uid} is on the encoder, not the expected {request.ExpectedUid.ToUpperInvariant()}");
                }

                var open = await _journal.FindOpenAsync(card.Uid, cancellationToken).ConfigureAwait(false);
                long id;
                if (open is not null)
                {
                    if (open.Kind != CardWriteOperationKind.Issue || open.Payload != payload)
                    {
                        throw new NotGatewayCardException(Port, card.Uid, NotGatewayCardReason.Torn, $"an interrupted {open.Kind.ToString().ToLowerInvariant()} (journal #{open.Id}) is open on this card; recover it first");
                    }

                    id = open.Id;
                    _logger.LogInformation("Resuming interrupted issue {OperationId} of card {CardUid} on {Port}", id, card.Uid, Port);
                }
                else
                {
                    await StepAsync(steps, s => s.EnsureBlankAsync(cancellationToken)).ConfigureAwait(false);
                    id = await _journal.BeginAsync(CardWriteOperationKind.Issue, card.Uid, payload, cancellationToken).ConfigureAwait(false);
                }

                await WriteIssueAsync(id, steps, payload, keys, cancellationToken).ConfigureAwait(false);
                await _journal.CompleteAsync(id, CardWriteOutcome.Completed, cancellationToken).ConfigureAwait(false);
                _logger.LogInformation("Issued card {CardUid} as number {CardNumber} ({CardKind}) on {Port}", card.Uid, payload.CardNumber, payload.Kind, Port);
                return new GatewayCard(card, payload);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<GatewayCard> VerifyAsync(CardPayload expected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var keys = RequireKeys();
        return _reader.UseAsync(
            async transport =>
            {
                var (card, steps) = await PresentAsync(transport, keys, cancellationToken).ConfigureAwait(false);
                await steps.VerifyIssuedAsync(expected, payloadReadBack: false, cancellationToken).ConfigureAwait(false);
                return new GatewayCard(card, expected);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<PresentedCard> EraseAsync(CancellationToken cancellationToken)
    {
        var keys = RequireKeys();
        return _reader.UseAsync(
            async transport =>
            {
                var (card, steps) = await PresentAsync(transport, keys, cancellationToken).ConfigureAwait(false);
                var open = await _journal.FindOpenAsync(card.Uid, cancellationToken).ConfigureAwait(false);
                var id = open is { Kind: CardWriteOperationKind.Erase } ? open.Id : await _journal.BeginAsync(CardWriteOperationKind.Erase, card.Uid, null, cancellationToken).ConfigureAwait(false);
                await WriteEraseAsync(id, steps, cancellationToken).ConfigureAwait(false);
                await _journal.CompleteAsync(id, CardWriteOutcome.Completed, cancellationToken).ConfigureAwait(false);
                if (open is { Kind: CardWriteOperationKind.Issue })
                {
                    await _journal.CompleteAsync(open.Id, CardWriteOutcome.RolledBack, cancellationToken).ConfigureAwait(false);
                }

                _logger.LogInformation("Erased card {CardUid} to transport keys on {Port}", card.Uid, Port);
                return card;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<CardWriteOutcome?> RecoverAsync(bool rollBack, CancellationToken cancellationToken)
    {
        var keys = RequireKeys();
        return _reader.UseAsync<CardWriteOutcome?>(
            async transport =>
            {
                var (card, steps) = await PresentAsync(transport, keys, cancellationToken).ConfigureAwait(false);
                var open = await _journal.FindOpenAsync(card.Uid, cancellationToken).ConfigureAwait(false);
                if (open is null)
                {
                    return null;
                }

                if (open.Kind == CardWriteOperationKind.Issue && !rollBack && open.Payload is not null)
                {
                    await WriteIssueAsync(open.Id, steps, open.Payload, keys, cancellationToken).ConfigureAwait(false);
                    await _journal.CompleteAsync(open.Id, CardWriteOutcome.Completed, cancellationToken).ConfigureAwait(false);
                    _logger.LogInformation("Finished interrupted issue {OperationId} of card {CardUid}", open.Id, card.Uid);
                    return CardWriteOutcome.Completed;
                }

                await WriteEraseAsync(open.Id, steps, cancellationToken).ConfigureAwait(false);
                var outcome = open.Kind == CardWriteOperationKind.Issue ? CardWriteOutcome.RolledBack : CardWriteOutcome.Completed;
                await _journal.CompleteAsync(open.Id, outcome, cancellationToken).ConfigureAwait(false);
                _logger.LogInformation("Rolled interrupted {OperationKind} {OperationId} of card {CardUid} back to blank", open.Kind, open.Id, card.Uid);
                return outcome;
            },
            cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    private SiteCardKeys RequireKeys() => _keys ?? throw new CardKeyException("no card master key is configured: reading and writing Gateway cards needs the site key");

    private PresentedCard Single(IReadOnlyList<DetectedCard> cards) => cards.Count switch
    {
        0 => throw new CardNotPresentException(Port, "no card on the encoder"),
        1 => Supported(cards[0]),
        _ => throw new MultipleCardsException(Port, cards.Count),
    };

    private PresentedCard Supported(DetectedCard card) => card.Type is { } type
        ? new PresentedCard(card.Uid, type, card.Atqa, card.Sak)
        : throw new NotGatewayCardException(Port, card.Uid, NotGatewayCardReason.UnsupportedCard, $"ATQA {card.Atqa:X4} SAK {card.Sak:X2} is not a MIFARE Classic 1K or 4K");

    // The single card on the reader, selected, with the steps that work on it.
    private async Task<(PresentedCard Card, CardSteps Steps)> PresentAsync(ICardBlockTransport transport, SiteCardKeys keys, CancellationToken cancellationToken)
    {
        var cards = await transport.DetectCardsAsync(cancellationToken).ConfigureAwait(false);
        var card = Single(cards);
        await transport.SelectAsync(cards[0], cancellationToken).ConfigureAwait(false);
        return (card, new CardSteps(transport, card.Uid, card.Type, keys));
    }

    private async Task WriteIssueAsync(long id, CardSteps steps, CardPayload payload, SiteCardKeys keys, CancellationToken cancellationToken)
    {
        var version = payload.KeyVersion;
        var data = CardLayout.Encode(payload, Convert.FromHexString(steps.Uid), keys);

        await _journal.RecordStepAsync(id, CardWriteStep.Authenticate, cancellationToken).ConfigureAwait(false);
        var state = await StepAsync(steps, s => s.ProbePayloadSectorAsync(version, preferIssued: false, cancellationToken)).ConfigureAwait(false);

        await _journal.RecordStepAsync(id, CardWriteStep.RekeyOtherSectors, cancellationToken).ConfigureAwait(false);
        await StepAsync(steps, s => s.RekeyOthersAsync(version, toIssued: true, cancellationToken)).ConfigureAwait(false);

        await _journal.RecordStepAsync(id, CardWriteStep.WriteData, cancellationToken).ConfigureAwait(false);
        await StepAsync(steps, s => s.WritePayloadAsync(version, state, data, cancellationToken)).ConfigureAwait(false);

        await _journal.RecordStepAsync(id, CardWriteStep.ReadBack, cancellationToken).ConfigureAwait(false);
        await StepAsync(steps, s => s.ReadBackAsync(version, state, data, cancellationToken)).ConfigureAwait(false);

        if (state == SectorState.Transport)
        {
            await _journal.RecordStepAsync(id, CardWriteStep.WriteTrailer, cancellationToken).ConfigureAwait(false);
            await StepAsync(steps, s => s.FinishPayloadTrailerAsync(version, toIssued: true, cancellationToken)).ConfigureAwait(false);
        }

        await _journal.RecordStepAsync(id, CardWriteStep.Verify, cancellationToken).ConfigureAwait(false);
        await StepAsync(steps, s => s.VerifyIssuedAsync(payload, payloadReadBack: true, cancellationToken)).ConfigureAwait(false);
    }

    private async Task WriteEraseAsync(long id, CardSteps steps, CancellationToken cancellationToken)
    {
        await _journal.RecordStepAsync(id, CardWriteStep.Authenticate, cancellationToken).ConfigureAwait(false);
        var (state, version) = await StepAsync(steps, s => s.ProbeAnyVersionAsync(CardLayout.PayloadSector, cancellationToken)).ConfigureAwait(false);

        await _journal.RecordStepAsync(id, CardWriteStep.WriteData, cancellationToken).ConfigureAwait(false);
        await StepAsync(steps, s => s.WritePayloadAsync(version, state, Zeros, cancellationToken)).ConfigureAwait(false);

        await _journal.RecordStepAsync(id, CardWriteStep.ReadBack, cancellationToken).ConfigureAwait(false);
        await StepAsync(steps, s => s.ReadBackAsync(version, state, Zeros, cancellationToken)).ConfigureAwait(false);

        await _journal.RecordStepAsync(id, CardWriteStep.RekeyOtherSectors, cancellationToken).ConfigureAwait(false);
        await StepAsync(steps, s => s.RekeyOthersAsync(version, toIssued: false, cancellationToken)).ConfigureAwait(false);

        if (state == SectorState.Issued)
        {
            await _journal.RecordStepAsync(id, CardWriteStep.WriteTrailer, cancellationToken).ConfigureAwait(false);
            await StepAsync(steps, s => s.FinishPayloadTrailerAsync(version, toIssued: false, cancellationToken)).ConfigureAwait(false);
        }

        await _journal.RecordStepAsync(id, CardWriteStep.Verify, cancellationToken).ConfigureAwait(false);
        await StepAsync(steps, s => s.VerifyBlankAsync(cancellationToken)).ConfigureAwait(false);
    }

    // A step is idempotent (it probes the card's state first), so a step whose command the card
    // refused is run once more; a card taken away or a silent reader is not retried.
    private async Task<T> StepAsync<T>(CardSteps steps, Func<CardSteps, Task<T>> work)
    {
        try
        {
            return await work(steps).ConfigureAwait(false);
        }
        catch (CardEncoderException ex) when (ex is CardWriteException or CardAuthenticationException)
        {
            _logger.LogWarning("Card step failed on {Port} ({Reason}); trying the step once more", Port, ex.Message);
            steps.ForgetSession();
            return await work(steps).ConfigureAwait(false);
        }
    }

    private Task StepAsync(CardSteps steps, Func<CardSteps, Task> work) => StepAsync(steps, async s =>
    {
        await work(s).ConfigureAwait(false);
        return true;
    });
}
