using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Gateway.Drivers.Barriers;

namespace Gateway.Drivers.Uhppote;

/// <summary>What a door's Wiegand reader outputs for a MIFARE card.</summary>
public enum WiegandFormat
{
    /// <summary>Wiegand-34: 32 bits of the UID, shown by the board as one number.</summary>
    W34,

    /// <summary>Wiegand-26: 24 bits of the UID, an 8-bit facility code and a 16-bit number, shown as facility × 100000 + number.</summary>
    W26,
}

/// <summary>In which order the reader sends the UID's bytes.</summary>
public enum UidByteOrder
{
    /// <summary>UID byte 0 (as the encoder reads it) first, as the most significant byte.</summary>
    MsbFirst,

    /// <summary>Reversed: UID byte 3 first, byte 0 least significant.</summary>
    LsbFirst,
}

/// <summary>
/// A door reader's output format: <c>w34</c>, <c>w34-lsb</c>, <c>w26</c> or <c>w26-lsb</c> in configuration
/// and on command lines (docs/uhppote.md, "Card numbers").
/// </summary>
public readonly record struct ReaderFormat(WiegandFormat Wiegand, UidByteOrder ByteOrder)
{
    /// <summary>Wiegand-34, UID byte 0 first: the default.</summary>
    public static ReaderFormat Default => new(WiegandFormat.W34, UidByteOrder.MsbFirst);

    /// <summary>Parses <c>w34</c>, <c>w34-lsb</c>, <c>w26</c> or <c>w26-lsb</c> (case-insensitive; <c>-msb</c> may be written).</summary>
    public static bool TryParse(string? text, out ReaderFormat format)
    {
        format = Default;
        var parts = (text ?? string.Empty).Trim().ToLowerInvariant().Split('-');
        WiegandFormat? wiegand = parts[0] switch
        {
            "w34" => WiegandFormat.W34,
            "w26" => WiegandFormat.W26,
            _ => null,
        };
        UidByteOrder? order = parts.Length switch
        {
            1 => UidByteOrder.MsbFirst,
            2 when parts[1] == "msb" => UidByteOrder.MsbFirst,
            2 when parts[1] == "lsb" => UidByteOrder.LsbFirst,
            _ => null,
        };
        if (wiegand is null || order is null)
        {
            return false;
        }

        format = new ReaderFormat(wiegand.Value, order.Value);
        return true;
    }

    /// <exception cref="FormatException">Not one of w34, w34-lsb, w26, w26-lsb.</exception>
    public static ReaderFormat Parse(string text) => TryParse(text, out var format)
        ? format
        : throw new FormatException($"'{text}' is not a reader format (w34, w34-lsb, w26 or w26-lsb)");

    public override string ToString() => (Wiegand == WiegandFormat.W34 ? "w34" : "w26") + (ByteOrder == UidByteOrder.LsbFirst ? "-lsb" : string.Empty);
}

/// <summary>
/// Card numbers as a board matches them: derived from a card's UID by the door reader's format, and
/// the numbers a board cannot store (docs/uhppote.md, "Card numbers").
/// </summary>
public static class CardNumbers
{
    /// <summary>Largest facility code of Wiegand-26.</summary>
    public const int MaxFacility = 255;

    /// <summary>Largest number within a facility of Wiegand-26.</summary>
    public const int MaxW26Number = 65_535;

    /// <summary>
    /// False for 0 (an empty record), 0xFFFFFFFF (a deleted record) and 0x00FFFFFF, which the boards
    /// cannot hold (uhppote-core <c>uhppote/put_card.go</c>).
    /// </summary>
    public static bool IsStorable(uint number) => number is not (0 or 0xFFFFFFFF or 0x00FFFFFF);

    /// <summary>True when <paramref name="number"/> reads as facility × 100000 + number with facility 0-255 and number 0-65535.</summary>
    public static bool IsWiegand26(uint number) => number / 100_000 <= MaxFacility && number % 100_000 <= MaxW26Number;

    /// <summary>
    /// The card number a reader of <paramref name="format"/> outputs for <paramref name="uid"/>: the
    /// first 4 bytes of the UID in the reader's byte order as a 32-bit number (W34), or the low 24 bits
    /// of that number as facility (high 8 bits) × 100000 + number (low 16 bits) (W26).
    /// </summary>
    /// <exception cref="ArgumentException">The result is a number a board cannot store; the message says which.</exception>
    public static uint FromUid(CardUid uid, ReaderFormat format) =>
        TryFromUid(uid, format, out var number, out var error) ? number : throw new ArgumentException(error);

    /// <summary>As <see cref="FromUid"/>; false with a reason when the number cannot be stored.</summary>
    public static bool TryFromUid(CardUid uid, ReaderFormat format, out uint number, [NotNullWhen(false)] out string? error)
    {
        var bytes = uid.ToBytes();
        var raw = format.ByteOrder == UidByteOrder.MsbFirst
            ? ((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3]
            : ((uint)bytes[3] << 24) | ((uint)bytes[2] << 16) | ((uint)bytes[1] << 8) | bytes[0];
        number = format.Wiegand == WiegandFormat.W34
            ? raw
            : (((raw >> 16) & 0xFF) * 100_000) + (raw & 0xFFFF);
        if (IsStorable(number))
        {
            error = null;
            return true;
        }

        error = string.Create(CultureInfo.InvariantCulture, $"card {uid} reads as number {number} through a {format} reader, which a board cannot store");
        return false;
    }

    /// <summary>
    /// The other way: the UID of a card that a reader of <paramref name="format"/> outputs as
    /// <paramref name="number"/>, for a site whose boards know its cards by number only. Only Wiegand-34
    /// carries all 32 bits of a 4-byte UID, so only it can be turned back (the number's bytes in the
    /// reader's order); Wiegand-26 keeps 24 bits and leaves the first byte unknown. A card with a 7-byte UID
    /// reads through a Wiegand-34 reader as 4 of its bytes: the UID found is then the one that reader
    /// sees, right for every door of that format and wrong for a reader that sees the whole UID.
    /// </summary>
    public static bool TryToUid(uint number, ReaderFormat format, out CardUid uid, [NotNullWhen(false)] out string? error)
    {
        uid = default;
        if (!IsStorable(number))
        {
            error = string.Create(CultureInfo.InvariantCulture, $"{number} is not a card number a board can hold");
            return false;
        }

        if (format.Wiegand != WiegandFormat.W34)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"a {format} reader outputs 24 of a UID's 32 bits, so card number {number} does not tell the card's UID");
            return false;
        }

        byte[] bytes = [(byte)(number >> 24), (byte)(number >> 16), (byte)(number >> 8), (byte)number];
        if (format.ByteOrder == UidByteOrder.LsbFirst)
        {
            Array.Reverse(bytes);
        }

        uid = CardUid.FromBytes(bytes);
        error = null;
        return true;
    }

    /// <summary>"10058400" for W34; "10058400 (facility 100, number 58400)" for a Wiegand-26 number.</summary>
    public static string Describe(uint number, WiegandFormat format) =>
        format == WiegandFormat.W26 && IsWiegand26(number)
            ? string.Create(CultureInfo.InvariantCulture, $"{number} (facility {number / 100_000}, number {number % 100_000})")
            : number.ToString(CultureInfo.InvariantCulture);
}
