using System.Globalization;
using System.Text;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cash;
using Gateway.Service.Domain.Parking;

namespace Gateway.Service.Cash;

/// <summary>The cash report as CSV (one line per amount, then the totals) and as a printable page; times in the site's zone, money in yuan.</summary>
public static class CashRendering
{
    public static string Csv(CashReportView report, SiteCalendar calendar)
    {
        var csv = new StringBuilder(Domain.Csv.Line("section", "operator", "time", "kind", "method", "receipt", "amount_yuan", "reference", "holder_id", "holder_name"));
        foreach (var op in report.Operators)
        {
            foreach (var l in op.Lines)
            {
                csv.Append(Domain.Csv.Line("line", Domain.Csv.Field(op.OperatorId), Local(l.AtUtc, calendar), Wire.Name(l.Kind), l.Method, Domain.Csv.Field(l.ReceiptNumber), Money.Yuan(l.AmountFen), Domain.Csv.Field(l.Reference), l.HolderId?.ToString(CultureInfo.InvariantCulture) ?? string.Empty, Domain.Csv.Field(l.HolderName)));
            }
        }

        foreach (var op in report.Operators.Append(report.Totals))
        {
            foreach (var (label, total) in Totals(op))
            {
                csv.Append(Domain.Csv.Line("total", Domain.Csv.Field(op.OperatorId), string.Empty, label, string.Empty, total.Count.ToString(CultureInfo.InvariantCulture), Money.Yuan(total.TotalFen), string.Empty, string.Empty, string.Empty));
            }

            csv.Append(Domain.Csv.Line("total", Domain.Csv.Field(op.OperatorId), string.Empty, "cash-in-hand", string.Empty, string.Empty, Money.Yuan(op.CashInHandFen), string.Empty, string.Empty, string.Empty));
            csv.Append(Domain.Csv.Line("receipts", Domain.Csv.Field(op.OperatorId), string.Empty, "receipts", string.Empty, op.Receipts.Count.ToString(CultureInfo.InvariantCulture), Money.Yuan(op.Receipts.TotalFen), Domain.Csv.Field(Range(op.Receipts)), string.Empty, Domain.Csv.Field(op.Receipts.Missing.Count == 0 ? null : "missing " + string.Join(' ', op.Receipts.Missing))));
        }

        return csv.ToString();
    }

    public static string Text(CashReportView report, SiteCalendar calendar)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"CASH REPORT  {Local(report.FromUtc, calendar)} to {Local(report.ToUtc, calendar)} ({report.TimeZone})\n");
        text.Append(report.Operator is null ? "All operators\n" : $"Operator {report.Operator}\n");
        // Receipt numbers are ASCII (the API's rule), so padding by characters aligns them; the column is as
        // wide as the longest, to leave the reference and the holder's name room within 80 columns.
        var receiptWidth = report.Operators.SelectMany(o => o.Lines).Select(l => l.ReceiptNumber.Length).Append("receipt".Length).Max();
        foreach (var op in report.Operators)
        {
            text.Append('\n').Append(CultureInfo.InvariantCulture, $"== {op.OperatorId}{(op.OperatorName is null ? string.Empty : " (" + op.OperatorName + ")")} ==\n");
            foreach (var l in op.Lines)
            {
                text.Append(CultureInfo.InvariantCulture, $"{Local(l.AtUtc, calendar),-16} {Wire.Name(l.Kind),-15} {l.ReceiptNumber.PadRight(receiptWidth)} {Money.Yuan(l.AmountFen),10}  {l.Reference} {l.HolderName}\n");
            }

            Summary(text, op);
        }

        if (report.Operators.Count != 1)
        {
            text.Append("\n== all operators ==\n");
            Summary(text, report.Totals);
        }

        // Fits a line of 80 columns, as a printer or a terminal shows it.
        text.Append("\nCounted by __________________  Checked by __________________  Date __________\n");
        return text.ToString();
    }

    private static void Summary(StringBuilder text, OperatorCash op)
    {
        text.Append('\n');
        foreach (var (label, total) in Totals(op))
        {
            text.Append(CultureInfo.InvariantCulture, $"  {label,-16} {total.Count,4}  {Money.Yuan(total.TotalFen),12}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"  {"cash in hand",-16} {string.Empty,4}  {Money.Yuan(op.CashInHandFen),12}\n");
        text.Append(CultureInfo.InvariantCulture, $"  receipts {op.Receipts.Count}, {Money.Yuan(op.Receipts.TotalFen)} yuan: {Range(op.Receipts)}\n");
        if (op.Receipts.Missing.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"  missing from the run: {string.Join(' ', op.Receipts.Missing)}\n");
        }
    }

    private static IEnumerable<(string Label, CashTotal Total)> Totals(OperatorCash op) =>
    [
        ("cash", op.Cash), ("bank-debits", op.BankDebits), ("card-fees", op.CardFees), ("deposits", op.Deposits), ("refunds", op.Refunds), ("reversals", op.Reversals),
    ];

    private static string Range(ReceiptReconciliation receipts) => receipts.First is null ? "none" : receipts.First == receipts.Last ? receipts.First : $"{receipts.First} .. {receipts.Last}";

    private static string Local(DateTimeOffset instant, SiteCalendar calendar) =>
        TimeZoneInfo.ConvertTime(instant, calendar.TimeZone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
