using Gateway.Drivers.Barriers;
using Gateway.Drivers.Uhppote;

namespace Gateway.Drivers.Tests.Uhppote;

/// <summary>Card numbers from UIDs by reader format (docs/uhppote.md, "Card numbers": the worked examples).</summary>
public sealed class CardNumbersTests
{
    [Theory]
    [InlineData("0464E420", "w34", 0x0464E420u)]        // 73721888
    [InlineData("0464E420", "w34-lsb", 0x20E46404u)]    // 551838724
    [InlineData("0464E420", "w26", 10058400u)]          // facility 0x64 = 100, number 0xE420 = 58400
    [InlineData("20E46404", "w26-lsb", 10058400u)]      // the same reader bits from a reversed reader
    [InlineData("04A1B2C3D4E5F6", "w34", 0x04A1B2C3u)] // a 7-byte UID: its first 4 bytes
    [InlineData("04A1B2C3D4E5F6", "w26", 16145763u)]    // 0xA1 = 161, 0xB2C3 = 45763
    [InlineData("DEADBEEF", "w26-lsb", 19044510u)]      // reversed EF BE AD DE, low 24 bits BE ADDE: 190, 44510
    public void FromUid_GivesTheReaderOutput(string uid, string format, uint expected)
    {
        Assert.Equal(expected, CardNumbers.FromUid(CardUid.Parse(uid), ReaderFormat.Parse(format)));
    }

    [Theory]
    [InlineData("00000000", "w34", 0u)]
    [InlineData("FFFFFFFF", "w34", 0xFFFFFFFFu)]
    [InlineData("00FFFFFF", "w34", 0x00FFFFFFu)]
    [InlineData("FFFFFF00", "w34-lsb", 0x00FFFFFFu)]
    [InlineData("12000000", "w26", 0u)]
    public void FromUid_NumbersABoardCannotStore_AreRefused(string uid, string format, uint number)
    {
        Assert.False(CardNumbers.TryFromUid(CardUid.Parse(uid), ReaderFormat.Parse(format), out var n, out var error));
        Assert.Equal(number, n);
        Assert.Contains("cannot store", error, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => CardNumbers.FromUid(CardUid.Parse(uid), ReaderFormat.Parse(format)));
    }

    [Theory]
    [InlineData(0x0464E420u, "w34", "0464E420")]
    [InlineData(0x20E46404u, "w34-lsb", "0464E420")]
    [InlineData(3735928559u, "w34", "DEADBEEF")]
    [InlineData(3735928559u, "w34-lsb", "EFBEADDE")]
    public void ToUid_Wiegand34_GivesTheUidThatReadsAsTheNumber(uint number, string format, string uid)
    {
        Assert.True(CardNumbers.TryToUid(number, ReaderFormat.Parse(format), out var found, out var error), error);
        Assert.Equal(CardUid.Parse(uid), found);
        Assert.Equal(number, CardNumbers.FromUid(found, ReaderFormat.Parse(format)));
    }

    [Theory]
    [InlineData(10058400u, "w26", "24 of a UID's 32 bits")]
    [InlineData(10058400u, "w26-lsb", "24 of a UID's 32 bits")]
    [InlineData(0u, "w34", "not a card number a board can hold")]
    [InlineData(0x00FFFFFFu, "w34", "not a card number a board can hold")]
    public void ToUid_Wiegand26OrAnUnstorableNumber_IsRefusedWithTheReason(uint number, string format, string reason)
    {
        Assert.False(CardNumbers.TryToUid(number, ReaderFormat.Parse(format), out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10058400u, true)]
    [InlineData(25565535u, true)]    // facility 255, number 65535: the largest
    [InlineData(25565536u, false)]   // number 65536
    [InlineData(25600000u, false)]   // facility 256
    [InlineData(99999u, false)]      // number 99999 within facility 0
    public void IsWiegand26_ChecksFacilityAndNumber(uint number, bool expected)
    {
        Assert.Equal(expected, CardNumbers.IsWiegand26(number));
    }

    [Fact]
    public void Describe_W26_SplitsFacilityAndNumber()
    {
        Assert.Equal("10058400 (facility 100, number 58400)", CardNumbers.Describe(10058400, WiegandFormat.W26));
        Assert.Equal("10058400", CardNumbers.Describe(10058400, WiegandFormat.W34));
    }

    [Theory]
    [InlineData("w34", WiegandFormat.W34, UidByteOrder.MsbFirst)]
    [InlineData("W26", WiegandFormat.W26, UidByteOrder.MsbFirst)]
    [InlineData("w26-msb", WiegandFormat.W26, UidByteOrder.MsbFirst)]
    [InlineData(" w34-LSB ", WiegandFormat.W34, UidByteOrder.LsbFirst)]
    public void ReaderFormat_Parses(string text, WiegandFormat wiegand, UidByteOrder order)
    {
        Assert.Equal(new ReaderFormat(wiegand, order), ReaderFormat.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("w32")]
    [InlineData("w34-")]
    [InlineData("w26-lsb-x")]
    public void ReaderFormat_RefusesOthers(string text)
    {
        Assert.False(ReaderFormat.TryParse(text, out _));
        Assert.Contains("w34, w34-lsb, w26 or w26-lsb", Assert.Throws<FormatException>(() => ReaderFormat.Parse(text)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Card_Validate_RefusesWhatABoardCannotHold()
    {
        var from = new DateOnly(2024, 1, 1);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => new UhppoteCard(0x00FFFFFF, from, from, DoorPermissions.Of([1])).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("before", Assert.Throws<ArgumentException>(() => new UhppoteCard(5, from, from.AddDays(-1), DoorPermissions.Of([1])).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("PIN", Assert.Throws<ArgumentException>(() => new UhppoteCard(5, from, from, DoorPermissions.Of([1]), 1_000_000).Validate()).Message, StringComparison.Ordinal);
        new UhppoteCard(5, from, from, DoorPermissions.Of([1, 4]), 999_999).Validate();
    }

    [Fact]
    public void DoorPermissions_OfDoors_AndDescribed()
    {
        var p = DoorPermissions.Of([1, 4]);
        Assert.Equal(new DoorPermissions(1, 0, 0, 1), p);
        Assert.Equal([1, 4], p.Doors);
        Assert.Equal("1:Y 2:N 3:29 4:Y", new DoorPermissions(1, 0, 29, 1).ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => DoorPermissions.Of([5]));
    }
}
