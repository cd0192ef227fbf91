using Gateway.Drivers.CardEncoders.Layout;
using Gateway.Simulators.Encoder;

namespace Gateway.Simulators.Tests.Encoder;

public sealed class Pn532EmulatorTests
{
    [Fact]
    public void StallAfter_TwoCardCommands_SecondIsAnsweredThenTheReaderStalls()
    {
        var emulator = new Pn532Emulator();
        emulator.PlaceNewCard(MifareClassicType.Classic1K, [0xDE, 0xAD, 0xBE, 0xEF]);
        Assert.NotNull(emulator.Handle(0x4A, [0x01, 0x00])); // InListPassiveTarget: target 1
        emulator.StallAfter(2);

        // InDataExchange: authenticate sector 0 with the transport key A, then read block 0.
        Assert.Equal(new byte[] { 0x00 }, emulator.Handle(0x40, [0x01, 0x60, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xDE, 0xAD, 0xBE, 0xEF]));
        Assert.False(emulator.Stalled);
        var second = emulator.Handle(0x40, [0x01, 0x30, 0x00]);

        Assert.NotNull(second);
        Assert.Equal(0x00, second[0]); // status OK: the card executed it
        Assert.Equal(0xDE, second[1]);
        Assert.True(emulator.Stalled);
        Assert.Equal(2, emulator.CardCommandCount);
    }

    [Fact]
    public void StallAfter_Zero_StallsAtOnceAndUnstallingAnswersAgain()
    {
        var emulator = new Pn532Emulator();

        emulator.StallAfter(0);
        Assert.True(emulator.Stalled);
        emulator.Stalled = false;
        emulator.StallAfter(-1);
        emulator.Handle(0x40, [0x01, 0x30, 0x00]);

        Assert.False(emulator.Stalled);
    }

    [Fact]
    public void NextReplyDelay_EveryThird_DelaysOnlyThoseAndCountsThem()
    {
        var emulator = new Pn532Emulator { ReplyDelay = TimeSpan.FromMilliseconds(150), ReplyDelayEvery = 3 };
        var delays = Enumerable.Range(0, 9).Select(_ => emulator.NextReplyDelay().TotalMilliseconds).ToArray();

        Assert.Equal(new double[] { 0, 0, 150, 0, 0, 150, 0, 0, 150 }, delays);
        Assert.Equal(3, emulator.DelayedReplyCount);

        emulator.ReplyDelay = TimeSpan.Zero;
        Assert.Equal(TimeSpan.Zero, emulator.NextReplyDelay());
        Assert.Equal(3, emulator.DelayedReplyCount);
    }
}
