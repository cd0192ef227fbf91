using System.Runtime.Versioning;
using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;
using Gateway.Drivers.CardEncoders.Pn532;
using Gateway.Simulators.Encoder;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Drivers.Tests.CardEncoders.Transport;

/// <summary>A reader with a field of virtual cards under test, behind one <see cref="ICardBlockTransport"/>.</summary>
public interface ITransportRig : IAsyncDisposable
{
    ICardBlockTransport Transport { get; }

    /// <summary>True when the reader reports two cards in the field (a PN532), false when it sees one at most (a PC/SC slot).</summary>
    bool SeesSeveralCards { get; }

    VirtualMifareCard PlaceNewCard(MifareClassicType type, byte[]? uid = null);

    void Remove(VirtualMifareCard card);

    void PutBack(VirtualMifareCard card);

    /// <summary>The reader stops answering anything.</summary>
    void Silence();
}

/// <summary>
/// What every <see cref="ICardBlockTransport"/> must do, whatever the reader: each implementation runs
/// these tests against a field of virtual MIFARE Classic cards (the PN532 over the simulator on a real
/// pseudo-terminal, through both of its transports; a PC/SC reader through pcsc-lite, pcscd and vpcd).
/// </summary>
[SupportedOSPlatform("linux")]
public abstract class CardBlockTransportContract
{
    private static readonly byte[] Transport = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

    [LinuxFact]
    public async Task DetectCards_EmptyField_NoCard()
    {
        await using var rig = await StartAsync();
        Assert.Empty(await rig.Transport.DetectCardsAsync(EncoderRig.Bounded));
    }

    [LinuxFact]
    public async Task DetectCards_1KCard_UidTypeAtqaSak()
    {
        await using var rig = await StartAsync();
        var card = rig.PlaceNewCard(MifareClassicType.Classic1K, [0xDE, 0xAD, 0xBE, 0xEF]);

        var detected = Assert.Single(await rig.Transport.DetectCardsAsync(EncoderRig.Bounded));
        Assert.Equal(new DetectedCard("DEADBEEF", MifareClassicType.Classic1K, card.Atqa, 0x08), detected);
        Assert.Equal(card.Uid, detected.UidBytes());
    }

    [LinuxFact]
    public async Task DetectCards_4KCardWithSevenByteUid_Classic4K()
    {
        await using var rig = await StartAsync();
        rig.PlaceNewCard(MifareClassicType.Classic4K, [0x04, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60]);

        var detected = Assert.Single(await rig.Transport.DetectCardsAsync(EncoderRig.Bounded));
        Assert.Equal("04102030405060", detected.Uid);
        Assert.Equal(MifareClassicType.Classic4K, detected.Type);
    }

    [LinuxFact]
    public async Task DetectCards_TwoCards_BothSeenOrOneForASingleSlotReader()
    {
        await using var rig = await StartAsync();
        rig.PlaceNewCard(MifareClassicType.Classic1K);
        rig.PlaceNewCard(MifareClassicType.Classic1K);

        Assert.Equal(rig.SeesSeveralCards ? 2 : 1, (await rig.Transport.DetectCardsAsync(EncoderRig.Bounded)).Count);
    }

    [LinuxFact]
    public async Task Select_CardNotDetected_CardNotPresent()
    {
        await using var rig = await StartAsync();
        rig.PlaceNewCard(MifareClassicType.Classic1K, [0x01, 0x02, 0x03, 0x04]);
        await rig.Transport.DetectCardsAsync(EncoderRig.Bounded);

        await Assert.ThrowsAsync<CardNotPresentException>(() => rig.Transport.SelectAsync(new DetectedCard("0A0B0C0D", MifareClassicType.Classic1K, 0x0004, 0x08), EncoderRig.Bounded));
    }

