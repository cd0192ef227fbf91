namespace Gateway.Drivers.CardEncoders.Layout;

/// <summary>MIFARE Classic capacities Gateway writes.</summary>
public enum MifareClassicType
{
    /// <summary>MIFARE Classic 1K: 16 sectors of 4 blocks (ATQA 0004h/0044h, SAK 08h).</summary>
    Classic1K,

    /// <summary>MIFARE Classic 4K: 32 sectors of 4 blocks then 8 of 16 (ATQA 0002h/0042h, SAK 18h).</summary>
    Classic4K,
}

/// <summary>Block geometry of MIFARE Classic (NXP MF1S50yyX §8.6, MF1S70yyX §8.6).</summary>
public static class MifareClassic
{
    /// <summary>Bytes per block.</summary>
    public const int BlockSize = 16;

    /// <summary>The factory transport key (key A and key B) of blank stock.</summary>
    public static ReadOnlySpan<byte> TransportKey => [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

    /// <summary>Number of sectors.</summary>
    public static int SectorCount(MifareClassicType type) => type == MifareClassicType.Classic1K ? 16 : 40;

    /// <summary>Number of blocks in <paramref name="sector"/> (4, or 16 for sectors 32-39 of a 4K).</summary>
    public static int BlocksInSector(int sector) => sector < 32 ? 4 : 16;

    /// <summary>Absolute number of the first block of <paramref name="sector"/>.</summary>
    public static int FirstBlock(int sector) => sector < 32 ? sector * 4 : 128 + ((sector - 32) * 16);

    /// <summary>Absolute number of the sector trailer of <paramref name="sector"/>.</summary>
    public static int TrailerBlock(int sector) => FirstBlock(sector) + BlocksInSector(sector) - 1;

    /// <summary>The sector holding absolute <paramref name="block"/>.</summary>
    public static int SectorOf(int block) => block < 128 ? block / 4 : 32 + ((block - 128) / 16);

    /// <summary>Total blocks of the card.</summary>
    public static int BlockCount(MifareClassicType type) => type == MifareClassicType.Classic1K ? 64 : 256;

    /// <summary>True for a sector trailer.</summary>
    public static bool IsTrailer(int block) => TrailerBlock(SectorOf(block)) == block;

    /// <summary>
    /// The card type from the ISO 14443-3 answer to request and select acknowledge
    /// (NXP AN10833 table 5), or null for anything that is not a MIFARE Classic 1K/4K.
    /// </summary>
    public static MifareClassicType? FromAtqaSak(ushort atqa, byte sak) => (atqa, sak) switch
    {
        (0x0004 or 0x0044, 0x08) => MifareClassicType.Classic1K,
        (0x0002 or 0x0042, 0x18) => MifareClassicType.Classic4K,
        _ => null,
    };
}
