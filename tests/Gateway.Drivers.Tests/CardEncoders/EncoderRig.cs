using System.Runtime.Versioning;
using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;
using Gateway.Simulators.Encoder;

namespace Gateway.Drivers.Tests.CardEncoders;

/// <summary>The encoder (direct transport unless configured otherwise) driving the PN532 simulator over a real pseudo-terminal, in one process.</summary>
[SupportedOSPlatform("linux")]
internal sealed class EncoderRig : IAsyncDisposable
{
    private readonly TempFolder _folder = new("gateway-encoder");

    public EncoderRig(string siteId = "site-7", SiteCardKeys? keys = null, bool placeCard = true, Func<Pn532EncoderOptions, Pn532EncoderOptions>? configure = null)
    {
        // The in-process simulator answers on thread-pool continuations while xunit (and, with the
        // binding transport, SerialPort's I/O) hold pool threads; on a 2-core runner a starved pool
        // delays replies past a deadline. A real gateway-sim process has its own pool.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(io, 32));
        Link = _folder.Combine("ttyPN532");
        Emulator = new Pn532Emulator();
        if (placeCard)
        {
            Card = Emulator.PlaceNewCard(MifareClassicType.Classic1K);
        }

        Simulator = Pn532Simulator.Start(Link, Emulator);
        Keys = keys ?? SiteCardKeys.Parse(SiteCardKeysTests.RandomKeyHex(), 1);
        Journal = new MarkingJournal(() => Emulator.CardCommandCount);
        var options = new Pn532EncoderOptions(Link, siteId) { PollInterval = TimeSpan.FromMilliseconds(20) };
        Encoder = new Pn532CardEncoder(configure is null ? options : configure(options), Keys, Journal);
    }

    /// <summary>
    /// Runs a test body that injects transport faults (late replies, a stalled reader) for some other
    /// purpose than tolerating them (logging under late replies, say): when the encoder gives up on
    /// such a fault it says so with <see cref="EncoderNotRespondingException"/>, and the body runs
    /// again on a fresh rig (up to 3 times). Only that, and only when the simulator did inject a
    /// transport fault in that run: a refused key, a failed write or a torn card — what a key
    /// derivation or journal bug throws — always fails the test. SlowReaderTests check the
    /// tolerance of late replies without this.
    /// </summary>
    public static async Task RetryAsync(Func<EncoderRig> create, Func<EncoderRig, Task> body)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var rig = create();
            try
            {
                await body(rig);
                return;
            }
            catch (EncoderNotRespondingException) when (attempt < 3 && rig.Emulator.TransportFaultCount > 0)
            {
                // The injected fault outlasted the encoder's own tolerance: start over on a fresh card and reader.
            }
        }
    }

    public static CancellationToken Bounded => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    public string Link { get; }

    public Pn532Emulator Emulator { get; }

    public Pn532Simulator Simulator { get; private set; }

    public VirtualMifareCard? Card { get; }

    public SiteCardKeys Keys { get; }

    public MarkingJournal Journal { get; }

    public Pn532CardEncoder Encoder { get; }

    public string Uid => Convert.ToHexString(Card!.Uid);

    public Pn532CardEncoder OtherEncoder(string siteId, SiteCardKeys keys, ICardWriteJournal? journal = null) =>
        new(new Pn532EncoderOptions(Link, siteId), keys, journal ?? new InMemoryCardWriteJournal());

    public async Task StopSimulatorAsync() => await Simulator.DisposeAsync();

    public void RestartSimulator() => Simulator = Pn532Simulator.Start(Link, Emulator);

    public async ValueTask DisposeAsync()
    {
        await Encoder.DisposeAsync();
        await Simulator.DisposeAsync();
        _folder.Dispose();
    }
}