    [LinuxFact]
    public async Task Authenticate_TransportKey_ThenWriteAndReadBlock_RoundTrips()
    {
        await using var rig = await StartAsync();
        var card = rig.PlaceNewCard(MifareClassicType.Classic1K);
        await SelectOnlyCardAsync(rig);
        var data = Enumerable.Range(1, 16).Select(i => (byte)(i * 11)).ToArray();

        Assert.True(await rig.Transport.TryAuthenticateAsync(1, MifareKeySlot.A, Transport, EncoderRig.Bounded));
        await rig.Transport.WriteBlockAsync(5, data, EncoderRig.Bounded);
        var read = new byte[16];
        await rig.Transport.ReadBlockAsync(5, read, EncoderRig.Bounded);

        Assert.Equal(data, read);
        Assert.Equal(data, card.Dump()[5]);
    }

    [LinuxFact]
    public async Task Authenticate_WrongKey_FalseAndTheCardAnswersTheNextCommand()
    {
        await using var rig = await StartAsync();
        var card = rig.PlaceNewCard(MifareClassicType.Classic1K);
        await SelectOnlyCardAsync(rig);

        Assert.False(await rig.Transport.TryAuthenticateAsync(2, MifareKeySlot.A, new byte[] { 1, 2, 3, 4, 5, 6 }, EncoderRig.Bounded));

        // The refusal halted the card; the transport made it answer again without being asked.
        Assert.True(await rig.Transport.TryAuthenticateAsync(2, MifareKeySlot.A, Transport, EncoderRig.Bounded));
        var read = new byte[16];
        await rig.Transport.ReadBlockAsync(8, read, EncoderRig.Bounded);
        Assert.Equal(card.Dump()[8], read);
    }

    [LinuxFact]
    public async Task ReadBlock_OfASectorNotAuthenticated_CardWriteException_AndTheCardStillAnswers()
    {
        await using var rig = await StartAsync();
        rig.PlaceNewCard(MifareClassicType.Classic1K);
        await SelectOnlyCardAsync(rig);
        Assert.True(await rig.Transport.TryAuthenticateAsync(1, MifareKeySlot.A, Transport, EncoderRig.Bounded));

        var ex = await Assert.ThrowsAsync<CardWriteException>(() => rig.Transport.ReadBlockAsync(12, new byte[16], EncoderRig.Bounded));
        Assert.Equal(12, ex.Block);
        Assert.Equal(rig.Transport.Name, ex.Device);

        Assert.True(await rig.Transport.TryAuthenticateAsync(3, MifareKeySlot.A, Transport, EncoderRig.Bounded));
        await rig.Transport.ReadBlockAsync(12, new byte[16], EncoderRig.Bounded);
    }

    [LinuxFact]
    public async Task WriteBlock_TrailerWithInconsistentAccessBits_RefusedAndNothingWritten()
    {
        await using var rig = await StartAsync();
        var card = rig.PlaceNewCard(MifareClassicType.Classic1K);
        await SelectOnlyCardAsync(rig);
        Assert.True(await rig.Transport.TryAuthenticateAsync(1, MifareKeySlot.A, Transport, EncoderRig.Bounded));
        var before = card.Dump()[7];
        var trailer = before.ToArray();
        trailer[6] ^= 0x01; // C1 of block 0 no longer matches its inverted copy

        await Assert.ThrowsAsync<InvalidOperationException>(() => rig.Transport.WriteBlockAsync(7, trailer, EncoderRig.Bounded));
        Assert.Equal(before, card.Dump()[7]);
        Assert.Empty(card.LockedSectors);
    }

    [LinuxFact]
    public async Task WriteBlock_TrailerWithNewKeys_TheNewKeyOpensTheSectorAndTheOldOneNoLonger()
    {
        await using var rig = await StartAsync();
        rig.PlaceNewCard(MifareClassicType.Classic1K);
        await SelectOnlyCardAsync(rig);
        byte[] keyA = [0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6];
        byte[] keyB = [0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6];
        Assert.True(await rig.Transport.TryAuthenticateAsync(1, MifareKeySlot.A, Transport, EncoderRig.Bounded));

        await rig.Transport.WriteBlockAsync(7, AccessBits.BuildTrailer(keyA, AccessBits.Issued, keyB), EncoderRig.Bounded);

        Assert.False(await rig.Transport.TryAuthenticateAsync(1, MifareKeySlot.A, Transport, EncoderRig.Bounded));
        Assert.True(await rig.Transport.TryAuthenticateAsync(1, MifareKeySlot.B, keyB, EncoderRig.Bounded));
        Assert.True(await rig.Transport.TryAuthenticateAsync(1, MifareKeySlot.A, keyA, EncoderRig.Bounded));
    }

