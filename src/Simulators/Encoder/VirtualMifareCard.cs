using System.Security.Cryptography;
using Gateway.Drivers.CardEncoders.Layout;

namespace Gateway.Simulators.Encoder;

/// <summary>The outcome of one MIFARE command, as the PN532 reports it in InDataExchange's status byte.</summary>
public enum CardStatus : byte
{
    /// <summary>Done.</summary>
    Ok = 0x00,

    /// <summary>The card did not answer (absent or halted).</summary>
    Timeout = 0x01,

    /// <summary>Authentication failed, or the card refused the access (NAK); the card halts.</summary>
    AuthenticationError = 0x14,
}

/// <summary>
/// A MIFARE Classic 1K or 4K card as the chip behaves (NXP MF1S50yyX/MF1S70yyX §8.6-8.7): access
/// conditions per block group, key A never readable, key B unusable for access while it is
/// readable, a wrong key or a refused access halts the card until it is selected again, block 0
/// read-only, and a trailer written with inconsistent access bits locks its sector for good.
/// Not thread-safe: the simulator serialises access.
/// </summary>
public sealed class VirtualMifareCard
{
    private readonly byte[][] _blocks;
    private readonly HashSet<int> _lockedSectors = [];
    private int _authSector = -1;
    private MifareKeySlotUsed _authSlot;

    public VirtualMifareCard(MifareClassicType type, byte[] uid)
    {
        if (uid.Length is not (4 or 7))
        {
            throw new ArgumentException("MIFARE Classic UIDs are 4 or 7 bytes", nameof(uid));
        }

        Type = type;
        Uid = uid;
        _blocks = new byte[MifareClassic.BlockCount(type)][];
        for (var b = 0; b < _blocks.Length; b++)
        {
            _blocks[b] = new byte[MifareClassic.BlockSize];
        }

        // Block 0: UID (and BCC for a 4-byte UID), SAK, ATQA, then manufacturer data.
        uid.CopyTo(_blocks[0], 0);
        var o = uid.Length;
        if (uid.Length == 4)
        {
            _blocks[0][4] = (byte)(uid[0] ^ uid[1] ^ uid[2] ^ uid[3]);
            o = 5;
        }

        _blocks[0][o] = Sak;
        _blocks[0][o + 1] = (byte)Atqa;
        _blocks[0][o + 2] = (byte)(Atqa >> 8);
        for (var sector = 0; sector < MifareClassic.SectorCount(type); sector++)
        {
            _blocks[MifareClassic.TrailerBlock(sector)] = AccessBits.BuildTrailer(MifareClassic.TransportKey, AccessBits.Transport, MifareClassic.TransportKey);
        }
    }

    private enum MifareKeySlotUsed
    {
        A,
        B,
    }

    /// <summary>The card's UID (4 or 7 bytes).</summary>
    public byte[] Uid { get; }

    /// <summary>1K or 4K.</summary>
    public MifareClassicType Type { get; }

    /// <summary>ATQA (ISO 14443-3) for this type and UID size.</summary>
    public ushort Atqa => (Type, Uid.Length) switch
    {
        (MifareClassicType.Classic1K, 4) => 0x0004,
        (MifareClassicType.Classic1K, _) => 0x0044,
        (_, 4) => 0x0002,
        _ => 0x0042,
    };

    /// <summary>SAK: 08h for a 1K, 18h for a 4K.</summary>
    public byte Sak => Type == MifareClassicType.Classic1K ? (byte)0x08 : (byte)0x18;

    /// <summary>True after a failed authentication or refused access, until the card is selected again.</summary>
    public bool IsHalted { get; private set; }

    /// <summary>Sectors locked for good by a trailer with inconsistent access bits.</summary>
    public IReadOnlyCollection<int> LockedSectors => _lockedSectors;

    /// <summary>A random 4-byte UID (first byte not 88h, the cascade tag).</summary>
    public static byte[] RandomUid()
    {
        var uid = RandomNumberGenerator.GetBytes(4);
        if (uid[0] == 0x88)
        {
            uid[0] = 0x08;
        }

        return uid;
    }

    /// <summary>WUPA/select: the card answers again, with no authentication.</summary>
    public void Activate()
    {
        IsHalted = false;
        _authSector = -1;
    }

    /// <summary>HLTA: the card stops answering until it is activated again.</summary>
    public void Halt()
    {
        IsHalted = true;
        _authSector = -1;
    }

    /// <summary>A copy of the whole memory, keys included (the simulator's control API shows it for assertions).</summary>
    public byte[][] Dump() => [.. _blocks.Select(b => b.ToArray())];

    /// <summary>Overwrites one block directly, as a tampering tool would (bypasses keys).</summary>
    public void Poke(int block, ReadOnlySpan<byte> data)
    {
        data.CopyTo(_blocks[block]);
    }

    /// <summary>Handles the bytes of one InDataExchange addressed to this card.</summary>
    public (CardStatus Status, byte[] Data) Execute(ReadOnlySpan<byte> command)
    {
        if (IsHalted || command.IsEmpty)
        {
            return (CardStatus.Timeout, []);
        }

        return command[0] switch
        {
            0x60 or 0x61 when command.Length == 12 => Authenticate(command[0] == 0x60 ? MifareKeySlotUsed.A : MifareKeySlotUsed.B, command[1], command.Slice(2, 6), command.Slice(8, 4)),
            0x30 when command.Length == 2 => Read(command[1]),
            0xA0 when command.Length == 18 => Write(command[1], command.Slice(2, 16)),
            _ => Refuse(),
        };
    }

