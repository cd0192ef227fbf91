using System.Globalization;
using System.Text;

namespace Gateway.Service.Domain.Parking;

/// <summary>How the encoding of a bank's file was known.</summary>
public enum EncodingSource
{
    /// <summary>The sender named it (<c>Content-Type: text/csv; charset=gb18030</c>).</summary>
    Declared,

    /// <summary>The file starts with UTF-8's byte-order mark.</summary>
    ByteOrderMark,

    /// <summary>Neither: the bytes were valid UTF-8, or else valid GB18030.</summary>
    Detected,
}

/// <summary>The encoding a bank's file was read in: <c>utf-8</c> or <c>gb18030</c> (GBK and GB2312 files read as GB18030, their superset).</summary>
public sealed record BankFileEncoding(string Name, EncodingSource Source, string? Declared = null);

/// <summary>
/// Reads a bank's file as the bank sent it: Chinese banks' systems write GB18030 or GBK as often as
/// UTF-8. The encoding is the one declared, or UTF-8's byte-order mark, or detected — valid UTF-8 is
/// UTF-8, otherwise valid GB18030 is GB18030 — and is reported. Bytes that are not valid in the
/// encoding used are refused with their offset, never replaced: a mangled name or amount is worse
/// than a refused file.
/// </summary>
public static class BankFileText
{
    /// <summary>GB18030's Windows code page: a superset of GBK (936) and GB2312, so it reads all three.</summary>
    private const int Gb18030CodePage = 54936;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    // From the provider itself, not through Encoding.RegisterProvider: no process-wide state, the same answer in every host.
    private static readonly Encoding StrictGb18030 = CodePagesEncodingProvider.Instance.GetEncoding(Gb18030CodePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback)
        ?? throw new PlatformNotSupportedException("the GB18030 code page is not available");

    /// <summary>The charsets a sender may declare; the GB family is read as GB18030.</summary>
    public static IReadOnlyList<string> Accepted { get; } = ["utf-8", "utf8", "gb18030", "gbk", "gb2312", "cp936", "windows-936"];

    /// <summary>
    /// Decodes <paramref name="bytes"/> in the <paramref name="declaredCharset"/> (null or empty: detect).
    /// False with <paramref name="error"/> saying why when the charset is not one of <see cref="Accepted"/>
    /// or the bytes are not valid in it.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, string? declaredCharset, out string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out BankFileEncoding? encoding, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        text = string.Empty;
        encoding = null;
        var hasBom = bytes.StartsWith(Utf8Bom);
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            error = "the file is UTF-16; save it as UTF-8 or GB18030 (GBK)";
            return false;
        }

        var declared = declaredCharset?.Trim().Trim('"').ToLowerInvariant();
        if (!string.IsNullOrEmpty(declared))
        {
            if (!Accepted.Contains(declared))
            {
                error = $"the declared charset '{declaredCharset}' is not accepted: send UTF-8, GB18030 or GBK";
                return false;
            }

            var utf8 = declared is "utf-8" or "utf8";
            if (!utf8 && hasBom)
            {
                error = $"the file is declared {declared} but starts with UTF-8's byte-order mark";
                return false;
            }

            var body = utf8 && hasBom ? bytes[Utf8Bom.Length..] : bytes;
            if (!TryRead(utf8 ? StrictUtf8 : StrictGb18030, body, out text, out var offset))
            {
                error = $"the file is not valid {declared}: byte 0x{body[offset]:X2} at offset {offset + (bytes.Length - body.Length)}";
                return false;
            }

            encoding = new BankFileEncoding(utf8 ? "utf-8" : "gb18030", EncodingSource.Declared, declared);
            error = null;
            return true;
        }

        if (hasBom)
        {
            var body = bytes[Utf8Bom.Length..];
            if (!TryRead(StrictUtf8, body, out text, out var offset))
            {
                error = $"the file starts with UTF-8's byte-order mark but is not valid UTF-8: byte 0x{body[offset]:X2} at offset {offset + Utf8Bom.Length}";
                return false;
            }

            encoding = new BankFileEncoding("utf-8", EncodingSource.ByteOrderMark);
            error = null;
            return true;
        }

        if (TryRead(StrictUtf8, bytes, out text, out var utf8Offset))
        {
            encoding = new BankFileEncoding("utf-8", EncodingSource.Detected);
            error = null;
            return true;
        }

        if (TryRead(StrictGb18030, bytes, out text, out var gbOffset))
        {
            encoding = new BankFileEncoding("gb18030", EncodingSource.Detected);
            error = null;
            return true;
        }

        error = string.Create(CultureInfo.InvariantCulture, $"the file is neither UTF-8 (byte 0x{bytes[utf8Offset]:X2} at offset {utf8Offset}) nor GB18030/GBK (byte 0x{bytes[gbOffset]:X2} at offset {gbOffset}); declare its charset or save it as UTF-8");
        return false;
    }

    private static bool TryRead(Encoding encoding, ReadOnlySpan<byte> bytes, out string text, out int invalidOffset)
    {
        try
        {
            text = encoding.GetString(bytes);
            invalidOffset = -1;
            return true;
        }
        catch (DecoderFallbackException ex)
        {
            text = string.Empty;
            invalidOffset = Math.Clamp(ex.Index < 0 ? 0 : ex.Index, 0, Math.Max(0, bytes.Length - 1));
            return false;
        }
    }
}
