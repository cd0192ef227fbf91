using System.Runtime.Versioning;
using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;

namespace Gateway.Drivers.Tests.CardEncoders;

[Collection("pn532")]
[SupportedOSPlatform("linux")]
public sealed class Pn532CardEncoderTests
{
    private static readonly CardIssueRequest Request = new(4711, CardKind.Both, 1);

    [LinuxFact]
    public async Task GetInfo_Simulator_ReportsFirmwareAndCard()
    {
        await using var rig = new EncoderRig();
        var info = await rig.Encoder.GetInfoAsync(EncoderRig.Bounded);
        Assert.Equal("PN532 v1.6", info.Firmware);
        Assert.Equal(rig.Uid, info.Card?.Uid);
        Assert.Equal(MifareClassicType.Classic1K, info.Card?.Type);
    }

    [LinuxFact]
    public async Task IssueThenRead_BlankCard_ReadsPayloadBack_AndLeavesNoTransportKey()
    {
        await using var rig = new EncoderRig();
        var issued = await rig.Encoder.IssueAsync(Request, EncoderRig.Bounded);
        Assert.Equal(rig.Uid, issued.Card.Uid);

        var read = await rig.Encoder.ReadAsync(EncoderRig.Bounded);
        Assert.Equal(new CardPayload("site-7", 4711, CardKind.Both, 1, 1), read.Payload);

        var memory = rig.Emulator.Dump(rig.Uid)!;
        for (var sector = 0; sector < 16; sector++)
        {
            var trailer = memory[MifareClassic.TrailerBlock(sector)];
            Assert.NotEqual(MifareClassic.TransportKey.ToArray(), trailer[..6]);
            Assert.NotEqual(MifareClassic.TransportKey.ToArray(), trailer[10..]);
            Assert.Equal(AccessBits.Issued.Encode(), trailer[6..9]);
        }

        Assert.Single(rig.Journal.Operations);
        Assert.Equal(CardWriteOutcome.Completed, rig.Journal.Operations[0].Outcome);
        Assert.Equal(
            [CardWriteStep.Authenticate, CardWriteStep.RekeyOtherSectors, CardWriteStep.WriteData, CardWriteStep.ReadBack, CardWriteStep.WriteTrailer, CardWriteStep.Verify],
            rig.Journal.Steps.Select(s => s.Step));
    }

    [LinuxFact]
    public async Task Issue_4KCard_RekeysAllFortySectors()
    {
        await using var rig = new EncoderRig(placeCard: false);
        var card = rig.Emulator.PlaceNewCard(MifareClassicType.Classic4K, [0x04, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60]);
        await rig.Encoder.IssueAsync(Request, EncoderRig.Bounded);
        var memory = card.Dump();
        Assert.All(Enumerable.Range(0, 40), s => Assert.Equal(AccessBits.Issued.Encode(), memory[MifareClassic.TrailerBlock(s)][6..9]));
        Assert.Equal(4711u, (await rig.Encoder.ReadAsync(EncoderRig.Bounded)).Payload.CardNumber);
    }

    [LinuxFact]
    public async Task Verify_IssuedCard_Passes_AndOtherCardNumber_Fails()
    {
        await using var rig = new EncoderRig();
        var issued = await rig.Encoder.IssueAsync(Request, EncoderRig.Bounded);
        await rig.Encoder.VerifyAsync(issued.Payload, EncoderRig.Bounded);
        await Assert.ThrowsAsync<CardWriteException>(() => rig.Encoder.VerifyAsync(issued.Payload with { CardNumber = 1 }, EncoderRig.Bounded));
    }

