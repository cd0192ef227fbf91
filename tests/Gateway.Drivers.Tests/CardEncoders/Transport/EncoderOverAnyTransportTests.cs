using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;
using Gateway.Simulators.Encoder;

namespace Gateway.Drivers.Tests.CardEncoders.Transport;

/// <summary>
/// The issuing steps, journal and reader lifecycle of <see cref="MifareCardEncoder"/> over a block
/// transport that is not a PN532 (a single-slot reader with no lost replies, as a PC/SC reader is):
/// nothing in them depends on the reader.
/// </summary>
public sealed class EncoderOverAnyTransportTests
{
    private static readonly CardIssueRequest Request = new(31337, CardKind.Parking, 1);

    private static CancellationToken Bounded => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    [Fact]
    public async Task IssueReadVerifyErase_SingleSlotReader_SameCardAsOverAPn532()
    {
        var keys = SiteCardKeys.Parse(SiteCardKeysTests.RandomKeyHex(), 1);
        var transport = new VirtualCardTransport();
        var card = transport.Place(new VirtualMifareCard(MifareClassicType.Classic1K, VirtualMifareCard.RandomUid()));
        var journal = new InMemoryCardWriteJournal();
        await using var encoder = new MifareCardEncoder("virtual", "site-3", _ => Task.FromResult<ICardBlockTransport>(transport), keys, journal);

        var issued = await encoder.IssueAsync(Request, Bounded);
        Assert.Equal(Convert.ToHexString(card.Uid), issued.Card.Uid);
        Assert.Equal(new CardPayload("site-3", 31337, CardKind.Parking, 1, 1), (await encoder.ReadAsync(Bounded)).Payload);
        await encoder.VerifyAsync(issued.Payload, Bounded);
        var memory = card.Dump();
        for (var sector = 0; sector < 16; sector++)
        {
            var trailer = memory[MifareClassic.TrailerBlock(sector)];
            Assert.Equal(keys.SectorKey(card.Uid, 1, sector, MifareKeySlot.A), trailer[..6]);
            Assert.Equal(keys.SectorKey(card.Uid, 1, sector, MifareKeySlot.B), trailer[10..]);
        }

        Assert.Equal(
            [CardWriteStep.Authenticate, CardWriteStep.RekeyOtherSectors, CardWriteStep.WriteData, CardWriteStep.ReadBack, CardWriteStep.WriteTrailer, CardWriteStep.Verify],
            journal.Steps.Select(s => s.Step));

        await encoder.EraseAsync(Bounded);
        var blank = await Assert.ThrowsAsync<NotGatewayCardException>(() => encoder.ReadAsync(Bounded));
        Assert.Equal(NotGatewayCardReason.Blank, blank.Reason);
        Assert.All(journal.Operations, o => Assert.Equal(CardWriteOutcome.Completed, o.Outcome));
    }

    [Fact]
    public async Task ReaderSilent_NotResponding_ThenTheNextOperationOpensTheReaderAgain()
    {
        var transport = new VirtualCardTransport();
        transport.Place(new VirtualMifareCard(MifareClassicType.Classic1K, VirtualMifareCard.RandomUid()));
        var opened = 0;
        await using var encoder = new MifareCardEncoder("virtual", "site-3", _ => { opened++; return Task.FromResult<ICardBlockTransport>(transport); }, null, new InMemoryCardWriteJournal());
        await encoder.GetInfoAsync(Bounded);

        transport.Silent = true;
        await Assert.ThrowsAsync<EncoderNotRespondingException>(() => encoder.GetInfoAsync(Bounded));
        transport.Silent = false;
        var info = await encoder.GetInfoAsync(Bounded);

        Assert.NotNull(info.Card);
        Assert.Equal(2, opened);
    }
}
