using System.Text;

namespace Gateway.Service.Domain;

/// <summary>
/// The CSV files Gateway writes (RFC 4180): UTF-8 with a byte-order mark, so that Excel, which reads
/// a CSV without one in the machine's ANSI code page, shows Chinese text as written.
/// </summary>
public static class Csv
{
    /// <summary>The MIME type of every CSV Gateway writes.</summary>
    public const string ContentType = "text/csv; charset=utf-8";

    private static readonly UTF8Encoding Utf8WithBom = new(encoderShouldEmitUTF8Identifier: true);

    /// <summary><paramref name="text"/> as UTF-8 bytes preceded by the byte-order mark EF BB BF.</summary>
    public static byte[] Bytes(string text)
    {
        var preamble = Utf8WithBom.Preamble;
        var bytes = new byte[preamble.Length + Utf8WithBom.GetByteCount(text)];
        preamble.CopyTo(bytes);
        Utf8WithBom.GetBytes(text, bytes.AsSpan(preamble.Length));
        return bytes;
    }

    /// <summary>
    /// One text field: quoted when it holds a comma, quote or line break (quotes doubled); a value
    /// that a spreadsheet would run as a formula (starting with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>,
    /// tab or carriage return) gets a leading apostrophe, so a name typed at the desk stays text.
    /// Null is the empty field. Numbers are written as they are, not through here.
    /// </summary>
    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0
            ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;
    }

    /// <summary>A line of fields already rendered (see <see cref="Field"/>), ended by CRLF as RFC 4180 asks.</summary>
    public static string Line(params string[] fields) => string.Join(',', fields) + "\r\n";
}
