using System.Globalization;

namespace Gateway.Simulators.Barrier;

/// <summary>A list of unit ids as the command line writes it: <c>1</c>, <c>1-8</c>, <c>1,3,5</c> or a mix (<c>1-3,7</c>).</summary>
public static class UnitList
{
    /// <summary>Parses a unit list; units are 1..247, each at most once.</summary>
    /// <exception cref="FormatException">Not a list of units; the message says why.</exception>
    public static IReadOnlyList<byte> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var units = new SortedSet<byte>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var (first, last) = dash < 0 ? (Unit(part), Unit(part)) : (Unit(part[..dash]), Unit(part[(dash + 1)..]));
            if (last < first)
            {
                throw new FormatException($"unit range '{part}' runs backwards");
            }

            for (var unit = first; unit <= last; unit++)
            {
                if (!units.Add((byte)unit))
                {
                    throw new FormatException($"unit {unit} is listed twice");
                }
            }
        }

        return [.. units];
    }

    private static int Unit(string text)
    {
        if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var unit) || unit is < 1 or > 247)
        {
            throw new FormatException($"'{text}' is not a unit id (1-247)");
        }

        return unit;
    }
}
