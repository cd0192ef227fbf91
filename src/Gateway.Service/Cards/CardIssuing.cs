using Gateway.Drivers.Barriers;
using Gateway.Service.Cards.Encoders;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Domain.Holders;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Domain.Zones;
using Gateway.Service.Holders;
using Gateway.Service.Parking;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Cards;

/// <summary>
/// Issuing and replacing a card through the encoder (DESIGN.md "Issuing"), for the desk's workflow
/// (<see cref="CardWorkflow"/>) and start-up recovery (<see cref="IssueRecovery"/>): the checks, the
/// money it charges, the issue journal, the write and the commit.
/// </summary>
/// <remarks>
/// In three steps: (1) decide and record the intent in the issue journal in one transaction, before the
/// card is touched; (2) write and verify the card through <see cref="ICardEncoderPort"/> with no
/// database lock held; (3) in one transaction set the card issued (and the replaced card lost or
/// damaged), record the hand-over, the charges, the outbox markers and the audit entries, and close the
/// journal. An attempt is named by its key (the API's Idempotency-Key): a retry with the same key finds
/// its open journal and resumes it with the same journal id; another attempt is refused while the
/// journal is open (unless it is older than <see cref="CardWorkflow.StaleJournal"/>). An issue whose card
/// verified before the service stopped is committed at start; a retry with its key then answers the
/// issued card. Every card change goes through <see cref="CardWorkflow.ApplyAsync"/>.
/// </remarks>
internal sealed class CardIssuing
{
    private static readonly TimeSpan StaleJournal = CardWorkflow.StaleJournal;

    private readonly UnitOfWorkFactory _writes;
    private readonly ICardEncoderPort _encoders;
    private readonly CardEncoderOptions _encoderOptions;
    private readonly ZoneMap _zones;
    private readonly BoardNumbering _boards;
    private readonly CardFeeSchedule _fees;
    private readonly SiteCalendar _calendar;
    private readonly ILogger _logger;

    public CardIssuing(UnitOfWorkFactory writes, ICardEncoderPort encoders, CardEncoderOptions encoderOptions, ZoneMap zones, BoardNumbering boards, CardFeeSchedule fees, SiteCalendar calendar, ILogger logger)
    {
        _writes = writes;
        _encoders = encoders;
        _encoderOptions = encoderOptions;
        _zones = zones;
        _boards = boards;
        _fees = fees;
        _calendar = calendar;
        _logger = logger;
    }

    /// <summary>An attempt to issue: an issue (Replaces null) or a replacement (Replaces set: holder and kind come from the old card).</summary>
    private sealed record Attempt(long CardNumber, long? HolderId, CardKind? Kind, long? Replaces, ReplaceReason? ReplaceReason, string? Encoder, HandOver HandOver, string? FeeReceipt = null, TemporaryTerms? Temporary = null)
    {
        /// <summary>What the issue charges, decided at its intent (or read back from its journal at start).</summary>
        public DueCharges? Charges { get; init; }
    }

    /// <summary>Issues a card in stock to a holder (see <see cref="CardWorkflow.IssueAsync(Actor, IssueOrder, string, CancellationToken)"/>).</summary>
    public Task<Outcome<CardView>> IssueAsync(Actor actor, IssueOrder order, string attemptKey, CancellationToken cancellationToken) =>
        IssueAsync(actor, new Attempt(order.CardNumber, order.HolderId, order.Kind, null, null, order.Encoder, order.HandOver, order.FeeReceiptNumber), attemptKey, cancellationToken);

    /// <summary>Replaces a card (see <see cref="CardWorkflow.ReplaceAsync"/>).</summary>
    public Task<Outcome<CardView>> ReplaceAsync(Actor actor, ReplaceOrder order, string attemptKey, CancellationToken cancellationToken) =>
        IssueAsync(actor, new Attempt(order.NewCardNumber, null, null, order.OldCardNumber, order.Reason, order.Encoder, order.HandOver, order.FeeReceiptNumber), attemptKey, cancellationToken);

