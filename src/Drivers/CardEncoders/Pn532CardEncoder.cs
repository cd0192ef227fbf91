using System.Collections.Concurrent;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Drivers.CardEncoders;

/// <summary>Settings of one PN532 encoder.</summary>
/// <param name="Port">Serial port path (/dev/ttyUSB0, COM4).</param>
/// <param name="SiteId">This site's id, written on issued cards and expected on read ones.</param>
public sealed record Pn532EncoderOptions(string Port, string SiteId)
{
    /// <summary>How often <see cref="ICardEncoder.WaitForCardAsync"/> looks for a card.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Gateway's own HSU frame layer (the default on Linux) or the Iot.Device.Bindings Pn532 class
    /// (the default elsewhere). See docs/encoder.md for why the hot path bypasses the binding.
    /// </summary>
    public Pn532Transport Transport { get; init; } = Pn532Transport.Auto;

    /// <summary>
    /// How long the direct transport waits for the ACK and then for the reply of each command before
    /// it aborts the command (the binding's deadline is a fixed 89 ms). A PN532 answers a MIFARE
    /// command in a few milliseconds; the margin is for a loaded host.
    /// </summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>
/// <see cref="ICardEncoder"/> over a PN532 on HSU serial (115200 8N1): Gateway's own frame layer on
/// Linux, the Iot.Device.Bindings Pn532 class elsewhere (<see cref="Pn532EncoderOptions.Transport"/>).
/// Both are synchronous and not thread-safe, so every PN532 command runs on this encoder's own worker thread; the async methods journal each step, then hand the step's
/// commands to that thread. The binding's sentinels (-1, null, false) and exceptions are turned
/// into the typed errors of <see cref="ICardEncoder"/> here and nowhere else. When the port fails or
/// the reader stops answering, the binding object is dropped and the next call opens the port again.
/// </summary>
public sealed class Pn532CardEncoder : ICardEncoder
{
    private static readonly byte[] Zeros = new byte[CardLayout.PayloadLength];

    private readonly Pn532EncoderOptions _options;
    private readonly SiteCardKeys? _keys;
    private readonly ICardWriteJournal _journal;
    private readonly ILogger _logger;
    private readonly BlockingCollection<Action> _queue = [];
    private readonly Thread _worker;
    private readonly SemaphoreSlim _operation = new(1, 1);
    private IPn532Port? _reader;

    // The sector the card is authenticated to right now, and with which keys (worker thread only).
    // A step that follows on the same sector with the same keys needs no new authentication: the
    // card keeps the session until another authentication, a failed command or a reselect.
    private Session? _session;
    private long _commands;

    /// <param name="options">Port and site.</param>
    /// <param name="keys">The site's card keys; null allows only <see cref="GetInfoAsync"/> and <see cref="WaitForCardAsync"/>.</param>
    /// <param name="journal">Where card writes are journaled before each step.</param>
    /// <param name="logger">Never receives key material.</param>
    public Pn532CardEncoder(Pn532EncoderOptions options, SiteCardKeys? keys, ICardWriteJournal journal, ILogger<Pn532CardEncoder>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _keys = keys;
        _journal = journal ?? throw new ArgumentNullException(nameof(journal));
        _logger = logger ?? NullLogger<Pn532CardEncoder>.Instance;
        _worker = new Thread(WorkLoop) { IsBackground = true, Name = $"pn532 {options.Port}" };
        _worker.Start();
    }

    private enum SectorState
    {
        Transport,
        Issued,
    }

    /// <inheritdoc />
    public string Port => _options.Port;

    /// <inheritdoc />
    public long CommandCount => Interlocked.Read(ref _commands);

    /// <inheritdoc />
    public async Task<EncoderInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        await _operation.WaitAsync(cancellationToken);
        try
        {
            return await OnWorker(() =>
            {
                var firmware = Reader().Firmware;
                var cards = List();
                return new EncoderInfo(Port, firmware, cards.Count == 1 ? cards[0].Card : null);
            });
        }
        finally
        {
            _operation.Release();
        }
    }

