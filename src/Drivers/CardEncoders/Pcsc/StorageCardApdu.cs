using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;

namespace Gateway.Drivers.CardEncoders.Pcsc;

/// <summary>The storage-card commands Gateway uses.</summary>
public enum StorageCardCommandKind
{
    /// <summary>Not one of the commands below (another class or instruction, or malformed).</summary>
    Other,

    /// <summary>GET DATA, P1 = 00: the card's UID (FF CA 00 00 Le).</summary>
    GetUid,

    /// <summary>LOAD KEYS: a key into a reader key slot (FF 82 structure number 06 key).</summary>
    LoadKey,

    /// <summary>GENERAL AUTHENTICATE (FF 86 00 00 05 01 00 block type number), or the older form FF 88 00 block type number.</summary>
    Authenticate,

    /// <summary>READ BINARY of one block (FF B0 00 block 10).</summary>
    ReadBinary,

    /// <summary>UPDATE BINARY of one block (FF D6 00 block 10 data).</summary>
    UpdateBinary,
}

/// <summary>A storage-card command APDU, decoded.</summary>
/// <param name="Kind">Which command.</param>
/// <param name="P1">P1 as sent (GET DATA: 00 UID, 01 ATS; LOAD KEYS: key structure).</param>
/// <param name="Block">The block addressed (authenticate, read, update), else -1.</param>
/// <param name="KeyType">60h key A or 61h key B (authenticate), else 0.</param>
/// <param name="KeyNumber">The reader key slot (load key: P2; authenticate: the slot used).</param>
/// <param name="Le">Expected response length (0 when absent; a sent 00 means 256).</param>
/// <param name="Data">The command data (the key of LOAD KEYS, the block of UPDATE BINARY).</param>
public sealed record StorageCardCommand(StorageCardCommandKind Kind, byte P1, int Block, byte KeyType, byte KeyNumber, int Le, byte[] Data);

/// <summary>
/// The PC/SC Part 3 storage-card commands (class FFh pseudo-APDUs that a contactless reader
/// interprets itself) for MIFARE Classic, as PC/SC Part 3 §3.2.2.1 defines them and the readers'
/// manuals document them (ACR122U API v2.04 §4.1 and §5.1-5.4). Pure: encoders write into a span and
/// return the length; <see cref="TryDecode"/> reads a command for the simulator.
/// </summary>
public static class StorageCardApdu
{
    /// <summary>The class of every pseudo-APDU.</summary>
    public const byte Class = 0xFF;

    /// <summary>GET DATA.</summary>
    public const byte GetData = 0xCA;

    /// <summary>LOAD KEYS.</summary>
    public const byte LoadKeys = 0x82;

    /// <summary>GENERAL AUTHENTICATE.</summary>
    public const byte GeneralAuthenticate = 0x86;

    /// <summary>AUTHENTICATE (PC/SC 2.01, obsolete but still answered by ACS readers).</summary>
    public const byte AuthenticateObsolete = 0x88;

    /// <summary>READ BINARY.</summary>
    public const byte ReadBinary = 0xB0;

    /// <summary>UPDATE BINARY.</summary>
    public const byte UpdateBinary = 0xD6;

    /// <summary>MIFARE key A, as GENERAL AUTHENTICATE names it.</summary>
    public const byte KeyTypeA = 0x60;

    /// <summary>MIFARE key B.</summary>
    public const byte KeyTypeB = 0x61;

    /// <summary>Bytes of the longest command Gateway sends (UPDATE BINARY of one block).</summary>
    public const int MaxCommandLength = 5 + MifareClassic.BlockSize;

    /// <summary>Bytes of the longest response Gateway expects (a block and SW1 SW2), with room for a reader that sends more.</summary>
    public const int MaxResponseLength = 258;

    /// <summary>FF CA 00 00 00: the UID of the card in the field, whatever its length.</summary>
    public static int WriteGetUid(Span<byte> destination)
    {
        ReadOnlySpan<byte> command = [Class, GetData, 0x00, 0x00, 0x00];
        command.CopyTo(destination);
        return command.Length;
    }

    /// <summary>FF 82 structure number 06 key: a 6-byte key into the reader's key slot <paramref name="keyNumber"/>.</summary>
    /// <param name="destination">At least 11 bytes.</param>
    /// <param name="keyStructure">P1: 00h = the reader's volatile memory (ACR122U: the only value allowed).</param>
    /// <param name="keyNumber">P2: the key slot (ACR122U: 00h or 01h).</param>
    /// <param name="key">The 6-byte MIFARE key.</param>
    public static int WriteLoadKey(Span<byte> destination, byte keyStructure, byte keyNumber, ReadOnlySpan<byte> key)
    {
        if (key.Length != 6)
        {
            throw new ArgumentException("a MIFARE Classic key is 6 bytes", nameof(key));
        }

        destination[0] = Class;         // 00 CLA
        destination[1] = LoadKeys;      // 01 INS
        destination[2] = keyStructure;  // 02 P1 key structure
        destination[3] = keyNumber;     // 03 P2 key number
        destination[4] = 6;             // 04 Lc
        key.CopyTo(destination[5..]);   // 05-10 key
        return 11;
    }

