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

/// <summary>A card with its holder (null when it has none), and for a temporary card where it stands now, as every caller shows it.</summary>
public sealed record CardView(CardRecord Card, Holder? Holder, TemporaryStanding? Temporary = null);

/// <summary>Where a temporary card stands at the moment it was read, and the whole days of validity it has left.</summary>
public sealed record TemporaryStanding(TemporaryStatus Status, int DaysLeft)
{
    /// <summary>Expired or revoked: to be handed back (its deposit is held until then).</summary>
    public bool AwaitingReturn => TemporaryCards.AwaitingReturn(Status);
}

/// <summary>A card's latest issue: the card now, the issue with its hand-over, and the holder it was issued to.</summary>
public sealed record CardHandOver(CardView Card, CardIssueRecord Issue, Holder Holder);

/// <summary>What a stock receipt added: the numbers <see cref="From"/>..<see cref="To"/>.</summary>
public sealed record StockReceipt(long From, long To, long Count, string? Batch);

/// <summary>The whitelist entries a card should have, one per controller of its zones.</summary>
public sealed record CardEntriesView(long Number, CardState State, IReadOnlyList<CardPlacement> Entries);

/// <summary>
/// "Who is this?": the card on the encoder, <see cref="Status"/> <c>valid</c> or why not, and the card
/// and holder it names when the site knows it.
/// </summary>
public sealed record CardPresented(string Status, bool Valid, string? Reason, string? Uid, CardView? Card);

/// <summary>
/// Issue a card in stock to a holder, written on an encoder (the only one configured when <see cref="Encoder"/> is null).
/// <see cref="FeeReceiptNumber"/> is the receipt-book number of the card fee and deposit, when the fee schedule charges any.
/// </summary>
public sealed record IssueOrder(long CardNumber, long HolderId, CardKind Kind, string? Encoder, HandOver HandOver, string? FeeReceiptNumber = null);

/// <summary>
/// Replace <see cref="OldCardNumber"/> (lost or damaged) by <see cref="NewCardNumber"/>, a card in stock: same holder, same kind.
/// <see cref="FeeReceiptNumber"/> is the receipt-book number of the replacement fee (and deposit), when the fee schedule charges any.
/// </summary>
public sealed record ReplaceOrder(long OldCardNumber, long NewCardNumber, ReplaceReason Reason, string? Encoder, HandOver HandOver, string? FeeReceiptNumber = null);

/// <summary>A card handed back, and the held deposit refunded (its receipt-book number), if it held one.</summary>
public sealed record HandBackView(CardView Card, CardChargeView? Refund);

/// <summary>
/// When a temporary card is valid: <see cref="Days"/> whole local days from today, or from
/// <see cref="FromUtc"/> (default: now) up to <see cref="UntilUtc"/>.
/// </summary>
public sealed record WindowOrder(DateTimeOffset? FromUtc, DateTimeOffset? UntilUtc, int? Days);

/// <summary>
/// Issue a card in stock as a temporary card, written on an encoder like any card: to a holder with a
/// kind (a tenant, a contractor, the resident a visitor calls on), or, for <see cref="TemporaryPurpose.StandIn"/>,
/// in place of the lost card <see cref="StandsInFor"/> (its holder and kind; <see cref="HolderId"/> and <see cref="Kind"/> are null).
/// </summary>
public sealed record TemporaryIssueOrder(long CardNumber, long? HolderId, CardKind? Kind, TemporaryPurpose Purpose, WindowOrder Window, string? Bearer, long? StandsInFor, string? Encoder, HandOver HandOver, string? FeeReceiptNumber = null);


