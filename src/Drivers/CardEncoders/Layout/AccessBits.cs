namespace Gateway.Drivers.CardEncoders.Layout;

/// <summary>
/// The access conditions of a MIFARE Classic sector: bits C1 C2 C3 for each of the four block
/// groups (group 3 is the trailer), stored in trailer bytes 6-8 with their inverses
/// (MF1S50yyX §8.7.1). A trailer whose inverses do not match locks its sector for good, so every
/// trailer Gateway writes is built here and checked with <see cref="IsConsistent"/> first.
/// </summary>
public readonly record struct AccessBits(byte Group0, byte Group1, byte Group2, byte Trailer)
{
    /// <summary>
    /// Blank stock: data blocks 000 (key A or B read and write), trailer 001 (key A writes keys
    /// and access bits, key B readable): bytes FF 07 80.
    /// </summary>
    public static AccessBits Transport => new(0b000, 0b000, 0b000, 0b001);

    /// <summary>
    /// An issued Gateway card: data blocks 100 (read with A or B, write with B only), trailer 011
    /// (key A never readable; key B writes keys and access bits; access bits readable with A or B;
    /// key B never readable): bytes 78 77 88.
    /// </summary>
    public static AccessBits Issued => new(0b100, 0b100, 0b100, 0b011);

    /// <summary>Bits C1 C2 C3 (as 0bC1C2C3) of block group 0-3.</summary>
    public byte this[int group] => group switch
    {
        0 => Group0,
        1 => Group1,
        2 => Group2,
        3 => Trailer,
        _ => throw new ArgumentOutOfRangeException(nameof(group)),
    };

    /// <summary>Encodes trailer bytes 6, 7 and 8.</summary>
    public byte[] Encode()
    {
        int c1 = 0, c2 = 0, c3 = 0;
        for (var g = 0; g < 4; g++)
        {
            var bits = this[g];
            c1 |= ((bits >> 2) & 1) << g;
            c2 |= ((bits >> 1) & 1) << g;
            c3 |= (bits & 1) << g;
        }

        return
        [
            (byte)(((~c2 & 0xF) << 4) | (~c1 & 0xF)), // byte 6: /C2 /C1
            (byte)((c1 << 4) | (~c3 & 0xF)),            // byte 7: C1 /C3
            (byte)((c3 << 4) | c2),                     // byte 8: C3 C2
        ];
    }

    /// <summary>True when bytes 6-8 carry each bit and its inverse, as the chip requires.</summary>
    public static bool IsConsistent(ReadOnlySpan<byte> bytes6To8) =>
        bytes6To8.Length >= 3
        && (bytes6To8[0] & 0xF) == (~(bytes6To8[1] >> 4) & 0xF)
        && (bytes6To8[0] >> 4) == (~bytes6To8[2] & 0xF)
        && (bytes6To8[1] & 0xF) == (~(bytes6To8[2] >> 4) & 0xF);

    /// <summary>Decodes trailer bytes 6-8; false when they are inconsistent.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes6To8, out AccessBits bits)
    {
        bits = default;
        if (!IsConsistent(bytes6To8))
        {
            return false;
        }

        var c1 = bytes6To8[1] >> 4;
        var c2 = bytes6To8[2] & 0xF;
        var c3 = bytes6To8[2] >> 4;
        byte Group(int g) => (byte)((((c1 >> g) & 1) << 2) | (((c2 >> g) & 1) << 1) | ((c3 >> g) & 1));
        bits = new AccessBits(Group(0), Group(1), Group(2), Group(3));
        return true;
    }

    /// <summary>
    /// Builds a 16-byte sector trailer: key A, access bytes, general-purpose byte 69h, key B.
    /// </summary>
    public static byte[] BuildTrailer(ReadOnlySpan<byte> keyA, AccessBits access, ReadOnlySpan<byte> keyB)
    {
        if (keyA.Length != 6 || keyB.Length != 6)
        {
            throw new ArgumentException("MIFARE Classic keys are 6 bytes");
        }

        var trailer = new byte[MifareClassic.BlockSize];
        keyA.CopyTo(trailer);
        access.Encode().CopyTo(trailer.AsSpan(6));
        trailer[9] = 0x69;
        keyB.CopyTo(trailer.AsSpan(10));
        if (!IsConsistent(trailer.AsSpan(6, 3)))
        {
            // Unreachable with Encode(); kept because a wrong trailer bricks the sector.
            throw new InvalidOperationException("refusing to build a sector trailer with inconsistent access bits");
        }

        return trailer;
    }
}
