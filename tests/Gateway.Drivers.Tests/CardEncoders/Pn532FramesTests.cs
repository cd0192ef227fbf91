using Gateway.Drivers.CardEncoders.Pn532;

namespace Gateway.Drivers.Tests.CardEncoders;

/// <summary>The one PN532 frame codec, both directions (the driver encodes commands and decodes replies, the simulator the reverse).</summary>
public sealed class Pn532FramesTests
{
    [Fact]
    public void EncodeCommand_GetFirmwareVersion_ExactBytes()
    {
        // UM0701-02 §6.2.1.1 and the worked GetFirmwareVersion exchange: LEN 02, LCS FE, D4 02, DCS 2A.
        Assert.Equal(new byte[] { 0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2A, 0x00 }, Pn532Frames.EncodeCommand(0x02, []));
    }

    [Fact]
    public void EncodeReply_Firmware_IsTheDocumentedFrame()
    {
        // UM0701-02 §7.2.2 example: 00 00 FF 06 FA D5 03 32 01 06 07 E8 00.
        Assert.Equal("0000FF06FAD50332010607E800", Convert.ToHexString(Pn532Frames.EncodeReply(0x02, [0x32, 0x01, 0x06, 0x07])));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(14)]
    [InlineData(253)]
    [InlineData(254)]
    [InlineData(262)]
    public void EncodeCommand_AnyLength_DecodesAsTheSameCommand(int length)
    {
        var data = Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();
        var frame = Pn532Frames.EncodeCommand(0x40, data);
        Assert.Equal(Pn532Frames.EncodedLength(length), frame.Length);
        Assert.True(Pn532Frames.TryDecode(frame, out var decoded, out var consumed));
        Assert.Equal(frame.Length - 1, consumed); // the postamble stays as noise before the next frame
        Assert.Equal(Pn532FrameKind.Information, decoded.Kind);
        Assert.Equal(Pn532Frames.HostToPn532, decoded.Tfi);
        Assert.Equal(0x40, decoded.Code);
        Assert.Equal(data, decoded.Data.ToArray());
    }

    [Fact]
    public void EncodeReply_LongData_UsesExtendedFrame()
    {
        var data = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var frame = Pn532Frames.EncodeReply(0x4A, data);
        Assert.Equal([0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x01, 0x2E], frame[..7]);
        Assert.Equal(0, (byte)(frame[5] + frame[6] + frame[7]));
        Assert.Equal(8 + 302 + 2, frame.Length);
        Assert.True(Pn532Frames.TryDecode(frame, out var decoded, out _));
        Assert.Equal(Pn532Frames.Pn532ToHost, decoded.Tfi);
        Assert.Equal(0x4B, decoded.Code);
        Assert.Equal(data, decoded.Data.ToArray());
    }

    [Fact]
    public void WriteCommand_DestinationTooShort_Throws()
    {
        var destination = new byte[Pn532Frames.EncodedLength(3) - 1];
        Assert.Throws<ArgumentException>(() => Pn532Frames.WriteCommand(destination, 0x40, [1, 2, 3]));
    }

    [Fact]
    public void TryDecode_WakeUpPreambleThenSamConfiguration_SkipsPreamble()
    {
        // What the binding sends at start: 55 55, zeros, then SAMConfiguration(normal, 0x17, 0) without preamble.
        byte[] bytes = [0x55, 0x55, 0, 0, 0, 0, 0x00, 0xFF, 0x05, 0xFB, 0xD4, 0x14, 0x01, 0x17, 0x00, 0x00];
        bytes[^1] = (byte)((0x100 - ((0xD4 + 0x14 + 0x01 + 0x17) & 0xFF)) & 0xFF);
        Assert.True(Pn532Frames.TryDecode(bytes, out var frame, out var consumed));
        Assert.Equal(bytes.Length, consumed);
        Assert.Equal(Pn532FrameKind.Information, frame.Kind);
        Assert.Equal(0x14, frame.Code);
        Assert.Equal([0x01, 0x17, 0x00], frame.Data.ToArray());
    }

    [Fact]
    public void TryDecode_AckThenReplyAfterNoise_BothInOrder()
    {
        byte[] bytes = [0x55, 0x00, 0xFF, 0x07, .. Pn532Frames.Ack, .. Pn532Frames.EncodeReply(0x40, [0x00, 0x01, 0x02])];
        Assert.True(Pn532Frames.TryDecode(bytes, out var ack, out var used));
        Assert.Equal(Pn532FrameKind.Ack, ack.Kind);
        Assert.True(Pn532Frames.TryDecode(bytes.AsSpan(used), out var reply, out _));
        Assert.Equal(Pn532FrameKind.Information, reply.Kind);
        Assert.Equal(0x41, reply.Code);
        Assert.Equal(new byte[] { 0x00, 0x01, 0x02 }, reply.Data.ToArray());
    }

    [Fact]
    public void TryDecode_AckNackAndErrorFrame_Recognised()
    {
        Assert.True(Pn532Frames.TryDecode(Pn532Frames.Ack, out var ack, out _));
        Assert.Equal(Pn532FrameKind.Ack, ack.Kind);
        Assert.True(Pn532Frames.TryDecode(Pn532Frames.Nack, out var nack, out _));
        Assert.Equal(Pn532FrameKind.Nack, nack.Kind);
        Assert.True(Pn532Frames.TryDecode(Pn532Frames.ErrorFrame, out var error, out _));
        Assert.Equal(Pn532FrameKind.Error, error.Kind);
    }

    [Fact]
    public void TryDecode_BadDataChecksum_CorruptAndConsumed()
    {
        var reply = Pn532Frames.EncodeReply(0x40, [0x00, 0x11]);
        reply[^2] ^= 0x01;
        Assert.True(Pn532Frames.TryDecode(reply, out var corrupt, out var used));
        Assert.Equal(Pn532FrameKind.Corrupt, corrupt.Kind);
        Assert.Equal(reply.Length - 1, used);
    }

    [Fact]
    public void TryDecode_BadLengthChecksum_StartCodeSkippedAndTheNextFrameFound()
    {
        byte[] bytes = [0x00, 0xFF, 0x05, 0x00, .. Pn532Frames.Ack];
        Assert.True(Pn532Frames.TryDecode(bytes, out var frame, out var used));
        Assert.Equal(Pn532FrameKind.Ack, frame.Kind);
        Assert.Equal(bytes.Length - 1, used);
    }

    [Fact]
    public void TryDecode_PartialFrame_NeedsMoreAndKeepsWhatMayStartIt()
    {
        var reply = Pn532Frames.EncodeReply(0x40, [0x00, 0x11, 0x22]);
        for (var cut = 0; cut < reply.Length - 2; cut++)
        {
            Assert.False(Pn532Frames.TryDecode(reply.AsSpan(0, cut), out _, out var used), $"cut at {cut}");
            Assert.True(used <= 1, $"cut {cut} dropped {used} bytes");
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
            while (Pn532Frames.TryDecode(span, out _, out var used))
            {
                Assert.InRange(used, 1, span.Length);
                span = span[used..];
            }
        }
    }
}
