using System.Diagnostics.CodeAnalysis;

namespace Gateway.Drivers.Uhppote.Codec;

/// <summary>
/// The UHPPOTE / WG-series packet: 64 bytes, byte 0 the start of message (0x17; 0x19 on events pushed
/// by v6.62 firmware), byte 1 the function code, bytes 4-7 the board's serial number (little-endian),
/// then the function's fields (docs/uhppote.md, "Packets"). Pure: no I/O, no clock.
/// </summary>
public static class UhppoteCodec
{
    /// <summary>Every request and reply is exactly this long.</summary>
    public const int PacketLength = 64;

    /// <summary>Byte 0 of every request and reply.</summary>
    public const byte StartOfMessage = 0x17;

    /// <summary>Byte 0 of an event pushed by v6.62 firmware (function 0x20 only).</summary>
    public const byte StartOfEventV662 = 0x19;

    /// <summary>The value the destructive requests (delete-all-cards, set-event-index) carry as a confirmation.</summary>
    public const uint MagicWord = 0x55AAAA55;

    /// <summary>The UDP port boards listen on.</summary>
    public const int DefaultPort = 60000;

    /// <summary>
    /// Reads the function code and serial number of a datagram. False when it is not a packet of this
    /// protocol: not 64 bytes, another start byte, or a function code this codec does not know.
    /// </summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> datagram, out UhppoteFunction function, out uint controller)
    {
        function = default;
        controller = 0;
        if (datagram.Length != PacketLength)
        {
            return false;
        }

        var code = (UhppoteFunction)datagram[1];
        var start = datagram[0] == StartOfMessage || (datagram[0] == StartOfEventV662 && code == UhppoteFunction.GetStatus);
        if (!start || !Enum.IsDefined(code))
        {
            return false;
        }

        function = code;
        controller = PacketFields.ReadUInt32(datagram, 4);
        return true;
    }

    /// <summary>Decodes a request (what a board receives).</summary>
    /// <exception cref="UhppoteCodecException">Not a request packet, or a field holds an invalid value.</exception>
    public static UhppoteRequest DecodeRequest(ReadOnlySpan<byte> packet)
    {
        var (function, controller) = Header(packet, allowV662: false);
        return UhppoteRequest.DecodeBody(function, controller, packet);
    }

    /// <summary>Decodes a reply, or an event pushed to the listener (function 0x20, start byte 0x17 or 0x19).</summary>
    /// <exception cref="UhppoteCodecException">Not a reply packet, or a field holds an invalid value.</exception>
    public static UhppoteResponse DecodeResponse(ReadOnlySpan<byte> packet)
    {
        var (function, controller) = Header(packet, allowV662: true);
        return UhppoteResponse.DecodeBody(function, controller, packet);
    }

    /// <summary>Decodes a reply that must be of type <typeparamref name="T"/>.</summary>
    /// <exception cref="UhppoteCodecException">Not such a reply, or a field holds an invalid value.</exception>
    public static T DecodeResponse<T>(ReadOnlySpan<byte> packet)
        where T : UhppoteResponse =>
        DecodeResponse(packet) is T typed
            ? typed
            : throw new UhppoteCodecException($"function 0x{packet[1]:X2} does not answer as {typeof(T).Name}");

    /// <summary>As <see cref="DecodeResponse(ReadOnlySpan{byte})"/>, false with the reason instead of an exception.</summary>
    public static bool TryDecodeResponse(ReadOnlySpan<byte> packet, [NotNullWhen(true)] out UhppoteResponse? response, [NotNullWhen(false)] out string? error)
    {
        try
        {
            response = DecodeResponse(packet);
            error = null;
            return true;
        }
        catch (UhppoteCodecException ex)
        {
            response = null;
            error = ex.Message;
            return false;
        }
    }

    /// <summary>Clears the first 64 bytes of <paramref name="buffer"/> and writes the header; returns those 64 bytes.</summary>
    internal static Span<byte> StartPacket(Span<byte> buffer, byte start, UhppoteFunction function, uint controller)
    {
        if (buffer.Length < PacketLength)
        {
            throw new ArgumentException($"a packet needs {PacketLength} bytes, the buffer has {buffer.Length}", nameof(buffer));
        }

        var packet = buffer[..PacketLength];
        packet.Clear();
        packet[0] = start;                                  // 00 start of message
        packet[1] = (byte)function;                         // 01 function code; 02-03 zero
        PacketFields.WriteUInt32(packet, 4, controller);    // 04-07 serial number
        return packet;
    }

    private static (UhppoteFunction Function, uint Controller) Header(ReadOnlySpan<byte> packet, bool allowV662)
    {
        if (packet.Length != PacketLength)
        {
            throw new UhppoteCodecException($"a packet is {PacketLength} bytes, not {packet.Length}");
        }

        var v662 = allowV662 && packet[0] == StartOfEventV662 && packet[1] == (byte)UhppoteFunction.GetStatus;
        if (packet[0] != StartOfMessage && !v662)
        {
            throw new UhppoteCodecException($"start byte 0x{packet[0]:X2} is not 0x{StartOfMessage:X2}");
        }

        var function = (UhppoteFunction)packet[1];
        return Enum.IsDefined(function)
            ? (function, PacketFields.ReadUInt32(packet, 4))
            : throw new UhppoteCodecException($"function code 0x{packet[1]:X2} is not one Gateway speaks");
    }
}

/// <summary>A packet that breaks the protocol: wrong length or start byte, unknown function, a field with an invalid value.</summary>
public sealed class UhppoteCodecException : FormatException
{
    public UhppoteCodecException(string message)
        : base(message)
    {
    }
}
