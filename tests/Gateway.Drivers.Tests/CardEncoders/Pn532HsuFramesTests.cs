using Gateway.Drivers.CardEncoders.Hsu;
using Gateway.Simulators.Encoder;

namespace Gateway.Drivers.Tests.CardEncoders;

public sealed class Pn532HsuFramesTests
{
    [Fact]
    public void EncodeCommand_GetFirmwareVersion_ExactBytes()
    {
        // UM0701-02 §6.2.1.1 and the worked GetFirmwareVersion exchange: LEN 02, LCS FE, D4 02, DCS 2A.
        Assert.Equal(new byte[] { 0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2A, 0x00 }, Pn532HsuFrames.EncodeCommand(0x02, []));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(14)]
    [InlineData(253)]
    [InlineData(254)]
    [InlineData(262)]
    public void EncodeCommand_AnyLength_DecodedBySimulator(int length)
    {
        var data = Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();
        var frame = Pn532HsuFrames.EncodeCommand(0x40, data);
        Assert.True(Pn532Frames.TryDecodeHostFrame(frame, out var decoded, out var consumed));
        Assert.Equal(frame.Length - 1, consumed); // the postamble stays as noise before the next frame
        Assert.Equal(HostFrameKind.Command, decoded!.Kind);
        Assert.Equal(0x40, decoded.Command);
        Assert.Equal(data, decoded.Data);
    }

    [Fact]
    public void TryDecode_AckThenReplyAfterNoise_BothInOrder()
    {
        byte[] bytes = [0x55, 0x00, 0xFF, 0x07, .. Pn532Frames.Ack, .. Pn532Frames.EncodeReply(0x40, [0x00, 0x01, 0x02])];
        Assert.True(Pn532HsuFrames.TryDecode(bytes, out var ack, out var used));
        Assert.Equal(Pn532FrameKind.Ack, ack.Kind);
        Assert.True(Pn532HsuFrames.TryDecode(bytes.AsSpan(used), out var reply, out _));
        Assert.Equal(Pn532FrameKind.Reply, reply.Kind);
        Assert.Equal(0x41, reply.Code);
        Assert.Equal(new byte[] { 0x00, 0x01, 0x02 }, reply.Data);
    }

    [Fact]
    public void TryDecode_ExtendedReply_Decoded()
    {
        var data = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        Assert.True(Pn532HsuFrames.TryDecode(Pn532Frames.EncodeReply(0x4A, data), out var frame, out _));
        Assert.Equal(Pn532FrameKind.Reply, frame.Kind);
        Assert.Equal(data, frame.Data);
    }

    [Fact]
    public void TryDecode_ErrorFrameAndBadChecksum_ErrorAndCorrupt()
    {
        Assert.True(Pn532HsuFrames.TryDecode(Pn532Frames.ErrorFrame, out var error, out _));
        Assert.Equal(Pn532FrameKind.Error, error.Kind);

        var reply = Pn532Frames.EncodeReply(0x40, [0x00, 0x11]);
        reply[^2] ^= 0x01;
        Assert.True(Pn532HsuFrames.TryDecode(reply, out var corrupt, out var used));
        Assert.Equal(Pn532FrameKind.Corrupt, corrupt.Kind);
        Assert.Equal(reply.Length - 1, used);
    }

    [Fact]
    public void TryDecode_PartialFrame_NeedsMore()
    {
        var reply = Pn532Frames.EncodeReply(0x40, [0x00, 0x11, 0x22]);
        for (var cut = 0; cut < reply.Length - 2; cut++)
        {
            Assert.False(Pn532HsuFrames.TryDecode(reply.AsSpan(0, cut), out _, out var used), $"cut at {cut}");
            Assert.True(used <= cut);
        }
    }

    [Fact]
    public void TryDecode_RandomBytes_NeverThrowsAndAlwaysProgresses()
    {
        var random = new Random(532);
        var buffer = new byte[64];
        for (var i = 0; i < 20_000; i++)
        {
            random.NextBytes(buffer);
            if (i % 3 == 0)
            {
                buffer[random.Next(60)] = 0x00;
                buffer[random.Next(60) + 1] = 0xFF;
            }

            var span = buffer.AsSpan();
            while (Pn532HsuFrames.TryDecode(span, out _, out var used))
            {
                Assert.InRange(used, 1, span.Length);
                span = span[used..];
            }
        }
    }
}
