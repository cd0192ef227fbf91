using Gateway.Drivers.CardEncoders.Layout;
using Gateway.Drivers.CardEncoders.Pcsc;
using Gateway.Simulators.Encoder;

namespace Gateway.Simulators.Tests.Encoder;

/// <summary>The ACR122U-like reader front end: PC/SC Part 3 storage-card APDUs in, the card's answers as status words.</summary>
public sealed class PcscReaderEmulatorTests
{
    private static readonly byte[] Uid = [0x04, 0xA1, 0xB2, 0xC3];

    private static (PcscReaderEmulator Reader, VirtualMifareCard Card) Rig(MifareClassicType type = MifareClassicType.Classic1K, byte[]? uid = null)
    {
        var pn532 = new Pn532Emulator();
        var card = pn532.PlaceNewCard(type, uid ?? Uid);
        var reader = new PcscReaderEmulator(pn532);
        Assert.NotNull(reader.Activate());
        return (reader, card);
    }

    private static string Send(PcscReaderEmulator reader, string hex) => Convert.ToHexString(reader.Transmit(Convert.FromHexString(hex)));

    [Fact]
    public void Activate_BuildsThePartThreeAtrOfTheCardType()
    {
        var (reader, _) = Rig(MifareClassicType.Classic4K);
        Assert.Equal("3B8F8001804F0CA0000003060300020000000069", Convert.ToHexString(reader.Atr!));
        Assert.Equal("04A1B2C3", reader.ActiveUid);
    }