    /// <summary>Issues a temporary card (see <see cref="CardWorkflow.IssueTemporaryAsync"/>): its window resolved and checked first.</summary>
    public Task<Outcome<CardView>> IssueTemporaryAsync(Actor actor, TemporaryIssueOrder order, string attemptKey, CancellationToken cancellationToken)
    {
        var now = _writes.Now;
        ValidityWindow window;
        if (order.Window.Days is { } days)
        {
            if (days is < 1 or > TemporaryCards.MaxDays)
            {
                return Task.FromResult<Outcome<CardView>>(Refusal.Invalid("days", $"must be from 1 to {TemporaryCards.MaxDays}"));
            }

            window = TemporaryCards.Days(_calendar, now, days);
        }
        else if (order.Window.UntilUtc is { } until)
        {
            window = new ValidityWindow(order.Window.FromUtc ?? now, until);
        }
        else
        {
            return Task.FromResult<Outcome<CardView>>(Refusal.Invalid("validUntil", "a temporary card needs an end: validUntil or days"));
        }

        if (!TemporaryCards.Check(new TemporaryTerms(order.Purpose, window, order.Bearer, order.StandsInFor), now).TryGetValue(out var terms, out var refusal))
        {
            return Task.FromResult<Outcome<CardView>>(refusal);
        }

        return IssueAsync(actor, new Attempt(order.CardNumber, order.HolderId, order.Kind, null, null, order.Encoder, order.HandOver, order.FeeReceiptNumber, terms), attemptKey, cancellationToken);
    }

    /// <summary>Commits at start an issue whose card verified before the service stopped (see <see cref="CardWorkflow.CommitAtStartAsync"/>).</summary>
    public Task<Outcome<CardView>> CommitAtStartAsync(IssueJournalEntry journal, string cardUid, CancellationToken cancellationToken)
    {
        var actor = new Actor(journal.OperatorId, journal.OperatorName ?? journal.OperatorId);
        var attempt = new Attempt(journal.CardNumber, journal.HolderId, journal.Kind, journal.Replaces, journal.ReplaceReason, journal.EncoderId, journal.HandOver!, journal.Charges?.ReceiptNumber, journal.Temporary) { Charges = journal.Charges };
        return CommitAsync(actor, attempt, cardUid, journal.Id, atStart: true, cancellationToken);
    }

