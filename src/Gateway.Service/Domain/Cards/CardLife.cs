namespace Gateway.Service.Domain.Cards;

/// <summary>The states of a card's life (DESIGN.md "Card life").</summary>
public enum CardState
{
    InStock,
    Issued,
    Lost,
    Revoked,
    Damaged,
    WrittenOff,
    Returned,
}

/// <summary>What an issued card opens: access (doors), parking (car park), or both.</summary>
public enum CardKind
{
    Access,
    Parking,
    Both,
}

/// <summary>Why a card was revoked.</summary>
public enum RevokeReason
{
    MovedOut,
    Other,
}

/// <summary>Why a card is being replaced: the old card becomes Lost or Damaged.</summary>
public enum ReplaceReason
{
    Lost,
    Damaged,
}

/// <summary>Every change a card's life knows.</summary>
public enum CardAction
{
    Issue,
    ReportLost,
    Found,
    Revoke,
    MarkDamaged,
    WriteOff,
    Return,
    Recycle,

    /// <summary>The old card's side of a replacement (the new card's side is <see cref="Issue"/>).</summary>
    Replace,
}

/// <summary>What the card life needs to know of a card to decide.</summary>
/// <param name="Number">The card number printed on the card.</param>
/// <param name="State">Its state now.</param>
/// <param name="ReplacedBy">The number of the card issued to replace it, if any.</param>
/// <param name="Temporary">A temporary card (a validity window; see <see cref="TemporaryCards"/>).</param>
public sealed record CardFacts(long Number, CardState State, long? ReplacedBy = null, bool Temporary = false);

/// <summary>
/// The card life as a pure function (DESIGN.md's state diagram):
/// <code>
/// InStock ──issue──▶ Issued ──report lost──▶ Lost ──found──▶ Returned (after a replacement) / Issued (before)
///                      ├──revoke (moved out, other)──▶ Revoked ──card handed back──▶ Returned
///                      └──damaged──▶ Damaged ──write off──▶ WrittenOff
/// Returned ──recycle (erase to transport keys)──▶ InStock
/// </code>
/// Replacing = the old card goes Issued → Lost (or Damaged), or stays Lost/Damaged if already
/// reported, and gets linked to the new one; a card is replaced at most once. A card number reaches
/// another holder only through Recycle (Issue needs InStock).
/// A temporary card may also be handed back while issued (Issued → Returned: early, or expired and
/// awaiting return), and is never replaced (another temporary card is issued instead).
/// </summary>
public static class CardLife
{
    /// <summary>The states each action may start from (Replace with a reason: see <see cref="DecideReplace"/>).</summary>
    public static IReadOnlyDictionary<CardAction, CardState[]> AllowedFrom { get; } = new Dictionary<CardAction, CardState[]>
    {
        [CardAction.Issue] = [CardState.InStock],
        [CardAction.ReportLost] = [CardState.Issued],
        [CardAction.Found] = [CardState.Lost],
        [CardAction.Revoke] = [CardState.Issued],
        [CardAction.MarkDamaged] = [CardState.Issued],
        [CardAction.WriteOff] = [CardState.Damaged],
        [CardAction.Return] = [CardState.Revoked],
        [CardAction.Recycle] = [CardState.Returned],
        [CardAction.Replace] = [CardState.Issued, CardState.Lost, CardState.Damaged],
    };

    /// <summary>
    /// Decides <paramref name="action"/> on <paramref name="card"/>: the state it goes to, or an
    /// <see cref="RefusalKind.InvalidState"/> refusal. For Replace the old card is taken as lost.
    /// </summary>
    public static Outcome<CardState> Decide(CardFacts card, CardAction action) =>
        action == CardAction.Replace ? DecideReplace(card, ReplaceReason.Lost) : DecideSimple(card, action);