    /// <inheritdoc />
    public async Task<PresentedCard> WaitForCardAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            try
            {
                return (await PresentAsync(deadline.Token)).Card;
            }
            catch (CardNotPresentException)
            {
                try
                {
                    await Task.Delay(_options.PollInterval, deadline.Token);
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
    public async Task<GatewayCard> ReadAsync(CancellationToken cancellationToken)
    {
        var keys = RequireKeys();
        var target = await PresentAsync(cancellationToken);
        var uid = target.Card.Uid;
        var open = await _journal.FindOpenAsync(uid, cancellationToken);
        if (open is not null)
        {
            throw new NotGatewayCardException(Port, uid, NotGatewayCardReason.Torn, $"an interrupted {open.Kind.ToString().ToLowerInvariant()} is open on this card (journal #{open.Id}, last step {open.LastStep?.ToString() ?? "none"}); recover it first");
        }

        await _operation.WaitAsync(cancellationToken);
        try
        {
            CardPayload payload;
            try
            {
                payload = await OnWorker(() => ReadPayload(target, keys, cancellationToken));
            }
            catch (CardEncoderException ex) when (ex is CardWriteException or CardAuthenticationException || (ex is NotGatewayCardException n && n.Reason == NotGatewayCardReason.UnknownKeys))
            {
                // A lost reply looks like a wrong key to the binding: read once more before saying so.
                _logger.LogDebug("Reading card {CardUid} on {Port} once more after {Reason}", uid, Port, ex.Message);
                payload = await OnWorker(() => ReadPayload(target, keys, cancellationToken));
            }

            return new GatewayCard(target.Card, payload);
        }
        finally
        {
            _operation.Release();
        }
    }

    /// <inheritdoc />
    public async Task<GatewayCard> IssueAsync(CardIssueRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var keys = RequireKeys();
        var payload = new CardPayload(_options.SiteId, request.CardNumber, request.Kind, request.IssueCounter, keys.CurrentVersion);
        var target = await PresentAsync(cancellationToken);
        var uid = target.Card.Uid;
        if (request.ExpectedUid is not null && !string.Equals(request.ExpectedUid, uid, StringComparison.OrdinalIgnoreCase))
        {
            throw new CardNotBlankException(Port, uid, $"card {uid} is on the encoder, not the expected {request.ExpectedUid.ToUpperInvariant()}");
        }

        var open = await _journal.FindOpenAsync(uid, cancellationToken);
        long id;
        if (open is not null)
        {
            if (open.Kind != CardWriteOperationKind.Issue || open.Payload != payload)
            {
                throw new NotGatewayCardException(Port, uid, NotGatewayCardReason.Torn, $"an interrupted {open.Kind.ToString().ToLowerInvariant()} (journal #{open.Id}) is open on this card; recover it first");
            }

            id = open.Id;
            _logger.LogInformation("Resuming interrupted issue {OperationId} of card {CardUid} on {Port}", id, uid, Port);
        }
        else
        {
            await _operation.WaitAsync(cancellationToken);
            try
            {
                await StepAsync(() => EnsureBlank(target, keys, cancellationToken));
            }
            finally
            {
                _operation.Release();
            }

            id = await _journal.BeginAsync(CardWriteOperationKind.Issue, uid, payload, cancellationToken);
        }

        await WriteIssueAsync(id, target, payload, keys, cancellationToken);
        await _journal.CompleteAsync(id, CardWriteOutcome.Completed, cancellationToken);
        _logger.LogInformation("Issued card {CardUid} as number {CardNumber} ({CardKind}) on {Port}", uid, payload.CardNumber, payload.Kind, Port);
        return new GatewayCard(target.Card, payload);
    }

    /// <inheritdoc />
    public async Task<GatewayCard> VerifyAsync(CardPayload expected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var keys = RequireKeys();
        var target = await PresentAsync(cancellationToken);
        await _operation.WaitAsync(cancellationToken);
        try
        {
            await OnWorker(() => VerifyIssued(target, expected, keys, cancellationToken));
        }
        finally
        {
            _operation.Release();
        }

        return new GatewayCard(target.Card, expected);
    }

    /// <inheritdoc />
    public async Task<PresentedCard> EraseAsync(CancellationToken cancellationToken)
    {
        var keys = RequireKeys();
        var target = await PresentAsync(cancellationToken);
        var open = await _journal.FindOpenAsync(target.Card.Uid, cancellationToken);
        var id = open is { Kind: CardWriteOperationKind.Erase } ? open.Id : await _journal.BeginAsync(CardWriteOperationKind.Erase, target.Card.Uid, null, cancellationToken);
        await WriteEraseAsync(id, target, keys, cancellationToken);
        await _journal.CompleteAsync(id, CardWriteOutcome.Completed, cancellationToken);
        if (open is { Kind: CardWriteOperationKind.Issue })
        {
            await _journal.CompleteAsync(open.Id, CardWriteOutcome.RolledBack, cancellationToken);
        }

        _logger.LogInformation("Erased card {CardUid} to transport keys on {Port}", target.Card.Uid, Port);
        return target.Card;
    }

    /// <inheritdoc />
    public async Task<CardWriteOutcome?> RecoverAsync(bool rollBack, CancellationToken cancellationToken)
    {
        var keys = RequireKeys();
        var target = await PresentAsync(cancellationToken);
        var open = await _journal.FindOpenAsync(target.Card.Uid, cancellationToken);
        if (open is null)
        {
            return null;
        }

        if (open.Kind == CardWriteOperationKind.Issue && !rollBack && open.Payload is not null)
        {
            await WriteIssueAsync(open.Id, target, open.Payload, keys, cancellationToken);
            await _journal.CompleteAsync(open.Id, CardWriteOutcome.Completed, cancellationToken);
            _logger.LogInformation("Finished interrupted issue {OperationId} of card {CardUid}", open.Id, target.Card.Uid);
            return CardWriteOutcome.Completed;
        }

        await WriteEraseAsync(open.Id, target, keys, cancellationToken);
        var outcome = open.Kind == CardWriteOperationKind.Issue ? CardWriteOutcome.RolledBack : CardWriteOutcome.Completed;
        await _journal.CompleteAsync(open.Id, outcome, cancellationToken);
        _logger.LogInformation("Rolled interrupted {OperationKind} {OperationId} of card {CardUid} back to blank", open.Kind, open.Id, target.Card.Uid);
        return outcome;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.CompleteAdding();
        await Task.Run(() => _worker.Join(TimeSpan.FromSeconds(5)));
        _reader?.Dispose();
        _reader = null;
        _queue.Dispose();
        _operation.Dispose();
    }

    private SiteCardKeys RequireKeys() => _keys ?? throw new CardKeyException("no card master key is configured: reading and writing Gateway cards needs the site key");

    // ---- orchestration: journal, then the step's commands on the worker ----

    private async Task WriteIssueAsync(long id, Target target, CardPayload payload, SiteCardKeys keys, CancellationToken cancellationToken)
    {
        var data = CardLayout.Encode(payload, UidBytes(target), keys);
        await _operation.WaitAsync(cancellationToken);
        try
        {
            await _journal.RecordStepAsync(id, CardWriteStep.Authenticate, cancellationToken);
            var state = await StepAsync(() => ProbePayloadSector(target, keys, payload.KeyVersion, preferIssued: false));

            await _journal.RecordStepAsync(id, CardWriteStep.RekeyOtherSectors, cancellationToken);
            await StepAsync(() => RekeyOthers(target, keys, payload.KeyVersion, toIssued: true, cancellationToken));

            await _journal.RecordStepAsync(id, CardWriteStep.WriteData, cancellationToken);
            await StepAsync(() => WritePayload(target, keys, payload.KeyVersion, state, data, cancellationToken));

            await _journal.RecordStepAsync(id, CardWriteStep.ReadBack, cancellationToken);
            await StepAsync(() => ReadBack(target, keys, payload.KeyVersion, state, data));

            if (state == SectorState.Transport)
            {
                await _journal.RecordStepAsync(id, CardWriteStep.WriteTrailer, cancellationToken);
                await StepAsync(() => FinishPayloadTrailer(target, keys, payload.KeyVersion, toIssued: true));
            }

            await _journal.RecordStepAsync(id, CardWriteStep.Verify, cancellationToken);
            await StepAsync(() => VerifyIssued(target, payload, keys, cancellationToken, payloadReadBack: true));
        }
        finally
        {
            _operation.Release();
        }
    }

    private async Task WriteEraseAsync(long id, Target target, SiteCardKeys keys, CancellationToken cancellationToken)
    {
        await _operation.WaitAsync(cancellationToken);
        try
        {
            await _journal.RecordStepAsync(id, CardWriteStep.Authenticate, cancellationToken);
            var (state, version) = await StepAsync(() => ProbeAnyVersion(target, keys, CardLayout.PayloadSector));

            await _journal.RecordStepAsync(id, CardWriteStep.WriteData, cancellationToken);
            await StepAsync(() => WritePayload(target, keys, version, state, Zeros, cancellationToken));

            await _journal.RecordStepAsync(id, CardWriteStep.ReadBack, cancellationToken);
            await StepAsync(() => ReadBack(target, keys, version, state, Zeros));

            await _journal.RecordStepAsync(id, CardWriteStep.RekeyOtherSectors, cancellationToken);
            await StepAsync(() => RekeyOthers(target, keys, version, toIssued: false, cancellationToken));

            if (state == SectorState.Issued)
            {
                await _journal.RecordStepAsync(id, CardWriteStep.WriteTrailer, cancellationToken);
                await StepAsync(() => FinishPayloadTrailer(target, keys, version, toIssued: false));
            }

            await _journal.RecordStepAsync(id, CardWriteStep.Verify, cancellationToken);
            await StepAsync(() => VerifyBlank(target, cancellationToken));
        }
        finally
        {
            _operation.Release();
        }
    }

    private async Task<Target> PresentAsync(CancellationToken cancellationToken)
    {
        await _operation.WaitAsync(cancellationToken);
        try
        {
            var cards = await OnWorker(List);
            return cards.Count switch
            {
                0 => throw new CardNotPresentException(Port, "no card on the encoder"),
                1 => cards[0],
                _ => throw new MultipleCardsException(Port, cards.Count),
            };
        }
        finally
        {
            _operation.Release();
        }
    }

    // ---- worker-thread steps (synchronous, binding calls) ----

    private void EnsureBlank(Target target, SiteCardKeys keys, CancellationToken cancellationToken)
    {
        // A lost reply looks like a refused key: "not blank" is concluded only after two rounds.
        for (var round = 0; round < 2; round++)
        {
            if (AuthenticateAs(target, keys, keys.CurrentVersion, CardLayout.PayloadSector, SectorState.Transport))
            {
                var data = ReadBlocks(target, CardLayout.PayloadBlocks);
                if (data.AsSpan().IndexOfAnyExcept((byte)0) >= 0)
                {
                    throw new CardNotBlankException(Port, target.Card.Uid, $"card {target.Card.Uid} has transport keys but data in its payload sector: not blank stock (erase it first)");
                }

                return;
            }

            Reselect(target);
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var version in keys.Versions)
            {
                if (Authenticate(target, CardLayout.PayloadSector, MifareKeySlot.B, keys.SectorKey(UidBytes(target), version, CardLayout.PayloadSector, MifareKeySlot.B)))
                {
                    throw new CardNotBlankException(Port, target.Card.Uid, $"card {target.Card.Uid} is already a Gateway card of this site (key version {version}); erase it to reuse it");
                }

                Reselect(target);
            }
        }

        throw new CardNotBlankException(Port, target.Card.Uid, $"card {target.Card.Uid} is not blank stock: its payload sector opens neither with the transport key nor with this site's keys");
    }

    private SectorState ProbePayloadSector(Target target, SiteCardKeys keys, byte version, bool preferIssued)
    {
        return ProbeSector(target, keys, version, CardLayout.PayloadSector, preferIssued)
            ?? throw new CardAuthenticationException(Port, target.Card.Uid, CardLayout.PayloadSector, $"sector {CardLayout.PayloadSector} of card {target.Card.Uid} opens neither with the transport key nor with this site's key version {version}");
    }

    private (SectorState State, byte Version) ProbeAnyVersion(Target target, SiteCardKeys keys, int sector)
    {
        foreach (var version in keys.Versions)
        {
            if (AuthenticateAs(target, keys, version, sector, SectorState.Issued))
            {
                return (SectorState.Issued, version);
            }

            Reselect(target);
        }

        if (AuthenticateAs(target, keys, keys.CurrentVersion, sector, SectorState.Transport))
        {
            return (SectorState.Transport, keys.CurrentVersion);
        }

        Reselect(target);
        throw new CardAuthenticationException(Port, target.Card.Uid, sector, $"sector {sector} of card {target.Card.Uid} opens neither with the transport key nor with any key version this site holds");
    }

    // Which keys open the sector: the transport key A or this site's key B of `version`; null for neither.
    // A failed authentication halts the card, so each miss is followed by a reselect.
    private SectorState? ProbeSector(Target target, SiteCardKeys keys, byte version, int sector, bool preferIssued)
    {
        if (_session is { } session && session.Target == target.Number && session.Sector == sector && session.Version == version)
        {
            // Just authenticated with these keys: they open the sector.
            return session.State;
        }

        SectorState[] order = preferIssued ? [SectorState.Issued, SectorState.Transport] : [SectorState.Transport, SectorState.Issued];

        // The binding reports a wrong key and a lost reply alike (-1): a sector is declared
        // unknown only after a second round fails too. This is the encoder's one retry.
        for (var round = 0; round < 2; round++)
        {
            foreach (var candidate in order)
            {
                if (AuthenticateAs(target, keys, version, sector, candidate))
                {
                    return candidate;
                }

                Reselect(target);
            }
        }

        return null;
    }

    private bool AuthenticateAs(Target target, SiteCardKeys keys, byte version, int sector, SectorState state)
    {
        var ok = state == SectorState.Transport
            ? Authenticate(target, sector, MifareKeySlot.A, MifareClassic.TransportKey)
            : Authenticate(target, sector, MifareKeySlot.B, keys.SectorKey(UidBytes(target), version, sector, MifareKeySlot.B));
        if (ok)
        {
            _session = new Session(target.Number, sector, state, version);
        }

        return ok;
    }

    // Authenticates unless the card already is, to this sector with these keys.
    private bool EnsureAuthenticated(Target target, SiteCardKeys keys, byte version, int sector, SectorState state) =>
        _session == new Session(target.Number, sector, state, version) || AuthenticateAs(target, keys, version, sector, state);

    private void RekeyOthers(Target target, SiteCardKeys keys, byte version, bool toIssued, CancellationToken cancellationToken)
    {
        for (var sector = 0; sector < MifareClassic.SectorCount(target.Card.Type); sector++)
        {
            if (sector == CardLayout.PayloadSector)
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var state = ProbeSector(target, keys, version, sector, preferIssued: !toIssued)
                ?? throw new CardAuthenticationException(Port, target.Card.Uid, sector, $"sector {sector} of card {target.Card.Uid} opens neither with the transport key nor with this site's keys: it was not written by Gateway");
            if ((state == SectorState.Issued) != toIssued)
            {
                WriteTrailer(target, keys, version, sector, state, toIssued, alreadyAuthenticated: true);
            }
        }
    }

    private void WritePayload(Target target, SiteCardKeys keys, byte version, SectorState state, byte[] data, CancellationToken cancellationToken)
    {
        if (!EnsureAuthenticated(target, keys, version, CardLayout.PayloadSector, state))
        {
            Reselect(target);
            throw new CardAuthenticationException(Port, target.Card.Uid, CardLayout.PayloadSector, $"sector {CardLayout.PayloadSector} of card {target.Card.Uid} refused the key it opened with a moment ago");
        }

        for (var i = 0; i < CardLayout.PayloadBlocks.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            WriteBlock(target, CardLayout.PayloadBlocks[i], data.AsSpan(i * MifareClassic.BlockSize, MifareClassic.BlockSize).ToArray());
        }
    }

    private void ReadBack(Target target, SiteCardKeys keys, byte version, SectorState state, byte[] expected)
    {
        if (!EnsureAuthenticated(target, keys, version, CardLayout.PayloadSector, state))
        {
            Reselect(target);
            throw new CardAuthenticationException(Port, target.Card.Uid, CardLayout.PayloadSector, $"sector {CardLayout.PayloadSector} of card {target.Card.Uid} refused its key before the read-back");
        }

        var read = ReadBlocks(target, CardLayout.PayloadBlocks);
        if (!read.AsSpan().SequenceEqual(expected))
        {
            throw new CardWriteException(Port, target.Card.Uid, CardLayout.PayloadBlocks[0], $"the payload of card {target.Card.Uid} did not read back as written");
        }
    }

    // The payload sector's trailer, written last; on a retry the sector may already have its new keys.
    private void FinishPayloadTrailer(Target target, SiteCardKeys keys, byte version, bool toIssued)
    {
        var state = ProbePayloadSector(target, keys, version, preferIssued: toIssued);
        if ((state == SectorState.Issued) != toIssued)
        {
            WriteTrailer(target, keys, version, CardLayout.PayloadSector, state, toIssued, alreadyAuthenticated: true);
        }
    }

    private void WriteTrailer(Target target, SiteCardKeys keys, byte version, int sector, SectorState current, bool toIssued, bool alreadyAuthenticated = false)
    {
        if (!alreadyAuthenticated && !AuthenticateAs(target, keys, version, sector, current))
        {
            Reselect(target);
            throw new CardAuthenticationException(Port, target.Card.Uid, sector, $"sector {sector} of card {target.Card.Uid} refused its key before the trailer write");
        }

        var uid = UidBytes(target);
        var trailer = toIssued
            ? AccessBits.BuildTrailer(keys.SectorKey(uid, version, sector, MifareKeySlot.A), AccessBits.Issued, keys.SectorKey(uid, version, sector, MifareKeySlot.B))
            : AccessBits.BuildTrailer(MifareClassic.TransportKey, AccessBits.Transport, MifareClassic.TransportKey);
        var block = MifareClassic.TrailerBlock(sector);
        var ret = TryWriteBlock(target, block, trailer);
        if (ret == Pn532Port.NoReply)
        {
            // The reply was late, so the write may or may not have been done. The sector says which:
            // the new keys open it (done), or the old ones still do (write again).
            Reselect(target);
            if (AuthenticateAs(target, keys, version, sector, toIssued ? SectorState.Issued : SectorState.Transport))
            {
                return;
            }

            Reselect(target);
            if (AuthenticateAs(target, keys, version, sector, current))
            {
                ret = TryWriteBlock(target, block, trailer);
            }
        }

        if (ret < 0)
        {
            CheckStillThere(target);
            throw new CardWriteException(Port, target.Card.Uid, block, $"block {block} of card {target.Card.Uid} could not be written");
        }
    }

    // payloadReadBack: this issue's ReadBack step already read the payload blocks and compared them
    // with what was written (only the trailer was written since, which is checked here), so they are
    // not read again.
    private void VerifyIssued(Target target, CardPayload expected, SiteCardKeys keys, CancellationToken cancellationToken, bool payloadReadBack = false)
    {
        var uid = UidBytes(target);
        var version = expected.KeyVersion;
        if (!Authenticate(target, CardLayout.PayloadSector, MifareKeySlot.A, keys.SectorKey(uid, version, CardLayout.PayloadSector, MifareKeySlot.A)))
        {
            Reselect(target);
            throw new CardAuthenticationException(Port, target.Card.Uid, CardLayout.PayloadSector, $"card {target.Card.Uid} does not open with its new key A: not issued");
        }

        if (!payloadReadBack)
        {
            var data = ReadBlocks(target, CardLayout.PayloadBlocks);
            var payload = CardLayout.TryDecode(data, uid, keys, out var reason, out var detail)
                ?? throw new NotGatewayCardException(Port, target.Card.Uid, reason, detail);
            if (payload != expected)
            {
                throw new CardWriteException(Port, target.Card.Uid, CardLayout.PayloadBlocks[0], $"card {target.Card.Uid} carries card number {payload.CardNumber}, not the expected {expected.CardNumber}");
            }
        }

        var trailer = ReadBlock(target, MifareClassic.TrailerBlock(CardLayout.PayloadSector));
        if (!trailer.AsSpan(6, 3).SequenceEqual(AccessBits.Issued.Encode()))
        {
            throw new CardWriteException(Port, target.Card.Uid, MifareClassic.TrailerBlock(CardLayout.PayloadSector), $"the payload sector of card {target.Card.Uid} does not have Gateway's access bits");
        }

        for (var sector = 0; sector < MifareClassic.SectorCount(target.Card.Type); sector++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!Authenticate(target, sector, MifareKeySlot.B, keys.SectorKey(uid, version, sector, MifareKeySlot.B)))
            {
                Reselect(target);
                throw new CardAuthenticationException(Port, target.Card.Uid, sector, $"sector {sector} of card {target.Card.Uid} does not open with its new key B");
            }
        }
    }

