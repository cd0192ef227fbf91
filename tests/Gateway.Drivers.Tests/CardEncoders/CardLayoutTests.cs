using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;

namespace Gateway.Drivers.Tests.CardEncoders;

public sealed class CardLayoutTests
{
    private static readonly byte[] Uid = [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66];
    private readonly SiteCardKeys _keys = SiteCardKeys.Parse(SiteCardKeysTests.RandomKeyHex(), 1);

    [Fact]
    public void Transport_EncodesFactoryAccessBytes()
    {
        Assert.Equal([0xFF, 0x07, 0x80], AccessBits.Transport.Encode());
    }

    [Fact]
    public void Issued_Encodes787788_KeyAReadsKeyBWrites()
    {
        Assert.Equal([0x78, 0x77, 0x88], AccessBits.Issued.Encode());
        Assert.True(AccessBits.TryDecode([0x78, 0x77, 0x88], out var bits));
        Assert.Equal(AccessBits.Issued, bits);
    }

    [Fact]
    public void EncodeThenDecode_EveryCombination_RoundTripsAndIsConsistent()
    {
        for (var value = 0; value < 4096; value++)
        {
            var bits = new AccessBits((byte)(value & 7), (byte)((value >> 3) & 7), (byte)((value >> 6) & 7), (byte)((value >> 9) & 7));
            var bytes = bits.Encode();
            Assert.True(AccessBits.IsConsistent(bytes));
            Assert.True(AccessBits.TryDecode(bytes, out var back));
            Assert.Equal(bits, back);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0x07, 0x81 })]
    [InlineData(new byte[] { 0x78, 0x77, 0x89 })]
    [InlineData(new byte[] { 0x00, 0x00, 0x00 })]
    public void IsConsistent_FlippedBit_False(byte[] bytes)
    {
        Assert.False(AccessBits.IsConsistent(bytes));
    }

    [Fact]
    public void BuildTrailer_PutsKeysAroundAccessBytes()
    {
        var trailer = AccessBits.BuildTrailer([1, 2, 3, 4, 5, 6], AccessBits.Issued, [7, 8, 9, 10, 11, 12]);
        Assert.Equal("010203040506787788" + "69" + "0708090A0B0C", Convert.ToHexString(trailer));
    }

    [Theory]
    [InlineData(MifareClassicType.Classic1K, 1, 4, 7)]
    [InlineData(MifareClassicType.Classic1K, 15, 60, 63)]
    [InlineData(MifareClassicType.Classic4K, 32, 128, 143)]
    [InlineData(MifareClassicType.Classic4K, 39, 240, 255)]
    public void Geometry_FirstAndTrailerBlocks(MifareClassicType type, int sector, int first, int trailer)
    {
        Assert.True(sector < MifareClassic.SectorCount(type));
        Assert.Equal(first, MifareClassic.FirstBlock(sector));
        Assert.Equal(trailer, MifareClassic.TrailerBlock(sector));
        Assert.Equal(sector, MifareClassic.SectorOf(trailer));
        Assert.True(MifareClassic.IsTrailer(trailer));
    }

    [Fact]
    public void EncodeThenDecode_RoundTrips()
    {
        var payload = new CardPayload("site-7", 123456, CardKind.Both, 2, 1);
        var data = CardLayout.Encode(payload, Uid, _keys);
        Assert.Equal(CardLayout.PayloadLength, data.Length);
        Assert.Equal("GWAY"u8.ToArray(), data[..4]);
        Assert.Equal(payload, CardLayout.TryDecode(data, Uid, _keys, out _, out _));
    }

    [Theory]
    [InlineData(9)]
    [InlineData(12)]
    [InlineData(20)]
    [InlineData(45)]
    public void TryDecode_AnyByteEdited_MacMismatch(int offset)
    {
        var data = CardLayout.Encode(new CardPayload("site-7", 1, CardKind.Access, 1, 1), Uid, _keys);
        data[offset] ^= 0x01;
        Assert.Null(CardLayout.TryDecode(data, Uid, _keys, out var reason, out _));
        Assert.Equal(NotGatewayCardReason.MacMismatch, reason);
    }

    [Fact]
    public void TryDecode_PayloadCopiedToAnotherUid_MacMismatch()
    {
        var data = CardLayout.Encode(new CardPayload("site-7", 1, CardKind.Access, 1, 1), Uid, _keys);
        Assert.Null(CardLayout.TryDecode(data, [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x67], _keys, out var reason, out _));
        Assert.Equal(NotGatewayCardReason.MacMismatch, reason);
    }

    [Fact]
    public void TryDecode_OtherMasterKey_MacMismatch()
    {
        var data = CardLayout.Encode(new CardPayload("site-7", 1, CardKind.Access, 1, 1), Uid, _keys);
        var other = SiteCardKeys.Parse(SiteCardKeysTests.RandomKeyHex(), 1);
        Assert.Null(CardLayout.TryDecode(data, Uid, other, out var reason, out _));
        Assert.Equal(NotGatewayCardReason.MacMismatch, reason);
    }

    [Fact]
    public void TryDecode_Zeros_Blank_AndNoise_NotGatewayPayload()
    {
        Assert.Null(CardLayout.TryDecode(new byte[48], Uid, _keys, out var reason, out _));
        Assert.Equal(NotGatewayCardReason.Blank, reason);
        var noise = Enumerable.Range(1, 48).Select(i => (byte)i).ToArray();
        Assert.Null(CardLayout.TryDecode(noise, Uid, _keys, out reason, out _));
        Assert.Equal(NotGatewayCardReason.NotGatewayPayload, reason);
    }

    [Fact]
    public void TryDecode_UnknownKeyVersionOrLayout_SaysSo()
    {
        var data = CardLayout.Encode(new CardPayload("s", 1, CardKind.Access, 1, 1), Uid, _keys);
        data[5] = 4;
        Assert.Null(CardLayout.TryDecode(data, Uid, _keys, out var reason, out var detail));
        Assert.Equal(NotGatewayCardReason.UnknownKeyVersion, reason);
        Assert.Contains("key version 4", detail, StringComparison.Ordinal);
        data[4] = 9;
        Assert.Null(CardLayout.TryDecode(data, Uid, _keys, out reason, out _));
        Assert.Equal(NotGatewayCardReason.UnsupportedLayout, reason);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a-site-id-that-is-too-long-for-a-card")]
    [InlineData("bad site")]
    public void Encode_SiteIdThatDoesNotFit_Throws(string siteId)
    {
        Assert.Throws<ArgumentException>(() => CardLayout.Encode(new CardPayload(siteId, 1, CardKind.Access, 1, 1), Uid, _keys));
    }
}