/// <summary>
/// Every rule of a card's life that touches storage or the encoder (DESIGN.md "Card life" and "Issuing"):
/// receiving stock, the state changes of the front desk, recycling, issuing and replacing through the
/// encoder with the issue journal, committing at start an issue whose card verified, and "who is this?".
/// Callers pass plain arguments and the <see cref="Actor"/>; every method returns an
/// <see cref="Outcome{T}"/>. Every change of a card goes through one method (<see cref="ApplyAsync"/>):
/// the card and its history, its outbox marker and its audit entry are written in the caller's unit of
/// work, so no path can change a card and forget the controllers or the audit log.
/// </summary>
/// <remarks>
/// Issuing, in three steps: (1) decide and record the intent in the issue journal in one transaction,
/// before the card is touched; (2) write and verify the card through <see cref="ICardEncoderPort"/>
/// with no database lock held; (3) in one transaction set the card issued (and the replaced card lost
/// or damaged), record the hand-over, the outbox markers and the audit entries, and close the journal.
/// An attempt is named by its key (the API's Idempotency-Key): a retry with the same key finds its
/// open journal and resumes it with the same journal id; another attempt is refused while the journal
/// is open (unless it is older than <see cref="StaleJournal"/>). An issue whose card verified before
/// the service stopped is committed at start (<see cref="IssueRecovery"/>); a retry with its key then
/// answers the issued card.
/// </remarks>
public sealed class CardWorkflow
{
    /// <summary>Most cards one stock receipt may add.</summary>
    public const int MaxRange = 10_000;

    /// <summary>An open issue journal older than this, left by another attempt, may be taken over.</summary>
    public static readonly TimeSpan StaleJournal = TimeSpan.FromMinutes(5);

    private readonly UnitOfWorkFactory _writes;
    private readonly GatewayDatabase _database;
    private readonly ICardEncoderPort _encoders;
    private readonly CardEncoderOptions _encoderOptions;
    private readonly ZoneMap _zones;
    private readonly BoardNumbering _boards;
    private readonly ILogger<CardWorkflow> _logger;
    private readonly CardFeeSchedule _fees;
    private readonly SiteCalendar _calendar;

    // calendar: the site's calendar (a temporary card's whole local days); UTC when not given.
    public CardWorkflow(UnitOfWorkFactory writes, GatewayDatabase database, ICardEncoderPort encoders, CardEncoderOptions encoderOptions, ZoneMap zones, ILogger<CardWorkflow> logger, CardFeeSchedule? fees = null, SiteCalendar? calendar = null, BoardNumbering? boards = null)
    {
        _fees = fees ?? CardFeeSchedule.None;
        _calendar = calendar ?? new SiteCalendar(TimeZoneInfo.Utc);
        _boards = boards ?? BoardNumbering.None;
        _writes = writes;
        _database = database;
        _encoders = encoders;
        _encoderOptions = encoderOptions;
        _zones = zones;
        _logger = logger;
    }

    /// <summary>An attempt to issue: an issue (Replaces null) or a replacement (Replaces set: holder and kind come from the old card).</summary>
    private sealed record Attempt(long CardNumber, long? HolderId, CardKind? Kind, long? Replaces, ReplaceReason? ReplaceReason, string? Encoder, HandOver HandOver, string? FeeReceipt = null, TemporaryTerms? Temporary = null)
    {
        /// <summary>What the issue charges, decided at its intent (or read back from its journal at start).</summary>
        public DueCharges? Charges { get; init; }
    }

    // ---- reads ----

    public async Task<CardView?> GetAsync(long number, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        return await CardStore.GetAsync(connection, null, number, cancellationToken) is { } card ? await ViewAsync(connection, null, card, [], cancellationToken) : null;
    }

    public async Task<Page<CardView>> ListAsync(CardFilter filter, PageRequest page, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        var rows = await CardStore.ListAsync(connection, filter, page.After, page.Limit + 1, cancellationToken);
        var result = page.ToPage(rows, c => c.Number);
        var holders = new Dictionary<long, Holder?>();
        var items = new List<CardView>(result.Items.Count);
        foreach (var card in result.Items)
        {
            items.Add(await ViewAsync(connection, null, card, holders, cancellationToken));
        }

        return new Page<CardView>(items, result.Next);
    }

    /// <summary>The card's latest issue with its holder and hand-over (what the printed receipt shows).</summary>
    public async Task<Outcome<CardHandOver>> HandOverAsync(long number, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        var card = await CardStore.GetAsync(connection, null, number, cancellationToken);
        if (card is null)
        {
            return Refusal.NotFound($"card {number}");
        }

        if (await CardStore.LatestIssueAsync(connection, number, cancellationToken) is not { } issue)
        {
            return Refusal.InvalidState($"card {number} was never issued", Wire.Name(card.State));
        }

        var holder = await HolderStore.GetAsync(connection, null, issue.HolderId, cancellationToken);
        return new CardHandOver(await ViewAsync(connection, null, card, [], cancellationToken), issue, holder!);
    }

