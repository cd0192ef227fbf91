namespace Gateway.Service.Domain.Cards;

/// <summary>What the desk takes or pays back for a card, each with its receipt-book number.</summary>
public enum ChargeKind
{
    /// <summary>The fee for a card issued (not a replacement).</summary>
    CardFee,

    /// <summary>The fee for a replacement card.</summary>
    ReplacementFee,

    /// <summary>A deposit taken: held for the card, refunded when the card is handed back.</summary>
    Deposit,

    /// <summary>A held deposit paid back (money out).</summary>
    DepositRefund,
}

/// <summary>One amount taken or paid back.</summary>
public readonly record struct Charge(ChargeKind Kind, long AmountFen);

/// <summary>
/// The site's card fee schedule (<c>Gateway:CardFees:*</c>, whole fen, 0 = not charged): the fee for
/// a card, the fee for a replacement, and the deposit a card holds until it is handed back.
/// </summary>
public sealed record CardFeeSchedule(long CardFen, long ReplacementFen, long DepositFen)
{
    /// <summary>Most a fee or a deposit may be: 10,000.00 yuan.</summary>
    public const long MaxFen = 1_000_000;

    /// <summary>No fees and no deposit (the default).</summary>
    public static CardFeeSchedule None { get; } = new(0, 0, 0);
}

/// <summary>
/// What is charged when (pure rules): an issue takes the card fee and the deposit; a replacement takes
/// the replacement fee, and the deposit only when the replaced card held none (the held deposit moves
/// to the new card); a card handed back gets its held deposit refunded in full. Zero amounts are not
/// charged. Whatever is charged carries one receipt-book number.
/// </summary>
public static class CardCharges
{
    public static IReadOnlyList<Charge> AtIssue(CardFeeSchedule schedule) => NonZero(
        new Charge(ChargeKind.CardFee, schedule.CardFen),
        new Charge(ChargeKind.Deposit, schedule.DepositFen));

    /// <param name="schedule">The site's schedule.</param>
    /// <param name="depositHeldFen">The deposit the replaced card holds (moved to the new card), or null when it holds none.</param>
    public static IReadOnlyList<Charge> AtReplacement(CardFeeSchedule schedule, long? depositHeldFen) => NonZero(
        new Charge(ChargeKind.ReplacementFee, schedule.ReplacementFen),
        new Charge(ChargeKind.Deposit, depositHeldFen is null ? schedule.DepositFen : 0));

    /// <summary>The refund due when a card holding <paramref name="depositHeldFen"/> is handed back, or null when it holds none.</summary>
    public static Charge? AtHandBack(long? depositHeldFen) => depositHeldFen is > 0 ? new Charge(ChargeKind.DepositRefund, depositHeldFen.Value) : null;

    /// <summary>Money in minus money out.</summary>
    public static long Net(IEnumerable<Charge> charges) => charges.Sum(c => c.Kind == ChargeKind.DepositRefund ? -c.AmountFen : c.AmountFen);

    /// <summary>
    /// Whether the receipt-book number given fits what is due: required when anything is charged,
    /// refused when nothing is (a receipt written for nothing would not reconcile). Null when it fits,
    /// else why not.
    /// </summary>
    public static string? CheckReceipt(IReadOnlyList<Charge> due, string? receiptNumber, string what)
    {
        if (due.Count > 0 && receiptNumber is null)
        {
            return $"the receipt-book number of the money taken is required: {what} charges {Describe(due)}";
        }

        if (due.Count == 0 && receiptNumber is not null)
        {
            return $"{what} charges nothing on this site's fee schedule; no receipt is written";
        }

        return null;
    }

    /// <summary><c>card fee 20.00 + deposit 100.00 = 120.00 yuan</c>.</summary>
    public static string Describe(IReadOnlyList<Charge> charges) =>
        string.Join(" + ", charges.Select(c => $"{Wire.Name(c.Kind).Replace('-', ' ')} {Money.Yuan(c.AmountFen)}")) + (charges.Count > 1 ? $" = {Money.Yuan(Net(charges))}" : string.Empty) + " yuan";

    private static List<Charge> NonZero(params Charge[] charges) => charges.Where(c => c.AmountFen > 0).ToList();
}
