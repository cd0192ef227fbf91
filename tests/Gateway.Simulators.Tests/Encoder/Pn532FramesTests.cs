using Gateway.Simulators.Encoder;

namespace Gateway.Simulators.Tests.Encoder;

public sealed class Pn532FramesTests
{
    [Fact]
    public void TryDecodeHostFrame_WakeUpPreambleThenSamConfiguration_SkipsPreamble()
    {
        // What the binding sends at start: 55 55, zeros, then SAMConfiguration(normal, 0x17, 0) without preamble.
        byte[] bytes = [0x55, 0x55, 0, 0, 0, 0, 0x00, 0xFF, 0x05, 0xFB, 0xD4, 0x14, 0x01, 0x17, 0x00, 0x00];
        bytes[^1] = (byte)((0x100 - ((0xD4 + 0x14 + 0x01 + 0x17) & 0xFF)) & 0xFF);
        Assert.True(Pn532Frames.TryDecodeHostFrame(bytes, out var frame, out var consumed));
        Assert.Equal(bytes.Length, consumed);
        Assert.Equal(HostFrameKind.Command, frame!.Kind);
        Assert.Equal(0x14, frame.Command);
        Assert.Equal([0x01, 0x17, 0x00], frame.Data);
    }

    [Fact]
    public void TryDecodeHostFrame_PartialFrame_NeedsMoreBytes()
    {
        var full = Pn532Frames.EncodeCommand(0x40, [0x01, 0x30, 0x04]);
        for (var cut = 1; cut < full.Length - 1; cut++)
        {
            var complete = Pn532Frames.TryDecodeHostFrame(full.AsSpan(0, cut), out _, out var consumed);
            Assert.False(complete && consumed == 0);
            if (!complete)
            {
                Assert.True(consumed <= 1, $"cut {cut} dropped {consumed} bytes");
            }
        }
    }

    [Fact]
    public void EncodeReply_Firmware_IsTheDocumentedFrame()
    {
        // PN532 User Manual §7.2.2 example: 00 00 FF 06 FA D5 03 32 01 06 07 E8 00.
        Assert.Equal("0000FF06FAD50332010607E800", Convert.ToHexString(Pn532Frames.EncodeReply(0x02, [0x32, 0x01, 0x06, 0x07])));
    }

    [Fact]
    public void EncodeReply_LongData_UsesExtendedFrame()
    {
        var data = new byte[300];
        var frame = Pn532Frames.EncodeReply(0x40, data);
        Assert.Equal([0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x01, 0x2E], frame[..7]);
        Assert.Equal(0, (byte)(frame[5] + frame[6] + frame[7]));
        Assert.Equal(8 + 302 + 2, frame.Length);
    }

    [Fact]
    public void EncodeCommand_ExtendedFrame_RoundTrips()
    {
        var data = Enumerable.Range(0, 260).Select(i => (byte)i).ToArray();
        Assert.True(Pn532Frames.TryDecodeHostFrame(Pn532Frames.EncodeCommand(0x40, data), out var frame, out _));
        Assert.Equal(data, frame!.Data);
    }

    [Fact]
    public void TryDecodeHostFrame_BadChecksum_ConsumedAndIgnored()
    {
        var frame = Pn532Frames.EncodeCommand(0x02, []);
        frame[^2] ^= 0xFF;
        Assert.True(Pn532Frames.TryDecodeHostFrame(frame, out var decoded, out var consumed));
        Assert.Null(decoded);
        Assert.True(consumed > 0);
    }

    [Fact]
    public void TryDecodeHostFrame_AckAndNack_Recognised()
    {
        Assert.True(Pn532Frames.TryDecodeHostFrame([0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00], out var ack, out _));
        Assert.Equal(HostFrameKind.Ack, ack!.Kind);
        Assert.True(Pn532Frames.TryDecodeHostFrame([0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00], out var nack, out _));
        Assert.Equal(HostFrameKind.Nack, nack!.Kind);
    }

    [Fact]
    public void TryDecodeHostFrame_RandomBytes_NeverThrows()
    {
        var random = new Random(5);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 40)];
            random.NextBytes(bytes);
            var span = bytes.AsSpan();
            while (Pn532Frames.TryDecodeHostFrame(span, out _, out var consumed) && consumed > 0)
            {
                span = span[consumed..];
            }
        }
    }
}