    /// <summary>Every transition of a card, oldest first.</summary>
    public async Task<Outcome<IReadOnlyList<CardEvent>>> HistoryAsync(long number, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        if (await CardStore.GetAsync(connection, null, number, cancellationToken) is null)
        {
            return Refusal.NotFound($"card {number}");
        }

        return Outcome<IReadOnlyList<CardEvent>>.Success(await CardStore.HistoryAsync(connection, number, cancellationToken));
    }

    /// <summary>The whitelist entries the card should have now, per controller of its zones.</summary>
    public async Task<Outcome<CardEntriesView>> EntriesAsync(long number, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        var card = await CardStore.GetAsync(connection, null, number, cancellationToken);
        if (card is null)
        {
            return Refusal.NotFound($"card {number}");
        }

        var holder = card.HolderId is { } id ? await HolderStore.GetAsync(connection, null, id, cancellationToken) : null;
        return new CardEntriesView(number, card.State, CardEntries.Desired(card.State, card.Kind, card.Uid, holder?.Address.Building, _zones));
    }

    // ---- changes ----

    /// <summary>Receives the numbers <paramref name="from"/>..<paramref name="to"/> (at most <see cref="MaxRange"/>, none known yet) into stock.</summary>
    public async Task<Outcome<StockReceipt>> ReceiveAsync(Actor actor, long from, long to, string? batch, CancellationToken cancellationToken)
    {
        if (to < from || to - from + 1 > MaxRange)
        {
            return Refusal.Invalid("to", to < from ? "must not be below from" : $"one receipt may hold at most {MaxRange} cards");
        }

        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var existing = await CardStore.CountExistingAsync(unit, from, to, cancellationToken);
        if (existing > 0)
        {
            return Refusal.Conflict($"{existing} of the card numbers {from}-{to} are already known; receive only new numbers");
        }

        await CardStore.ReceiveAsync(unit, from, to, batch, cancellationToken);
        unit.Audit("card.receive", $"cards:{from}-{to}", new { from, to, count = to - from + 1, batch });
        await unit.CommitAsync(cancellationToken);
        return new StockReceipt(from, to, to - from + 1, batch);
    }

    /// <summary>Issued → lost.</summary>
    public Task<Outcome<CardView>> ReportLostAsync(Actor actor, long number, string? note, CancellationToken cancellationToken) =>
        TransitionAsync(actor, number, CardAction.ReportLost, null, note, cancellationToken);

    /// <summary>
    /// Lost → issued (no replacement yet) or returned (replaced). A temporary card standing in for it is
    /// revoked in the same unit of work (awaiting return, its deposit held): the holder has their own card again.
    /// </summary>
    public async Task<Outcome<CardView>> ReportFoundAsync(Actor actor, long number, string? note, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var card = await CardStore.GetAsync(unit, number, cancellationToken);
        if (card is null)
        {
            return Refusal.NotFound($"card {number}");
        }

        if (!CardChanges.Transition(card, CardAction.Found, null, note).TryGetValue(out var change, out var refusal))
        {
            return refusal;
        }

        var after = await ApplyAsync(unit, change, cancellationToken);
        await RevokeStandInsAsync(unit, number, "lost-card-found", $"card {number} was found", cancellationToken);
        var view = await ViewAsync(unit.Connection, unit.Transaction, after, [], cancellationToken);
        await unit.CommitAsync(cancellationToken);
        return view;
    }

    /// <summary>Issued → revoked, with why (<paramref name="text"/> says more; required by the API for <see cref="RevokeReason.Other"/>).</summary>
    public Task<Outcome<CardView>> RevokeAsync(Actor actor, long number, RevokeReason reason, string? text, CancellationToken cancellationToken) =>
        TransitionAsync(actor, number, CardAction.Revoke, Wire.Name(reason), text, cancellationToken);

