using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;
using Gateway.Drivers.CardEncoders.Pcsc;
using Gateway.Drivers.Tests.CardEncoders.Transport;
using Gateway.Simulators.Encoder;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Drivers.Tests.CardEncoders.Pcsc;

/// <summary>
/// The PC/SC block transport through the real pcsc-lite library and pcscd, on vpcd's first reader,
/// with the simulator's ACR122U-like reader presenting its field of virtual cards (in process). A card
/// placed or taken off is waited for until pcscd has seen it (it polls vpcd every 400 ms). The reader
/// unplugged is emulated below the transport (<see cref="UnpluggableContext"/>): vpcd's readers
/// cannot be unplugged.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class PcscRig : ITransportRig
{
    private readonly IDisposable _vpcd;
    private readonly IPcscContext _watch;
    private readonly VpcdCardConnection _connection;

    private PcscRig(IDisposable vpcd, Pn532Emulator pn532, IPcscContext watch, VpcdCardConnection connection, UnpluggableContext context, PcscBlockTransport transport)
    {
        _vpcd = vpcd;
        Pn532 = pn532;
        _watch = watch;
        _connection = connection;
        Context = context;
        TransportImpl = transport;
    }

    public ICardBlockTransport Transport => TransportImpl;

    public PcscBlockTransport TransportImpl { get; }

    public Pn532Emulator Pn532 { get; }

    public UnpluggableContext Context { get; }

    public bool SeesSeveralCards => false;

    /// <summary>A rig with an empty field, once pcscd has seen vpcd's first reader empty.</summary>
    public static async Task<PcscRig> StartAsync(PcscEncoderOptions? options = null)
    {
        var vpcd = await Vpcd.AcquireAsync();
        IPcscContext? watch = null;
        try
        {
            watch = PcscContext.Establish();
            Assert.True(watch.ListReaders().Contains(Vpcd.Reader), Vpcd.Missing);
            var empty = watch;
            await Eventually.UntilAsync(() => (empty.GetStatus(Vpcd.Reader).State & PcscReaderState.Empty) != 0, "vpcd's reader to be empty (a card left by an earlier test)");
            var pn532 = new Pn532Emulator();
            var connection = VpcdCardConnection.Start(Vpcd.Host, Vpcd.Port, new PcscReaderEmulator(pn532));
            var context = new UnpluggableContext(PcscContext.Establish());
            var transport = await PcscBlockTransport.OpenAsync(PcscEndpoint.Parse(Vpcd.Endpoint), options ?? new PcscEncoderOptions(Vpcd.Endpoint, "site-7"), () => context, NullLogger.Instance, EncoderRig.Bounded);
            return new PcscRig(vpcd, pn532, watch, connection, context, transport);
        }
        catch
        {
            watch?.Dispose();
            vpcd.Dispose();
            throw;
        }
    }

    public VirtualMifareCard PlaceNewCard(MifareClassicType type, byte[]? uid = null)
    {
        var card = Pn532.PlaceNewCard(type, uid);
        WaitForPcscd(present: true);
        return card;
    }

    public void Remove(VirtualMifareCard card)
    {
        Assert.True(Pn532.Remove(Convert.ToHexString(card.Uid)));
        if (Pn532.InField().Count == 0)
        {
            WaitForPcscd(present: false);
        }
    }

    public void PutBack(VirtualMifareCard card)
    {
        Assert.True(Pn532.Place(Convert.ToHexString(card.Uid)));
        WaitForPcscd(present: true);
    }

    public void Silence() => Context.Unplugged = true;

    /// <summary>A desk encoder of its own on the same reader (its own PC/SC context, as the service or gatewayctl would open).</summary>
    public PcscCardEncoder Encoder(string siteId, SiteCardKeys keys, ICardWriteJournal journal) =>
        new(new PcscEncoderOptions(Vpcd.Endpoint, siteId) { PollInterval = TimeSpan.FromMilliseconds(20) }, keys, journal);

    /// <summary>
    /// Waits until pcscd reports vpcd's reader with a card that answered (present, not mute), or
    /// empty. Not merely "no card that answers": a card taken off while pcscd reset it is reported
    /// present and mute until pcscd's next poll finds the reader empty.
    /// </summary>
    public void WaitForPcscd(bool present) =>
        Eventually.UntilAsync(
            () => present ? _watch.GetStatus(Vpcd.Reader).HasCard : (_watch.GetStatus(Vpcd.Reader).State & PcscReaderState.Empty) != 0,
            present ? "pcscd to see the card" : "pcscd to see the reader empty").GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        await TransportImpl.DisposeAsync();
        await _connection.DisposeAsync();
        _watch.Dispose();
        _vpcd.Dispose();
    }
}

/// <summary>
/// The real PC/SC context, with a switch that makes the reader look unplugged: pcscd no longer lists
/// it, and every call on it or its card fails with SCARD_E_READER_UNAVAILABLE, as pcsc-lite answers
/// for a USB reader pulled out.
/// </summary>
internal sealed class UnpluggableContext(IPcscContext inner) : IPcscContext
{
    public bool Unplugged { get; set; }

    public IReadOnlyList<string> ListReaders() => Unplugged ? [.. inner.ListReaders().Where(r => r != Vpcd.Reader)] : inner.ListReaders();

    public PcscReaderStatus GetStatus(string reader) => Unplugged ? Gone<PcscReaderStatus>("SCardGetStatusChange") : inner.GetStatus(reader);

    public PcscReaderStatus WaitForChange(string reader, TimeSpan timeout) => Unplugged ? Gone<PcscReaderStatus>("SCardGetStatusChange") : inner.WaitForChange(reader, timeout);

    public IPcscCard Connect(string reader) => Unplugged ? Gone<IPcscCard>("SCardConnect") : new Card(this, inner.Connect(reader));

    public void Dispose() => inner.Dispose();

    private static T Gone<T>(string function) => throw new PcscException(function, PcscError.ReaderUnavailable);

    private sealed class Card(UnpluggableContext owner, IPcscCard inner) : IPcscCard
    {
        public int Transmit(ReadOnlySpan<byte> command, Span<byte> response) =>
            owner.Unplugged ? throw new PcscException("SCardTransmit", PcscError.ReaderUnavailable) : inner.Transmit(command, response);

        public void Reconnect(bool reset)
        {
            if (owner.Unplugged)
            {
                throw new PcscException("SCardReconnect", PcscError.ReaderUnavailable);
            }

            inner.Reconnect(reset);
        }

        public void Dispose() => inner.Dispose();
    }
}

/// <summary>The block-transport contract over a PC/SC reader: pcsc-lite, pcscd, vpcd and the simulated ACR122U-like reader.</summary>
[Collection(Vpcd.Collection)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PcscTransportContractTests : CardBlockTransportContract
{
    protected override async Task<ITransportRig> StartAsync() => await PcscRig.StartAsync();
}
