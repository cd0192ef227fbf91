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
/// Issuing and replacing through the encoder (the journal, the write, the commit, and its recovery at
/// start) is <see cref="CardIssuing"/>'s; this class hands those calls on.
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
    private readonly ILogger<CardWorkflow> _logger;
    private readonly CardFeeSchedule _fees;
    private readonly CardIssuing _issuing;

    // calendar: the site's calendar (a temporary card's whole local days); UTC when not given.
    public CardWorkflow(UnitOfWorkFactory writes, GatewayDatabase database, ICardEncoderPort encoders, CardEncoderOptions encoderOptions, ZoneMap zones, ILogger<CardWorkflow> logger, CardFeeSchedule? fees = null, SiteCalendar? calendar = null, BoardNumbering? boards = null)
    {
        _fees = fees ?? CardFeeSchedule.None;
        _writes = writes;
        _database = database;
        _encoders = encoders;
        _encoderOptions = encoderOptions;
        _zones = zones;
        _logger = logger;
        _issuing = new CardIssuing(writes, encoders, encoderOptions, zones, boards ?? BoardNumbering.None, _fees, calendar ?? new SiteCalendar(TimeZoneInfo.Utc), logger);
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
        if (!(await DecideAsync(unit, number, CardAction.Found, null, note, cancellationToken)).TryGetValue(out var change, out var refusal))
        {
            return refusal;
        }

        var after = await ApplyAsync(unit, change, cancellationToken);
        await _issuing.RevokeStandInsAsync(unit, number, "lost-card-found", $"card {number} was found", cancellationToken);
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
        if (!(await DecideAsync(unit, number, CardAction.Return, null, note, cancellationToken)).TryGetValue(out var change, out var refusal))
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

            if (card.Legacy)
            {
                // Imported from the previous system (docs/migration.md): its sectors are not under keys Gateway holds.
                return Refusal.InvalidState($"card {number} is a legacy card, not written by Gateway: there are no keys to erase it with, so it never goes back into stock", Wire.Name(card.State));
            }

            if (!_encoderOptions.Choose(encoderId).TryGetValue(out var encoder, out var refusal))
            {
                return refusal;
            }

            if (card.Uid is { } uid)
            {
                var erased = await CardIssuing.EncoderAsync(async () =>
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
        _issuing.IssueAsync(actor, order, attemptKey, cancellationToken);

    /// <summary>Replaces a card: the old one goes lost or damaged and is linked to the new one, issued like <see cref="IssueAsync(Actor, IssueOrder, string, CancellationToken)"/>.</summary>
    public Task<Outcome<CardView>> ReplaceAsync(Actor actor, ReplaceOrder order, string attemptKey, CancellationToken cancellationToken) =>
        _issuing.ReplaceAsync(actor, order, attemptKey, cancellationToken);

    /// <summary>
    /// Issues a temporary card, like <see cref="IssueAsync(Actor, IssueOrder, string, CancellationToken)"/>
    /// (journal, encoder, commit; the same key resumes) with a validity window that every controller of its
    /// zones receives. A stand-in takes the lost card's holder and kind; a lost card still issued is
    /// reported lost in the same commit. A window that is not whole local days is refused when the card
    /// would reach a controller that keeps whole days (<see cref="TemporaryCards.CheckGrain"/>).
    /// </summary>
    public Task<Outcome<CardView>> IssueTemporaryAsync(Actor actor, TemporaryIssueOrder order, string attemptKey, CancellationToken cancellationToken) =>
        _issuing.IssueTemporaryAsync(actor, order, attemptKey, cancellationToken);

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
    public Task<Outcome<CardView>> CommitAtStartAsync(IssueJournalEntry journal, string cardUid, CancellationToken cancellationToken) =>
        _issuing.CommitAtStartAsync(journal, cardUid, cancellationToken);

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

        if (!(await CardIssuing.EncoderAsync(() => _encoders.ReadAsync(encoder, cancellationToken))).TryGetValue(out var reading, out var failed))
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
        if (!(await DecideAsync(unit, number, action, reason, note, cancellationToken)).TryGetValue(out var change, out var refusal))
        {
            return refusal;
        }

        var after = await ApplyAsync(unit, change, cancellationToken);
        var view = await ViewAsync(unit.Connection, unit.Transaction, after, [], cancellationToken);
        await unit.CommitAsync(cancellationToken);
        return view;
    }

    /// <summary>Reads card <paramref name="number"/> in <paramref name="unit"/> and decides <paramref name="action"/> on it: the change for <see cref="ApplyAsync"/>, or why not.</summary>
    private static async Task<Outcome<CardChange>> DecideAsync(UnitOfWork unit, long number, CardAction action, string? reason, string? note, CancellationToken cancellationToken) =>
        await CardStore.GetAsync(unit, number, cancellationToken) is { } card
            ? CardChanges.Transition(card, action, reason, note)
            : Refusal.NotFound($"card {number}");

    private Task<CardView> ViewAsync(SqliteConnection connection, SqliteTransaction? transaction, CardRecord card, Dictionary<long, Holder?> holders, CancellationToken cancellationToken) =>
        CardViews.ViewAsync(connection, transaction, card, holders, _writes.Now, cancellationToken);
}
