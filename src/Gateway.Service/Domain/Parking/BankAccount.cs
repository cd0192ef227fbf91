using System.Text.RegularExpressions;

namespace Gateway.Service.Domain.Parking;

/// <summary>
/// The account a bank-debit agreement is debited from: the account holder's name as the bank knows it
/// and the account (or card) number. Stored in full for the debit export; everywhere else — lists,
/// the audit log, logs — only <see cref="BankAccounts.Mask"/> of the number is shown.
/// </summary>
public sealed record BankAccount(string Name, string Number)
{
    /// <summary>The number as lists and the audit log show it.</summary>
    public string Masked => BankAccounts.Mask(Number);

    /// <summary>Never the full number, so a record printed or logged by mistake does not leak it.</summary>
    public override string ToString() => $"{Name} {Masked}";
}

public static partial class BankAccounts
{
    /// <summary>Digits shown of a masked number.</summary>
    public const int ShownDigits = 4;

    /// <summary><c>6222020200112233445</c> → <c>****3445</c>.</summary>
    public static string Mask(string number) => number.Length <= ShownDigits ? new string('*', number.Length) : "****" + number[^ShownDigits..];

    /// <summary>
    /// Reads an account number as people write it (spaces or hyphens between groups allowed) into its
    /// 8-32 digits (Chinese debit cards have 16-19, company accounts up to about 25); null when it is not one.
    /// </summary>
    public static string? NormalizeNumber(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var digits = text.Replace(" ", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        return NumberPattern().IsMatch(digits) ? digits : null;
    }

    /// <summary>
    /// An account holder's name: 1-64 letters (any script), digits, spaces and <c>· . ( ) （ ）'</c>, so it
    /// fits the debit file's unquoted CSV (no commas, quotes or line breaks).
    /// </summary>
    public static bool IsName(string? text) => text is not null && NamePattern().IsMatch(text) && text.Trim().Length == text.Length;

    [GeneratedRegex("^[0-9]{8,32}$")]
    private static partial Regex NumberPattern();

    [GeneratedRegex("^[\\p{L}\\p{M}\\p{N} ·.()（）'-]{1,64}$")]
    private static partial Regex NamePattern();
}