    private async Task<Outcome<CardView>> IssueAsync(Actor actor, Attempt attempt, string attemptKey, CancellationToken cancellationToken)
    {
        if (!_encoderOptions.Choose(attempt.Encoder).TryGetValue(out var encoder, out var noEncoder))
        {
            return noEncoder;
        }

        // 0. Where UHPPOTE boards serve, the blank's UID first: one whose board number another card has is refused before anything is written.
        CardUid? blank = null;
        if (_boards.HasBoards)
        {
            if (!(await EncoderAsync(() => _encoders.ReadAsync(encoder, cancellationToken))).TryGetValue(out var reading, out var unreadable))
            {
                return unreadable;
            }

            blank = reading.Uid is { } text && CardUid.TryParse(text, out var parsed) ? parsed : null;
        }

        // 1. Intent.
        long journalId;
        CardWriteOrder write;
        await using (var unit = await _writes.BeginAsync(actor, cancellationToken))
        {
            // Committed already (at start, or before the answer reached the caller): answer the card, never issue twice.
            // Only while that issue is the card's current one: the same key reused on a later issue of the number runs anew.
            if (await CardStore.FindLatestJournalAsync(unit, attempt.CardNumber, cancellationToken) is { State: "committed" } done
                && done.OperatorId == actor.OperatorId && done.RequestKey == attemptKey && done.Replaces == attempt.Replaces
                && await CardStore.GetAsync(unit, attempt.CardNumber, cancellationToken) is { State: CardState.Issued } committed)
            {
                _logger.LogInformation("Issue journal {JournalId} of card {CardNumber} was committed before this retry; answering the issued card", done.Id, attempt.CardNumber);
                return await CardViews.ViewAsync(unit.Connection, unit.Transaction, committed, [], _writes.Now, cancellationToken);
            }

            var open = await CardStore.FindOpenJournalAsync(unit, attempt.CardNumber, cancellationToken);
            var resuming = open is not null && open.OperatorId == actor.OperatorId && open.RequestKey == attemptKey;
            if (resuming && attempt.Temporary is not null && open!.Temporary is { } journaled)
            {
                // The window was fixed when the intent was recorded ("from now", "N days from today"): a retry keeps it.
                attempt = attempt with { Temporary = journaled };
            }

            if (!(await CheckAsync(unit, attempt, cancellationToken)).TryGetValue(out var check, out var refusal))
            {
                return refusal;
            }

            if (blank is { } uid && await CheckBoardNumbersAsync(unit, _boards, attempt.CardNumber, check, uid, cancellationToken) is { } taken)
            {
                _logger.LogInformation("Blank {CardUid} refused for card {CardNumber}: {Reason}", uid, attempt.CardNumber, taken.Detail);
                return taken;
            }

            // The money, decided before the card is touched: what the schedule charges, on one receipt-book number.
            if (!(await DueChargesAsync(unit, attempt, cancellationToken)).TryGetValue(out var charges, out refusal))
            {
                return refusal;
            }

            attempt = attempt with { Charges = charges };
            if (resuming)
            {
                journalId = open!.Id;
                _logger.LogInformation("Resuming issue journal {JournalId} of card {CardNumber}", journalId, attempt.CardNumber);
            }
            else
            {
                if (open is not null)
                {
                    if (unit.NowUtc - open.CreatedUtc < StaleJournal)
                    {
                        return Refusal.Conflict($"card {attempt.CardNumber} is being issued by another request (journal {open.Id}); wait for it or retry with its Idempotency-Key", "issue-in-progress");
                    }

                    await CardStore.CloseJournalAsync(unit, open.Id, committed: false, null, "abandoned: taken over by a later request", cancellationToken);
                }

                journalId = await CardStore.OpenJournalAsync(unit, attempt.CardNumber, check.HolderId, check.Kind, attempt.Replaces, attempt.ReplaceReason, attempt.HandOver, encoder, attemptKey, cancellationToken, attempt.Charges, attempt.Temporary);
            }

            write = new CardWriteOrder(journalId, encoder, attempt.CardNumber, check.Kind, check.Card.IssueCount + 1, check.Card.Uid);
            unit.Audit("card.issue-started", $"card:{attempt.CardNumber}", new { journal = journalId, holder = check.HolderId, kind = Wire.Name(check.Kind), replaces = attempt.Replaces, temporary = attempt.Temporary is { } t ? Wire.Name(t.Purpose) : null, encoder });
            await unit.CommitAsync(cancellationToken);
        }

        // 2. The card, outside any transaction.
        EncodedCard encoded;
        try
        {
            encoded = await _encoders.IssueAsync(write, cancellationToken);
        }
        catch (EncoderUnavailableException ex)
        {
            // Nothing was touched: close the intent so the card is free again.
            await FailJournalAsync(actor, journalId, attempt.CardNumber, ex.Message);
            return Refusal.Unavailable(ex.Message);
        }
        catch (EncoderOperationException ex)
        {
            // The card may be half-written: the journal stays open so a retry with the same key resumes it.
            _logger.LogWarning("Issuing card {CardNumber} (journal {JournalId}) failed on encoder {DeviceId}: {Reason}", attempt.CardNumber, journalId, encoder, ex.Message);
            return Refusal.DeviceFailed(ex.Message);
        }

        // 3. Commit.
        return await CommitAsync(actor, attempt, encoded.Uid, journalId, atStart: false, cancellationToken);
    }

    private async Task<Outcome<CardView>> CommitAsync(Actor actor, Attempt attempt, string uid, long journalId, bool atStart, CancellationToken cancellationToken)
    {
        Refusal refusal;
        await using (var unit = await _writes.BeginAsync(actor, cancellationToken))
        {
            var committed = await CommitInAsync(unit, _boards, attempt, uid, journalId, atStart, cancellationToken);
            if (committed.TryGetValue(out var issued, out var refused))
            {
                var view = await CardViews.ViewAsync(unit.Connection, unit.Transaction, issued, [], _writes.Now, cancellationToken);
                await unit.CommitAsync(cancellationToken);
                _logger.LogInformation("Card {CardNumber} issued to holder {HolderId} as {CardKind}, UID {CardUid}", issued.Number, issued.HolderId, issued.Kind, uid);
                return view;
            }

            refusal = refused;
        }

        await FailJournalAsync(actor, journalId, attempt.CardNumber, atStart ? "refused at commit on start" : "refused at commit");
        return refusal;
    }