    /// <summary>Issued → damaged.</summary>
    public Task<Outcome<CardView>> MarkDamagedAsync(Actor actor, long number, string? note, CancellationToken cancellationToken) =>
        TransitionAsync(actor, number, CardAction.MarkDamaged, null, note, cancellationToken);

    /// <summary>Damaged → written off.</summary>
    public Task<Outcome<CardView>> WriteOffAsync(Actor actor, long number, string? note, CancellationToken cancellationToken) =>
        TransitionAsync(actor, number, CardAction.WriteOff, null, note, cancellationToken);

    /// <summary>Revoked → returned (the card was handed back); a temporary card also while issued (early, or expired).</summary>
    public async Task<Outcome<CardView>> ReturnAsync(Actor actor, long number, string? note, CancellationToken cancellationToken) =>
        (await HandBackAsync(actor, number, note, null, cancellationToken)).TryGetValue(out var back, out var refusal) ? back.Card : refusal;

    /// <summary>
    /// Revoked → returned: the card was handed back (at move-out), or a temporary card while issued (early, or
    /// once expired and awaiting return). A deposit the card holds is refunded
    /// in full in the same transaction, written on receipt <paramref name="refundReceiptNumber"/>
    /// (required then, refused when the card holds none), audited, and in the cash report.
    /// </summary>
    public async Task<Outcome<HandBackView>> HandBackAsync(Actor actor, long number, string? note, string? refundReceiptNumber, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var card = await CardStore.GetAsync(unit, number, cancellationToken);
        if (card is null)
        {
            return Refusal.NotFound($"card {number}");
        }

        if (!CardChanges.Transition(card, CardAction.Return, null, note).TryGetValue(out var change, out var refusal))
        {
            return refusal;
        }

        var held = await CardChargeStore.HeldAsync(unit.Connection, unit.Transaction, number, cancellationToken);
        var refund = CardCharges.AtHandBack(held?.AmountFen);
        Charge[] due = refund is { } r ? [r] : [];
        if (CardCharges.CheckReceipt(due, refundReceiptNumber, $"handing back card {number}") is not null)
        {
            return Refusal.Invalid("refundReceiptNumber", refund is null ? $"card {number} holds no deposit; nothing is refunded" : $"card {number} holds a deposit of {Money.Yuan(refund.Value.AmountFen)} yuan, refunded now: the receipt-book number of the refund is required");
        }

        if (refundReceiptNumber is not null && await Cash.ReceiptBook.InUseAsync(unit, refundReceiptNumber, cancellationToken))
        {
            return Refusal.Conflict($"receipt number {refundReceiptNumber} is already recorded");
        }

        var after = await ApplyAsync(unit, change, cancellationToken);
        CardChargeView? refunded = null;
        if (refund is { } money && held is not null)
        {
            var id = await CardChargeStore.InsertAsync(unit, number, held.HolderId, money, refundReceiptNumber!, cancellationToken);
            await CardChargeStore.MarkRefundedAsync(unit, held.Id, id, cancellationToken);
            unit.Audit("card.deposit-refund", $"card:{number}", new { holder = held.HolderId, amountFen = money.AmountFen, receipt = refundReceiptNumber });
            refunded = new CardChargeView(id, number, held.HolderId, Wire.Name(money.Kind), money.AmountFen, refundReceiptNumber!, unit.NowUtc, actor.OperatorId);
        }

        var view = await ViewAsync(unit.Connection, unit.Transaction, after, [], cancellationToken);
        await unit.CommitAsync(cancellationToken);
        return new HandBackView(view, refunded);
    }

    /// <summary>The fees, deposits and refunds recorded for a card, oldest first, and the deposit it holds now.</summary>
    public async Task<Outcome<(IReadOnlyList<CardChargeView> Charges, HeldDeposit? Held)>> ChargesAsync(long number, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        if (await CardStore.GetAsync(connection, null, number, cancellationToken) is null)
        {
            return Refusal.NotFound($"card {number}");
        }

        return (await CardChargeStore.OfCardAsync(connection, number, cancellationToken), await CardChargeStore.HeldAsync(connection, null, number, cancellationToken));
    }

