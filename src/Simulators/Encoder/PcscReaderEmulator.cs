using Gateway.Drivers.CardEncoders.Layout;
using Gateway.Drivers.CardEncoders.Pcsc;

namespace Gateway.Simulators.Encoder;

/// <summary>
/// A contactless PC/SC reader built as the ACR122U is: a PN532 behind a USB CCID interface, whose
/// firmware answers the PC/SC Part 3 storage-card commands by sending PN532 commands to the card
/// (ACR122U API v2.04 §3-5). Here the PN532 is the simulator's <see cref="Pn532Emulator"/>, so the
/// cards, the tear and stall faults and the command counts are the same as on the serial PN532.
/// Not thread-safe: the vpcd connection serialises calls.
/// </summary>
/// <remarks>
/// What it answers, as the ACR122U documents: GET DATA (FF CA 00 00 Le: the UID; 6C XX when Le is
/// short, 62 82 when Le is long; P1 = 01, the ATS, is 6A 81 for a MIFARE Classic); LOAD KEYS into
/// the two volatile slots 00h and 01h (key structure 00h only); GENERAL AUTHENTICATE and the
/// obsolete FF 88 form; READ BINARY and UPDATE BINARY of one 16-byte block. Every MIFARE command the
/// card refuses (wrong key, access conditions, a halted card, no card) answers 63 00, the ACR122U's
/// "operation failed"; an unknown pseudo-APDU answers 6A 81, another class 6E 00.
/// </remarks>
public sealed class PcscReaderEmulator
{
    private readonly Pn532Emulator _pn532;
    private readonly byte[]?[] _keySlots = new byte[2][];
    private Target? _target;
    private bool _powered;
    private long _apdus;
    private TimeSpan _cardTime;

    /// <param name="pn532">The PN532 inside the reader, with its field of cards.</param>
    public PcscReaderEmulator(Pn532Emulator pn532)
    {
        _pn532 = pn532;
        // RFConfiguration MaxRetries: one passive activation retry, so a look for a card answers at once.
        _pn532.Handle(0x32, [0x05, 0xFF, 0x01, 0x01]);
    }

    /// <summary>The PN532 and its field.</summary>
    public Pn532Emulator Pn532 => _pn532;

    /// <summary>Command APDUs answered since start.</summary>
    public long ApduCount => Interlocked.Read(ref _apdus);

    /// <summary>The UID (hex) of the card the reader has activated, or null.</summary>
    public string? ActiveUid => Volatile.Read(ref _target)?.UidHex;

    /// <summary>The ATR of the activated card, or null when none is.</summary>
    public byte[]? Atr => Volatile.Read(ref _target)?.Atr;

    /// <summary>
    /// The card's time (<see cref="Pn532Emulator.Timing"/>: selection, authentication, read, write) spent
    /// by the commands since the last call, which the reader takes before it answers; resets it.
    /// </summary>
    public TimeSpan TakeCardTime()
    {
        var time = _cardTime;
        _cardTime = TimeSpan.Zero;
        return time;
    }

    /// <summary>True while the activated card is still in the field.</summary>
    public bool ActiveCardInField => ActiveUid is { } uid && _pn532.InField().Any(c => string.Equals(Convert.ToHexString(c.Uid), uid, StringComparison.Ordinal));

    /// <summary>
    /// Looks for a card and activates it (InListPassiveTarget, one target, 106 kbps type A), as the
    /// reader does when a card enters the field and at every power-on or reset: the card answers again,
    /// unauthenticated. Returns its ATR, or null when the field is empty.
    /// </summary>
    public byte[]? Activate()
    {
        var reply = ToPn532(0x4A, [0x01, 0x00]);
        if (reply is not { Length: > 6 } || reply[0] == 0)
        {
            Volatile.Write(ref _target, null);
            _powered = false;
            return null;
        }

        // Tg, ATQA (2), SAK, UID length, UID.
        var atqa = (ushort)((reply[2] << 8) | reply[3]);
        var sak = reply[4];
        var uid = reply.AsSpan(6, reply[5]).ToArray();
        var type = MifareClassic.FromAtqaSak(atqa, sak);
        var atr = type is { } t ? StorageCardAtr.Build(t) : StorageCardAtr.Build(StorageCardAtr.Iso14443APart3, 0x0000);
        Volatile.Write(ref _target, new Target(uid, Convert.ToHexString(uid), atr));
        _powered = true;
        return atr;
    }