    /// <summary>Step 3 inside <paramref name="unit"/>: the checks again, then the replaced card, the issued card, the hand-over and the journal.</summary>
    private async Task<Outcome<CardRecord>> CommitInAsync(UnitOfWork unit, BoardNumbering boards, Attempt attempt, string uid, long journalId, bool atStart, CancellationToken cancellationToken)
    {
        if (!(await CheckAsync(unit, attempt, cancellationToken)).TryGetValue(out var check, out var refusal))
        {
            return refusal;
        }

        if (!CardChanges.Issue(check.Card, check.HolderId, check.Kind, uid, attempt.Replaces, attempt.HandOver, journalId, attempt.Temporary).TryGetValue(out var issue, out refusal))
        {
            return refusal;
        }

        if (await CardStore.FindByUidAsync(unit.Connection, unit.Transaction, uid, cancellationToken) is { } other && other.Number != attempt.CardNumber)
        {
            return Refusal.Conflict($"the card on the encoder (UID {uid}) is card {other.Number}, not card {attempt.CardNumber}", "card-is-another");
        }

        // Checked before the write; again here in case another blank was put on the encoder meanwhile.
        if (!atStart && CardUid.TryParse(uid, out var written) && await CheckBoardNumbersAsync(unit, boards, attempt.CardNumber, check, written, cancellationToken) is { } taken)
        {
            return taken;
        }

        if (atStart)
        {
            await CardStore.MarkCommittedAtStartAsync(unit, journalId, cancellationToken);
            unit.Audit("card.issue-committed-at-start", $"card:{attempt.CardNumber}", new { journal = journalId, uid });
        }

        if (attempt.Replaces is { } oldNumber)
        {
            var old = (await CardStore.GetAsync(unit, oldNumber, cancellationToken))!;
            await CardWorkflow.ApplyAsync(unit, CardChanges.Replace(old, attempt.ReplaceReason!.Value, attempt.CardNumber).Value, cancellationToken);

            // The replacement is the holder's card now: a temporary card that stood in for the old one is done.
            await RevokeStandInsAsync(unit, oldNumber, "replacement-issued", $"card {oldNumber} was replaced by card {attempt.CardNumber}", cancellationToken);
        }

        if (attempt.Temporary?.StandsInFor is { } lostNumber && check.StandsInFor is { State: CardState.Issued } stillIssued)
        {
            // The clerk hands out a stand-in for a card not yet reported lost: it is lost from now on.
            await CardWorkflow.ApplyAsync(unit, CardChanges.Transition(stillIssued, CardAction.ReportLost, null, $"temporary card {attempt.CardNumber} stands in for it").Value, cancellationToken);
            _logger.LogInformation("Card {CardNumber} reported lost as temporary card {StandIn} stands in for it", lostNumber, attempt.CardNumber);
        }

        var issued = await CardWorkflow.ApplyAsync(unit, issue, cancellationToken);
        if (attempt.Replaces is { } replaced)
        {
            // Parking follows the card, in this same transaction: the holder's agreements and their paid periods move to the replacement.
            await ParkingWorkflow.FollowCardAsync(unit, replaced, issued.Number, "card replaced", cancellationToken);
            // So does the deposit the old card held.
            await CardChargeStore.MoveHeldAsync(unit, replaced, issued.Number, cancellationToken);
        }

        if (attempt.Charges is { } due)
        {
            foreach (var charge in due.Charges)
            {
                await CardChargeStore.InsertAsync(unit, issued.Number, check.HolderId, charge, due.ReceiptNumber, cancellationToken);
            }

            unit.Audit("card.charge", $"card:{issued.Number}", new { holder = check.HolderId, receipt = due.ReceiptNumber, charges = due.Charges.Select(c => new { kind = Wire.Name(c.Kind), amountFen = c.AmountFen }), totalFen = CardCharges.Net(due.Charges) });
        }

        if (attempt.Temporary?.StandsInFor is { } standsInFor)
        {
            // While the stand-in is out, the holder parks with it (within its window); the agreements come back when it ends.
            await ParkingWorkflow.FollowCardAsync(unit, standsInFor, issued.Number, $"temporary card {issued.Number} stands in", cancellationToken);
        }

        await CardStore.InsertIssueAsync(unit, issued, attempt.HandOver.Items, attempt.HandOver.ReceiptReference, cancellationToken);
        await CardStore.CloseJournalAsync(unit, journalId, committed: true, uid, null, cancellationToken);
        return issued;
    }