    /// <summary>The site's fee schedule.</summary>
    public CardFeeSchedule Fees => _fees;

    /// <summary>Returned → in stock, after erasing the physical card on an encoder to transport keys.</summary>
    public async Task<Outcome<CardView>> RecycleAsync(Actor actor, long number, string? encoderId, CancellationToken cancellationToken)
    {
        await using (var connection = _database.OpenConnection())
        {
            var card = await CardStore.GetAsync(connection, null, number, cancellationToken);
            if (card is null)
            {
                return Refusal.NotFound($"card {number}");
            }

            if (CardChanges.Recycle(card).Refusal is { } refused)
            {
                return refused;
            }

            if (!_encoderOptions.Choose(encoderId).TryGetValue(out var encoder, out var refusal))
            {
                return refusal;
            }

            if (card.Uid is { } uid)
            {
                var erased = await EncoderAsync(async () =>
                {
                    await _encoders.EraseAsync(encoder, number, uid, cancellationToken);
                    return uid;
                });
                if (erased.Refusal is { } failed)
                {
                    return failed;
                }
            }
        }

        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var current = await CardStore.GetAsync(unit, number, cancellationToken);
        if (!CardChanges.Recycle(current!).TryGetValue(out var change, out var again))
        {
            return again;
        }

        var recycled = await ApplyAsync(unit, change, cancellationToken);
        var view = await ViewAsync(unit.Connection, unit.Transaction, recycled, [], cancellationToken);
        await unit.CommitAsync(cancellationToken);
        return view;
    }

    /// <summary>
    /// Issues a card in stock to a holder: journal, encoder, commit. <paramref name="attemptKey"/> names
    /// this attempt (the API passes its Idempotency-Key): a retry with the same key resumes it, and once
    /// committed answers the issued card instead of issuing again.
    /// </summary>
    public Task<Outcome<CardView>> IssueAsync(Actor actor, IssueOrder order, string attemptKey, CancellationToken cancellationToken) =>
        IssueAsync(actor, new Attempt(order.CardNumber, order.HolderId, order.Kind, null, null, order.Encoder, order.HandOver, order.FeeReceiptNumber), attemptKey, cancellationToken);

    /// <summary>Replaces a card: the old one goes lost or damaged and is linked to the new one, issued like <see cref="IssueAsync(Actor, IssueOrder, string, CancellationToken)"/>.</summary>
    public Task<Outcome<CardView>> ReplaceAsync(Actor actor, ReplaceOrder order, string attemptKey, CancellationToken cancellationToken) =>
        IssueAsync(actor, new Attempt(order.NewCardNumber, null, null, order.OldCardNumber, order.Reason, order.Encoder, order.HandOver, order.FeeReceiptNumber), attemptKey, cancellationToken);

    /// <summary>
    /// Issues a temporary card, like <see cref="IssueAsync(Actor, IssueOrder, string, CancellationToken)"/>
    /// (journal, encoder, commit; the same key resumes) with a validity window that every controller of its
    /// zones receives. A stand-in takes the lost card's holder and kind; a lost card still issued is
    /// reported lost in the same commit. A window that is not whole local days is refused when the card
    /// would reach a controller that keeps whole days (<see cref="TemporaryCards.CheckGrain"/>).
    /// </summary>
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

    /// <summary>Temporary cards (by default those still out: every status but closed), each with where it stands now and its days left; by number.</summary>
    public async Task<Page<CardView>> ListTemporaryAsync(TemporaryStatus? status, TemporaryPurpose? purpose, long? holderId, PageRequest page, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        var rows = await CardStore.ListTemporaryAsync(connection, new TemporaryFilter(_writes.Now, status, purpose, holderId), page.After, page.Limit + 1, cancellationToken);
        var result = page.ToPage(rows, c => c.Number);
        var holders = new Dictionary<long, Holder?>();
        var items = new List<CardView>(result.Items.Count);
        foreach (var card in result.Items)
        {
            items.Add(await ViewAsync(connection, null, card, holders, cancellationToken));
        }

        return new Page<CardView>(items, result.Next);
    }

