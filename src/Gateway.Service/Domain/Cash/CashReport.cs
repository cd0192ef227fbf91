using System.Globalization;
using System.Text.RegularExpressions;

namespace Gateway.Service.Domain.Cash;

/// <summary>What one money line of the desk is.</summary>
public enum CashLineKind
{
    /// <summary>A parking payment taken in cash.</summary>
    CashPayment,

    /// <summary>A parking payment by bank debit (an imported result, or recorded at the desk).</summary>
    BankDebit,

    /// <summary>A card fee (a card issued).</summary>
    CardFee,

    /// <summary>A replacement card's fee.</summary>
    ReplacementFee,

    /// <summary>A card deposit taken.</summary>
    Deposit,

    /// <summary>A card deposit paid back at hand-back (money out).</summary>
    DepositRefund,

    /// <summary>A parking payment reversed (counted against its method, on its original receipt).</summary>
    Reversal,
}

/// <summary>
/// One amount the desk took or paid back: when (<c>AtUtc</c>), by whom (<c>OperatorId</c>), what
/// (<c>Kind</c>), how much (<c>AmountFen</c>, negative = money out or a reversal), the receipt-book number
/// it is written on, how (<c>Method</c>: cash or bank-debit for parking payments and their reversals;
/// card money is cash), what it was for (<c>Reference</c>: agreement number or card) and whose.
/// </summary>
public sealed record CashLine(DateTimeOffset AtUtc, string OperatorId, CashLineKind Kind, long AmountFen, string ReceiptNumber, string Method, string Reference, long? HolderId, string? HolderName);

/// <summary>A count and a total of one kind of line.</summary>
public sealed record CashTotal(int Count, long TotalFen)
{
    public static CashTotal Of(IEnumerable<CashLine> lines)
    {
        var list = lines.ToList();
        return new CashTotal(list.Count, list.Sum(l => l.AmountFen));
    }
}

/// <summary>What one receipt-book number carries in the window (an issue's fee and deposit share one receipt).</summary>
public sealed record ReceiptTotal(string ReceiptNumber, long TotalFen, int Lines);

/// <summary>
/// The receipt-book numbers of the lines taken or paid back in the window (reversals reuse their
/// payment's receipt and are not counted), with the numbers missing inside a numbered run
/// (<c>R-0012</c> … <c>R-0015</c> without <c>R-0013</c>) for the book to explain (voided, or not recorded).
/// </summary>
public sealed record ReceiptReconciliation(int Count, long TotalFen, string? First, string? Last, IReadOnlyList<string> Missing, IReadOnlyList<ReceiptTotal> Receipts);

/// <summary>
/// One operator's money in the window. <see cref="CashInHandFen"/> is what the drawer should have
/// gained: cash payments, card fees and deposits, less deposit refunds and reversals of cash payments.
/// Bank debits are settled by the bank and never pass the drawer.
/// </summary>
public sealed record OperatorCash(
    string OperatorId,
    string? OperatorName,
    CashTotal Cash,
    CashTotal BankDebits,
    CashTotal CardFees,
    CashTotal Deposits,
    CashTotal Refunds,
    CashTotal Reversals,
    long CashInHandFen,
    ReceiptReconciliation Receipts,
    IReadOnlyList<CashLine> Lines);

/// <summary>The cash report of a window (a day or a shift): per operator, and the totals of all of them.</summary>
public sealed record CashReportView(DateTimeOffset FromUtc, DateTimeOffset ToUtc, string TimeZone, string? Operator, IReadOnlyList<OperatorCash> Operators, OperatorCash Totals);

/// <summary>Builds the cash report from the window's lines (pure: the lines are read by the store).</summary>
public static partial class CashReports
{
    public const string AllOperators = "(all)";

    public static CashReportView Build(DateTimeOffset fromUtc, DateTimeOffset toUtc, string timeZone, string? onlyOperator, IReadOnlyList<CashLine> lines, IReadOnlyDictionary<string, string> operatorNames)
    {
        var operators = lines
            .GroupBy(l => l.OperatorId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Summarize(g.Key, operatorNames.GetValueOrDefault(g.Key), g.ToList()))
            .ToList();
        return new CashReportView(fromUtc, toUtc, timeZone, onlyOperator, operators, Summarize(AllOperators, null, lines));
    }