    [LinuxFact]
    public async Task CardRemoved_NextCommandCardNotPresent_AndStillRemovedWhenPutBackUntilSelectedAgain()
    {
        await using var rig = await StartAsync();
        var card = rig.PlaceNewCard(MifareClassicType.Classic1K);
        await SelectOnlyCardAsync(rig);
        Assert.True(await rig.Transport.TryAuthenticateAsync(1, MifareKeySlot.A, Transport, EncoderRig.Bounded));

        rig.Remove(card);
        await Assert.ThrowsAsync<CardNotPresentException>(() => rig.Transport.ReadBlockAsync(4, new byte[16], EncoderRig.Bounded));

        rig.PutBack(card);
        await Assert.ThrowsAsync<CardNotPresentException>(() => rig.Transport.TryAuthenticateAsync(1, MifareKeySlot.A, Transport, EncoderRig.Bounded));

        await SelectOnlyCardAsync(rig);
        Assert.True(await rig.Transport.TryAuthenticateAsync(1, MifareKeySlot.A, Transport, EncoderRig.Bounded));
    }

    [LinuxFact]
    public async Task CardSwapped_TheOtherCardIsNeverAddressed()
    {
        await using var rig = await StartAsync();
        var first = rig.PlaceNewCard(MifareClassicType.Classic1K);
        await SelectOnlyCardAsync(rig);
        Assert.True(await rig.Transport.TryAuthenticateAsync(1, MifareKeySlot.A, Transport, EncoderRig.Bounded));

        rig.Remove(first);
        var second = rig.PlaceNewCard(MifareClassicType.Classic1K);
        var before = second.Dump();
        await Assert.ThrowsAsync<CardNotPresentException>(async () =>
        {
            Assert.True(await rig.Transport.TryAuthenticateAsync(1, MifareKeySlot.A, Transport, EncoderRig.Bounded));
            await rig.Transport.WriteBlockAsync(4, new byte[16].Select(_ => (byte)0x5A).ToArray(), EncoderRig.Bounded);
        });

        Assert.Equal(before, second.Dump());
    }

    [LinuxFact]
    public async Task ReaderSilent_EncoderNotResponding()
    {
        await using var rig = await StartAsync();
        rig.PlaceNewCard(MifareClassicType.Classic1K);
        await SelectOnlyCardAsync(rig);

        rig.Silence();
        var ex = await Assert.ThrowsAsync<EncoderNotRespondingException>(() => rig.Transport.DetectCardsAsync(EncoderRig.Bounded));
        Assert.Equal(rig.Transport.Name, ex.Device);
    }

    [LinuxFact]
    public async Task CommandCount_CountsEveryReaderCommand()
    {
        await using var rig = await StartAsync();
        rig.PlaceNewCard(MifareClassicType.Classic1K);
        var before = rig.Transport.CommandCount;
        await SelectOnlyCardAsync(rig);
        Assert.True(await rig.Transport.TryAuthenticateAsync(0, MifareKeySlot.A, Transport, EncoderRig.Bounded));
        await rig.Transport.ReadBlockAsync(1, new byte[16], EncoderRig.Bounded);

        Assert.True(rig.Transport.CommandCount >= before + 3, $"{rig.Transport.CommandCount - before} commands counted for a detect, an authentication and a read");
        Assert.False(string.IsNullOrEmpty(rig.Transport.Firmware));
    }

    protected abstract Task<ITransportRig> StartAsync();