    /// <summary>
    /// At start: commits the open issue <paramref name="journal"/> whose card <paramref name="cardUid"/>
    /// was written and verified before the service stopped, exactly as the attempt would have (same
    /// checks, same transaction), as the journal's operator. A refusal closes the journal as failed, as
    /// a refused attempt's is.
    /// </summary>
    public Task<Outcome<CardView>> CommitAtStartAsync(IssueJournalEntry journal, string cardUid, CancellationToken cancellationToken)
    {
        var actor = new Actor(journal.OperatorId, journal.OperatorName ?? journal.OperatorId);
        var attempt = new Attempt(journal.CardNumber, journal.HolderId, journal.Kind, journal.Replaces, journal.ReplaceReason, journal.EncoderId, journal.HandOver!, journal.Charges?.ReceiptNumber, journal.Temporary) { Charges = journal.Charges };
        return CommitAsync(actor, attempt, cardUid, journal.Id, atStart: true, cancellationToken);
    }

    /// <summary>The configured encoders' ids, for a choice at the desk.</summary>
    public IReadOnlyList<string> Encoders => _encoderOptions.Encoders.Select(e => e.Id).ToList();

    /// <summary>The encoder a request means: the one named, or the only one configured (refused when none, or several and none named).</summary>
    public Outcome<string> ChooseEncoder(string? requested) => _encoderOptions.Choose(requested);

    /// <summary>"Who is this?": reads the card lying on encoder <paramref name="encoderId"/> and says whose it is and whether it is valid.</summary>
    public async Task<Outcome<CardPresented>> ReadOnEncoderAsync(string encoderId, CancellationToken cancellationToken)
    {
        if (!_encoderOptions.Choose(encoderId).TryGetValue(out var encoder, out var refusal))
        {
            return refusal.Kind == RefusalKind.Unavailable ? refusal : Refusal.NotFound($"encoder '{encoderId}'");
        }

        if (!(await EncoderAsync(() => _encoders.ReadAsync(encoder, cancellationToken))).TryGetValue(out var reading, out var failed))
        {
            return failed;
        }

        if (reading.Status != CardReadStatus.Valid)
        {
            return new CardPresented(Wire.Name(reading.Status), false, reading.Detail ?? Wire.Name(reading.Status), reading.Uid, null);
        }

        await using var connection = _database.OpenConnection();
        var card = await CardStore.GetAsync(connection, null, reading.CardNumber!.Value, cancellationToken);
        if (card is null)
        {
            return new CardPresented("unknown-card", false, $"the card says it is number {reading.CardNumber}, which this site does not know", reading.Uid, null);
        }

        var view = await ViewAsync(connection, null, card, [], cancellationToken);
        if (!string.Equals(card.Uid, reading.Uid, StringComparison.OrdinalIgnoreCase))
        {
            return new CardPresented("uid-mismatch", false, $"card {card.Number} was issued on another physical card (UID {card.Uid ?? "none"}); this one ({reading.Uid}) is a copy or a stale card", reading.Uid, view);
        }

        if (reading.IssueCounter != card.IssueCount)
        {
            return new CardPresented("stale-issue", false, $"the card carries issue {reading.IssueCounter} of card {card.Number}, but the current issue is {card.IssueCount}", reading.Uid, view);
        }

        if (card.State != CardState.Issued)
        {
            return new CardPresented("not-issued", false, $"card {card.Number} is {Wire.Name(card.State)}", reading.Uid, view);
        }

        if (card.Temporary is { } terms && !terms.Window.Contains(_writes.Now))
        {
            var status = TemporaryCards.StatusOf(card.State, terms.Window, _writes.Now);
            return new CardPresented(Wire.Name(status), false, status == TemporaryStatus.Expired
                ? $"temporary card {card.Number} expired at {terms.Window.UntilUtc:u}; it is awaiting return"
                : $"temporary card {card.Number} is valid from {terms.Window.FromUtc:u}", reading.Uid, view);
        }

        return new CardPresented("valid", true, null, reading.Uid, view);
    }

