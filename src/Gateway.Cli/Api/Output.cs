using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gateway.Cli.Api;

/// <summary>
/// How operator commands print: one JSON object with --json (for scripts), aligned tables or key/value
/// lines for people. For people, money (a property whose name ends in <c>Fen</c>) is shown in yuan,
/// instants (ISO 8601 UTC strings) in the site's time zone, and columns are aligned by the terminal
/// columns their text takes (<see cref="DisplayWidth"/>: a Chinese character takes two).
/// </summary>
public static partial class Output
{
    /// <summary>The response header in which the service names its site's time zone (IANA id).</summary>
    public const string SiteTimeZoneHeader = "Gateway-Site-Time-Zone";

    /// <summary>
    /// The zone instants are shown in: the site's, as the service said in <see cref="SiteTimeZoneHeader"/>;
    /// null (instants shown as sent, in UTC) until a response said it.
    /// </summary>
    public static TimeZoneInfo? SiteTimeZone { get; set; }

    /// <summary>Takes the site's time zone from a response header's value; an id this machine does not know leaves instants in UTC.</summary>
    public static void UseSiteTimeZone(string? id)
    {
        if (!string.IsNullOrWhiteSpace(id) && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone))
        {
            SiteTimeZone = zone;
        }
    }

    /// <summary>Writes bytes to stdout untouched (a CSV keeps its byte-order mark when redirected to a file).</summary>
    public static async Task BytesAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        await Console.Out.FlushAsync(cancellationToken);
        await using var stdout = Console.OpenStandardOutput();
        await stdout.WriteAsync(bytes, cancellationToken);
        await stdout.FlushAsync(cancellationToken);
    }

    /// <summary>Prints the raw JSON on one line.</summary>
    public static void Json(JsonElement value, TextWriter? writer = null) => (writer ?? Console.Out).WriteLine(value.GetRawText());

    /// <summary>
    /// Prints <paramref name="rows"/> as a table: a header of <paramref name="columns"/> (title, JSON
    /// property path like <c>holder.name</c>), then one aligned line per row. A column whose values are
    /// all JSON numbers (amounts, counts, ids) is aligned right, so that yuan line up on their decimal
    /// point; text is aligned left. Empty lists print "(none)".
    /// </summary>
    public static void Table(IEnumerable<JsonElement> rows, IReadOnlyList<(string Title, string Path)> columns, TextWriter? writer = null)
    {
        writer ??= Console.Out;
        var list = rows.ToList();
        if (list.Count == 0)
        {
            writer.WriteLine("(none)");
            return;
        }

        var cells = list.Select(r => columns.Select(c => Cell(r, c.Path)).ToArray()).ToList();
        var right = columns.Select(c => IsNumberColumn(list, c.Path)).ToArray();
        Grid([columns.Select(c => c.Title.ToUpperInvariant()).ToArray()], cells, right, writer);
    }

    /// <summary>
    /// Prints lines of cells aligned by display width: <paramref name="header"/> lines first, then
    /// <paramref name="rows"/>; a column marked in <paramref name="right"/> is aligned right. Columns are
    /// two spaces apart; trailing spaces are trimmed.
    /// </summary>
    public static void Grid(IReadOnlyList<string[]> header, IReadOnlyList<string[]> rows, IReadOnlyList<bool> right, TextWriter? writer = null)
    {
        writer ??= Console.Out;
        var all = header.Concat(rows).ToList();
        var widths = Enumerable.Range(0, right.Count).Select(i => all.Max(line => i < line.Length ? DisplayWidth.Of(line[i]) : 0)).ToArray();
        foreach (var line in all)
        {
            var builder = new StringBuilder();
            for (var i = 0; i < widths.Length; i++)
            {
                var cell = i < line.Length ? line[i] : string.Empty;
                var pad = new string(' ', widths[i] - DisplayWidth.Of(cell));
                builder.Append(right[i] ? pad + cell : cell + pad);
                if (i < widths.Length - 1)
                {
                    builder.Append("  ");
                }
            }

            writer.WriteLine(builder.ToString().TrimEnd());
        }
    }

    /// <summary>Prints one object as "key  value" lines for the given fields.</summary>
    public static void Record(JsonElement value, IReadOnlyList<(string Title, string Path)> fields, TextWriter? writer = null)
    {
        writer ??= Console.Out;
        var width = fields.Max(f => DisplayWidth.Of(f.Title));
        foreach (var (title, path) in fields)
        {
            writer.WriteLine($"{DisplayWidth.PadRight(title, width)}  {Cell(value, path)}");
        }
    }

    /// <summary>
    /// The text of a property path (dots descend objects) for people; "-" when absent or null. Paths
    /// separated by spaces are shown side by side (<c>holderId holderName</c> → <c>12 李伟</c>). A number
    /// whose property name ends in <c>Fen</c> is shown in yuan; an ISO 8601 UTC instant in the site's zone.
    /// </summary>
    public static string Cell(JsonElement value, string path)
    {
        if (path.Contains(' ', StringComparison.Ordinal))
        {
            var parts = path.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => Cell(value, p)).Where(p => p != "-").ToList();
            return parts.Count == 0 ? "-" : string.Join(' ', parts);
        }

        var current = value;
        var name = path;
        foreach (var part in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current))
            {
                return "-";
            }

            name = part;
        }

        return current.ValueKind switch
        {
            JsonValueKind.Null or JsonValueKind.Undefined => "-",
            JsonValueKind.String => Instant(current.GetString() ?? "-"),
            JsonValueKind.Number when name.EndsWith("Fen", StringComparison.Ordinal) && current.TryGetInt64(out var fen) => Yuan.Format(fen),
            JsonValueKind.Number => current.GetRawText(),
            JsonValueKind.True => "yes",
            JsonValueKind.False => "no",
            JsonValueKind.Array => string.Join(",", current.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText())),
            _ => current.GetRawText(),
        };
    }

    /// <summary>An ISO 8601 UTC instant as local time of the site (<c>yyyy-MM-dd HH:mm:ss</c>); any other text unchanged.</summary>
    public static string Instant(string text)
    {
        if (SiteTimeZone is null || !UtcInstant().IsMatch(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
        {
            return text;
        }

        return TimeZoneInfo.ConvertTime(instant, SiteTimeZone).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
    }

    // Numbers only (a path naming one property, every value a JSON number or missing, one at least): a
    // column of ids beside names, or of phone numbers sent as text, stays text.
    private static bool IsNumberColumn(IReadOnlyList<JsonElement> rows, string path)
    {
        if (path.Contains(' ', StringComparison.Ordinal))
        {
            return false;
        }

        var numbers = 0;
        foreach (var row in rows)
        {
            var current = row;
            foreach (var part in path.Split('.'))
            {
                if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current))
                {
                    current = default;
                    break;
                }
            }

            if (current.ValueKind == JsonValueKind.Number)
            {
                numbers++;
            }
            else if (current.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null))
            {
                return false;
            }
        }

        return numbers > 0;
    }

    /// <summary>Invariant formatting for numbers in messages.</summary>
    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|\+00:00)$")]
    private static partial System.Text.RegularExpressions.Regex UtcInstant();
}
