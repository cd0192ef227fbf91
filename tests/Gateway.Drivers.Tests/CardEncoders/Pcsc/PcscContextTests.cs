using Gateway.Drivers.CardEncoders.Layout;
using Gateway.Drivers.CardEncoders.Pcsc;
using Gateway.Simulators.Encoder;
using Xunit.Abstractions;

namespace Gateway.Drivers.Tests.CardEncoders.Pcsc;

/// <summary>Gateway's P/Invoke layer through the real pcsc-lite library and pcscd, against the simulated card on vpcd.</summary>
[Collection(Vpcd.Collection)]
public sealed class PcscContextTests(ITestOutputHelper output)
{
    [PcscFact]
    public void ListReaders_ShowsBothVirtualReaders()
    {
        using var context = PcscContext.Establish();
        var readers = context.ListReaders();
        output.WriteLine(string.Join(" | ", readers));
        Assert.True(readers.Contains(Vpcd.Reader) && readers.Contains(Vpcd.OtherReader), Vpcd.Missing);
    }

    [PcscFact]
    public async Task CardOnVpcd_ConnectsAndAnswersGetUid()
    {
        using var vpcd = await Vpcd.AcquireAsync();
        using var context = PcscContext.Establish();
        var pn532 = new Pn532Emulator();
        pn532.PlaceNewCard(MifareClassicType.Classic4K, [0x04, 0xA1, 0xB2, 0xC3]);
        await using var connection = VpcdCardConnection.Start(Vpcd.Host, Vpcd.Port, new PcscReaderEmulator(pn532));
        await Eventually.UntilAsync(() => context.GetStatus(Vpcd.Reader).HasCard, "pcscd to see the card");

        var status = context.GetStatus(Vpcd.Reader);
        Assert.Equal("3B8F8001804F0CA0000003060300020000000069", Convert.ToHexString(status.Atr));
        Assert.Equal(MifareClassicType.Classic4K, StorageCardAtr.TypeOf(status.Atr));

        using var card = context.Connect(Vpcd.Reader);
        var response = new byte[StorageCardApdu.MaxResponseLength];
        var n = card.Transmit(Convert.FromHexString("FFCA000000"), response);
        Assert.Equal("04A1B2C39000", Convert.ToHexString(response, 0, n));
    }

    [PcscFact]
    public async Task CardTakenOff_TransmitSaysTheCardIsGone()
    {
        using var vpcd = await Vpcd.AcquireAsync();
        using var context = PcscContext.Establish();
        var pn532 = new Pn532Emulator();
        pn532.PlaceNewCard(MifareClassicType.Classic1K);
        await using var connection = VpcdCardConnection.Start(Vpcd.Host, Vpcd.Port, new PcscReaderEmulator(pn532));
        await Eventually.UntilAsync(() => context.GetStatus(Vpcd.Reader).HasCard, "pcscd to see the card");
        using var card = context.Connect(Vpcd.Reader);

        pn532.RemoveAll();
        await Eventually.UntilAsync(() => !context.GetStatus(Vpcd.Reader).HasCard, "pcscd to see the card go");
        var ex = Assert.Throws<PcscException>(() => card.Transmit(Convert.FromHexString("FFCA000000"), new byte[64]));
        output.WriteLine(ex.Message);
        Assert.True(PcscError.IsCardGone(ex.Code), ex.Message);
        Assert.Throws<PcscException>(() => context.Connect(Vpcd.Reader));
    }

    [PcscFact]
    public void UnknownReader_StateUnknown_ConnectFails()
    {
        using var context = PcscContext.Establish();
        Assert.Equal(PcscReaderState.Unknown, context.GetStatus("No Such Reader 00 00").State & PcscReaderState.Unknown);
        var ex = Assert.Throws<PcscException>(() => context.Connect("No Such Reader 00 00"));
        Assert.Equal(PcscError.UnknownReader, ex.Code);
    }
}