    /// <summary>FF 86 00 00 05 01 00 block type number: authenticates the sector of <paramref name="block"/> with the key in slot <paramref name="keyNumber"/>.</summary>
    /// <param name="destination">At least 10 bytes.</param>
    /// <param name="block">Absolute block number (0-255).</param>
    /// <param name="slot">Key A (60h) or key B (61h).</param>
    /// <param name="keyNumber">The reader key slot loaded before.</param>
    public static int WriteGeneralAuthenticate(Span<byte> destination, int block, MifareKeySlot slot, byte keyNumber)
    {
        destination[0] = Class;                 // 00 CLA
        destination[1] = GeneralAuthenticate;   // 01 INS
        destination[2] = 0x00;                  // 02 P1
        destination[3] = 0x00;                  // 03 P2
        destination[4] = 5;                     // 04 Lc
        destination[5] = 0x01;                  // 05 version 1
        destination[6] = 0x00;                  // 06 block number MSB
        destination[7] = Block(block);          // 07 block number LSB
        destination[8] = slot == MifareKeySlot.A ? KeyTypeA : KeyTypeB; // 08 key type
        destination[9] = keyNumber;             // 09 key number
        return 10;
    }

    /// <summary>FF B0 00 block 10: the 16 bytes of one block of the authenticated sector.</summary>
    public static int WriteReadBinary(Span<byte> destination, int block)
    {
        destination[0] = Class;
        destination[1] = ReadBinary;
        destination[2] = 0x00;                      // P1: block number MSB
        destination[3] = Block(block);              // P2: block number LSB
        destination[4] = MifareClassic.BlockSize;   // Le
        return 5;
    }

    /// <summary>FF D6 00 block 10 data: writes the 16 bytes of <paramref name="data"/> to one block of the authenticated sector.</summary>
    public static int WriteUpdateBinary(Span<byte> destination, int block, ReadOnlySpan<byte> data)
    {
        if (data.Length != MifareClassic.BlockSize)
        {
            throw new ArgumentException("a MIFARE Classic block is 16 bytes", nameof(data));
        }

        destination[0] = Class;
        destination[1] = UpdateBinary;
        destination[2] = 0x00;
        destination[3] = Block(block);
        destination[4] = MifareClassic.BlockSize;   // Lc
        data.CopyTo(destination[5..]);
        return 5 + MifareClassic.BlockSize;
    }

    /// <summary>Splits a response APDU into its data and SW1 SW2; false when it is shorter than the two status bytes.</summary>
    public static bool TryParseResponse(ReadOnlySpan<byte> response, out ReadOnlySpan<byte> data, out StatusWord status)
    {
        if (response.Length < 2)
        {
            data = default;
            status = default;
            return false;
        }

        data = response[..^2];
        status = new StatusWord(response[^2], response[^1]);
        return true;
    }

    /// <summary>
    /// Decodes one command APDU (short form, ISO/IEC 7816-3 §12.1 cases 1-4) as a storage-card command.
    /// False only when it is shorter than a header; a command Gateway does not know, or a known one with
    /// a malformed body, decodes as <see cref="StorageCardCommandKind.Other"/>.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> apdu, out StorageCardCommand command)
    {
        command = new StorageCardCommand(StorageCardCommandKind.Other, 0, -1, 0, 0, 0, []);
        if (apdu.Length < 4)
        {
            return false;
        }

        byte ins = apdu[1], p1 = apdu[2], p2 = apdu[3];
        if (apdu[0] == Class && ins == AuthenticateObsolete && apdu.Length == 6)
        {
            // FF 88 00 block type number: no Lc, the key type sits where Lc would.
            command = new StorageCardCommand(StorageCardCommandKind.Authenticate, p1, p2, apdu[4], apdu[5], 0, []);
            return true;
        }

        ReadOnlySpan<byte> data = [];
        var le = 0;
        if (apdu.Length == 5)
        {
            le = apdu[4] == 0 ? 256 : apdu[4];
        }
        else if (apdu.Length > 5)
        {
            var lc = apdu[4];
            if (apdu.Length != 5 + lc && apdu.Length != 6 + lc)
            {
                return true;
            }

            data = apdu.Slice(5, lc);
            if (apdu.Length == 6 + lc)
            {
                le = apdu[^1] == 0 ? 256 : apdu[^1];
            }
        }

        if (apdu[0] != Class)
        {
            return true;
        }

        command = (ins, data.Length) switch
        {
            (GetData, 0) when p2 == 0 => new StorageCardCommand(StorageCardCommandKind.GetUid, p1, -1, 0, 0, apdu.Length == 5 ? le : 256, []),
            (LoadKeys, 6) => new StorageCardCommand(StorageCardCommandKind.LoadKey, p1, -1, 0, p2, 0, data.ToArray()),
            (GeneralAuthenticate, 5) when data[0] == 0x01 => new StorageCardCommand(StorageCardCommandKind.Authenticate, p1, (data[1] << 8) | data[2], data[3], data[4], 0, []),
            (ReadBinary, 0) => new StorageCardCommand(StorageCardCommandKind.ReadBinary, p1, (p1 << 8) | p2, 0, 0, le, []),
            (UpdateBinary, > 0) => new StorageCardCommand(StorageCardCommandKind.UpdateBinary, p1, (p1 << 8) | p2, 0, 0, 0, data.ToArray()),
            _ => command,
        };
        return true;
    }

    private static byte Block(int block) => block is >= 0 and <= 255
        ? (byte)block
        : throw new ArgumentOutOfRangeException(nameof(block), block, "MIFARE Classic blocks are 0-255");
}
