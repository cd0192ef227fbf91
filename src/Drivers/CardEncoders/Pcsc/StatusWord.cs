namespace Gateway.Drivers.CardEncoders.Pcsc;

/// <summary>
/// SW1 SW2 ending a response APDU (ISO/IEC 7816-4 §5.1.3), with the values contactless PC/SC readers
/// answer to the storage-card commands: PC/SC Part 3's generic ones and the ACS readers' 63 00
/// ("the operation failed", ACR122U API v2.04 §5, for every MIFARE command the card refused).
/// </summary>
/// <param name="Sw1">First status byte.</param>
/// <param name="Sw2">Second status byte.</param>
public readonly record struct StatusWord(byte Sw1, byte Sw2)
{
    /// <summary>90 00: done.</summary>
    public static readonly StatusWord Success = new(0x90, 0x00);

    /// <summary>62 82: end of data reached before Le bytes (GET DATA with Le beyond the UID).</summary>
    public static readonly StatusWord EndOfData = new(0x62, 0x82);

    /// <summary>63 00: the operation failed (ACS readers: wrong key, refused access, no card).</summary>
    public static readonly StatusWord OperationFailed = new(0x63, 0x00);

    /// <summary>65 81: memory failure (the write did not complete).</summary>
    public static readonly StatusWord MemoryFailure = new(0x65, 0x81);

    /// <summary>67 00: wrong length.</summary>
    public static readonly StatusWord WrongLength = new(0x67, 0x00);

    /// <summary>69 82: security status not satisfied (PC/SC Part 3 readers: authentication failed, or the block needs another).</summary>
    public static readonly StatusWord SecurityNotSatisfied = new(0x69, 0x82);

    /// <summary>69 83: authentication method blocked.</summary>
    public static readonly StatusWord AuthenticationBlocked = new(0x69, 0x83);

    /// <summary>69 86: command not allowed (no block authenticated, or key slot not usable).</summary>
    public static readonly StatusWord CommandNotAllowed = new(0x69, 0x86);

    /// <summary>69 88: key number not valid (the reader has no such key slot).</summary>
    public static readonly StatusWord KeyNumberNotValid = new(0x69, 0x88);

    /// <summary>6A 81: function not supported.</summary>
    public static readonly StatusWord FunctionNotSupported = new(0x6A, 0x81);

    /// <summary>6A 82: block not found (address beyond the card).</summary>
    public static readonly StatusWord NotFound = new(0x6A, 0x82);

    /// <summary>6B 00: wrong P1 P2.</summary>
    public static readonly StatusWord WrongParameters = new(0x6B, 0x00);

    /// <summary>6D 00: instruction not supported.</summary>
    public static readonly StatusWord InstructionNotSupported = new(0x6D, 0x00);

    /// <summary>6E 00: class not supported.</summary>
    public static readonly StatusWord ClassNotSupported = new(0x6E, 0x00);

    /// <summary>The two bytes as one number, SW1 first.</summary>
    public ushort Value => (ushort)((Sw1 << 8) | Sw2);

    /// <summary>90 00.</summary>
    public bool IsSuccess => this == Success;

    /// <summary>6C XX: wrong Le; XX is the exact length.</summary>
    public static StatusWord WrongLe(int exact) => new(0x6C, (byte)exact);

    /// <summary>"69 82 (security status not satisfied)" for messages.</summary>
    public override string ToString()
    {
        var meaning = Sw1 == 0x6C ? "wrong Le" : Value switch
        {
            0x9000 => "success",
            0x6282 => "end of data",
            0x6300 => "operation failed",
            0x6581 => "memory failure",
            0x6700 => "wrong length",
            0x6982 => "security status not satisfied",
            0x6983 => "authentication method blocked",
            0x6986 => "command not allowed",
            0x6988 => "key number not valid",
            0x6A81 => "function not supported",
            0x6A82 => "block not found",
            0x6B00 => "wrong P1 P2",
            0x6D00 => "instruction not supported",
            0x6E00 => "class not supported",
            _ => null,
        };
        return meaning is null ? $"{Sw1:X2} {Sw2:X2}" : $"{Sw1:X2} {Sw2:X2} ({meaning})";
    }
}
