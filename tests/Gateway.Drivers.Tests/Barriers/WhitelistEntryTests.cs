using System.Buffers.Binary;
using System.Security.Cryptography;
using Gateway.Drivers.Barriers;

namespace Gateway.Drivers.Tests.Barriers;

public sealed class WhitelistEntryTests
{
    [Fact]
    public void ComputeDigest_Empty_IsTheFirst8BytesOfSha256OfNothing()
    {
        // SHA-256("") = e3b0c442 98fc1c14 9afbf4c8 ... (FIPS 180-4 test value).
        Assert.Equal(0xE3B0C44298FC1C14UL, WhitelistEntry.ComputeDigest([]));
    }

    [Fact]
    public void ComputeDigest_TwoRecords_HashesTheirImagesInUidOrder()
    {
        var seven = new WhitelistEntry(CardUid.Parse("04A1B2C3D4E5F6"), 0x11223344, 0x55667788, blocked: true);
        var four = new WhitelistEntry(CardUid.Parse("DEADBEEF"), 1, 2);
        byte[] image =
        [
            0x04, 0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
            0x17, 0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
        ];

        var expected = BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(image));

        Assert.Equal(expected, WhitelistEntry.ComputeDigest([seven, four]));
    }

    [Fact]
    public void Write_SevenByteBlockedRecord_LaysOutTheProfileRegisters()
    {
        var entry = new WhitelistEntry(CardUid.Parse("04:A1:B2:C3:D4:E5:F6"), 0x11223344, 0x55667788, blocked: true);
        var registers = new ushort[8];

        entry.Write(registers);

        Assert.Equal(new ushort[] { 0x1704, 0xA1B2, 0xC3D4, 0xE5F6, 0x1122, 0x3344, 0x5566, 0x7788 }, registers);
        Assert.Equal(BarrierResultCode.Ok, WhitelistEntry.TryRead(registers, out var back));
        Assert.Equal(entry, back);
    }

    [Fact]
    public void Constructor_ValidToBeforeValidFrom_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WhitelistEntry(CardUid.Parse("01020304"), 10u, 9u));
    }

    [Theory]
    [InlineData("0102030")]
    [InlineData("0102030405")]
    [InlineData("01020304GG")]
    [InlineData("")]
    public void CardUidTryParse_NotFourOrSevenHexBytes_False(string text)
    {
        Assert.False(CardUid.TryParse(text, out _));
    }

    [Fact]
    public void CardUidCompareTo_FourByteUidsSortBeforeSevenByteOnes()
    {
        Assert.True(CardUid.Parse("FFFFFFFF") < CardUid.Parse("00000000000001"));
        Assert.True(CardUid.Parse("00000001") < CardUid.Parse("00000002"));
        Assert.Equal("04A1B2C3", CardUid.Parse("04a1b2c3").ToString());
    }
}