    /// <summary>
    /// Power off: the card is released (InRelease) and answers no command until the next
    /// <see cref="Activate"/>; the reader still sees it in the field.
    /// </summary>
    public void PowerOff()
    {
        _pn532.Handle(0x52, [0x00]);
        _powered = false;
    }

    /// <summary>Answers one command APDU with a response APDU (data, SW1 SW2).</summary>
    public byte[] Transmit(ReadOnlySpan<byte> apdu)
    {
        Interlocked.Increment(ref _apdus);
        if (!StorageCardApdu.TryDecode(apdu, out var command))
        {
            return Status(StatusWord.WrongLength);
        }

        if (apdu[0] != StorageCardApdu.Class)
        {
            return Status(StatusWord.ClassNotSupported);
        }

        var target = _powered ? Volatile.Read(ref _target) : null;
        return command.Kind switch
        {
            StorageCardCommandKind.GetUid => GetUid(command, target),
            StorageCardCommandKind.LoadKey => LoadKey(command),
            StorageCardCommandKind.Authenticate => Authenticate(command, target),
            StorageCardCommandKind.ReadBinary => ReadBinary(command, target),
            StorageCardCommandKind.UpdateBinary => UpdateBinary(command, target),
            _ => Status(StatusWord.FunctionNotSupported),
        };
    }

    private static byte[] Status(StatusWord status) => [status.Sw1, status.Sw2];

    // One command to the reader's PN532; the card's time for it is added to what TakeCardTime returns.
    private byte[]? ToPn532(byte command, ReadOnlySpan<byte> data)
    {
        var reply = _pn532.Handle(command, data, out var cardTime);
        _cardTime += cardTime;
        return reply;
    }

    private static byte[] GetUid(StorageCardCommand command, Target? target)
    {
        if (command.P1 != 0x00)
        {
            return Status(StatusWord.FunctionNotSupported);
        }

        if (target is null)
        {
            return Status(StatusWord.OperationFailed);
        }

        var uid = target.Uid;
        return command.Le switch
        {
            256 => [.. uid, 0x90, 0x00],
            var le when le < uid.Length => Status(StatusWord.WrongLe(uid.Length)),
            var le when le > uid.Length => [.. uid, 0x62, 0x82],
            _ => [.. uid, 0x90, 0x00],
        };
    }

    private byte[] LoadKey(StorageCardCommand command)
    {
        if (command.P1 != 0x00 || command.KeyNumber >= _keySlots.Length)
        {
            return Status(StatusWord.OperationFailed);
        }

        _keySlots[command.KeyNumber] = command.Data;
        return Status(StatusWord.Success);
    }

    private byte[] Authenticate(StorageCardCommand command, Target? target)
    {
        if (target is null || command.KeyNumber >= _keySlots.Length || _keySlots[command.KeyNumber] is not { } key
            || command.KeyType is not (StorageCardApdu.KeyTypeA or StorageCardApdu.KeyTypeB) || command.Block is < 0 or > 255)
        {
            return Status(StatusWord.OperationFailed);
        }

        var reply = ToPn532(0x40, [0x01, command.KeyType, (byte)command.Block, .. key, .. target.Uid.AsSpan(target.Uid.Length - 4)]);
        return Status(reply is [0x00, ..] ? StatusWord.Success : StatusWord.OperationFailed);
    }

    private byte[] ReadBinary(StorageCardCommand command, Target? target)
    {
        if (target is null || command.Le != MifareClassic.BlockSize || command.Block is < 0 or > 255)
        {
            return Status(StatusWord.OperationFailed);
        }

        var reply = ToPn532(0x40, [0x01, 0x30, (byte)command.Block]);
        return reply is { Length: 1 + MifareClassic.BlockSize } && reply[0] == 0x00
            ? [.. reply.AsSpan(1), 0x90, 0x00]
            : Status(StatusWord.OperationFailed);
    }

    private byte[] UpdateBinary(StorageCardCommand command, Target? target)
    {
        if (target is null || command.Data.Length != MifareClassic.BlockSize || command.Block is < 0 or > 255)
        {
            return Status(StatusWord.OperationFailed);
        }

        var reply = ToPn532(0x40, [0x01, 0xA0, (byte)command.Block, .. command.Data]);
        return Status(reply is [0x00, ..] ? StatusWord.Success : StatusWord.OperationFailed);
    }

    private sealed record Target(byte[] Uid, string UidHex, byte[] Atr);
}
