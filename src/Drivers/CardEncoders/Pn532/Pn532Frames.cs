namespace Gateway.Drivers.CardEncoders.Pn532;

/// <summary>What a frame on a PN532 HSU line turned out to be (NXP PN532 User Manual UM0701-02 §6.2.1).</summary>
public enum Pn532FrameKind
{
    /// <summary>ACK <c>00 00 FF 00 FF 00</c> (§6.2.1.3): from the PN532, the command was received; from the host, abort the command in progress.</summary>
    Ack,

    /// <summary>NACK <c>00 00 FF FF 00 00</c> (§6.2.1.4): send the last reply again.</summary>
    Nack,

    /// <summary>The application error frame <c>00 00 FF 01 FF 7F 81 00</c> (§6.2.1.5): a syntax error in the command.</summary>
    Error,

    /// <summary>A normal or extended information frame: <see cref="Pn532Frame.Tfi"/> says its direction.</summary>
    Information,

    /// <summary>A frame whose data checksum is wrong, or too short to carry a code: consumed, so that the reader can ask again.</summary>
    Corrupt,
}

/// <summary>
/// One decoded frame. <see cref="Data"/> is a slice of the buffer that was decoded: copy it before
/// that buffer changes.
/// </summary>
public readonly ref struct Pn532Frame
{
    public Pn532Frame(Pn532FrameKind kind, byte tfi = 0, byte code = 0, ReadOnlySpan<byte> data = default)
    {
        Kind = kind;
        Tfi = tfi;
        Code = code;
        Data = data;
    }

    public Pn532FrameKind Kind { get; }

    /// <summary>Frame identifier of an information frame: <see cref="Pn532Frames.HostToPn532"/> (a command) or <see cref="Pn532Frames.Pn532ToHost"/> (a reply).</summary>
    public byte Tfi { get; }

    /// <summary>The command code (from the host) or the reply code, the command's plus one (from the PN532).</summary>
    public byte Code { get; }

    /// <summary>The parameters after the code.</summary>
    public ReadOnlySpan<byte> Data { get; }
}

/// <summary>
/// The PN532 HSU frame format (UM0701-02 §6.2.1), both directions, used by Gateway's driver and by
/// the PN532 simulator alike: normal information frames <c>00 00 FF LEN LCS TFI PD0…PDn DCS 00</c>,
/// extended ones <c>00 00 FF FF FF LENm LENl LCS TFI … DCS 00</c> (§6.2.1.2, more than 254 data
/// bytes), ACK, NACK and the error frame. Pure functions over spans: no I/O, no state.
/// </summary>
public static class Pn532Frames
{
    /// <summary>TFI of a frame from the host to the PN532.</summary>
    public const byte HostToPn532 = 0xD4;

    /// <summary>TFI of a frame from the PN532 to the host.</summary>
    public const byte Pn532ToHost = 0xD5;

    /// <summary>The ACK frame.</summary>
    public static ReadOnlySpan<byte> Ack => [0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00];

    /// <summary>The NACK frame.</summary>
    public static ReadOnlySpan<byte> Nack => [0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00];

    /// <summary>The error frame a PN532 sends for a command it cannot parse (§6.2.1.5).</summary>
    public static ReadOnlySpan<byte> ErrorFrame => [0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00];