    /// <summary>
    /// The one way a card changes: saves the card and the change in its history, writes the outbox marker
    /// (the sync engine recomputes the card's entries) and the audit entry, all in <paramref name="unit"/>.
    /// Returns the card as stored.
    /// </summary>
    internal static async Task<CardRecord> ApplyAsync(UnitOfWork unit, CardChange change, CancellationToken cancellationToken)
    {
        var saved = await CardStore.SaveChangeAsync(unit, change, cancellationToken);
        await unit.MarkCardChangedAsync(saved.Number, change.MarkerReason, cancellationToken);
        unit.Audit(change.AuditAction, change.Subject, change.AuditDetails);

        // Parking is on a stand-in only while it is issued: when it leaves issued (revoked because the lost
        // card was found or replaced, handed back, lost itself) the agreements go back to the card it stood in for.
        if (change.Before.State == CardState.Issued && saved.State != CardState.Issued && change.Before.Temporary?.StandsInFor is { } lost)
        {
            if ((await ParkingWorkflow.FollowCardAsync(unit, saved.Number, lost, $"temporary card {saved.Number} no longer stands in", cancellationToken)).Count > 0)
            {
                await unit.MarkCardChangedAsync(lost, "parking.agreement.change", cancellationToken);
            }
        }

        return saved;
    }

    private async Task<Outcome<CardView>> TransitionAsync(Actor actor, long number, CardAction action, string? reason, string? note, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var card = await CardStore.GetAsync(unit, number, cancellationToken);
        if (card is null)
        {
            return Refusal.NotFound($"card {number}");
        }

        if (!CardChanges.Transition(card, action, reason, note).TryGetValue(out var change, out var refusal))
        {
            return refusal;
        }

        var after = await ApplyAsync(unit, change, cancellationToken);
        var view = await ViewAsync(unit.Connection, unit.Transaction, after, [], cancellationToken);
        await unit.CommitAsync(cancellationToken);
        return view;
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
                return await ViewAsync(unit.Connection, unit.Transaction, committed, [], cancellationToken);
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
                var view = await ViewAsync(unit.Connection, unit.Transaction, issued, [], cancellationToken);
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
            await ApplyAsync(unit, CardChanges.Replace(old, attempt.ReplaceReason!.Value, attempt.CardNumber).Value, cancellationToken);

            // The replacement is the holder's card now: a temporary card that stood in for the old one is done.
            await RevokeStandInsAsync(unit, oldNumber, "replacement-issued", $"card {oldNumber} was replaced by card {attempt.CardNumber}", cancellationToken);
        }

        if (attempt.Temporary?.StandsInFor is { } lostNumber && check.StandsInFor is { State: CardState.Issued } stillIssued)
        {
            // The clerk hands out a stand-in for a card not yet reported lost: it is lost from now on.
            await ApplyAsync(unit, CardChanges.Transition(stillIssued, CardAction.ReportLost, null, $"temporary card {attempt.CardNumber} stands in for it").Value, cancellationToken);
            _logger.LogInformation("Card {CardNumber} reported lost as temporary card {StandIn} stands in for it", lostNumber, attempt.CardNumber);
        }

        var issued = await ApplyAsync(unit, issue, cancellationToken);
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
    private async Task RevokeStandInsAsync(UnitOfWork unit, long number, string reason, string note, CancellationToken cancellationToken)
    {
        foreach (var standIn in await CardStore.StandInsAsync(unit, number, cancellationToken))
        {
            await ApplyAsync(unit, CardChanges.Transition(standIn, CardAction.Revoke, reason, note).Value, cancellationToken);
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
    private static async Task<Outcome<T>> EncoderAsync<T>(Func<Task<T>> operation)
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

    private async Task<CardView> ViewAsync(SqliteConnection connection, SqliteTransaction? transaction, CardRecord card, Dictionary<long, Holder?> holders, CancellationToken cancellationToken)
    {
        Holder? holder = null;
        if (card.HolderId is { } id && !holders.TryGetValue(id, out holder))
        {
            holders[id] = holder = await HolderStore.GetAsync(connection, transaction, id, cancellationToken);
        }

        var now = _writes.Now;
        var standing = card.Temporary is { } terms ? new TemporaryStanding(TemporaryCards.StatusOf(card.State, terms.Window, now), TemporaryCards.DaysLeft(terms.Window, now)) : null;
        return new CardView(card, holder, standing);
    }
}
