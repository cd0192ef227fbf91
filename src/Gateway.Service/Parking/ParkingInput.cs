using System.Text.RegularExpressions;
using Gateway.Service.Api;
using Gateway.Service.Domain.Parking;

namespace Gateway.Service.Parking;

/// <summary>
/// The rules of parking input as a person typed it (API body or console form), shared by both so that
/// they accept and refuse the same: agreement numbers, plates, spaces, receipt numbers, reasons and bank
/// accounts. Each error carries a code the console words in the operator's language; the API answers
/// the English message.
/// </summary>
public static partial class ParkingInput
{
    /// <summary>Card numbers are 1-99999999 (the printed number, the cards table's key).</summary>
    public const long MaxCardNumber = 99_999_999;

    /// <summary>Largest monthly fee accepted: 100,000.00 yuan.</summary>
    public const long MaxMonthlyFeeFen = 10_000_000;

    /// <summary>Largest single payment accepted: 10,000,000.00 yuan.</summary>
    public const long MaxPaymentFen = 1_000_000_000;

    /// <summary>Longest reason of an end or a reversal.</summary>
    public const int MaxReason = 200;

    /// <summary>Longest reference of the archived signed copy.</summary>
    public const int MaxSignedCopyRef = 200;

    public static readonly string[] Cycles = ["month", "quarter", "half-year"];
    public static readonly string[] Methods = ["cash", "bank-debit"];

    public static string? AgreementNumber(Validator v, string? value) =>
        v.Pattern("agreementNumber", value, AgreementNumberPattern(), "must be 1-32 letters, digits, '-', '_' or '/'", code: "agreement-number");

    /// <summary>A plate, upper-cased (沪a12345 is 沪A12345).</summary>
    public static string? Plate(Validator v, string? value, bool required = true) =>
        v.Pattern("plate", value?.ToUpperInvariant(), PlatePattern(), "must be 2-12 letters or digits (e.g. 沪A12345)", required, "plate");

    public static string? Space(Validator v, string? value, bool required = true) =>
        v.Pattern("space", value, SpacePattern(), "must be 1-32 letters, digits, spaces, '-', '_', '/' or '.'", required, "space");

    public static string? ReceiptNumber(Validator v, string? value) =>
        v.Pattern("receiptNumber", value, ReceiptPattern(), "must be 1-64 letters, digits, '-', '_', '/' or ':'", code: "receipt-number");

    /// <summary>The reason of an end or a reversal: required, at most <see cref="MaxReason"/> characters.</summary>
    public static string? Reason(Validator v, string? value) => v.Text("reason", value, MaxReason);

    /// <summary>A bank account from its two fields, both required together.</summary>
    public static BankAccount? Account(Validator v, string? name, string? number, bool required)
    {
        var ok = true;
        if (!BankAccounts.IsName(name))
        {
            if (name is null && required)
            {
                v.Add("bankAccountName", "is required for a bank-debit agreement", "required");
            }
            else
            {
                v.Add("bankAccountName", "must be the account holder's name: 1-64 letters, digits, spaces or · . ( ) ' - (no commas or quotes)", "bank-account-name");
            }

            ok = false;
        }

        var digits = BankAccounts.NormalizeNumber(number);
        if (digits is null)
        {
            // Never echo the number back: it is kept from lists and logs.
            if (number is null && required)
            {
                v.Add("bankAccountNumber", "is required for a bank-debit agreement", "required");
            }
            else
            {
                v.Add("bankAccountNumber", "must be 8-32 digits (spaces or hyphens between groups allowed)", "bank-account-number");
            }

            ok = false;
        }

        return ok ? new BankAccount(name!, digits!) : null;
    }

    [GeneratedRegex("^[A-Za-z0-9_/-]{1,32}$")]
    private static partial Regex AgreementNumberPattern();

    [GeneratedRegex("^[\\p{L}\\p{N}]{2,12}$")]
    private static partial Regex PlatePattern();

    [GeneratedRegex("^[\\p{L}\\p{N} _/.-]{1,32}$")]
    private static partial Regex SpacePattern();

    [GeneratedRegex("^[A-Za-z0-9_/:-]{1,64}$")]
    private static partial Regex ReceiptPattern();
}