    [LinuxFact]
    public async Task Erase_IssuedCard_ReturnsEverySectorToTransportKeys()
    {
        await using var rig = new EncoderRig();
        await rig.Encoder.IssueAsync(Request, EncoderRig.Bounded);
        await rig.Encoder.EraseAsync(EncoderRig.Bounded);

        var memory = rig.Emulator.Dump(rig.Uid)!;
        var transport = AccessBits.BuildTrailer(MifareClassic.TransportKey, AccessBits.Transport, MifareClassic.TransportKey);
        Assert.All(Enumerable.Range(0, 16), s => Assert.Equal(transport, memory[MifareClassic.TrailerBlock(s)]));
        Assert.All(CardLayout.PayloadBlocks, b => Assert.Equal(new byte[16], memory[b]));
        var ex = await Assert.ThrowsAsync<NotGatewayCardException>(() => rig.Encoder.ReadAsync(EncoderRig.Bounded));
        Assert.Equal(NotGatewayCardReason.Blank, ex.Reason);

        // Recycled stock issues again.
        await rig.Encoder.IssueAsync(Request with { IssueCounter = 2 }, EncoderRig.Bounded);
        Assert.Equal(2u, (await rig.Encoder.ReadAsync(EncoderRig.Bounded)).Payload.IssueCounter);
    }

    [LinuxFact]
    public async Task Read_WrongSiteKey_UnknownKeys()
    {
        await using var rig = new EncoderRig();
        await rig.Encoder.IssueAsync(Request, EncoderRig.Bounded);
        await using var other = rig.OtherEncoder("site-7", SiteCardKeys.Parse(SiteCardKeysTests.RandomKeyHex(), 1));
        var ex = await Assert.ThrowsAsync<NotGatewayCardException>(() => other.ReadAsync(EncoderRig.Bounded));
        Assert.Equal(NotGatewayCardReason.UnknownKeys, ex.Reason);
        Assert.Equal(rig.Link, ex.Device);
    }

