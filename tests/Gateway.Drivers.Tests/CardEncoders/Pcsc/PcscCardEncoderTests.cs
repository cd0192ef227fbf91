using System.Runtime.Versioning;
using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;
using Gateway.Drivers.CardEncoders.Pcsc;

namespace Gateway.Drivers.Tests.CardEncoders.Pcsc;

/// <summary>
/// The desk encoder on a PC/SC reader through the real pcsc-lite and pcscd, against the simulated
/// ACR122U-like reader on vpcd: the same issuing workflow, journal and torn-write recovery as over
/// the PN532, and the same answers to no card, a card of another site and a card taken off mid-write.
/// </summary>
[Collection(Vpcd.Collection)]
[SupportedOSPlatform("linux")]
public sealed class PcscCardEncoderTests
{
    private static readonly CardIssueRequest Request = new(70001, CardKind.Both, 1);
    private readonly SiteCardKeys _keys = SiteCardKeys.Parse(SiteCardKeysTests.RandomKeyHex(), 1);

    [PcscFact]
    public async Task Issue_ThenRead_TheCardHoldsThePayloadAndItsOwnKeys()
    {
        await using var rig = await PcscRig.StartAsync();
        var card = rig.PlaceNewCard(MifareClassicType.Classic1K);
        var journal = new MarkingJournal(() => rig.Pn532.CardCommandCount);
        await using var encoder = rig.Encoder("site-7", _keys, journal);

        var issued = await encoder.IssueAsync(Request, EncoderRig.Bounded);

        Assert.Equal(Convert.ToHexString(card.Uid), issued.Card.Uid);
        Assert.Equal(Vpcd.Endpoint, encoder.Port);
        Assert.Equal(new CardPayload("site-7", 70001, CardKind.Both, 1, 1), (await encoder.ReadAsync(EncoderRig.Bounded)).Payload);
        var memory = card.Dump();
        for (var sector = 0; sector < 16; sector++)
        {
            Assert.Equal(_keys.SectorKey(card.Uid, 1, sector, MifareKeySlot.B), memory[MifareClassic.TrailerBlock(sector)][10..]);
        }

        Assert.Equal(
            [CardWriteStep.Authenticate, CardWriteStep.RekeyOtherSectors, CardWriteStep.WriteData, CardWriteStep.ReadBack, CardWriteStep.WriteTrailer, CardWriteStep.Verify],
            journal.Steps.Select(s => s.Step));
        Assert.All(journal.Operations, o => Assert.Equal(CardWriteOutcome.Completed, o.Outcome));
    }

    [PcscFact]
    public async Task CardTornOffMidWrite_PresentedAgain_TheSameIssueResumesAndFinishes()
    {
        await using var rig = await PcscRig.StartAsync();
        var card = rig.PlaceNewCard(MifareClassicType.Classic1K);
        var journal = new MarkingJournal(() => rig.Pn532.CardCommandCount);
        await using var encoder = rig.Encoder("site-7", _keys, journal);

        // Torn in the middle of re-keying the other sectors: some trailers hold the new keys, some the transport key.
        rig.Pn532.TearAfter(16);
        var torn = await Assert.ThrowsAnyAsync<CardEncoderException>(() => encoder.IssueAsync(Request, EncoderRig.Bounded));
        Assert.True(torn is CardNotPresentException or EncoderNotRespondingException, torn.ToString());
        Assert.DoesNotContain('\n', torn.Message);
        rig.WaitForPcscd(present: false);
        Assert.Equal(CardWriteStep.RekeyOtherSectors, journal.Steps[^1].Step);

        rig.PutBack(card);
        var read = await Assert.ThrowsAsync<NotGatewayCardException>(() => encoder.ReadAsync(EncoderRig.Bounded));
        Assert.Equal(NotGatewayCardReason.Torn, read.Reason);
        var resumed = await encoder.IssueAsync(Request, EncoderRig.Bounded);

        Assert.Equal(Convert.ToHexString(card.Uid), resumed.Card.Uid);
        Assert.Equal(70001u, (await encoder.ReadAsync(EncoderRig.Bounded)).Payload.CardNumber);
        Assert.Single(journal.Operations);
        Assert.Equal(CardWriteOutcome.Completed, journal.Operations[0].Outcome);
    }

