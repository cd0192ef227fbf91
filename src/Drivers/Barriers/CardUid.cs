using System.Globalization;

namespace Gateway.Drivers.Barriers;

/// <summary>
/// A card UID of 4 bytes (single-size, MIFARE Classic) or 7 bytes (double-size). Ordered as the
/// profile orders whitelist records: 4-byte UIDs before 7-byte ones, then byte by byte.
/// </summary>
public readonly struct CardUid : IEquatable<CardUid>, IComparable<CardUid>
{
    // Byte 0 = length, bytes 1-7 = UID zero-padded, as one big-endian number: the profile's sort key.
    private readonly ulong _key;

    private CardUid(ulong key)
    {
        _key = key;
    }

    /// <summary>The UID's length in bytes (4 or 7).</summary>
    public int Length => (int)(_key >> 56);

    /// <summary>The profile's sort key: length byte then the UID, zero-padded, big-endian.</summary>
    public ulong SortKey => _key;

    /// <summary>Makes a UID from 4 or 7 bytes.</summary>
    /// <exception cref="ArgumentException">Not 4 or 7 bytes.</exception>
    public static CardUid FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length is not (4 or 7))
        {
            throw new ArgumentException($"a card UID has 4 or 7 bytes, not {bytes.Length}", nameof(bytes));
        }

        ulong key = (ulong)bytes.Length << 56;
        for (var i = 0; i < bytes.Length; i++)
        {
            key |= (ulong)bytes[i] << (48 - (8 * i));
        }

        return new CardUid(key);
    }

    /// <summary>Parses 8 or 14 hex digits (separators ':' '-' ' ' allowed).</summary>
    /// <exception cref="FormatException">Not a 4- or 7-byte hex UID.</exception>
    public static CardUid Parse(string text) =>
        TryParse(text, out var uid) ? uid : throw new FormatException($"'{text}' is not a card UID (8 or 14 hex digits)");

    /// <summary>Parses 8 or 14 hex digits (separators ':' '-' ' ' allowed).</summary>
    public static bool TryParse(string? text, out CardUid uid)
    {
        uid = default;
        if (text is null)
        {
            return false;
        }

        var digits = text.Replace(":", string.Empty, StringComparison.Ordinal)
            .Replace("-", string.Empty, StringComparison.Ordinal)
            .Replace(" ", string.Empty, StringComparison.Ordinal);
        if (digits.Length is not (8 or 14))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[7];
        for (var i = 0; i < digits.Length / 2; i++)
        {
            if (!byte.TryParse(digits.AsSpan(2 * i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i]))
            {
                return false;
            }
        }

        uid = FromBytes(bytes[..(digits.Length / 2)]);
        return true;
    }

    /// <summary>Reads a UID field (4 registers). False when the length is not 4 or 7, the padding is not zero or flag bits other than <paramref name="allowedFlags"/> are set.</summary>
    public static bool TryReadField(ReadOnlySpan<ushort> registers, byte allowedFlags, out CardUid uid, out byte flags)
    {
        uid = default;
        var key = ((ulong)registers[0] << 48) | ((ulong)registers[1] << 32) | ((ulong)registers[2] << 16) | registers[3];
        var first = (byte)(key >> 56);
        flags = (byte)(first & 0xF0);
        var length = first & 0x0F;
        if ((flags & ~allowedFlags) != 0 || length is not (4 or 7))
        {
            return false;
        }

        var uidKey = key & 0x0F_FF_FF_FF_FF_FF_FF_FFUL;
        var paddingBits = 8 * (7 - length);
        if (paddingBits > 0 && (uidKey & ((1UL << paddingBits) - 1)) != 0)
        {
            return false;
        }

        uid = new CardUid(uidKey);
        return true;
    }

    /// <summary>Writes the UID field (4 registers) with <paramref name="flags"/> in the high nibble of byte 0.</summary>
    public void WriteField(Span<ushort> registers, byte flags = 0)
    {
        var key = _key | ((ulong)(flags & 0xF0) << 56);
        registers[0] = (ushort)(key >> 48);
        registers[1] = (ushort)(key >> 32);
        registers[2] = (ushort)(key >> 16);
        registers[3] = (ushort)key;
    }

    /// <summary>The UID bytes.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(_key >> (48 - (8 * i)));
        }

        return bytes;
    }

    /// <summary>Upper-case hex without separators, e.g. 04A1B2C3.</summary>
    public override string ToString() => Convert.ToHexString(ToBytes());

    public bool Equals(CardUid other) => _key == other._key;

    public override bool Equals(object? obj) => obj is CardUid other && Equals(other);

    public override int GetHashCode() => _key.GetHashCode();

    public int CompareTo(CardUid other) => _key.CompareTo(other._key);

    public static bool operator ==(CardUid left, CardUid right) => left.Equals(right);

    public static bool operator !=(CardUid left, CardUid right) => !left.Equals(right);

    public static bool operator <(CardUid left, CardUid right) => left.CompareTo(right) < 0;

    public static bool operator >(CardUid left, CardUid right) => left.CompareTo(right) > 0;

    public static bool operator <=(CardUid left, CardUid right) => left.CompareTo(right) <= 0;

    public static bool operator >=(CardUid left, CardUid right) => left.CompareTo(right) >= 0;
}