    /// <summary>
    /// What an attempt charges on the fee schedule (a replacement: its fee, and a deposit unless the
    /// replaced card holds one), checked against the receipt-book number given: required when anything
    /// is charged, refused when nothing is, and not already used. Null when nothing is charged.
    /// </summary>
    private async Task<Outcome<DueCharges?>> DueChargesAsync(UnitOfWork unit, Attempt attempt, CancellationToken cancellationToken)
    {
        var due = attempt.Replaces is { } old
            ? CardCharges.AtReplacement(_fees, (await CardChargeStore.HeldAsync(unit.Connection, unit.Transaction, old, cancellationToken))?.AmountFen)
            : CardCharges.AtIssue(_fees);
        var what = attempt.Replaces is null ? $"issuing card {attempt.CardNumber}" : $"replacing card {attempt.Replaces}";
        if (CardCharges.CheckReceipt(due, attempt.FeeReceipt, what) is { } wrong)
        {
            return Refusal.Invalid("feeReceiptNumber", wrong);
        }

        if (attempt.FeeReceipt is null)
        {
            return Outcome<DueCharges?>.Success(null);
        }

        if (await Cash.ReceiptBook.InUseAsync(unit, attempt.FeeReceipt, cancellationToken))
        {
            return Refusal.Conflict($"receipt number {attempt.FeeReceipt} is already recorded");
        }

        return new DueCharges(attempt.FeeReceipt, due);
    }

    /// <summary>What must hold both before the card is written and when the issue commits: the card, the holder and kind it gets, and the lost card a stand-in stands in for.</summary>
    private sealed record Checked(CardRecord Card, long HolderId, CardKind Kind, CardRecord? StandsInFor = null);

    private async Task<Outcome<Checked>> CheckAsync(UnitOfWork unit, Attempt attempt, CancellationToken cancellationToken)
    {
        var card = await CardStore.GetAsync(unit, attempt.CardNumber, cancellationToken);
        if (card is null)
        {
            return Refusal.NotFound($"card {attempt.CardNumber}");
        }

        var holderId = attempt.HolderId ?? 0;
        var kind = attempt.Kind ?? CardKind.Access;
        if (attempt.Replaces is { } oldNumber)
        {
            var old = await CardStore.GetAsync(unit, oldNumber, cancellationToken);
            if (old is null)
            {
                return Refusal.NotFound($"card {oldNumber}");
            }

            if (CardChanges.Replace(old, attempt.ReplaceReason!.Value, attempt.CardNumber).Refusal is { } refused)
            {
                return refused;
            }

            holderId = old.HolderId!.Value;
            kind = old.Kind!.Value;
        }

        CardRecord? lost = null;
        if (attempt.Temporary?.StandsInFor is { } lostNumber)
        {
            if (!(await CheckStandInAsync(unit, attempt.CardNumber, lostNumber, cancellationToken)).TryGetValue(out lost, out var refused))
            {
                return refused;
            }

            holderId = lost.HolderId!.Value;
            kind = lost.Kind!.Value;
        }

        var holder = await HolderStore.GetAsync(unit.Connection, unit.Transaction, holderId, cancellationToken);
        if (holder is null)
        {
            return Refusal.Invalid("holderId", $"no holder {holderId}");
        }

        if (CardLife.Decide(card.Facts, CardAction.Issue).Refusal is { } notInStock)
        {
            return notInStock;
        }

        if (attempt.Temporary is { } terms && TemporaryCards.CheckGrain(terms.Window, _zones.ControllersFor(kind, holder.Address.Building), _calendar) is { } coarse)
        {
            return coarse;
        }

        return new Checked(card, holderId, kind, lost);
    }