    private void VerifyBlank(Target target, CancellationToken cancellationToken)
    {
        for (var sector = 0; sector < MifareClassic.SectorCount(target.Card.Type); sector++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!Authenticate(target, sector, MifareKeySlot.A, MifareClassic.TransportKey))
            {
                Reselect(target);
                throw new CardAuthenticationException(Port, target.Card.Uid, sector, $"sector {sector} of card {target.Card.Uid} does not open with the transport key after erase");
            }

            if (sector == CardLayout.PayloadSector && ReadBlocks(target, CardLayout.PayloadBlocks).AsSpan().IndexOfAnyExcept((byte)0) >= 0)
            {
                throw new CardWriteException(Port, target.Card.Uid, CardLayout.PayloadBlocks[0], $"the payload of card {target.Card.Uid} is not empty after erase");
            }
        }
    }

    private CardPayload ReadPayload(Target target, SiteCardKeys keys, CancellationToken cancellationToken)
    {
        var uid = UidBytes(target);
        foreach (var version in keys.Versions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!Authenticate(target, CardLayout.PayloadSector, MifareKeySlot.A, keys.SectorKey(uid, version, CardLayout.PayloadSector, MifareKeySlot.A)))
            {
                Reselect(target);
                continue;
            }

            var data = ReadBlocks(target, CardLayout.PayloadBlocks);
            var payload = CardLayout.TryDecode(data, uid, keys, out var reason, out var detail)
                ?? throw new NotGatewayCardException(Port, target.Card.Uid, reason, detail);
            if (payload.KeyVersion != version)
            {
                throw new NotGatewayCardException(Port, target.Card.Uid, NotGatewayCardReason.InvalidField, $"the payload names key version {payload.KeyVersion} but the sector opens with version {version}");
            }

            if (!string.Equals(payload.SiteId, _options.SiteId, StringComparison.Ordinal))
            {
                throw new NotGatewayCardException(Port, target.Card.Uid, NotGatewayCardReason.OtherSite, $"it is card number {payload.CardNumber} of site '{payload.SiteId}', not of this site '{_options.SiteId}'");
            }

            return payload;
        }

        if (Authenticate(target, CardLayout.PayloadSector, MifareKeySlot.A, MifareClassic.TransportKey))
        {
            var data = ReadBlocks(target, CardLayout.PayloadBlocks);
            if (data.AsSpan().IndexOfAnyExcept((byte)0) < 0)
            {
                throw new NotGatewayCardException(Port, target.Card.Uid, NotGatewayCardReason.Blank, "it is blank stock (transport keys, empty payload)");
            }

            throw new NotGatewayCardException(Port, target.Card.Uid, NotGatewayCardReason.Torn, "its payload sector has transport keys but holds data: an interrupted issue or erase");
        }

        Reselect(target);
        throw new NotGatewayCardException(Port, target.Card.Uid, NotGatewayCardReason.UnknownKeys, $"its payload sector opens with none of this site's keys (versions {string.Join(", ", keys.Versions)}) nor the transport key: another site's card, a wrong site key, or a card of another system");
    }

    // ---- single PN532 commands, translated ----

    private List<Target> List()
    {
        _session = null;
        var reader = Reader();
        var raw = Call(reader.ListPassiveTargets);
        if (raw is null)
        {
            // No answer in time. Listing changes nothing, so when the reader answers a cheap probe
            // the list is asked once more; a silent reader throws from the probe.
            Probe();
            raw = Call(reader.ListPassiveTargets);
            if (raw is null)
            {
                DropReader();
                throw new EncoderNotRespondingException(Port, "the PN532 does not answer InListPassiveTarget");
            }
        }

        var targets = new List<Target>();
        var i = 1;
        for (var t = 0; t < raw[0] && i + 5 <= raw.Length; t++)
        {
            var tg = raw[i];
            var atqa = (ushort)((raw[i + 1] << 8) | raw[i + 2]);
            var sak = raw[i + 3];
            var length = raw[i + 4];
            if (i + 5 + length > raw.Length)
            {
                break;
            }

            var uid = raw.AsSpan(i + 5, length).ToArray();
            i += 5 + length;
            if ((sak & 0x20) != 0 && i < raw.Length)
            {
                i += raw[i]; // ISO 14443-4 ATS (its first byte is its length)
            }

            var type = MifareClassic.FromAtqaSak(atqa, sak);
            if (type is null)
            {
                throw new NotGatewayCardException(Port, Convert.ToHexString(uid), NotGatewayCardReason.UnsupportedCard, $"ATQA {atqa:X4} SAK {sak:X2} is not a MIFARE Classic 1K or 4K");
            }

            targets.Add(new Target(new PresentedCard(Convert.ToHexString(uid), type.Value, atqa, sak), tg, uid));
        }

        return targets;
    }

    // MIFARE Classic commands inside InDataExchange: 60h/61h authenticate (block, key, the UID's last
    // four bytes), 30h read 16 bytes, A0h write 16 bytes.
    private bool Authenticate(Target target, int sector, MifareKeySlot slot, ReadOnlySpan<byte> key)
    {
        _session = null;
        Span<byte> command = stackalloc byte[12];
        command[0] = slot == MifareKeySlot.A ? (byte)0x60 : (byte)0x61;
        command[1] = (byte)MifareClassic.TrailerBlock(sector);
        key.CopyTo(command[2..]);
        target.UidBytes.AsSpan(target.UidBytes.Length - 4).CopyTo(command[8..]);
        var sent = command.ToArray();
        command.Clear();
        var reader = Reader();
        var ret = Call(() => reader.Exchange(target.Number, sent, []));
        if (ret == Pn532Port.NoReply)
        {
            // The reply was late, not a refusal: authenticating again changes nothing, so ask once more.
            ret = Call(() => reader.Exchange(target.Number, sent, []));
        }

        Array.Clear(sent);
        if (ret == Pn532Port.NoReply)
        {
            throw LateTwice("an authentication");
        }

        return ret >= 0;
    }

    private byte[] ReadBlock(Target target, int block)
    {
        var reader = Reader();
        var data = new byte[MifareClassic.BlockSize];
        var n = Call(() => reader.Exchange(target.Number, [0x30, (byte)block], data));
        if (n == Pn532Port.NoReply)
        {
            // A late reply (a loaded host, a slow reader): reading is idempotent, so read once more.
            n = Call(() => reader.Exchange(target.Number, [0x30, (byte)block], data));
        }

        if (n == Pn532Port.NoReply)
        {
            throw LateTwice("a block read");
        }

        if (n != MifareClassic.BlockSize)
        {
            _session = null;
            CheckStillThere(target);
            throw new CardWriteException(Port, target.Card.Uid, block, $"block {block} of card {target.Card.Uid} could not be read");
        }

        return data;
    }

    private byte[] ReadBlocks(Target target, IReadOnlyList<int> blocks)
    {
        var data = new byte[blocks.Count * MifareClassic.BlockSize];
        for (var i = 0; i < blocks.Count; i++)
        {
            ReadBlock(target, blocks[i]).CopyTo(data, i * MifareClassic.BlockSize);
        }

        return data;
    }

    private void WriteBlock(Target target, int block, byte[] data)
    {
        if (TryWriteBlock(target, block, data) < 0)
        {
            CheckStillThere(target);
            throw new CardWriteException(Port, target.Card.Uid, block, $"block {block} of card {target.Card.Uid} could not be written");
        }
    }

    // 0 when written; -1 when refused; NoReply when a trailer write's reply was late (a data block's
    // late write is read back instead: done when it holds the data).
    private int TryWriteBlock(Target target, int block, byte[] data)
    {
        if (MifareClassic.IsTrailer(block) && !AccessBits.IsConsistent(data.AsSpan(6, 3)))
        {
            throw new InvalidOperationException("refusing to write a sector trailer with inconsistent access bits: it would lock the sector for good");
        }

        var command = new byte[2 + MifareClassic.BlockSize];
        command[0] = 0xA0;
        command[1] = (byte)block;
        data.CopyTo(command, 2);
        var reader = Reader();
        var ret = Call(() => reader.Exchange(target.Number, command, []));
        Array.Clear(command);
        if (ret == Pn532Port.NoReply && !MifareClassic.IsTrailer(block))
        {
            // The write's reply was late: reading the block back says whether it was done.
            var check = new byte[MifareClassic.BlockSize];
            var n = Call(() => reader.Exchange(target.Number, [0x30, (byte)block], check));
            if (n == Pn532Port.NoReply)
            {
                throw LateTwice("a block write and its read-back");
            }

            ret = n == MifareClassic.BlockSize && check.AsSpan().SequenceEqual(data) ? 0 : -1;
        }

        if (ret < 0 || MifareClassic.IsTrailer(block))
        {
            // A failed command ends the session; a written trailer makes its keys stale.
            _session = null;
        }

        return ret;
    }

    // A reply that missed its deadline again after the one re-send: a transport fault (the reader is
    // overloaded, the line is bad), never a verdict on the card; the next call reopens the port.
    private EncoderNotRespondingException LateTwice(string what)
    {
        _session = null;
        DropReader();
        return new EncoderNotRespondingException(Port, $"the PN532's replies to {what} missed the {_options.ReplyTimeout.TotalMilliseconds:0} ms deadline twice");
    }

    private void Reselect(Target target) => CheckStillThere(target);

    // After a failed card command: the card may have been taken away, or the reader may be gone.
    private void CheckStillThere(Target target)
    {
        _session = null;
        var reader = Reader();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (Call(() => reader.Reselect(target.Number)))
            {
                return;
            }
        }

        Probe();
        throw new CardNotPresentException(Port, $"card {target.Card.Uid} was taken off the encoder");
    }

    private void Probe()
    {
        var reader = Reader();
        if (!Call(reader.LimitPassiveActivationRetries))
        {
            DropReader();
            throw new EncoderNotRespondingException(Port, "the PN532 does not answer");
        }
    }

    private T Call<T>(Func<T> command)
    {
        Interlocked.Increment(ref _commands);
        try
        {
            return command();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException or TimeoutException or ObjectDisposedException)
        {
            DropReader();
            throw new EncoderNotRespondingException(Port, $"the serial port failed: {ex.Message}", ex);
        }
    }

    private IPn532Port Reader()
    {
        if (_reader is not null)
        {
            return _reader;
        }

        // Opening is tried twice: a reader just plugged in (or a simulator just started) may miss
        // the first frames.
        try
        {
            return Open();
        }
        catch (EncoderNotRespondingException ex)
        {
            _logger.LogInformation("PN532 on {Port} did not answer at open ({Reason}); trying once more", Port, ex.Message);
            return Open();
        }
    }

    private IPn532Port Open()
    {
        IPn532Port? reader = null;
        try
        {
            var direct = _options.Transport == Pn532Transport.Direct || (_options.Transport == Pn532Transport.Auto && OperatingSystem.IsLinux());
            if (direct && !OperatingSystem.IsLinux())
            {
                throw new PlatformNotSupportedException("the direct PN532 transport needs Linux termios");
            }

            // Wake-up and SAMConfiguration, then GetFirmwareVersion (the binding also sends SetParameters).
            Interlocked.Add(ref _commands, direct ? 2 : 4);
            reader = (direct && OperatingSystem.IsLinux() ? DirectPn532Port.Open(Port, _options.ReplyTimeout, _logger) : (IPn532Port?)BindingPn532Port.Open(Port))
                ?? throw new EncoderNotRespondingException(Port, "no PN532 answers on this port");

            // Finite passive-activation retries, so that InListPassiveTarget answers "no card" instead of waiting for one.
            Interlocked.Increment(ref _commands);
            if (!reader.LimitPassiveActivationRetries())
            {
                throw new EncoderNotRespondingException(Port, "the PN532 did not accept its configuration");
            }

            _logger.LogInformation("Opened PN532 encoder on {Port} ({Transport})", Port, direct ? "direct" : "binding");
            _reader = reader;
            reader = null;
            return _reader;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException or TimeoutException or ArgumentException)
        {
            throw new EncoderNotRespondingException(Port, $"the port cannot be opened: {ex.Message}", ex);
        }
        finally
        {
            reader?.Dispose();
        }
    }

    private void DropReader()
    {
        try
        {
            _reader?.Dispose();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            // The port is already gone.
        }

        _reader = null;
        _logger.LogWarning("Lost the PN532 encoder on {Port}; it will be reopened on the next operation", Port);
    }

    private static byte[] UidBytes(Target target) => target.UidBytes;

    // A step is idempotent (it probes the card's state first), so a step whose command lost its
    // reply is run once more; a card taken away or a silent reader is not retried.
    private async Task<T> StepAsync<T>(Func<T> work)
    {
        try
        {
            return await OnWorker(work);
        }
        catch (CardEncoderException ex) when (ex is CardWriteException or CardAuthenticationException)
        {
            _logger.LogWarning("Card step failed on {Port} ({Reason}); trying the step once more", Port, ex.Message);
            return await OnWorker(() =>
            {
                _session = null;
                return work();
            });
        }
    }

    private Task StepAsync(Action work) => StepAsync(() =>
    {
        work();
        return true;
    });

    private Task<T> OnWorker<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        });
        return done.Task;
    }

    private Task OnWorker(Action work) => OnWorker(() =>
    {
        work();
        return true;
    });

    private void WorkLoop()
    {
        foreach (var item in _queue.GetConsumingEnumerable())
        {
            item();
        }
    }

    private sealed record Target(PresentedCard Card, byte Number, byte[] UidBytes);

    private readonly record struct Session(byte Target, int Sector, SectorState State, byte Version);
}
