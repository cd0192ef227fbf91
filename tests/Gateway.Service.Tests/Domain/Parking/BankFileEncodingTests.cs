using System.Text;
using Gateway.Service.Domain.Parking;

namespace Gateway.Service.Tests.Domain.Parking;

/// <summary>Bank files as banks send them: UTF-8 or GB18030/GBK, declared or detected, never mangled.</summary>
public sealed class BankFileEncodingTests
{
    // "B-1,300.00,2026-03-05,failed,余额不足" with the reason in GBK (bytes from GB 18030's code chart: 余 D3E0 额 B6EE 不 B2BB 足 D7E3).
    private static readonly byte[] GbkLine = [.. "B-1,300.00,2026-03-05,failed,"u8, 0xD3, 0xE0, 0xB6, 0xEE, 0xB2, 0xBB, 0xD7, 0xE3, (byte)'\n'];

    [Fact]
    public void TryDecode_GbkBytesUndeclared_DetectedAsGb18030_AndReadExactly()
    {
        Assert.True(BankFileText.TryDecode(GbkLine, null, out var text, out var encoding, out var error), error);

        Assert.Equal(new BankFileEncoding("gb18030", EncodingSource.Detected), encoding);
        var line = Assert.Single(BankDebitFile.ParseResults(text).Lines);
        Assert.Equal("余额不足", line.Reason);
    }

    [Theory]
    [InlineData("gbk")]
    [InlineData("GBK")]
    [InlineData("gb2312")]
    [InlineData("\"gb18030\"")]
    public void TryDecode_GbFamilyDeclared_ReadAsGb18030_ReportingTheDeclaredName(string charset)
    {
        Assert.True(BankFileText.TryDecode(GbkLine, charset, out var text, out var encoding, out var error), error);

        Assert.Equal("gb18030", encoding.Name);
        Assert.Equal(EncodingSource.Declared, encoding.Source);
        Assert.Equal(charset.Trim('"').ToLowerInvariant(), encoding.Declared);
        Assert.EndsWith("余额不足\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_Gb18030FourByteSequence_Read()
    {
        // U+20000 (CJK Extension B) is 95 32 82 36 in GB18030; GBK has no such character.
        Assert.True(BankFileText.TryDecode([0x95, 0x32, 0x82, 0x36], "gb18030", out var text, out _, out var error), error);
        Assert.Equal("\U00020000", text);
    }

    [Fact]
    public void TryDecode_Utf8_WithAndWithoutByteOrderMark()
    {
        var utf8 = Encoding.UTF8.GetBytes("B-1,300.00,2026-03-05,failed,余额不足\n");

        Assert.True(BankFileText.TryDecode(utf8, null, out var plain, out var detected, out _));
        Assert.Equal(new BankFileEncoding("utf-8", EncodingSource.Detected), detected);
        Assert.EndsWith("余额不足\n", plain, StringComparison.Ordinal);

        Assert.True(BankFileText.TryDecode([0xEF, 0xBB, 0xBF, .. utf8], null, out var marked, out var bom, out _));
        Assert.Equal(new BankFileEncoding("utf-8", EncodingSource.ByteOrderMark), bom);
        Assert.Equal(plain, marked); // the mark is not part of the text

        Assert.True(BankFileText.TryDecode([0xEF, 0xBB, 0xBF, .. utf8], "utf-8", out var declared, out var named, out _));
        Assert.Equal(EncodingSource.Declared, named.Source);
        Assert.Equal(plain, declared);
    }

    [Fact]
    public void TryDecode_GbkDeclaredAsUtf8_RefusedWithTheOffset_NeverReplaced()
    {
        Assert.False(BankFileText.TryDecode(GbkLine, "utf-8", out var text, out _, out var error));

        Assert.Equal(string.Empty, text);
        Assert.Contains("not valid utf-8", error, StringComparison.Ordinal);
        Assert.Contains("byte 0xD3 at offset 29", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x41, 0xFF, 0x42 }, null, "neither UTF-8")]
    [InlineData(new byte[] { 0x41, 0x80, 0x42 }, "gbk", "not valid gbk: byte 0x80 at offset 1")]
    [InlineData(new byte[] { 0x41, 0xD3 }, "gb18030", "not valid gb18030")]
    [InlineData(new byte[] { 0xFF, 0xFE, 0x41, 0x00 }, null, "UTF-16")]
    [InlineData(new byte[] { 0x41 }, "big5", "'big5' is not accepted")]
    [InlineData(new byte[] { 0x41 }, "iso-8859-1", "is not accepted")]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0x41 }, "gbk", "byte-order mark")]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0xC0, 0xEE }, null, "not valid UTF-8: byte 0xC0 at offset 3")]
    public void TryDecode_InvalidOrUnaccepted_RefusedWithReason(byte[] bytes, string? charset, string reason)
    {
        Assert.False(BankFileText.TryDecode(bytes, charset, out _, out var encoding, out var error));

        Assert.Null(encoding);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_AsciiOnly_IsUtf8()
    {
        Assert.True(BankFileText.TryDecode("B-1,300.00,2026-03-05,ok\n"u8, null, out var text, out var encoding, out _));
        Assert.Equal("utf-8", encoding.Name);
        Assert.Equal("B-1,300.00,2026-03-05,ok\n", text);
    }
}