    /// <summary>
    /// A stand-in may be issued for a card of the holder's that is issued (it is reported lost at commit) or
    /// lost, not itself temporary, not replaced, and with no other stand-in out for it.
    /// </summary>
    private static async Task<Outcome<CardRecord>> CheckStandInAsync(UnitOfWork unit, long number, long lostNumber, CancellationToken cancellationToken)
    {
        if (await CardStore.GetAsync(unit, lostNumber, cancellationToken) is not { } lost)
        {
            return Refusal.NotFound($"card {lostNumber}");
        }

        if (lost.Temporary is not null)
        {
            return Refusal.InvalidState($"card {lostNumber} is itself a temporary card; a stand-in stands in for a holder's own card", Wire.Name(lost.State));
        }

        if (lost.ReplacedBy is { } replacement)
        {
            return Refusal.InvalidState($"card {lostNumber} was replaced by card {replacement}; no stand-in is needed", Wire.Name(lost.State));
        }

        if (lost.State is not (CardState.Issued or CardState.Lost))
        {
            return Refusal.InvalidState($"card {lostNumber} is {Wire.Name(lost.State)}; a stand-in stands in for an issued or lost card", Wire.Name(lost.State));
        }

        if ((await CardStore.StandInsAsync(unit, lostNumber, cancellationToken)).FirstOrDefault(c => c.Number != number) is { } other)
        {
            return Refusal.Conflict($"temporary card {other.Number} already stands in for card {lostNumber}");
        }

        return lost;
    }

    /// <summary>Revokes every issued temporary card standing in for <paramref name="number"/>, in <paramref name="unit"/>.</summary>
    internal async Task RevokeStandInsAsync(UnitOfWork unit, long number, string reason, string note, CancellationToken cancellationToken)
    {
        foreach (var standIn in await CardStore.StandInsAsync(unit, number, cancellationToken))
        {
            await CardWorkflow.ApplyAsync(unit, CardChanges.Transition(standIn, CardAction.Revoke, reason, note).Value, cancellationToken);
            _logger.LogInformation("Temporary card {StandIn} revoked: {Reason}", standIn.Number, note);
        }
    }

    /// <summary>Why the blank <paramref name="uid"/> cannot be card <paramref name="cardNumber"/> on the UHPPOTE boards of its zones, or null.</summary>
    private static async Task<Refusal?> CheckBoardNumbersAsync(UnitOfWork unit, BoardNumbering boards, long cardNumber, Checked check, CardUid uid, CancellationToken cancellationToken)
    {
        if (!boards.HasBoards)
        {
            return null;
        }

        var holder = await HolderStore.GetAsync(unit.Connection, unit.Transaction, check.HolderId, cancellationToken);
        if (holder is null)
        {
            return null;
        }

        var held = await CardStore.ListHeldUidsAsync(unit, cancellationToken);
        return boards.Check(cardNumber, uid, ZoneMap.ZonesFor(check.Kind, holder.Address.Building), held);
    }

    private async Task FailJournalAsync(Actor actor, long journalId, long cardNumber, string reason)
    {
        await using var unit = await _writes.BeginAsync(actor, CancellationToken.None);
        await CardStore.CloseJournalAsync(unit, journalId, committed: false, null, reason, CancellationToken.None);
        unit.Audit("card.issue-failed", $"card:{cardNumber}", new { journal = journalId, reason });
        await unit.CommitAsync(CancellationToken.None);
    }

    /// <summary>Runs an encoder operation; its failures become refusals (unavailable: nothing touched; failed: the card may be half-done).</summary>
    internal static async Task<Outcome<T>> EncoderAsync<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (EncoderUnavailableException ex)
        {
            return Refusal.Unavailable(ex.Message);
        }
        catch (EncoderOperationException ex)
        {
            return Refusal.DeviceFailed(ex.Message);
        }
    }
}
