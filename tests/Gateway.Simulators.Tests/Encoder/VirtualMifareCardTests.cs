using Gateway.Drivers.CardEncoders.Layout;
using Gateway.Simulators.Encoder;

namespace Gateway.Simulators.Tests.Encoder;

public sealed class VirtualMifareCardTests
{
    private static readonly byte[] Uid = [0xDE, 0xAD, 0xBE, 0xEF];
    private static readonly byte[] Ff = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

    private static byte[] Auth(byte command, int block, byte[] key) => [command, (byte)block, .. key, .. Uid];

    [Fact]
    public void BlankCard_TransportKeyA_ReadsAndWrites()
    {
        var card = new VirtualMifareCard(MifareClassicType.Classic1K, Uid);
        Assert.Equal(CardStatus.Ok, card.Execute(Auth(0x60, 4, Ff)).Status);
        Assert.Equal(CardStatus.Ok, card.Execute([0xA0, 4, .. new byte[16].Select(_ => (byte)7)]).Status);
        var (status, data) = card.Execute([0x30, 4]);
        Assert.Equal(CardStatus.Ok, status);
        Assert.All(data, b => Assert.Equal(7, b));
    }

    [Fact]
    public void WrongKey_HaltsCard_UntilActivated()
    {
        var card = new VirtualMifareCard(MifareClassicType.Classic1K, Uid);
        Assert.Equal(CardStatus.AuthenticationError, card.Execute(Auth(0x60, 4, [1, 2, 3, 4, 5, 6])).Status);
        Assert.True(card.IsHalted);
        Assert.Equal(CardStatus.Timeout, card.Execute(Auth(0x60, 4, Ff)).Status);
        card.Activate();
        Assert.Equal(CardStatus.Ok, card.Execute(Auth(0x60, 4, Ff)).Status);
    }

    [Fact]
    public void Trailer_KeyANeverReadable_KeyBReadableInTransport()
    {
        var card = new VirtualMifareCard(MifareClassicType.Classic1K, Uid);
        card.Execute(Auth(0x60, 7, Ff));
        var (_, trailer) = card.Execute([0x30, 7]);
        Assert.Equal(new byte[6], trailer[..6]);
        Assert.Equal([0xFF, 0x07, 0x80, 0x69], trailer[6..10]);
        Assert.Equal(Ff, trailer[10..]);
    }

    [Fact]
    public void ManufacturerBlock_ReadOnly()
    {
        var card = new VirtualMifareCard(MifareClassicType.Classic1K, Uid);
        card.Execute(Auth(0x60, 0, Ff));
        Assert.Equal(CardStatus.AuthenticationError, card.Execute([0xA0, 0, .. new byte[16]]).Status);
        Assert.Equal(Uid, card.Dump()[0][..4]);
        Assert.Equal(0xDE ^ 0xAD ^ 0xBE ^ 0xEF, card.Dump()[0][4]);
    }

    [Fact]
    public void InconsistentAccessBits_LockSectorForGood()
    {
        var card = new VirtualMifareCard(MifareClassicType.Classic1K, Uid);
        card.Execute(Auth(0x60, 7, Ff));
        byte[] bad = [.. Ff, 0xFF, 0x07, 0x81, 0x69, .. Ff];
        Assert.Equal(CardStatus.Ok, card.Execute([0xA0, 7, .. bad]).Status);
        Assert.Contains(1, card.LockedSectors);
        card.Activate();
        Assert.Equal(CardStatus.AuthenticationError, card.Execute(Auth(0x60, 4, Ff)).Status);
        card.Activate();
        Assert.Equal(CardStatus.AuthenticationError, card.Execute(Auth(0x61, 4, Ff)).Status);
    }

    [Fact]
    public void IssuedAccessBits_KeyAReadsOnly_KeyBWrites()
    {
        var card = new VirtualMifareCard(MifareClassicType.Classic1K, Uid);
        byte[] keyA = [1, 2, 3, 4, 5, 6];
        byte[] keyB = [9, 8, 7, 6, 5, 4];
        card.Execute(Auth(0x60, 7, Ff));
        Assert.Equal(CardStatus.Ok, card.Execute([0xA0, 7, .. AccessBits.BuildTrailer(keyA, AccessBits.Issued, keyB)]).Status);

        card.Activate();
        Assert.Equal(CardStatus.Ok, card.Execute(Auth(0x60, 4, keyA)).Status);
        Assert.Equal(CardStatus.Ok, card.Execute([0x30, 5]).Status);
        Assert.Equal(CardStatus.AuthenticationError, card.Execute([0xA0, 5, .. new byte[16]]).Status);

        card.Activate();
        Assert.Equal(CardStatus.Ok, card.Execute(Auth(0x61, 4, keyB)).Status);
        Assert.Equal(CardStatus.Ok, card.Execute([0xA0, 5, .. new byte[16]]).Status);
        var (_, trailer) = card.Execute([0x30, 7]);
        Assert.Equal(new byte[6], trailer[..6]);
        Assert.Equal(new byte[6], trailer[10..]);
        Assert.Equal([0x78, 0x77, 0x88], trailer[6..9]);
    }

    [Fact]
    public void TransportKeyB_AuthenticatesButGrantsNothing()
    {
        var card = new VirtualMifareCard(MifareClassicType.Classic1K, Uid);
        Assert.Equal(CardStatus.Ok, card.Execute(Auth(0x61, 4, Ff)).Status);
        Assert.Equal(CardStatus.AuthenticationError, card.Execute([0x30, 4]).Status);
    }

    [Fact]
    public void Card4K_LargeSectorTrailerAt255()
    {
        var card = new VirtualMifareCard(MifareClassicType.Classic4K, [0x04, 1, 2, 3, 4, 5, 6]);
        Assert.Equal(0x18, card.Sak);
        Assert.Equal(0x0042, card.Atqa);
        Assert.Equal(CardStatus.Ok, card.Execute([0x60, 250, .. Ff, 3, 4, 5, 6]).Status);
        Assert.Equal(CardStatus.Ok, card.Execute([0x30, 255]).Status);
    }
}
