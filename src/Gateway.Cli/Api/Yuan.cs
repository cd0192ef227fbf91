using System.Globalization;

namespace Gateway.Cli.Api;

/// <summary>
/// Money as the front desk writes it: yuan with at most two decimals (<c>900.00</c>, <c>900.5</c>,
/// <c>900</c>), converted exactly to the API's whole fen (no floating point), and fen shown back as yuan.
/// </summary>
public static class Yuan
{
    /// <summary>Most yuan digits read: far beyond any fee, far below overflow.</summary>
    private const int MaxYuanDigits = 12;

    /// <summary>Reads <c>900.00</c>, <c>900.5</c> or <c>900</c> (a leading <c>¥</c> or <c>￥</c> is allowed) as fen; false for anything else.</summary>
    public static bool TryParse(string? text, out long fen)
    {
        fen = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var span = text.AsSpan().Trim().TrimStart("¥￥");
        var dot = span.IndexOf('.');
        var whole = dot < 0 ? span : span[..dot];
        var fraction = dot < 0 ? [] : span[(dot + 1)..];
        if (whole.Length is 0 or > MaxYuanDigits || !IsDigits(whole) || (dot >= 0 && (fraction.Length is 0 or > 2 || !IsDigits(fraction))))
        {
            return false;
        }

        fen = (long.Parse(whole, NumberStyles.None, CultureInfo.InvariantCulture) * 100)
            + (fraction.Length == 0 ? 0 : int.Parse(fraction, NumberStyles.None, CultureInfo.InvariantCulture) * (fraction.Length == 1 ? 10 : 1));
        return true;
    }

    /// <summary>Fen as yuan with two decimals: <c>90000</c> → <c>900.00</c>, <c>-1500</c> → <c>-15.00</c>.</summary>
    public static string Format(long fen)
    {
        var sign = fen < 0 ? "-" : string.Empty;
        var magnitude = Math.Abs((decimal)fen);
        return sign + (magnitude / 100).ToString("0.00", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The fen of a money option given as yuan (<paramref name="yuanOption"/>) or as fen
    /// (<paramref name="fenOption"/>): exactly one of them, or none when not <paramref name="required"/>.
    /// </summary>
    /// <exception cref="CliException">Both given, neither when required, or the yuan not a valid amount (exit code 2, as other usage errors).</exception>
    public static long? FromOptions(string yuanOption, string? yuan, string fenOption, long? fen, bool required)
    {
        if (yuan is not null && fen is not null)
        {
            throw new CliException($"give {yuanOption} (yuan) or {fenOption}, not both", 2);
        }

        if (yuan is not null)
        {
            return TryParse(yuan, out var parsed)
                ? parsed
                : throw new CliException($"{yuanOption} '{yuan}' is not an amount in yuan with at most two decimals (e.g. 900.00)", 2);
        }

        if (fen is null && required)
        {
            throw new CliException($"{yuanOption} (yuan, e.g. 900.00) or {fenOption} is required", 2);
        }

        return fen;
    }

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }
}