    [LinuxFact]
    public async Task Read_CardOfAnotherSiteWithSharedMasterKey_OtherSite()
    {
        await using var rig = new EncoderRig();
        await using (var site9 = rig.OtherEncoder("site-9", rig.Keys))
        {
            await site9.IssueAsync(Request, EncoderRig.Bounded);
        }

        var ex = await Assert.ThrowsAsync<NotGatewayCardException>(() => rig.Encoder.ReadAsync(EncoderRig.Bounded));
        Assert.Equal(NotGatewayCardReason.OtherSite, ex.Reason);
        Assert.Contains("site-9", ex.Detail, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task Read_PayloadEditedOnCard_MacMismatch()
    {
        await using var rig = new EncoderRig();
        await rig.Encoder.IssueAsync(Request, EncoderRig.Bounded);
        var block4 = rig.Emulator.Dump(rig.Uid)![4];
        block4[11] ^= 0x01; // card number's last byte
        Assert.True(rig.Emulator.Poke(rig.Uid, 4, block4));
        var ex = await Assert.ThrowsAsync<NotGatewayCardException>(() => rig.Encoder.ReadAsync(EncoderRig.Bounded));
        Assert.Equal(NotGatewayCardReason.MacMismatch, ex.Reason);
    }

    [LinuxFact]
    public async Task Issue_AlreadyIssuedCard_RefusedWithoutWriting()
    {
        await using var rig = new EncoderRig();
        await rig.Encoder.IssueAsync(Request, EncoderRig.Bounded);
        var before = rig.Emulator.Dump(rig.Uid)!;
        await Assert.ThrowsAsync<CardNotBlankException>(() => rig.Encoder.IssueAsync(Request with { CardNumber = 5 }, EncoderRig.Bounded));
        Assert.Equal(before, rig.Emulator.Dump(rig.Uid)!);
    }

    [LinuxFact]
    public async Task Issue_TwoCardsOnReader_MultipleCards_NothingWritten()
    {
        await using var rig = new EncoderRig();
        var second = rig.Emulator.PlaceNewCard(MifareClassicType.Classic1K);
        var ex = await Assert.ThrowsAsync<MultipleCardsException>(() => rig.Encoder.IssueAsync(Request, EncoderRig.Bounded));
        Assert.Equal(2, ex.Count);
        Assert.Empty(rig.Journal.Operations);
        Assert.Equal(AccessBits.Transport.Encode(), second.Dump()[7][6..9]);
    }

    [LinuxFact]
    public async Task WaitForCard_NoCard_TimesOut_ThenCardPlaced_ReturnsIt()
    {
        await using var rig = new EncoderRig(placeCard: false);
        await Assert.ThrowsAsync<CardNotPresentException>(() => rig.Encoder.WaitForCardAsync(TimeSpan.FromMilliseconds(300), EncoderRig.Bounded));
        await Assert.ThrowsAsync<CardNotPresentException>(() => rig.Encoder.ReadAsync(EncoderRig.Bounded));

        var looked = rig.Emulator.ListCount;
        var waiting = rig.Encoder.WaitForCardAsync(TimeSpan.FromSeconds(30), EncoderRig.Bounded);
        await Eventually.UntilAsync(() => rig.Emulator.ListCount > looked, "the encoder to look for a card and find none");
        Assert.False(waiting.IsCompleted);
        var card = rig.Emulator.PlaceNewCard(MifareClassicType.Classic1K);
        Assert.Equal(Convert.ToHexString(card.Uid), (await waiting).Uid);
    }

    [LinuxFact]
    public async Task Read_CardRepliesKeepMissingTheDeadline_NotRespondingRatherThanUnknownKeys()
    {
        await using var rig = new EncoderRig(configure: o => o with { ReplyTimeout = TimeSpan.FromMilliseconds(100) });
        await rig.Encoder.IssueAsync(Request, EncoderRig.Bounded);

        // Every card command's reply comes 150 ms late (listing the card and reselecting it stay
        // quick): a reader that answers, but too late every time. That is a transport fault, never
        // a verdict on the card's keys.
        rig.Emulator.ReplyDelay = TimeSpan.FromMilliseconds(150);
        rig.Emulator.ReplyDelayCommand = 0x40;
        var ex = await Assert.ThrowsAsync<EncoderNotRespondingException>(() => rig.Encoder.ReadAsync(EncoderRig.Bounded));
        Assert.Equal(rig.Link, ex.Device);
        Assert.True(rig.Emulator.DelayedReplyCount >= 2);

        rig.Emulator.ReplyDelay = TimeSpan.Zero;
        Assert.Equal(Request.CardNumber, (await rig.Encoder.ReadAsync(EncoderRig.Bounded)).Payload.CardNumber);
    }

    [LinuxFact]
    public async Task ReaderGoneAndBack_NotRespondingThenRecovers()
    {
        await using var rig = new EncoderRig();
        await rig.Encoder.GetInfoAsync(EncoderRig.Bounded);
        await rig.StopSimulatorAsync();
        var ex = await Assert.ThrowsAsync<EncoderNotRespondingException>(() => rig.Encoder.GetInfoAsync(EncoderRig.Bounded));
        Assert.Equal(rig.Link, ex.Device);

        rig.RestartSimulator();
        var info = await rig.Encoder.GetInfoAsync(EncoderRig.Bounded);
        Assert.Equal(rig.Uid, info.Card?.Uid);
        await rig.Encoder.IssueAsync(Request, EncoderRig.Bounded);
    }

    [LinuxFact]
    public async Task Issue_ReaderStalled_NotResponding_ThenRecoverFinishes()
    {
        await using var rig = new EncoderRig();
        // The 10th card command of the issue (mid-card: re-keying) is done and answered, then the reader stalls.
        rig.Emulator.StallAfter(10);
        await Assert.ThrowsAsync<EncoderNotRespondingException>(() => rig.Encoder.IssueAsync(Request, EncoderRig.Bounded));
        Assert.True(rig.Emulator.IgnoredWhileStalledCount > 0);
        rig.Emulator.Stalled = false;
        Assert.Equal(CardWriteStep.RekeyOtherSectors, rig.Journal.Operations.Single().LastStep);

        Assert.Equal(CardWriteOutcome.Completed, await rig.Encoder.RecoverAsync(rollBack: false, EncoderRig.Bounded));
        Assert.Equal(4711u, (await rig.Encoder.ReadAsync(EncoderRig.Bounded)).Payload.CardNumber);
    }
}

[CollectionDefinition("pn532", DisableParallelization = true)]
public sealed class Pn532Collection
{
}
