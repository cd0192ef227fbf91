using System.Diagnostics;
using System.Runtime.Versioning;
using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;
using Gateway.Drivers.CardEncoders.Pn532;
using Gateway.Simulators.Encoder;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Drivers.Tests.CardEncoders;

/// <summary>
/// The PN532 simulator's modelled time, seen from Gateway's own transport on the pty: an exchange
/// takes at least the line time of its bytes (command, ACK, reply, at 10 bits a byte) plus the card's
/// data-sheet time for the command. Lower bounds only: a busy machine may always take longer.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class SimulatorTimingTests : IDisposable
{
    private static readonly byte[] TransportKey = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
    private readonly TempFolder _folder = new("gateway-encoder-timing");

    [LinuxFact]
    public async Task ReadExchange_TakesAtLeastItsWireAndCardTime_EveryByteCounted()
    {
        var timing = EncoderTiming.DataSheet with { BaudRate = 38400 };
        var (emulator, simulator, transport) = await StartAsync(timing);
        await using var _ = simulator;
        await using var __ = transport;
        await SelectAndAuthenticateAsync(transport);

        var wireBefore = emulator.ModelledWireTime;
        var cardBefore = emulator.ModelledCardTime;
        var block = new byte[16];
        var started = Stopwatch.GetTimestamp();
        await transport.ReadBlockAsync(4, block, EncoderRig.Bounded);
        var elapsed = Stopwatch.GetElapsedTime(started);

        // InDataExchange 30h of block 4: the command frame, the ACK, the reply with status and 16 bytes.
        var command = Pn532Frames.EncodeCommand(0x40, [0x01, 0x30, 0x04]).Length;
        var reply = Pn532Frames.EncodeReply(0x40, new byte[17]).Length;
        Assert.Equal(timing.Wire(command) + timing.Wire(Pn532Frames.Ack.Length) + timing.Wire(reply), emulator.ModelledWireTime - wireBefore);
        Assert.Equal(TimeSpan.FromMilliseconds(2.5), emulator.ModelledCardTime - cardBefore);

        // The card reads while the ACK is on the line (2.5 ms > the ACK's 1.6 ms at 38400): the reply leaves after both.
        var floor = timing.Wire(command) + TimeSpan.FromMilliseconds(2.5) + timing.Wire(reply);
        Assert.True(elapsed >= floor, $"a read took {elapsed.TotalMilliseconds:0.00} ms, less than its {floor.TotalMilliseconds:0.00} ms of wire and card time");
    }

    [LinuxFact]
    public async Task WriteAndAuthentication_TakeAtLeastTheCardsTime()
    {
        var (emulator, simulator, transport) = await StartAsync(EncoderTiming.DataSheet);
        await using var _ = simulator;
        await using var __ = transport;
        await SelectAndAuthenticateAsync(transport);

        var started = Stopwatch.GetTimestamp();
        Assert.True(await transport.TryAuthenticateAsync(1, MifareKeySlot.A, TransportKey, EncoderRig.Bounded));
        var authentication = Stopwatch.GetElapsedTime(started);
        started = Stopwatch.GetTimestamp();
        await transport.WriteBlockAsync(4, new byte[16], EncoderRig.Bounded);
        var write = Stopwatch.GetElapsedTime(started);

        Assert.True(authentication >= TimeSpan.FromMilliseconds(2), $"an authentication took {authentication.TotalMilliseconds:0.00} ms, less than the card's 2 ms");
        Assert.True(write >= TimeSpan.FromMilliseconds(5.5), $"a block write took {write.TotalMilliseconds:0.00} ms, less than the card's 5.5 ms");
        Assert.True(emulator.ModelledCardTime >= TimeSpan.FromMilliseconds(2.5 + 2 + 2 + 5.5), emulator.ModelledCardTime.ToString());
    }

    [LinuxFact]
    public async Task TimingOff_NothingModelled()
    {
        var (emulator, simulator, transport) = await StartAsync(EncoderTiming.Off);
        await using var _ = simulator;
        await using var __ = transport;
        await SelectAndAuthenticateAsync(transport);
        await transport.ReadBlockAsync(4, new byte[16], EncoderRig.Bounded);

        Assert.Equal(TimeSpan.Zero, emulator.ModelledWireTime);
        Assert.Equal(TimeSpan.Zero, emulator.ModelledCardTime);
    }

    public void Dispose() => _folder.Dispose();

    private async Task<(Pn532Emulator Emulator, Pn532Simulator Simulator, Pn532BlockTransport Transport)> StartAsync(EncoderTiming timing)
    {
        var link = _folder.Combine("ttyPN532");
        var emulator = new Pn532Emulator { Timing = timing };
        emulator.PlaceNewCard(MifareClassicType.Classic1K, [0x01, 0x02, 0x03, 0x04]);
        var simulator = Pn532Simulator.Start(link, emulator);
        var transport = await Pn532BlockTransport.OpenAsync(new Pn532EncoderOptions(link, "site-7") { Transport = Pn532Transport.Direct }, NullLogger.Instance, EncoderRig.Bounded);
        return (emulator, simulator, transport);
    }

    private static async Task SelectAndAuthenticateAsync(Pn532BlockTransport transport)
    {
        var cards = await transport.DetectCardsAsync(EncoderRig.Bounded);
        await transport.SelectAsync(Assert.Single(cards), EncoderRig.Bounded);
        Assert.True(await transport.TryAuthenticateAsync(1, MifareKeySlot.A, TransportKey, EncoderRig.Bounded));
    }
}