    public static OperatorCash Summarize(string operatorId, string? name, IReadOnlyList<CashLine> lines)
    {
        var ordered = lines.OrderBy(l => l.AtUtc).ThenBy(l => l.ReceiptNumber, StringComparer.Ordinal).ToList();
        var cash = CashTotal.Of(ordered.Where(l => l.Kind == CashLineKind.CashPayment));
        var bank = CashTotal.Of(ordered.Where(l => l.Kind == CashLineKind.BankDebit));
        var fees = CashTotal.Of(ordered.Where(l => l.Kind is CashLineKind.CardFee or CashLineKind.ReplacementFee));
        var deposits = CashTotal.Of(ordered.Where(l => l.Kind == CashLineKind.Deposit));
        var refunds = CashTotal.Of(ordered.Where(l => l.Kind == CashLineKind.DepositRefund));
        var reversals = CashTotal.Of(ordered.Where(l => l.Kind == CashLineKind.Reversal));
        var cashReversed = ordered.Where(l => l.Kind == CashLineKind.Reversal && l.Method == "cash").Sum(l => l.AmountFen);
        var inHand = cash.TotalFen + fees.TotalFen + deposits.TotalFen + refunds.TotalFen + cashReversed;
        return new OperatorCash(operatorId, name, cash, bank, fees, deposits, refunds, reversals, inHand, Reconcile(ordered), ordered);
    }

    /// <summary>The receipts of the lines (reversals excluded: they carry their payment's receipt), by number, with the gaps in numbered runs.</summary>
    public static ReceiptReconciliation Reconcile(IEnumerable<CashLine> lines)
    {
        var receipts = lines
            .Where(l => l.Kind != CashLineKind.Reversal)
            .GroupBy(l => l.ReceiptNumber, StringComparer.Ordinal)
            .Select(g => new ReceiptTotal(g.Key, g.Sum(l => l.AmountFen), g.Count()))
            .OrderBy(r => r.ReceiptNumber, ReceiptOrder.Instance)
            .ToList();
        return new ReceiptReconciliation(receipts.Count, receipts.Sum(r => r.TotalFen), receipts.FirstOrDefault()?.ReceiptNumber, receipts.LastOrDefault()?.ReceiptNumber, Missing(receipts.Select(r => r.ReceiptNumber)), receipts);
    }

    /// <summary>Most missing numbers listed for one run: a gap of thousands is a typing error, not voided receipts.</summary>
    public const int MaxMissingPerRun = 50;

    /// <summary>
    /// Numbers missing between the lowest and the highest of each run of receipts that share a prefix
    /// and end in digits (<c>R-0012</c>, <c>R-0015</c> → <c>R-0013</c>, <c>R-0014</c>), zero-padded as the run is.
    /// Bank receipts (<c>bank:…</c>) are not numbered by the desk and are left out.
    /// </summary>
    public static IReadOnlyList<string> Missing(IEnumerable<string> receiptNumbers)
    {
        var missing = new List<string>();
        var runs = receiptNumbers
            .Where(r => !r.StartsWith("bank:", StringComparison.Ordinal))
            .Select(r => NumberedReceipt().Match(r))
            .Where(m => m.Success && m.Groups["digits"].Value.Length <= 18)
            .GroupBy(m => m.Groups["prefix"].Value, StringComparer.Ordinal);
        foreach (var run in runs)
        {
            // Zero-padded as the run is: R-0098, R-0101 → R-0099; unpadded runs (9, 11) stay unpadded.
            var widths = run.Select(m => m.Groups["digits"].Value.Length).Distinct().ToList();
            var width = widths.Count == 1 ? widths[0] : 0;
            var numbers = run.Select(m => long.Parse(m.Groups["digits"].Value, NumberStyles.None, CultureInfo.InvariantCulture)).Distinct().Order().ToList();
            var present = numbers.ToHashSet();
            var listed = 0;
            for (var n = numbers[0] + 1; n < numbers[^1] && listed < MaxMissingPerRun; n++)
            {
                if (!present.Contains(n))
                {
                    missing.Add(run.Key + n.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0'));
                    listed++;
                }
            }
        }

        return missing.Order(ReceiptOrder.Instance).ToList();
    }

    [GeneratedRegex("^(?<prefix>.*?)(?<digits>[0-9]+)$")]
    private static partial Regex NumberedReceipt();

    /// <summary>Receipt numbers in book order: by prefix, then by the number they end in.</summary>
    private sealed class ReceiptOrder : IComparer<string>
    {
        public static readonly ReceiptOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            var a = NumberedReceipt().Match(x ?? string.Empty);
            var b = NumberedReceipt().Match(y ?? string.Empty);
            if (a.Success && b.Success && a.Groups["prefix"].Value == b.Groups["prefix"].Value && a.Groups["digits"].Length <= 18 && b.Groups["digits"].Length <= 18)
            {
                return long.Parse(a.Groups["digits"].Value, CultureInfo.InvariantCulture).CompareTo(long.Parse(b.Groups["digits"].Value, CultureInfo.InvariantCulture));
            }

            return string.CompareOrdinal(x, y);
        }
    }
}