    [PcscFact]
    public async Task CardRemovedMidWrite_RolledBackWhenPresentedAgain_BlankStockWithTransportKeys()
    {
        await using var rig = await PcscRig.StartAsync();
        var card = rig.PlaceNewCard(MifareClassicType.Classic1K);
        await using var encoder = rig.Encoder("site-7", _keys, new MarkingJournal(() => rig.Pn532.CardCommandCount));

        // Taken off by hand while the payload is written: the reader answers every command 20 ms late
        // (a slow reader, so the removal lands mid-write), and commands go on until pcscd sees it gone.
        rig.Pn532.ReplyDelay = TimeSpan.FromMilliseconds(20);
        var origin = rig.Pn532.CardCommandCount;
        var issue = encoder.IssueAsync(Request, EncoderRig.Bounded);
        await Eventually.UntilAsync(() => rig.Pn532.CardCommandCount - origin >= 40 || issue.IsCompleted, "the issue to reach the payload");
        rig.Remove(card);
        var removed = await Record.ExceptionAsync(() => issue);
        Assert.True(removed is CardNotPresentException or EncoderNotRespondingException, removed?.ToString() ?? "the issue finished before the card was taken off");

        rig.Pn532.ReplyDelay = TimeSpan.Zero;
        rig.PutBack(card);
        Assert.Equal(CardWriteOutcome.RolledBack, await encoder.RecoverAsync(rollBack: true, EncoderRig.Bounded));
        var blank = await Assert.ThrowsAsync<NotGatewayCardException>(() => encoder.ReadAsync(EncoderRig.Bounded));
        Assert.Equal(NotGatewayCardReason.Blank, blank.Reason);
        var memory = card.Dump();
        for (var sector = 0; sector < 16; sector++)
        {
            Assert.Equal(MifareClassic.TransportKey.ToArray(), memory[MifareClassic.TrailerBlock(sector)][..6]);
        }
    }

    [PcscFact]
    public async Task CardOfAnotherSite_SaysSo_AndNoCard_SaysSoInOneLine()
    {
        await using var rig = await PcscRig.StartAsync();
        await using var encoder = rig.Encoder("site-7", _keys, new InMemoryCardWriteJournal());
        var none = await Assert.ThrowsAsync<CardNotPresentException>(() => encoder.WaitForCardAsync(TimeSpan.FromMilliseconds(300), EncoderRig.Bounded));
        Assert.Equal(Vpcd.Endpoint, none.Device);
        await Assert.ThrowsAsync<CardNotPresentException>(() => encoder.IssueAsync(Request, EncoderRig.Bounded));

        rig.PlaceNewCard(MifareClassicType.Classic1K);
        await using (var elsewhere = rig.Encoder("site-9", _keys, new InMemoryCardWriteJournal()))
        {
            await elsewhere.IssueAsync(Request, EncoderRig.Bounded);
        }

        var other = await Assert.ThrowsAsync<NotGatewayCardException>(() => encoder.ReadAsync(EncoderRig.Bounded));
        Assert.Equal(NotGatewayCardReason.OtherSite, other.Reason);
        var notBlank = await Assert.ThrowsAnyAsync<CardEncoderException>(() => encoder.IssueAsync(Request, EncoderRig.Bounded));
        Assert.IsNotType<EncoderNotRespondingException>(notBlank);
    }

    [PcscFact]
    public async Task ReaderNotThere_NotResponding_NamingTheReadersThereAre()
    {
        await using var rig = await PcscRig.StartAsync();
        await using var encoder = new PcscCardEncoder(new PcscEncoderOptions(PcscEndpoint.Format("ACS ACR122U 00 00"), "site-7"), _keys, new InMemoryCardWriteJournal());

        var ex = await Assert.ThrowsAsync<EncoderNotRespondingException>(() => encoder.GetInfoAsync(EncoderRig.Bounded));

        Assert.Contains(Vpcd.Endpoint, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
