using Gateway.Drivers.CardEncoders.Keys;

namespace Gateway.Drivers.Tests.CardEncoders;

public sealed class CmacAndDiversificationTests
{
    // RFC 4493 §4 test vectors (AES-128, K = 2b7e1516 28aed2a6 abf71588 09cf4f3c).
    private const string RfcKey = "2B7E151628AED2A6ABF7158809CF4F3C";
    private const string RfcMessage64 = "6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E5130C81C46A35CE411E5FBC1191A0A52EFF69F2445DF4F9B17AD2B417BE66C3710";

    [Fact]
    public void GenerateSubkeys_Rfc4493Key_MatchesSection4()
    {
        var (k1, k2) = AesCmac.GenerateSubkeys(Convert.FromHexString(RfcKey));
        Assert.Equal("FBEED618357133667C85E08F7236A8DE", Convert.ToHexString(k1));
        Assert.Equal("F7DDAC306AE266CCF90BC11EE46D513B", Convert.ToHexString(k2));
    }

    [Theory]
    [InlineData(0, "BB1D6929E95937287FA37D129B756746")]
    [InlineData(16, "070A16B46B4D4144F79BDD9DD04A287C")]
    [InlineData(40, "DFA66747DE9AE63030CA32611497C827")]
    [InlineData(64, "51F0BEBF7E3B9D92FC49741779363CFE")]
    public void Compute_Rfc4493Examples_MatchPublishedTags(int length, string tag)
    {
        var message = Convert.FromHexString(RfcMessage64).AsSpan(0, length);
        Assert.Equal(tag, Convert.ToHexString(AesCmac.Compute(Convert.FromHexString(RfcKey), message)));
    }

    [Fact]
    public void DiversifyAes128_An10922WorkedExample_MatchesPublishedKey()
    {
        // AN10922 §2.2.1: master key, UID 04782E21801D80, AID 3042F5, system identifier "NXP Abu".
        var master = Convert.FromHexString("00112233445566778899AABBCCDDEEFF");
        var (k1, k2) = AesCmac.GenerateSubkeys(master);
        Assert.Equal("FBC9F75C9413C041DFEE452D3F0706D1", Convert.ToHexString(k1));
        Assert.Equal("F793EEB928278083BFDC8A5A7E0E0D25", Convert.ToHexString(k2));

        var m = Convert.FromHexString("04782E21801D80" + "3042F5" + "4E585020416275");
        Assert.Equal("A8DD63A3B89D54B37CA802473FDA9175", Convert.ToHexString(An10922.DiversifyAes128(master, m)));
    }

    [Fact]
    public void ComputeAn10922_ShortInput_PadsToTwoBlocks_UnlikeRfc4493()
    {
        var key = Convert.FromHexString(RfcKey);
        var shortInput = new byte[] { 0x01, 0x02, 0x03 };
        Assert.NotEqual(AesCmac.Compute(key, shortInput), AesCmac.ComputeAn10922(key, shortInput));

        // From 17 to 32 bytes both pad to two blocks and agree.
        var longer = Convert.FromHexString(RfcMessage64).AsSpan(0, 20).ToArray();
        Assert.Equal(AesCmac.Compute(key, longer), AesCmac.ComputeAn10922(key, longer));
    }

    [Fact]
    public void DiversifyAes128_InputLongerThan31Bytes_Throws()
    {
        Assert.Throws<ArgumentException>(() => An10922.DiversifyAes128(new byte[16], new byte[32]));
    }
}
