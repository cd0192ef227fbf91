namespace Gateway.Drivers.CardEncoders.Hsu;

/// <summary>What a frame from the PN532 turned out to be.</summary>
internal enum Pn532FrameKind
{
    /// <summary>ACK <c>00 00 FF 00 FF 00</c>: the command was received (UM0701-02 §6.2.1.3).</summary>
    Ack,

    /// <summary>NACK <c>00 00 FF FF 00 00</c> (§6.2.1.4).</summary>
    Nack,

    /// <summary>The application error frame <c>00 00 FF 01 FF 7F 81 00</c>: a syntax error in the command (§6.2.1.5).</summary>
    Error,

    /// <summary>An information frame from the PN532 (TFI D5h): a command's reply.</summary>
    Reply,

    /// <summary>A frame whose length or data checksum is wrong; consumed and reported so the host can ask again (NACK).</summary>
    Corrupt,
}

/// <summary>A decoded frame from the PN532: for a reply, the reply code (command + 1) and its data.</summary>
internal readonly record struct Pn532Frame(Pn532FrameKind Kind, byte Code, byte[] Data);

/// <summary>
/// The host side of the PN532 frame format (UM0701-02 §6.2.1): normal information frames
/// <c>00 00 FF LEN LCS TFI PD0…PDn DCS 00</c>, extended ones <c>00 00 FF FF FF LENm LENl LCS TFI … DCS 00</c>
/// (§6.2.1.2, for more than 254 data bytes), ACK, NACK and the error frame. Pure functions, no I/O.
/// </summary>
internal static class Pn532HsuFrames
{
    /// <summary>TFI of a frame from the host to the PN532.</summary>
    public const byte HostToPn532 = 0xD4;

    /// <summary>TFI of a frame from the PN532 to the host.</summary>
    public const byte Pn532ToHost = 0xD5;

    /// <summary>The ACK frame; sent by the host it aborts the command in progress (§6.2.1.3).</summary>
    public static ReadOnlySpan<byte> Ack => [0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00];

    /// <summary>The NACK frame: asks the PN532 to send its last reply again (§6.2.1.4).</summary>
    public static ReadOnlySpan<byte> Nack => [0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00];

    /// <summary>
    /// HSU wake-up (UM0701-02, HSU wake-up condition): 55h and idle symbols long enough for the PN532
    /// to leave power-down before the first command, which follows directly (SAMConfiguration).
    /// </summary>
    public static ReadOnlySpan<byte> WakeUp => [0x55, 0x55, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

    /// <summary>Builds the frame that carries <paramref name="command"/> and its <paramref name="data"/>.</summary>
    public static byte[] EncodeCommand(byte command, ReadOnlySpan<byte> data)
    {
        var length = 2 + data.Length; // TFI, command code, data
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
        frame[i++] = HostToPn532;
        frame[i++] = command;
        data.CopyTo(frame.AsSpan(i));
        i += data.Length;
        byte sum = 0;
        foreach (var b in frame.AsSpan(bodyStart, i - bodyStart))
        {
            sum += b;
        }

        frame[i++] = (byte)(0x100 - sum);
        frame[i] = 0x00; // postamble
        return frame;
    }

    /// <summary>
    /// Finds the next frame from the PN532 in <paramref name="buffer"/>. Bytes before a start code
    /// (preambles, postambles, line noise) are skipped. Returns false when more bytes are needed;
    /// <paramref name="consumed"/> then says how many leading bytes can be dropped already.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> buffer, out Pn532Frame frame, out int consumed)
    {
        var offset = 0;
        while (true)
        {
            var found = TryDecodeAt(buffer[offset..], out frame, out var used);
            if (used < 0)
            {
                // A 00 FF that is not a frame header (its length checksum is wrong): look again after it.
                offset += -used;
                continue;
            }

            consumed = offset + used;
            return found;
        }
    }

    // used < 0: skip that many bytes and try again.
    private static bool TryDecodeAt(ReadOnlySpan<byte> buffer, out Pn532Frame frame, out int used)
    {
        frame = default;
        var start = buffer.IndexOf([(byte)0x00, (byte)0xFF]);
        if (start < 0)
        {
            // Keep a trailing 00 that may be the first half of a start code.
            used = buffer.Length > 0 && buffer[^1] == 0x00 ? buffer.Length - 1 : buffer.Length;
            return false;
        }

        used = start;
        var p = buffer[(start + 2)..];
        if (p.Length < 2)
        {
            return false;
        }

        if (p[0] == 0x00 && p[1] == 0xFF)
        {
            frame = new Pn532Frame(Pn532FrameKind.Ack, 0, []);
            used = start + 4;
            return true;
        }

        if (p[0] == 0xFF && p[1] == 0x00)
        {
            frame = new Pn532Frame(Pn532FrameKind.Nack, 0, []);
            used = start + 4;
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
            header = 5;
            if ((byte)(p[2] + p[3] + p[4]) != 0)
            {
                used = -(start + 2);
                return false;
            }
        }
        else
        {
            length = p[0];
            header = 2;
            if ((byte)(p[0] + p[1]) != 0)
            {
                used = -(start + 2);
                return false;
            }
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

        used = start + 2 + header + length + 1;
        if ((byte)(sum + p[header + length]) != 0 || length < 1)
        {
            frame = new Pn532Frame(Pn532FrameKind.Corrupt, 0, []);
        }
        else if (length == 1 && body[0] == 0x7F)
        {
            frame = new Pn532Frame(Pn532FrameKind.Error, 0, []);
        }
        else if (length < 2 || body[0] != Pn532ToHost)
        {
            // Not a frame for the host (an echo of our own command, say): useless to us.
            frame = new Pn532Frame(Pn532FrameKind.Corrupt, 0, []);
        }
        else
        {
            frame = new Pn532Frame(Pn532FrameKind.Reply, body[1], body[2..].ToArray());
        }

        return true;
    }
}
