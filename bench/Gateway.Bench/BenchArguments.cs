using System.Globalization;

namespace Gateway.Bench;

/// <summary>Options of the form <c>--name=N</c> that benchmarks read their sizes from.</summary>
internal static class BenchArguments
{
    /// <summary>Every <c>--name=N</c> argument whose N is a whole number of at least 1, in order; others are ignored.</summary>
    public static IEnumerable<(string Name, int Value)> Counts(IEnumerable<string> args)
    {
        foreach (var arg in args)
        {
            var parts = arg.Split('=', 2);
            if (parts.Length == 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1)
            {
                yield return (parts[0], value);
            }
        }
    }
}
