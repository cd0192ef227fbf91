using Gateway.Drivers.CardEncoders.Layout;

namespace Gateway.Drivers.CardEncoders.Pcsc;

/// <summary>
/// The ATR a PC/SC contactless reader builds for a storage card (PC/SC Part 3 §3.1.3.2.3 and its
/// supplement; the same layout in the ACR122U API v2.04 §3.1.1 and Gemalto's Prox-DU PC/SC guide,
/// tables 15-17): <c>3B 8F 80 01 80 4F 0C A0 00 00 03 06 SS NN NN 00 00 00 00 TCK</c>, where SS is the
/// standard (03h: ISO/IEC 14443-A part 3) and NN NN the card name (00 01h MIFARE Classic 1K, 00 02h 4K).
/// </summary>
public static class StorageCardAtr
{
    /// <summary>SS for ISO/IEC 14443-A part 3 (MIFARE Classic).</summary>
    public const byte Iso14443APart3 = 0x03;

    /// <summary>Card name of MIFARE Classic 1K.</summary>
    public const ushort MifareClassic1K = 0x0001;

    /// <summary>Card name of MIFARE Classic 4K.</summary>
    public const ushort MifareClassic4K = 0x0002;

    // The PC/SC workgroup's registered application provider identifier.
    private static ReadOnlySpan<byte> PcscRid => [0xA0, 0x00, 0x00, 0x03, 0x06];

    /// <summary>The ATR of a storage card of <paramref name="standard"/> and <paramref name="cardName"/> (20 bytes, TCK included).</summary>
    public static byte[] Build(byte standard, ushort cardName)
    {
        var atr = new byte[20];
        atr[0] = 0x3B;      // TS: direct convention
        atr[1] = 0x8F;      // T0: TD1 follows, 15 historical bytes
        atr[2] = 0x80;      // TD1: TD2 follows, T=0
        atr[3] = 0x01;      // TD2: T=1
        atr[4] = 0x80;      // category indicator: COMPACT-TLV objects follow
        atr[5] = 0x4F;      // tag 4 (application identifier), length F: the length follows
        atr[6] = 0x0C;      // 12 bytes
        PcscRid.CopyTo(atr.AsSpan(7));
        atr[12] = standard;
        atr[13] = (byte)(cardName >> 8);
        atr[14] = (byte)cardName;
        // 15-18: RFU, zero
        byte tck = 0;
        for (var i = 1; i < 19; i++)
        {
            tck ^= atr[i];
        }

        atr[19] = tck;      // TCK: T0 to TCK XOR to zero
        return atr;
    }

    /// <summary>The ATR of a MIFARE Classic of <paramref name="type"/>.</summary>
    public static byte[] Build(MifareClassicType type) =>
        Build(Iso14443APart3, type == MifareClassicType.Classic1K ? MifareClassic1K : MifareClassic4K);

    /// <summary>Reads the standard and card name from a storage-card ATR; false for an ATR of another form (a processor card, ISO 14443-4).</summary>
    public static bool TryParse(ReadOnlySpan<byte> atr, out byte standard, out ushort cardName)
    {
        standard = 0;
        cardName = 0;
        if (atr.Length < 16 || atr[0] != 0x3B || (atr[1] & 0xF0) != 0x80 || atr[2] != 0x80 || atr[3] != 0x01)
        {
            return false;
        }

        var historical = atr.Slice(4, Math.Min(atr[1] & 0x0F, atr.Length - 4));
        if (historical.Length < 11 || historical[0] != 0x80 || historical[1] != 0x4F || historical[2] < 8 || !historical.Slice(3, 5).SequenceEqual(PcscRid))
        {
            return false;
        }

        standard = historical[8];
        cardName = (ushort)((historical[9] << 8) | historical[10]);
        return true;
    }

    /// <summary>MIFARE Classic 1K or 4K from an ATR, or null for any other card.</summary>
    public static MifareClassicType? TypeOf(ReadOnlySpan<byte> atr) =>
        TryParse(atr, out var standard, out var name) && standard == Iso14443APart3
            ? name switch
            {
                MifareClassic1K => MifareClassicType.Classic1K,
                MifareClassic4K => MifareClassicType.Classic4K,
                _ => null,
            }
            : null;
}