    private static async Task SelectOnlyCardAsync(ITransportRig rig)
    {
        var card = Assert.Single(await rig.Transport.DetectCardsAsync(EncoderRig.Bounded));
        await rig.Transport.SelectAsync(card, EncoderRig.Bounded);
    }
}

/// <summary>The contract over the fake that speaks to virtual cards directly (a single-slot reader).</summary>
[SupportedOSPlatform("linux")]
public sealed class VirtualCardTransportContractTests : CardBlockTransportContract
{
    protected override Task<ITransportRig> StartAsync() => Task.FromResult<ITransportRig>(new VirtualRig());

    private sealed class VirtualRig : ITransportRig
    {
        private readonly VirtualCardTransport _transport = new();

        public ICardBlockTransport Transport => _transport;

        public bool SeesSeveralCards => false;

        public VirtualMifareCard PlaceNewCard(MifareClassicType type, byte[]? uid = null) => _transport.Place(new VirtualMifareCard(type, uid ?? VirtualMifareCard.RandomUid()));

        public void Remove(VirtualMifareCard card) => _transport.Remove(card);

        public void PutBack(VirtualMifareCard card) => _transport.Place(card);

        public void Silence() => _transport.Silent = true;

        public ValueTask DisposeAsync() => _transport.DisposeAsync();
    }
}

/// <summary>The contract over the PN532 simulator on a real pseudo-terminal, through Gateway's own HSU frame layer.</summary>
[Collection("pn532")]
[SupportedOSPlatform("linux")]
public sealed class Pn532DirectTransportContractTests : CardBlockTransportContract
{
    protected override async Task<ITransportRig> StartAsync() => await Pn532Rig.StartAsync(Pn532Transport.Direct);
}

/// <summary>The contract over the PN532 simulator through the Iot.Device.Bindings Pn532 class.</summary>
[Collection("pn532")]
[SupportedOSPlatform("linux")]
public sealed class Pn532BindingTransportContractTests : CardBlockTransportContract
{
    protected override async Task<ITransportRig> StartAsync() => await Pn532Rig.StartAsync(Pn532Transport.Binding);
}

[SupportedOSPlatform("linux")]
internal sealed class Pn532Rig : ITransportRig
{
    private readonly TempFolder _folder;
    private readonly Pn532Emulator _emulator;
    private readonly Pn532Simulator _simulator;
    private readonly Pn532BlockTransport _transport;

    private Pn532Rig(TempFolder folder, Pn532Emulator emulator, Pn532Simulator simulator, Pn532BlockTransport transport)
    {
        _folder = folder;
        _emulator = emulator;
        _simulator = simulator;
        _transport = transport;
    }

    public ICardBlockTransport Transport => _transport;

    public bool SeesSeveralCards => true;

    public static async Task<Pn532Rig> StartAsync(Pn532Transport transport)
    {
        var folder = new TempFolder("gateway-transport");
        var link = folder.Combine("ttyPN532");
        var emulator = new Pn532Emulator();
        var simulator = Pn532Simulator.Start(link, emulator);
        var options = new Pn532EncoderOptions(link, "site-7") { Transport = transport, ReplyTimeout = TimeSpan.FromMilliseconds(300) };
        return new Pn532Rig(folder, emulator, simulator, await Pn532BlockTransport.OpenAsync(options, NullLogger.Instance, EncoderRig.Bounded));
    }

    public VirtualMifareCard PlaceNewCard(MifareClassicType type, byte[]? uid = null) => _emulator.PlaceNewCard(type, uid);

    public void Remove(VirtualMifareCard card) => Assert.True(_emulator.Remove(Convert.ToHexString(card.Uid)));

    public void PutBack(VirtualMifareCard card) => Assert.True(_emulator.Place(Convert.ToHexString(card.Uid)));

    public void Silence() => _emulator.Stalled = true;

    public async ValueTask DisposeAsync()
    {
        await _transport.DisposeAsync();
        await _simulator.DisposeAsync();
        _folder.Dispose();
    }
}