    /// <summary>The old card's side of a replacement.</summary>
    public static Outcome<CardState> DecideReplace(CardFacts card, ReplaceReason reason)
    {
        if (card.Temporary)
        {
            return Refuse(card, $"card {card.Number} is a temporary card; it is not replaced: hand it back, or issue another temporary card");
        }

        if (card.ReplacedBy is { } already)
        {
            return Refuse(card, $"card {card.Number} was already replaced by card {already}");
        }

        return (card.State, reason) switch
        {
            (CardState.Issued, ReplaceReason.Lost) => Allow(CardState.Lost),
            (CardState.Issued, ReplaceReason.Damaged) => Allow(CardState.Damaged),
            (CardState.Lost, ReplaceReason.Lost) => Allow(CardState.Lost),
            (CardState.Damaged, ReplaceReason.Damaged) => Allow(CardState.Damaged),
            (CardState.Lost or CardState.Damaged, _) => Refuse(card, $"card {card.Number} is {Name(card.State)}; replace it with reason {Name(card.State)}"),
            _ => Refuse(card, $"card {card.Number} is {Name(card.State)}; only an issued, lost or damaged card can be replaced"),
        };
    }

    /// <summary>How a state reads in messages and on the wire (kebab-case).</summary>
    public static string Name(CardState state) => state switch
    {
        CardState.InStock => "in-stock",
        CardState.WrittenOff => "written-off",
        _ => state.ToString().ToLowerInvariant(),
    };

    /// <summary>How an action reads in messages and audit (kebab-case).</summary>
    public static string Name(CardAction action) => action switch
    {
        CardAction.ReportLost => "report-lost",
        CardAction.MarkDamaged => "mark-damaged",
        CardAction.WriteOff => "write-off",
        _ => action.ToString().ToLowerInvariant(),
    };

    private static Outcome<CardState> DecideSimple(CardFacts card, CardAction action)
    {
        // A temporary card is handed back whenever its holder brings it, expired or not.
        if (action == CardAction.Return && card.Temporary && card.State == CardState.Issued)
        {
            return Allow(CardState.Returned);
        }

        var from = AllowedFrom[action];
        if (!from.Contains(card.State))
        {
            return Refuse(card, $"card {card.Number} is {Name(card.State)}; {Name(action)} is allowed only from {string.Join(" or ", from.Select(Name))}");
        }

        return action switch
        {
            CardAction.Issue => Allow(CardState.Issued),
            CardAction.ReportLost => Allow(CardState.Lost),
            // Found before a replacement was issued: the holder simply has the card again.
            CardAction.Found => Allow(card.ReplacedBy is null ? CardState.Issued : CardState.Returned),
            CardAction.Revoke => Allow(CardState.Revoked),
            CardAction.MarkDamaged => Allow(CardState.Damaged),
            CardAction.WriteOff => Allow(CardState.WrittenOff),
            CardAction.Return => Allow(CardState.Returned),
            CardAction.Recycle => Allow(CardState.InStock),
            _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
        };
    }

    private static Outcome<CardState> Allow(CardState to) => to;

    private static Outcome<CardState> Refuse(CardFacts card, string detail) => Refusal.InvalidState(detail, Name(card.State));

    /// <summary>States in which a card is on the controllers as blocked (presenting it raises an alarm).</summary>
    public static bool IsBlocked(CardState state) => state is CardState.Lost or CardState.Revoked or CardState.Damaged;

    /// <summary>States in which a card opens what its kind allows.</summary>
    public static bool IsActive(CardState state) => state == CardState.Issued;
}

/// <summary>
/// What the front desk hands over with a card at move-in, and the reference of the receipt the
/// resident signed. The card itself must be among the items.
/// </summary>
public sealed record HandOver(IReadOnlyList<string> Items, string ReceiptReference)
{
    /// <summary>The items the move-in procedure lists: the card, door keys, the gift, and its two documents.</summary>
    public static IReadOnlyList<string> KnownItems { get; } = ["card", "door-keys", "gift", "resident-handbook", "management-agreement"];
}
