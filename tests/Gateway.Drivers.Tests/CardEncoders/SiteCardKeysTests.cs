using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;

namespace Gateway.Drivers.Tests.CardEncoders;

public sealed class SiteCardKeysTests : IDisposable
{
    private readonly TempFolder _folder = new("gateway-keys");

    public static string RandomKeyHex() => SiteCardKeys.GenerateKeyText()[2..];

    [Fact]
    public void Load_KeyFile_SingleKey_TakesConfiguredVersion()
    {
        var file = _folder.Combine("site.key");
        File.WriteAllText(file, "# site key\n" + RandomKeyHex() + "\n");
        var keys = SiteCardKeys.Load(new CardKeyOptions(file, null, 3));
        Assert.Equal(3, keys.CurrentVersion);
        Assert.Equal([3], keys.Versions);
    }

    [Fact]
    public void Load_EnvironmentVariable_VersionedLines_KeepsEveryVersion()
    {
        var text = $"1:{RandomKeyHex()}\n2:{RandomKeyHex()}";
        var keys = SiteCardKeys.Load(new CardKeyOptions(null, "GW_TEST_KEY", 2), name => name == "GW_TEST_KEY" ? text : null);
        Assert.Equal([2, 1], keys.Versions);
    }

    [Fact]
    public void Load_NothingConfigured_Refuses()
    {
        var ex = Assert.Throws<CardKeyException>(() => SiteCardKeys.Load(new CardKeyOptions(null, null)));
        Assert.Contains("no card master key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EnvironmentVariableUnset_RefusesNamingIt()
    {
        var ex = Assert.Throws<CardKeyException>(() => SiteCardKeys.Load(new CardKeyOptions(null, "GW_NOT_SET"), _ => null));
        Assert.Contains("GW_NOT_SET", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_Refuses()
    {
        Assert.Throws<CardKeyException>(() => SiteCardKeys.Load(new CardKeyOptions(_folder.Combine("absent.key"), null)));
    }

    [Theory]
    [InlineData("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF")]
    [InlineData("00000000000000000000000000000000")]
    [InlineData("00112233445566778899AABBCCDDEEFF")]
    [InlineData("2B7E151628AED2A6ABF7158809CF4F3C")]
    [InlineData("0102030405060708090A0B0C0D0E0F10")]
    [InlineData("A5A5A5A55A5A5A5AA5A5A5A55A5A5A5A")]
    public void Parse_WeakKey_RefusesWithoutEchoingIt(string hex)
    {
        var ex = Assert.Throws<CardKeyException>(() => SiteCardKeys.Parse(hex, 1));
        Assert.Contains("refused", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(hex, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("ZZ112233445566778899AABBCCDDEEFF")]
    [InlineData("0:9F1C2D3E4A5B6C7D8E9FA0B1C2D3E4F5")]
    public void Parse_Malformed_Refuses(string text)
    {
        Assert.Throws<CardKeyException>(() => SiteCardKeys.Parse(text, 1));
    }

    [Fact]
    public void Parse_CurrentVersionMissing_Refuses()
    {
        var ex = Assert.Throws<CardKeyException>(() => SiteCardKeys.Parse($"1:{RandomKeyHex()}", 2));
        Assert.Contains("current key version 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_NamesVersionsOnly()
    {
        var hex = RandomKeyHex();
        var keys = SiteCardKeys.Parse(hex, 1);
        Assert.DoesNotContain(hex, keys.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("versions 1", keys.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void SectorKey_DiffersBySectorSlotUidAndVersion_AndIsSixBytes()
    {
        var keys = SiteCardKeys.Parse($"1:{RandomKeyHex()}\n2:{RandomKeyHex()}", 1);
        byte[] uid = [0x04, 0xA1, 0xB2, 0xC3];
        var a1 = keys.SectorKey(uid, 1, 1, MifareKeySlot.A);
        Assert.Equal(6, a1.Length);
        Assert.Equal(a1, keys.SectorKey(uid, 1, 1, MifareKeySlot.A));
        byte[][] others =
        [
            keys.SectorKey(uid, 1, 1, MifareKeySlot.B),
            keys.SectorKey(uid, 1, 2, MifareKeySlot.A),
            keys.SectorKey([0x04, 0xA1, 0xB2, 0xC4], 1, 1, MifareKeySlot.A),
            keys.SectorKey(uid, 2, 1, MifareKeySlot.A),
        ];
        Assert.All(others, other => Assert.NotEqual(a1, other));
        Assert.NotEqual(MifareTransport, a1);
    }

    [Fact]
    public void SectorKey_UnknownVersion_Throws()
    {
        var keys = SiteCardKeys.Parse(RandomKeyHex(), 1);
        Assert.Throws<CardKeyException>(() => keys.SectorKey([1, 2, 3, 4], 9, 1, MifareKeySlot.A));
    }

    private static byte[] MifareTransport => Gateway.Drivers.CardEncoders.Layout.MifareClassic.TransportKey.ToArray();

    public void Dispose() => _folder.Dispose();
}
