using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Gateway.Drivers.CardEncoders.Pcsc;

/// <summary>
/// <c>pcsc://READER-NAME</c>: a PC/SC reader as the desk encoder, its name percent-encoded
/// (<c>pcsc://ACS%20ACR122U%20PICC%20Interface%2000%2000</c>); <c>pcsc://</c> alone means the only
/// reader that holds a card.
/// </summary>
/// <param name="ReaderName">The reader's name as the resource manager lists it, or null for "the only reader holding a card".</param>
public sealed record PcscEndpoint(string? ReaderName)
{
    /// <summary>The scheme and separator.</summary>
    public const string Prefix = "pcsc://";

    /// <summary>True when <paramref name="text"/> is meant as a PC/SC endpoint (starts with <c>pcsc:</c>, any case).</summary>
    public static bool IsPcsc(string? text) => text is not null && text.StartsWith("pcsc:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <c>pcsc://</c> or <c>pcsc://NAME</c>; the error says what is wrong, in one line.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out PcscEndpoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        if (!text.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            error = $"'{text}' is not a PC/SC endpoint: write pcsc://READER-NAME (the name percent-encoded) or pcsc:// for the only reader holding a card";
            return false;
        }

        var encoded = text[Prefix.Length..];
        if (encoded.Length == 0)
        {
            endpoint = new PcscEndpoint((string?)null);
            error = null;
            return true;
        }

        if (!TryUnescape(encoded, out var name))
        {
            error = $"'{text}': a '%' must be followed by two hex digits, the bytes being UTF-8 (a space is %20)";
            return false;
        }

        if (name.Any(char.IsControl) || name.Trim().Length == 0)
        {
            error = $"'{text}': the reader name is empty or holds control characters";
            return false;
        }

        endpoint = new PcscEndpoint(name);
        error = null;
        return true;
    }

    /// <summary>Parses, or throws <see cref="FormatException"/> with the one-line error.</summary>
    public static PcscEndpoint Parse(string text) => TryParse(text, out var endpoint, out var error) ? endpoint : throw new FormatException(error);

    /// <summary>The endpoint of the reader named <paramref name="readerName"/>.</summary>
    public static string Format(string readerName) => Prefix + Uri.EscapeDataString(readerName);

    /// <summary><c>pcsc://</c> with the name percent-encoded.</summary>
    public override string ToString() => ReaderName is null ? Prefix : Format(ReaderName);

    /// <summary>
    /// The reader this endpoint names among <paramref name="readers"/> (the names the resource manager
    /// lists, and whether each holds a card): the reader of exactly that name, else the only one whose
    /// name starts with it (ignoring case: <c>pcsc://ACS%20ACR122U</c> while one ACR122U is plugged in);
    /// for <c>pcsc://</c> alone, the only reader holding a card.
    /// </summary>
    /// <returns>The reader's full name, or null with <paramref name="error"/>: one line that lists the readers.</returns>
    public string? Select(IReadOnlyList<(string Name, bool HasCard)> readers, out string? error)
    {
        error = null;
        if (readers.Count == 0)
        {
            error = "no PC/SC reader is connected (is the reader plugged in, and the PC/SC service running? Linux: pcscd)";
            return null;
        }

        if (ReaderName is null)
        {
            var holding = readers.Where(r => r.HasCard).ToList();
            switch (holding.Count)
            {
                case 1:
                    return holding[0].Name;
                case 0:
                    error = $"no card on any PC/SC reader; readers: {List(readers)}";
                    return null;
                default:
                    error = $"cards on {holding.Count} PC/SC readers ({List(holding)}): name one as pcsc://READER-NAME";
                    return null;
            }
        }

        foreach (var reader in readers)
        {
            if (string.Equals(reader.Name, ReaderName, StringComparison.Ordinal))
            {
                return reader.Name;
            }
        }

        var prefixed = readers.Where(r => r.Name.StartsWith(ReaderName, StringComparison.OrdinalIgnoreCase)).ToList();
        if (prefixed.Count == 1)
        {
            return prefixed[0].Name;
        }

        error = prefixed.Count == 0
            ? $"no PC/SC reader named '{ReaderName}'; readers: {List(readers)}"
            : $"'{ReaderName}' names {prefixed.Count} PC/SC readers ({List(prefixed)}): give more of the name";
        return null;
    }

    private static string List(IEnumerable<(string Name, bool HasCard)> readers) =>
        string.Join(", ", readers.Select(r => $"{Format(r.Name)}{(r.HasCard ? " (card)" : string.Empty)}"));

    // Strict percent-decoding (UTF-8); other characters, spaces included, are taken as they are.
    private static bool TryUnescape(string text, out string name)
    {
        name = string.Empty;
        var bytes = new List<byte>(text.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '%')
            {
                if (i + 2 >= text.Length || !byte.TryParse(text.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
                {
                    return false;
                }

                bytes.Add(b);
                i += 2;
                continue;
            }

            if (!Rune.TryGetRuneAt(text, i, out var rune))
            {
                return false;
            }

            i += rune.Utf16SequenceLength - 1;
            var n = rune.EncodeToUtf8(utf8);
            bytes.AddRange(utf8[..n]);
        }

        try
        {
            name = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString([.. bytes]);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
