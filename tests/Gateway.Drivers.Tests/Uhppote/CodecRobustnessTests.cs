using Gateway.Drivers.Uhppote;
using Gateway.Drivers.Uhppote.Codec;
using V = Gateway.Drivers.Tests.Uhppote.UhppoteVectors;

namespace Gateway.Drivers.Tests.Uhppote;

/// <summary>What the codec refuses, and that it refuses rather than wraps or crashes.</summary>
public sealed class CodecRobustnessTests
{
    [Theory]
    [InlineData("17 5A 00 00 78 37 2A 18 A2 98 7C 00 20 23 13 01 20 23 12 31 01", "from-date 20231301 is not a date")]   // month 13
    [InlineData("17 5A 00 00 78 37 2A 18 A2 98 7C 00 20 23 02 30 20 23 12 31 01", "from-date 20230230 is not a date")]   // 30 February
    [InlineData("17 5A 00 00 78 37 2A 18 A2 98 7C 00 20 23 01 01 20 2A 12 31 01", "to-date 202A1231 is not BCD")]        // a nibble above 9
    [InlineData("17 32 00 00 78 37 2A 18 20 21 05 28 24 00 00", "time 20210528240000 is not a date and time")]            // 24:00:00
    public void InvalidDates_AreRefused_NotWrapped(string hex, string message)
    {
        var ex = Assert.Throws<UhppoteCodecException>(() => UhppoteCodec.DecodeResponse(V.Packet(hex)));
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void SetTimeRequest_WithoutATime_IsRefused()
    {
        Assert.Throws<UhppoteCodecException>(() => UhppoteCodec.DecodeRequest(V.Packet("17 30 00 00 78 37 2A 18")));
    }

    [Fact]
    public void EventTimestamp_Invalid_IsNoTime()
    {
        var r = UhppoteCodec.DecodeResponse<EventResponse>(V.Packet("17 B0 00 00 78 37 2A 18 05 00 00 00 01 00 01 01 2A 00 00 00 20 23 02 30 10 00 00 06"));
        Assert.Equal((5u, 42u, (DateTime?)null), (r.Index, r.Card, r.Timestamp));
    }

    [Fact]
    public void Header_RefusesWhatIsNotAPacketOfTheProtocol()
    {
        var packet = V.Packet(V.GetTimeResponse);
        Assert.True(UhppoteCodec.TryReadHeader(packet, out _, out _));
        Assert.False(UhppoteCodec.TryReadHeader(packet.AsSpan(0, 63), out _, out _));
        Assert.False(UhppoteCodec.TryReadHeader([.. packet, 0], out _, out _));
        Assert.False(UhppoteCodec.TryReadHeader(V.Packet("18 32 00 00 78 37 2A 18"), out _, out _));
        Assert.False(UhppoteCodec.TryReadHeader(V.Packet("19 32 00 00 78 37 2A 18"), out _, out _)); // 0x19 only on pushed events (0x20)
        Assert.True(UhppoteCodec.TryReadHeader(V.Packet("19 20 00 00 78 37 2A 18"), out _, out _));
        Assert.False(UhppoteCodec.TryReadHeader(V.Packet("17 98 00 00 78 37 2A 18"), out _, out _)); // get-time-profile: not spoken here
    }

    [Theory]
    [InlineData(63, "a packet is 64 bytes, not 63")]
    [InlineData(65, "a packet is 64 bytes, not 65")]
    public void Decode_WrongLength_IsRefused(int length, string message)
    {
        var bytes = new byte[length];
        bytes[0] = 0x17;
        bytes[1] = 0x32;
        Assert.Equal(message, Assert.Throws<UhppoteCodecException>(() => UhppoteCodec.DecodeResponse(bytes)).Message);
    }

    [Fact]
    public void DecodeRequest_EventStartByte_IsRefused()
    {
        // 0x19 marks events a board pushes; a board never receives one.
        Assert.Throws<UhppoteCodecException>(() => UhppoteCodec.DecodeRequest(V.Packet("19 20 00 00 78 37 2A 18")));
    }

    [Fact]
    public void DecodeResponse_AsTheWrongType_IsRefused()
    {
        Assert.Throws<UhppoteCodecException>(() => UhppoteCodec.DecodeResponse<TimeResponse>(V.Packet(V.GetCardsResponse)));
    }

    [Fact]
    public void Encode_SharedLayoutWithTheWrongFunction_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => new AckResponse(UhppoteFunction.GetTime, 1, true).Encode());
    }

    [Fact]
    public void Encode_PinAbove999999_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PutCardRequest(1, 2, new DateOnly(2024, 1, 1), new DateOnly(2024, 1, 2), DoorPermissions.None, 1_000_000).Encode());
    }

    [Fact]
    public void Encode_IntoAShortBuffer_Throws()
    {
        Assert.Throws<ArgumentException>(() => new GetTimeRequest(1).Encode(new byte[63]));
    }

    [Fact]
    public void RandomBytes_NeverCrashTheDecoders()
    {
        var random = new Random(17);
        var packet = new byte[64];
        var decoded = 0;
        for (var i = 0; i < 50_000; i++)
        {
            random.NextBytes(packet);
            packet[0] = (byte)(i % 3 == 0 ? 0x17 : packet[0]);
            packet[1] = (byte)(i % 2 == 0 ? (byte)Enum.GetValues<UhppoteFunction>()[i % 19] : packet[1]);
            foreach (var decode in new Func<byte[], object>[] { p => UhppoteCodec.DecodeResponse(p), p => UhppoteCodec.DecodeRequest(p) })
            {
                try
                {
                    _ = decode(packet);
                    decoded++;
                }
                catch (UhppoteCodecException)
                {
                    // Refused: the one failure the codec may report.
                }
            }
        }

        Assert.True(decoded > 1000, $"only {decoded} random packets decoded: the test does not reach the field decoders");
    }
}
