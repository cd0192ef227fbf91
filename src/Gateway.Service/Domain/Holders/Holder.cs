using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Gateway.Service.Domain.Holders;

/// <summary>
/// A unit's address as the front desk writes it: building-unit-room (e.g. <c>3-2-1201</c>: building 3,
/// unit (entrance) 2, room 1201). Each part is 1-16 letters or digits.
/// </summary>
public sealed partial record UnitAddress(string Building, string Unit, string Room)
{
    public override string ToString() => $"{Building}-{Unit}-{Room}";

    public static bool IsValidPart(string? part) => part is not null && PartPattern().IsMatch(part);

    /// <summary>Parses <c>building-unit-room</c>.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out UnitAddress? address)
    {
        address = null;
        var parts = text?.Split('-');
        if (parts is not { Length: 3 } || !parts.All(IsValidPart))
        {
            return false;
        }

        address = new UnitAddress(parts[0], parts[1], parts[2]);
        return true;
    }

    [GeneratedRegex("^[A-Za-z0-9]{1,16}$")]
    private static partial Regex PartPattern();
}

/// <summary>
/// The only form in which an identity-document number exists in Gateway: its last 4 characters. The
/// full number is taken at the API, masked here, and dropped; it is never stored, returned or logged.
/// </summary>
public static partial class IdDocument
{
    /// <summary>Accepts 6-32 letters or digits (PRC resident ID: 18 characters ending in a digit or X; passports vary).</summary>
    public static bool IsValid(string? number) => number is not null && NumberPattern().IsMatch(number);

    /// <summary>The last 4 characters, upper-cased.</summary>
    public static string LastFour(string number)
    {
        if (!IsValid(number))
        {
            throw new ArgumentException("not an identity-document number", nameof(number));
        }

        return number[^4..].ToUpperInvariant();
    }

    /// <summary>How it is shown: <c>****123X</c>.</summary>
    public static string Display(string lastFour) => "****" + lastFour;

    [GeneratedRegex("^[A-Za-z0-9]{6,32}$")]
    private static partial Regex NumberPattern();
}

/// <summary>A cardholder: a resident of a unit, their contacts and the masked ID-document number.</summary>
public sealed record Holder(
    long Id,
    string Name,
    UnitAddress Address,
    string? Phone,
    string? Email,
    string? IdLastFour,
    DateTimeOffset CreatedUtc,
    DateTimeOffset UpdatedUtc);
