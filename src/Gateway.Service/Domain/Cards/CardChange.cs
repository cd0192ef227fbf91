namespace Gateway.Service.Domain.Cards;

/// <summary>A card as the site knows it: the physical card (number, UID once issued) and its current life.</summary>
/// <param name="Number">The number printed on the card.</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="Uid">The physical card's UID (hex, upper case) once it was issued; it stays through recycling.</param>
/// <param name="HolderId">Its holder while issued (and while lost, revoked or damaged).</param>
/// <param name="Kind">What it opens while issued.</param>
/// <param name="IssueCount">How many times the number was issued.</param>
/// <param name="Replaces">The card this one replaced.</param>
/// <param name="ReplacedBy">The card that replaced this one.</param>
/// <param name="StateReason">Why it is in its state (e.g. moved-out).</param>
/// <param name="StateNote">The operator's note on its state.</param>
/// <param name="Batch">The stock receipt it came with.</param>
/// <param name="ReceivedUtc">When it was received into stock.</param>
/// <param name="UpdatedUtc">When it last changed.</param>
/// <param name="Temporary">A temporary card's terms (its window; null: an ordinary card).</param>
/// <param name="Legacy">Imported as already in a resident's hand (docs/migration.md): Gateway wrote no payload on it and holds no keys for it.</param>
public sealed record CardRecord(
    long Number,
    CardState State,
    string? Uid,
    long? HolderId,
    CardKind? Kind,
    int IssueCount,
    long? Replaces,
    long? ReplacedBy,
    string? StateReason,
    string? StateNote,
    string? Batch,
    DateTimeOffset ReceivedUtc,
    DateTimeOffset UpdatedUtc,
    TemporaryTerms? Temporary = null,
    bool Legacy = false)
{
    public CardFacts Facts => new(Number, State, ReplacedBy, Temporary is not null);
}

/// <summary>
/// A decided change of one card: the card before and after, and how the change is named in the card's
/// history, in the outbox marker that tells the sync engine to recompute its entries, and in the audit
/// log. Built by <see cref="CardChanges"/> (pure); applied by the card workflow in one unit of work.
/// </summary>
/// <param name="Before">The card as it is.</param>
/// <param name="After">The card as it will be.</param>
/// <param name="Action">The history's action (e.g. <c>report-lost</c>, <c>issue-replacement</c>).</param>
/// <param name="Reason">The history's reason (e.g. <c>moved-out</c>).</param>
/// <param name="Note">The history's note (e.g. the hand-over receipt's reference).</param>
/// <param name="MarkerReason">The outbox marker's reason.</param>
/// <param name="AuditAction">The audit entry's action (<c>card.X</c>).</param>
/// <param name="AuditDetails">The audit entry's details (serialized as JSON; never a key or a full ID number).</param>
public sealed record CardChange(CardRecord Before, CardRecord After, string Action, string? Reason, string? Note, string MarkerReason, string AuditAction, object AuditDetails)
{
    /// <summary>The audit subject and the history's card.</summary>
    public string Subject => $"card:{After.Number}";
}