    private (CardStatus, byte[]) Authenticate(MifareKeySlotUsed slot, int block, ReadOnlySpan<byte> key, ReadOnlySpan<byte> uidTail)
    {
        if (block >= _blocks.Length)
        {
            return Refuse();
        }

        var sector = MifareClassic.SectorOf(block);
        var trailer = _blocks[MifareClassic.TrailerBlock(sector)];
        var expected = slot == MifareKeySlotUsed.A ? trailer.AsSpan(0, 6) : trailer.AsSpan(10, 6);
        if (_lockedSectors.Contains(sector) || !uidTail.SequenceEqual(Uid.AsSpan(Uid.Length - 4)) || !key.SequenceEqual(expected))
        {
            return Refuse();
        }

        _authSector = sector;
        _authSlot = slot;
        return (CardStatus.Ok, []);
    }

    private (CardStatus, byte[]) Read(int block)
    {
        if (!Allowed(block, out var sector, out var bits))
        {
            return Refuse();
        }

        var data = _blocks[block].ToArray();
        if (block != MifareClassic.TrailerBlock(sector))
        {
            return Permits(DataRead(bits[Group(block)])) ? (CardStatus.Ok, data) : Refuse();
        }

        // Key A never reads back; access bits and key B only where the trailer's conditions allow.
        var t = bits.Trailer;
        data.AsSpan(0, 6).Clear();
        if (!Permits(t is 0b000 or 0b010 or 0b001 ? 'A' : 'X' /* A|B */))
        {
            data.AsSpan(6, 4).Clear();
        }

        if (!(t is 0b000 or 0b010 or 0b001 && _authSlot == MifareKeySlotUsed.A))
        {
            data.AsSpan(10, 6).Clear();
        }

        return (CardStatus.Ok, data);
    }

    private (CardStatus, byte[]) Write(int block, ReadOnlySpan<byte> data)
    {
        if (block == 0 || !Allowed(block, out var sector, out var bits))
        {
            return Refuse();
        }

        var trailerBlock = MifareClassic.TrailerBlock(sector);
        if (block != trailerBlock)
        {
            if (!Permits(DataWrite(bits[Group(block)])))
            {
                return Refuse();
            }

            data.CopyTo(_blocks[block]);
            return (CardStatus.Ok, []);
        }

        // MF1S50yyX table 7: who may write key A, the access bits and key B.
        var (keyA, access, keyB) = bits.Trailer switch
        {
            0b000 => ('A', 'N', 'A'),
            0b001 => ('A', 'A', 'A'),
            0b100 => ('B', 'N', 'B'),
            0b011 => ('B', 'B', 'B'),
            0b101 => ('N', 'B', 'N'),
            _ => ('N', 'N', 'N'),
        };
        var writeKeyA = Permits(keyA);
        var writeAccess = Permits(access);
        var writeKeyB = Permits(keyB);
        if (!writeKeyA && !writeAccess && !writeKeyB)
        {
            return Refuse();
        }

        var trailer = _blocks[trailerBlock];
        if (writeKeyA)
        {
            data[..6].CopyTo(trailer);
        }

        if (writeAccess)
        {
            data.Slice(6, 4).CopyTo(trailer.AsSpan(6));
            if (!AccessBits.IsConsistent(trailer.AsSpan(6, 3)))
            {
                // As on the chip: the sector can never be authenticated again.
                _lockedSectors.Add(sector);
            }
        }

        if (writeKeyB)
        {
            data.Slice(10, 6).CopyTo(trailer.AsSpan(10));
        }

        return (CardStatus.Ok, []);
    }

    private bool Allowed(int block, out int sector, out AccessBits bits)
    {
        bits = default;
        sector = block < _blocks.Length ? MifareClassic.SectorOf(block) : -1;
        if (sector < 0 || sector != _authSector || _lockedSectors.Contains(sector))
        {
            return false;
        }

        if (!AccessBits.TryDecode(_blocks[MifareClassic.TrailerBlock(sector)].AsSpan(6, 3), out bits))
        {
            return false;
        }

        // Key B cannot serve for access while it is readable (trailer conditions 000, 010, 001).
        return !(_authSlot == MifareKeySlotUsed.B && bits.Trailer is 0b000 or 0b010 or 0b001);
    }

    // 'A': key A only; 'B': key B only; 'X': either; 'N': never.
    private bool Permits(char who) => who switch
    {
        'X' => true,
        'A' => _authSlot == MifareKeySlotUsed.A,
        'B' => _authSlot == MifareKeySlotUsed.B,
        _ => false,
    };

    // MF1S50yyX table 8 (data blocks): read and write permissions of C1C2C3.
    private static char DataRead(byte bits) => bits switch
    {
        0b011 or 0b101 => 'B',
        0b111 => 'N',
        _ => 'X',
    };

    private static char DataWrite(byte bits) => bits switch
    {
        0b000 => 'X',
        0b100 or 0b110 or 0b011 => 'B',
        _ => 'N',
    };

    private static int Group(int block)
    {
        var offset = block - MifareClassic.FirstBlock(MifareClassic.SectorOf(block));
        return block < 128 ? offset : Math.Min(offset / 5, 3);
    }

    private (CardStatus, byte[]) Refuse()
    {
        Halt();
        return (CardStatus.AuthenticationError, []);
    }
}
