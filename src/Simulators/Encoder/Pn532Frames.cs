namespace Gateway.Simulators.Encoder;

/// <summary>What a host frame turned out to be.</summary>
public enum HostFrameKind
{
    /// <summary>An information frame carrying a command (TFI D4h).</summary>
    Command,

    /// <summary>The host's ACK (00 00 FF 00 FF 00): aborts the command in progress.</summary>
    Ack,

    /// <summary>The host's NACK (00 00 FF FF 00 00): asks for the last reply again.</summary>
    Nack,
}

/// <summary>A decoded host frame: the command code and its parameters.</summary>
public sealed record HostFrame(HostFrameKind Kind, byte Command, byte[] Data);

/// <summary>
/// The PN532 HSU frame format (PN532 User Manual §6.2.1): normal frames
/// <c>00 00 FF LEN LCS TFI PD0…PDn DCS 00</c>, extended frames <c>00 00 FF FF FF LENm LENl LCS TFI … DCS 00</c>,
/// ACK <c>00 00 FF 00 FF 00</c> and the application-level error frame <c>00 00 FF 01 FF 7F 81 00</c>.
/// Pure functions: no I/O.
/// </summary>
public static class Pn532Frames
{
    /// <summary>TFI of a frame from the host.</summary>
    public const byte HostToPn532 = 0xD4;

    /// <summary>TFI of a frame from the PN532.</summary>
    public const byte Pn532ToHost = 0xD5;

    /// <summary>The ACK frame the PN532 sends as soon as it has a valid command.</summary>
    public static ReadOnlySpan<byte> Ack => [0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00];

    /// <summary>The error frame for a command the PN532 does not understand (§6.2.1.5).</summary>
    public static ReadOnlySpan<byte> ErrorFrame => [0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00];

    /// <summary>
    /// Finds the next host frame in <paramref name="buffer"/>. Bytes before a start code (the wake-up
    /// preamble 55 55 00 00…, line noise) are skipped. Returns false when more bytes are needed;
    /// <paramref name="consumed"/> then says how many leading bytes can be dropped. A frame with a
    /// bad checksum is consumed and returned as null (a PN532 ignores it).
    /// </summary>
    public static bool TryDecodeHostFrame(ReadOnlySpan<byte> buffer, out HostFrame? frame, out int consumed)
    {
        frame = null;
        consumed = 0;
        var start = -1;
        for (var i = 0; i + 1 < buffer.Length; i++)
        {
            if (buffer[i] == 0x00 && buffer[i + 1] == 0xFF)
            {
                start = i;
                break;
            }
        }

        if (start < 0)
        {
            // Keep a trailing 00 that may be the first half of a start code.
            consumed = buffer.Length > 0 && buffer[^1] == 0x00 ? buffer.Length - 1 : buffer.Length;
            return false;
        }

        consumed = start;
        var p = buffer[(start + 2)..];
        if (p.Length < 2)
        {
            return false;
        }

        // 00 FF 00 FF: ACK; 00 FF FF 00: NACK (each optionally followed by a postamble).
        if (p[0] == 0x00 && p[1] == 0xFF)
        {
            frame = new HostFrame(HostFrameKind.Ack, 0, []);
            consumed = start + 4;
            return true;
        }

        if (p[0] == 0xFF && p[1] == 0x00)
        {
            frame = new HostFrame(HostFrameKind.Nack, 0, []);
            consumed = start + 4;
            return true;
        }

        int length;
        int header;
        if (p[0] == 0xFF && p[1] == 0xFF)
        {
            if (p.Length < 5)
            {
                return false;
            }

            length = (p[2] << 8) | p[3];
            if ((byte)(p[2] + p[3] + p[4]) != 0)
            {
                consumed = start + 2;
                return true;
            }

            header = 5;
        }
        else
        {
            length = p[0];
            if ((byte)(p[0] + p[1]) != 0)
            {
                // Not a frame after all: skip this start code and look again.
                consumed = start + 2;
                return true;
            }

            header = 2;
        }

        if (p.Length < header + length + 1)
        {
            return false;
        }

        var body = p.Slice(header, length);
        byte sum = 0;
        foreach (var b in body)
        {
            sum += b;
        }

        consumed = start + 2 + header + length + 1;
        if ((byte)(sum + p[header + length]) != 0 || length < 2 || body[0] != HostToPn532)
        {
            return true;
        }

        frame = new HostFrame(HostFrameKind.Command, body[1], body[2..].ToArray());
        return true;
    }

    /// <summary>
    /// Builds the reply to <paramref name="command"/> carrying <paramref name="data"/>: a normal frame,
    /// or an extended frame when TFI + code + data exceed 255 bytes.
    /// </summary>
    public static byte[] EncodeReply(byte command, ReadOnlySpan<byte> data)
    {
        var length = 2 + data.Length;
        var extended = length > 255;
        var frame = new byte[(extended ? 8 : 5) + length + 2];
        var i = 0;
        frame[i++] = 0x00; // preamble
        frame[i++] = 0x00; // start code
        frame[i++] = 0xFF;
        if (extended)
        {
            frame[i++] = 0xFF;
            frame[i++] = 0xFF;
            frame[i++] = (byte)(length >> 8);
            frame[i++] = (byte)length;
            frame[i++] = (byte)(0x100 - (byte)((length >> 8) + length));
        }
        else
        {
            frame[i++] = (byte)length;
            frame[i++] = (byte)(0x100 - length);
        }

        var bodyStart = i;
        frame[i++] = Pn532ToHost;
        frame[i++] = (byte)(command + 1);
        data.CopyTo(frame.AsSpan(i));
        i += data.Length;
        byte sum = 0;
        for (var j = bodyStart; j < i; j++)
        {
            sum += frame[j];
        }

        frame[i++] = (byte)(0x100 - sum);
        frame[i] = 0x00; // postamble
        return frame;
    }

    /// <summary>Builds a host command frame (used by tests, the driver speaks through the binding).</summary>
    public static byte[] EncodeCommand(byte command, ReadOnlySpan<byte> data)
    {
        var reply = EncodeReply((byte)(command - 1), data);
        reply[reply[3] == 0xFF && reply[4] == 0xFF ? 8 : 5] = HostToPn532;
        var bodyStart = reply[3] == 0xFF && reply[4] == 0xFF ? 8 : 5;
        byte sum = 0;
        for (var j = bodyStart; j < reply.Length - 2; j++)
        {
            sum += reply[j];
        }

        reply[^2] = (byte)(0x100 - sum);
        return reply;
    }
}
