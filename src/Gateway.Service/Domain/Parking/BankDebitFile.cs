using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Service.Domain.Parking;

/// <summary>What the bank says about one debit.</summary>
public enum DebitStatus
{
    Succeeded,
    Failed,
}

/// <summary>One well-formed line of the bank's result file.</summary>
public sealed record BankResultLine(int LineNumber, string AgreementNumber, long AmountFen, DateOnly Date, DebitStatus Status, string? Reason)
{
    /// <summary>What makes two lines the same debit: the bank reports each agreement's debit once per date.</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture, $"{AgreementNumber}|{Date:yyyy-MM-dd}|{AmountFen}|{(Status == DebitStatus.Succeeded ? "ok" : "failed")}");
}

/// <summary>A line of the bank's result file that could not be read, and why.</summary>
public sealed record MalformedLine(int LineNumber, string Reason);

/// <summary>One debit request of the monthly export, with the account to debit (null for an agreement recorded before accounts were stored).</summary>
public sealed record DebitRequest(string AgreementNumber, long AmountFen, DateOnly DueDate, string Plate, string? AccountName = null, string? AccountNumber = null)
{
    /// <summary>Never the full account number: a request printed or logged by mistake shows it masked.</summary>
    public override string ToString() => $"{AgreementNumber} {Money.Yuan(AmountFen)} {DueDate:yyyy-MM-dd} {Plate} {AccountName} {(AccountNumber is null ? null : BankAccounts.Mask(AccountNumber))}";
}

/// <summary>The bank's result file, read.</summary>
public sealed record BankResultFile(IReadOnlyList<BankResultLine> Lines, IReadOnlyList<MalformedLine> Malformed);

/// <summary>
/// The bank-debit files, as CSV (RFC 4180 without quoting: no field needs a comma). Amounts are
/// yuan with two decimals, as banks write them (<c>300.00</c>), converted exactly to fen; dates are
/// ISO <c>yyyy-MM-dd</c> in the site's calendar. See docs/parking.md for both layouts.
/// </summary>
public static partial class BankDebitFile
{
    public const string RequestHeader = "agreement_number,amount,due_date,plate,account_name,account_number";
    public const string ResultHeader = "agreement_number,amount,date,status,reason";

    /// <summary>Largest result file accepted: a site has thousands of agreements, not millions.</summary>
    public const int MaxLines = 50_000;

    public static string FormatRequests(IEnumerable<DebitRequest> requests)
    {
        var text = new StringBuilder(RequestHeader).Append('\n');
        foreach (var request in requests)
        {
            text.Append(request.AgreementNumber).Append(',')
                .Append(FormatYuan(request.AmountFen)).Append(',')
                .Append(request.DueDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append(',')
                .Append(request.Plate).Append(',')
                .Append(request.AccountName).Append(',')
                .Append(request.AccountNumber).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>
    /// Reads a result file: <c>agreement_number,amount,date,status[,reason]</c> per line, an optional
    /// header, blank lines ignored, CRLF or LF. Status is <c>ok</c> or <c>failed</c> (also
    /// <c>success</c>/<c>succeeded</c>, <c>fail</c>). Every line that cannot be read is reported with
    /// its number and why; the others are returned in file order.
    /// </summary>
    public static BankResultFile ParseResults(string text)
    {
        var lines = new List<BankResultLine>();
        var malformed = new List<MalformedLine>();
        var raw = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < raw.Length; i++)
        {
            var number = i + 1;
            var line = raw[i].TrimEnd('\r');
            if (i == 0)
            {
                line = line.TrimStart('\uFEFF');
            }

            if (line.Trim().Length == 0)
            {
                continue;
            }

            if (i == 0 && line.StartsWith("agreement_number", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (lines.Count + malformed.Count >= MaxLines)
            {
                malformed.Add(new MalformedLine(number, $"the file has more than {MaxLines} lines; the rest was not read"));
                break;
            }

            if (TryParseLine(number, line, out var parsed, out var reason))
            {
                lines.Add(parsed);
            }
            else
            {
                malformed.Add(new MalformedLine(number, reason));
            }
        }

        return new BankResultFile(lines, malformed);
    }

    private static bool TryParseLine(int number, string line, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out BankResultLine? parsed, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? reason)
    {
        parsed = null;
        if (line.Contains('"', StringComparison.Ordinal))
        {
            reason = "quoted fields are not expected";
            return false;
        }

        var fields = line.Split(',');
        if (fields.Length is < 4 or > 5)
        {
            reason = $"expected 4 or 5 fields (agreement_number,amount,date,status[,reason]), found {fields.Length}";
            return false;
        }

        var agreement = fields[0].Trim();
        if (!IsAgreementNumber(agreement))
        {
            reason = $"'{Clip(agreement)}' is not an agreement number (1-32 letters, digits, '-', '_' or '/')";
            return false;
        }

        if (!TryParseYuan(fields[1].Trim(), out var amount) || amount <= 0)
        {
            reason = $"'{Clip(fields[1].Trim())}' is not a positive amount in yuan with two decimals (e.g. 300.00)";
            return false;
        }

        if (!DateOnly.TryParseExact(fields[2].Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            reason = $"'{Clip(fields[2].Trim())}' is not a date (yyyy-MM-dd)";
            return false;
        }

        DebitStatus status;
        switch (fields[3].Trim().ToLowerInvariant())
        {
            case "ok" or "success" or "succeeded":
                status = DebitStatus.Succeeded;
                break;
            case "failed" or "fail":
                status = DebitStatus.Failed;
                break;
            default:
                reason = $"'{Clip(fields[3].Trim())}' is not a status (ok or failed)";
                return false;
        }

        var why = fields.Length == 5 && fields[4].Trim().Length > 0 ? Clip(fields[4].Trim(), 200) : null;
        parsed = new BankResultLine(number, agreement, amount, date, status, why);
        reason = null;
        return true;
    }

    /// <summary>Agreement numbers: 1-32 letters, digits, '-', '_' or '/'.</summary>
    public static bool IsAgreementNumber(string? text) => text is not null && AgreementNumberPattern().IsMatch(text);

    /// <summary>Reads <c>300</c>, <c>300.5</c> or <c>300.00</c> yuan as fen, exactly; false for anything else.</summary>
    public static bool TryParseYuan(string text, out long fen)
    {
        fen = 0;
        var match = YuanPattern().Match(text);
        if (!match.Success)
        {
            return false;
        }

        var yuan = long.Parse(match.Groups["yuan"].Value, NumberStyles.None, CultureInfo.InvariantCulture);
        var fraction = match.Groups["fen"].Success ? match.Groups["fen"].Value.PadRight(2, '0') : "00";
        fen = (yuan * 100) + long.Parse(fraction, NumberStyles.None, CultureInfo.InvariantCulture);
        return true;
    }

    public static string FormatYuan(long fen) => Money.Yuan(fen);

    private static string Clip(string text, int length = 40) => text.Length <= length ? text : string.Concat(text.AsSpan(0, length), "…");

    [GeneratedRegex("^[A-Za-z0-9_/-]{1,32}$")]
    private static partial Regex AgreementNumberPattern();

    // At most 12 digits of yuan: far beyond any fee, far below overflow.
    [GeneratedRegex("^(?<yuan>[0-9]{1,12})(\\.(?<fen>[0-9]{1,2}))?$")]
    private static partial Regex YuanPattern();
}
