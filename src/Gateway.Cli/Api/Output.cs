using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gateway.Cli.Api;

/// <summary>How operator commands print: one JSON object with --json (for scripts), aligned tables or key/value lines for people.</summary>
public static class Output
{
    /// <summary>Prints the raw JSON on one line.</summary>
    public static void Json(JsonElement value, TextWriter? writer = null) => (writer ?? Console.Out).WriteLine(value.GetRawText());

    /// <summary>
    /// Prints <paramref name="rows"/> as a table: a header of <paramref name="columns"/> (title, JSON
    /// property path like <c>holder.name</c>), then one aligned line per row. Empty lists print "(none)".
    /// </summary>
    public static void Table(IEnumerable<JsonElement> rows, IReadOnlyList<(string Title, string Path)> columns, TextWriter? writer = null)
    {
        writer ??= Console.Out;
        var cells = rows.Select(r => columns.Select(c => Cell(r, c.Path)).ToArray()).ToList();
        if (cells.Count == 0)
        {
            writer.WriteLine("(none)");
            return;
        }

        var widths = columns.Select((c, i) => Math.Max(c.Title.Length, cells.Max(row => row[i].Length))).ToArray();
        writer.WriteLine(Line(columns.Select(c => c.Title.ToUpperInvariant()).ToArray(), widths));
        foreach (var row in cells)
        {
            writer.WriteLine(Line(row, widths));
        }
    }

    /// <summary>Prints one object as "key  value" lines for the given fields.</summary>
    public static void Record(JsonElement value, IReadOnlyList<(string Title, string Path)> fields, TextWriter? writer = null)
    {
        writer ??= Console.Out;
        var width = fields.Max(f => f.Title.Length);
        foreach (var (title, path) in fields)
        {
            writer.WriteLine($"{title.PadRight(width)}  {Cell(value, path)}");
        }
    }

    /// <summary>The text of a property path (dots descend objects); "-" when absent or null.</summary>
    public static string Cell(JsonElement value, string path)
    {
        var current = value;
        foreach (var part in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current))
            {
                return "-";
            }
        }

        return current.ValueKind switch
        {
            JsonValueKind.Null or JsonValueKind.Undefined => "-",
            JsonValueKind.String => current.GetString() ?? "-",
            JsonValueKind.Number => current.GetRawText(),
            JsonValueKind.True => "yes",
            JsonValueKind.False => "no",
            JsonValueKind.Array => string.Join(",", current.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText())),
            _ => current.GetRawText(),
        };
    }

    private static string Line(string[] cells, int[] widths)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < cells.Length; i++)
        {
            builder.Append(i == cells.Length - 1 ? cells[i] : cells[i].PadRight(widths[i] + 2));
        }

        return builder.ToString().TrimEnd();
    }

    /// <summary>Invariant formatting for numbers in messages.</summary>
    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