/// <summary>
/// Every change a card's life knows, as pure functions from the card (and the facts the change needs)
/// to a <see cref="CardChange"/> or the refusal of <see cref="CardLife"/>. Nothing here reads or writes.
/// </summary>
public static class CardChanges
{
    /// <summary>
    /// A change of state only: report lost, found, revoke (with its reason), mark damaged, write off, return.
    /// The card keeps its holder, kind and links; the reason and note describe the new state.
    /// </summary>
    public static Outcome<CardChange> Transition(CardRecord card, CardAction action, string? reason, string? note)
    {
        if (action is CardAction.Issue or CardAction.Recycle or CardAction.Replace)
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, "issue, recycle and replace carry more than a state: use their own functions");
        }

        if (!CardLife.Decide(card.Facts, action).TryGetValue(out var to, out var refusal))
        {
            return refusal;
        }

        var name = CardLife.Name(action);
        var after = card with { State = to, StateReason = reason, StateNote = note };
        return new CardChange(card, after, name, reason, note, name, $"card.{name}", new { from = Wire.Name(card.State), to = Wire.Name(to), reason, note });
    }

    /// <summary>Returned → in stock: the physical card keeps its number and UID; who held it stays in the history.</summary>
    public static Outcome<CardChange> Recycle(CardRecord card)
    {
        if (!CardLife.Decide(card.Facts, CardAction.Recycle).TryGetValue(out var to, out var refusal))
        {
            return refusal;
        }

        var after = card with { State = to, HolderId = null, Kind = null, Replaces = null, ReplacedBy = null, StateReason = null, StateNote = null, Temporary = null };
        return new CardChange(card, after, "recycle", null, null, "recycle", "card.recycle", new { from = Wire.Name(card.State), to = Wire.Name(to) });
    }

    /// <summary>
    /// In stock → issued to <paramref name="holderId"/> as <paramref name="kind"/> on the physical card
    /// <paramref name="uid"/> (a replacement when <paramref name="replaces"/> is set; a temporary card when
    /// <paramref name="temporary"/> is), as issue journal <paramref name="journalId"/> recorded it. A card
    /// issued before keeps its physical card: another UID is a conflict.
    /// </summary>
    public static Outcome<CardChange> Issue(CardRecord card, long holderId, CardKind kind, string uid, long? replaces, HandOver handOver, long journalId, TemporaryTerms? temporary = null)
    {
        if (!CardLife.Decide(card.Facts, CardAction.Issue).TryGetValue(out var to, out var refusal))
        {
            return refusal;
        }

        if (card.Uid is not null && !string.Equals(card.Uid, uid, StringComparison.OrdinalIgnoreCase))
        {
            return Refusal.Conflict($"card {card.Number} was issued before on the physical card with UID {card.Uid}; the card on the encoder ({uid}) is another one");
        }

        var after = card with
        {
            State = to,
            Uid = uid,
            HolderId = holderId,
            Kind = kind,
            IssueCount = card.IssueCount + 1,
            Replaces = replaces,
            ReplacedBy = null,
            StateReason = null,
            StateNote = null,
            Temporary = temporary,
        };
        if (temporary is not null)
        {
            var terms = new
            {
                holder = holderId,
                kind = Wire.Name(kind),
                uid,
                issueCounter = after.IssueCount,
                items = handOver.Items,
                receipt = handOver.ReceiptReference,
                purpose = Wire.Name(temporary.Purpose),
                validFrom = temporary.Window.FromUtc,
                validUntil = temporary.Window.UntilUtc,
                bearer = temporary.Bearer,
                standsInFor = temporary.StandsInFor,
                journal = journalId,
            };
            return new CardChange(card, after, "issue-temporary", Wire.Name(temporary.Purpose), handOver.ReceiptReference, "issue", "card.issue-temporary", terms);
        }

        var details = new
        {
            holder = holderId,
            kind = Wire.Name(kind),
            uid,
            issueCounter = after.IssueCount,
            items = handOver.Items,
            receipt = handOver.ReceiptReference,
            replaces,
            journal = journalId,
        };
        return new CardChange(card, after, replaces is null ? "issue" : "issue-replacement", null, handOver.ReceiptReference, "issue", "card.issue", details);
    }

    /// <summary>The old card's side of a replacement: issued → lost or damaged (or stays so), linked to <paramref name="newNumber"/>.</summary>
    public static Outcome<CardChange> Replace(CardRecord old, ReplaceReason reason, long newNumber)
    {
        if (!CardLife.DecideReplace(old.Facts, reason).TryGetValue(out var to, out var refusal))
        {
            return refusal;
        }

        var why = Wire.Name(reason);
        var after = old with { State = to, ReplacedBy = newNumber, StateReason = why };
        return new CardChange(old, after, "replace", why, $"replaced by card {newNumber}", "replace", "card.replace", new { from = Wire.Name(old.State), to = Wire.Name(to), replacedBy = newNumber });
    }
}