    /// <summary>
    /// HSU wake-up (UM0701-02, HSU wake-up condition): 55h and idle symbols long enough for the PN532
    /// to leave power-down before the first command, which follows directly.
    /// </summary>
    public static ReadOnlySpan<byte> WakeUp => [0x55, 0x55, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

    /// <summary>Bytes an information frame carrying <paramref name="dataLength"/> parameter bytes takes.</summary>
    public static int EncodedLength(int dataLength) => (2 + dataLength > 255 ? 10 : 7) + 2 + dataLength;

    /// <summary>Writes the frame of host command <paramref name="command"/> into <paramref name="destination"/>; returns its length.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="EncodedLength"/>.</exception>
    public static int WriteCommand(Span<byte> destination, byte command, ReadOnlySpan<byte> data) =>
        Write(destination, HostToPn532, command, data);

    /// <summary>Writes the PN532's reply to <paramref name="command"/> (code <paramref name="command"/> + 1) into <paramref name="destination"/>; returns its length.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="EncodedLength"/>.</exception>
    public static int WriteReply(Span<byte> destination, byte command, ReadOnlySpan<byte> data) =>
        Write(destination, Pn532ToHost, (byte)(command + 1), data);

    /// <summary>The frame of host command <paramref name="command"/>.</summary>
    public static byte[] EncodeCommand(byte command, ReadOnlySpan<byte> data)
    {
        var frame = new byte[EncodedLength(data.Length)];
        WriteCommand(frame, command, data);
        return frame;
    }

    /// <summary>The PN532's reply to <paramref name="command"/>: a normal frame, or an extended one when TFI, code and data exceed 255 bytes.</summary>
    public static byte[] EncodeReply(byte command, ReadOnlySpan<byte> data)
    {
        var frame = new byte[EncodedLength(data.Length)];
        WriteReply(frame, command, data);
        return frame;
    }

    /// <summary>
    /// Finds the next frame in <paramref name="buffer"/>. Bytes before a start code (preambles,
    /// postambles, the wake-up sequence, line noise) are skipped, and so is a <c>00 FF</c> whose length
    /// checksum is wrong. Returns false when more bytes are needed; <paramref name="consumed"/> then
    /// says how many leading bytes can be dropped already (a trailing <c>00</c> is kept: it may start
    /// a start code). Never throws: a damaged frame is <see cref="Pn532FrameKind.Corrupt"/>.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> buffer, out Pn532Frame frame, out int consumed)
    {
        var offset = 0;
        while (true)
        {
            var found = TryDecodeAt(buffer[offset..], out frame, out var used);
            if (used < 0)
            {
                // A 00 FF that is not a frame header: look again after it.
                offset += -used;
                continue;
            }

            consumed = offset + used;
            return found;
        }
    }

    private static int Write(Span<byte> destination, byte tfi, byte code, ReadOnlySpan<byte> data)
    {
        var length = 2 + data.Length; // TFI, code, data
        var total = EncodedLength(data.Length);
        if (destination.Length < total)
        {
            throw new ArgumentException($"a frame of {data.Length} data bytes takes {total} bytes", nameof(destination));
        }

        var i = 0;
        destination[i++] = 0x00; // preamble
        destination[i++] = 0x00; // start code
        destination[i++] = 0xFF;
        if (length > 255)
        {
            // 03-07 extended: FF FF, LENm, LENl, LCS over both length bytes
            destination[i++] = 0xFF;
            destination[i++] = 0xFF;
            destination[i++] = (byte)(length >> 8);
            destination[i++] = (byte)length;
            destination[i++] = (byte)(0x100 - (byte)((length >> 8) + length));
        }
        else
        {
            // 03 LEN, 04 LCS: LEN + LCS = 0 (mod 256)
            destination[i++] = (byte)length;
            destination[i++] = (byte)(0x100 - length);
        }

        var bodyStart = i;
        destination[i++] = tfi;
        destination[i++] = code;
        data.CopyTo(destination[i..]);
        i += data.Length;
        byte sum = 0;
        foreach (var b in destination[bodyStart..i])
        {
            sum += b;
        }

        destination[i++] = (byte)(0x100 - sum); // DCS: TFI + data + DCS = 0 (mod 256)
        destination[i++] = 0x00; // postamble
        return i;
    }

    // used < 0: skip that many bytes and try again.
    private static bool TryDecodeAt(ReadOnlySpan<byte> buffer, out Pn532Frame frame, out int used)
    {
        frame = default;
        var start = buffer.IndexOf([(byte)0x00, (byte)0xFF]);
        if (start < 0)
        {
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
            frame = new Pn532Frame(Pn532FrameKind.Ack);
            used = start + 4;
            return true;
        }

        if (p[0] == 0xFF && p[1] == 0x00)
        {
            frame = new Pn532Frame(Pn532FrameKind.Nack);
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
            frame = new Pn532Frame(Pn532FrameKind.Corrupt);
        }
        else if (length == 1 && body[0] == 0x7F)
        {
            frame = new Pn532Frame(Pn532FrameKind.Error);
        }
        else if (length < 2)
        {
            frame = new Pn532Frame(Pn532FrameKind.Corrupt);
        }
        else
        {
            frame = new Pn532Frame(Pn532FrameKind.Information, body[0], body[1], body[2..]);
        }

        return true;
    }
}
