using System.Globalization;

namespace Gateway.Service.Console;

/// <summary>
/// How the console writes and reads money and time: amounts are entered and shown in yuan with two
/// decimals (stored as whole fen), instants in the site's time zone.
/// </summary>
public static class ConsoleFormat
{
    /// <summary>Largest amount a form accepts: 10,000,000.00 yuan.</summary>
    public const long MaxFen = 1_000_000_000;

    /// <summary><c>¥1,234.50</c>.</summary>
    public static string Yuan(long fen)
    {
        var sign = fen < 0 ? "-" : string.Empty;
        var abs = Math.Abs(fen);
        return string.Create(CultureInfo.InvariantCulture, $"{sign}¥{abs / 100:N0}.{abs % 100:00}");
    }

    /// <summary>
    /// Reads an amount in yuan as typed: digits with at most two decimals, an optional leading ¥ and
    /// thousands commas (<c>300</c>, <c>300.5</c>, <c>¥1,200.00</c>). False for anything else, a
    /// negative or zero amount, or more than <see cref="MaxFen"/>.
    /// </summary>
    public static bool TryParseYuan(string? text, out long fen)
    {
        fen = 0;
        var t = text?.Trim().TrimStart('¥', '￥').Replace(",", string.Empty, StringComparison.Ordinal).Trim();
        if (string.IsNullOrEmpty(t) || t.Length > 16)
        {
            return false;
        }

        var parts = t.Split('.');
        if (parts.Length > 2 || parts[0].Length == 0 || !parts[0].All(char.IsAsciiDigit) || (parts.Length == 2 && (parts[1].Length is 0 or > 2 || !parts[1].All(char.IsAsciiDigit))))
        {
            return false;
        }

        var yuan = long.Parse(parts[0], CultureInfo.InvariantCulture);
        var cents = parts.Length == 2 ? int.Parse(parts[1].PadRight(2, '0'), CultureInfo.InvariantCulture) : 0;
        if (yuan > MaxFen / 100)
        {
            return false;
        }

        fen = (yuan * 100) + cents;
        return fen is > 0 and <= MaxFen;
    }

    /// <summary>A variance with its sign (<c>+1</c>, <c>-2</c>, <c>0</c>), empty when there is none to show.</summary>
    public static string Variance(long? value) => value switch
    {
        null => string.Empty,
        > 0 => "+" + value.Value.ToString(CultureInfo.InvariantCulture),
        _ => value.Value.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>An instant in the site's zone: <c>2026-03-01 14:05</c>.</summary>
    public static string Time(DateTimeOffset instant, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(instant, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>A date in the site's zone: <c>2026-03-01</c>.</summary>
    public static string Date(DateTimeOffset instant, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(instant, zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