    [Fact]
    public void Timing_EachCommandCostsTheCardItsDataSheetTime_NothingWhenOff()
    {
        var pn532 = new Pn532Emulator { Timing = EncoderTiming.DataSheet };
        pn532.PlaceNewCard(MifareClassicType.Classic1K, [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
        var reader = new PcscReaderEmulator(pn532);
        Assert.NotNull(reader.Activate());
        Assert.Equal(TimeSpan.FromMilliseconds(3.5), reader.TakeCardTime()); // selection, 7-byte UID (MF1S50yyX/V1 §8.2)
        Assert.Equal(TimeSpan.Zero, reader.TakeCardTime());

        Assert.Equal("9000", Send(reader, "FF82000006FFFFFFFFFFFF"));
        Assert.Equal(TimeSpan.Zero, reader.TakeCardTime()); // LOAD KEYS stays in the reader
        Assert.Equal("9000", Send(reader, "FF860000050100076000"));
        Assert.Equal(TimeSpan.FromMilliseconds(2), reader.TakeCardTime());
        Assert.EndsWith("9000", Send(reader, "FFB0000410"), StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromMilliseconds(2.5), reader.TakeCardTime());
        Assert.Equal("9000", Send(reader, "FFD6000410" + new string('A', 32)));
        Assert.Equal(TimeSpan.FromMilliseconds(5.5), reader.TakeCardTime());

        pn532.Timing = EncoderTiming.Off;
        Assert.EndsWith("9000", Send(reader, "FFB0000410"), StringComparison.Ordinal);
        Assert.Equal(TimeSpan.Zero, reader.TakeCardTime());
    }

    [Fact]
    public void Activate_EmptyField_NoAtr()
    {
        var reader = new PcscReaderEmulator(new Pn532Emulator());
        Assert.Null(reader.Activate());
        Assert.Null(reader.ActiveUid);
        Assert.Equal("6300", Send(reader, "FFCA000000"));
    }

    [Fact]
    public void GetUid_LeHandling_AsTheAcr122UDocuments()
    {
        var (reader, _) = Rig(uid: [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
        Assert.Equal("041122334455669000", Send(reader, "FFCA000000"));
        Assert.Equal("6C07", Send(reader, "FFCA000004"));
        Assert.Equal("041122334455666282", Send(reader, "FFCA000010"));
        Assert.Equal("6A81", Send(reader, "FFCA010000")); // ATS: not an ISO 14443-4 card
    }

    [Fact]
    public void LoadAuthenticateReadWrite_OnBlankStock()
    {
        var (reader, card) = Rig();
        Assert.Equal("9000", Send(reader, "FF82000006FFFFFFFFFFFF"));
        Assert.Equal("9000", Send(reader, "FF860000050100046000"));
        Assert.Equal("9000", Send(reader, "FFD6000510000102030405060708090A0B0C0D0E0F"));
        Assert.Equal("000102030405060708090A0B0C0D0E0F9000", Send(reader, "FFB0000510"));
        Assert.Equal(Convert.FromHexString("000102030405060708090A0B0C0D0E0F"), card.Dump()[5]);
    }

    [Fact]
    public void KeySlots_OnlyVolatile00And01()
    {
        var (reader, _) = Rig();
        Assert.Equal("9000", Send(reader, "FF82000106FFFFFFFFFFFF"));
        Assert.Equal("6300", Send(reader, "FF82000206FFFFFFFFFFFF"));   // no slot 02
        Assert.Equal("6300", Send(reader, "FF82200006FFFFFFFFFFFF"));   // non-volatile: reserved on the ACR122U
        Assert.Equal("6300", Send(reader, "FF860000050100046000"));     // slot 00 never loaded
        Assert.Equal("9000", Send(reader, "FF860000050100046001"));     // slot 01
        Assert.Equal("9000", Send(reader, "FF8800046001"));             // the obsolete form
    }

    [Fact]
    public void WrongKey_63_00_AndTheCardStaysHaltedUntilReactivated()
    {
        var (reader, card) = Rig();
        Assert.Equal("9000", Send(reader, "FF82000006010203040506"));
        Assert.Equal("6300", Send(reader, "FF860000050100046000"));
        Assert.True(card.IsHalted);
        Assert.Equal("9000", Send(reader, "FF82000006FFFFFFFFFFFF"));
        Assert.Equal("6300", Send(reader, "FF860000050100046000"));     // halted: no answer from the card
        reader.Activate();                                               // what a reset (SCardReconnect) does
        Assert.Equal("9000", Send(reader, "FF860000050100046000"));
    }

    [Fact]
    public void ReadWithoutAuthentication_Fails()
    {
        var (reader, _) = Rig();
        Assert.Equal("6300", Send(reader, "FFB0000410"));
        Assert.Equal("6300", Send(reader, "FFD6000410000102030405060708090A0B0C0D0E0F"));
    }

    [Fact]
    public void PowerOff_CardAnswersNothingUntilActivated_ButStaysInTheField()
    {
        var (reader, _) = Rig();
        reader.PowerOff();
        Assert.True(reader.ActiveCardInField);
        Assert.Equal("6300", Send(reader, "FFCA000000"));
        reader.Activate();
        Assert.Equal("04A1B2C39000", Send(reader, "FFCA000000"));
    }

    [Fact]
    public void OtherCommands_FunctionNotSupportedOrClassNotSupported()
    {
        var (reader, _) = Rig();
        Assert.Equal("6A81", Send(reader, "FF00480000"));
        Assert.Equal("6E00", Send(reader, "00A4040000"));
        Assert.Equal("6700", Send(reader, "FF"));
        Assert.Equal("6300", Send(reader, "FFB0000408"));                // not one whole block
    }

    [Fact]
    public void Tear_AfterNCardCommands_TheLastIsAnsweredThenTheCardIsGone()
    {
        var (reader, _) = Rig();
        Send(reader, "FF82000006FFFFFFFFFFFF");
        reader.Pn532.TearAfter(2);
        Assert.Equal("9000", Send(reader, "FF860000050100046000"));
        Assert.True(reader.ActiveCardInField);
        Assert.Equal("9000", Send(reader, "FFD6000410000102030405060708090A0B0C0D0E0F"));
        Assert.False(reader.ActiveCardInField);
        Assert.Equal("6300", Send(reader, "FFB0000410"));
        Assert.Equal(4, reader.ApduCount);
    }
}
