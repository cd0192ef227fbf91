using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace Gateway.Drivers.Uhppote.Codec;

/// <summary>
/// Field encodings of the 64-byte packet: little-endian integers, BCD dates and times, IPv4 addresses.
/// Decoders refuse what is not a valid value (a BCD nibble above 9, 30 February) instead of wrapping
/// it; an all-zero date or time field means "none".
/// </summary>
internal static class PacketFields
{
    public static uint ReadUInt32(ReadOnlySpan<byte> packet, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(packet[offset..]);

    public static void WriteUInt32(Span<byte> packet, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(packet[offset..], value);

    public static ushort ReadUInt16(ReadOnlySpan<byte> packet, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(packet[offset..]);

    public static void WriteUInt16(Span<byte> packet, int offset, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(packet[offset..], value);

    /// <summary>A 24-bit little-endian value (the card PIN, 0-999999).</summary>
    public static uint ReadUInt24(ReadOnlySpan<byte> packet, int offset) =>
        packet[offset] | ((uint)packet[offset + 1] << 8) | ((uint)packet[offset + 2] << 16);

    public static void WriteUInt24(Span<byte> packet, int offset, uint value)
    {
        packet[offset] = (byte)value;
        packet[offset + 1] = (byte)(value >> 8);
        packet[offset + 2] = (byte)(value >> 16);
    }

    public static bool ReadBool(ReadOnlySpan<byte> packet, int offset) => packet[offset] != 0;

    public static void WriteBool(Span<byte> packet, int offset, bool value) => packet[offset] = value ? (byte)1 : (byte)0;

    public static IPAddress ReadIPv4(ReadOnlySpan<byte> packet, int offset) => new(packet.Slice(offset, 4));

    public static void WriteIPv4(Span<byte> packet, int offset, IPAddress address)
    {
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || !address.TryWriteBytes(packet.Slice(offset, 4), out _))
        {
            throw new ArgumentException($"{address} is not an IPv4 address", nameof(address));
        }
    }

    /// <summary>YYYYMMDD in 4 BCD bytes; all zero: no date.</summary>
    public static DateOnly? ReadDate(ReadOnlySpan<byte> packet, int offset, string field)
    {
        var bytes = packet.Slice(offset, 4);
        if (IsZero(bytes))
        {
            return null;
        }

        var year = (Bcd(bytes[0], field, bytes) * 100) + Bcd(bytes[1], field, bytes);
        var month = Bcd(bytes[2], field, bytes);
        var day = Bcd(bytes[3], field, bytes);
        return IsDate(year, month, day)
            ? new DateOnly(year, month, day)
            : throw Invalid(field, bytes, "not a date");
    }

    public static void WriteDate(Span<byte> packet, int offset, DateOnly? date)
    {
        if (date is not { } d)
        {
            packet.Slice(offset, 4).Clear();
            return;
        }

        packet[offset] = ToBcd(d.Year / 100);
        packet[offset + 1] = ToBcd(d.Year % 100);
        packet[offset + 2] = ToBcd(d.Month);
        packet[offset + 3] = ToBcd(d.Day);
    }

    /// <summary>
    /// YYYYMMDDhhmmss in 7 BCD bytes; all zero, or 2000-00-00 00:00:00 (what some uninitialised boards
    /// send, uhppote-core <c>types/datetime.go</c>): no time. <paramref name="lenient"/>: an invalid value
    /// is also no time instead of an error (event timestamps: the event itself is still worth having).
    /// </summary>
    public static DateTime? ReadDateTime(ReadOnlySpan<byte> packet, int offset, string field, bool lenient = false)
    {
        var bytes = packet.Slice(offset, 7);
        if (IsZero(bytes) || (bytes[0] == 0x20 && IsZero(bytes[1..])))
        {
            return null;
        }

        if (lenient)
        {
            try
            {
                return ReadDateTime(packet, offset, field);
            }
            catch (UhppoteCodecException)
            {
                return null;
            }
        }

        var year = (Bcd(bytes[0], field, bytes) * 100) + Bcd(bytes[1], field, bytes);
        var month = Bcd(bytes[2], field, bytes);
        var day = Bcd(bytes[3], field, bytes);
        var hour = Bcd(bytes[4], field, bytes);
        var minute = Bcd(bytes[5], field, bytes);
        var second = Bcd(bytes[6], field, bytes);
        return IsDate(year, month, day) && hour < 24 && minute < 60 && second < 60
            ? new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified)
            : throw Invalid(field, bytes, "not a date and time");
    }

    public static void WriteDateTime(Span<byte> packet, int offset, DateTime? time)
    {
        if (time is not { } t)
        {
            packet.Slice(offset, 7).Clear();
            return;
        }

        packet[offset] = ToBcd(t.Year / 100);
        packet[offset + 1] = ToBcd(t.Year % 100);
        packet[offset + 2] = ToBcd(t.Month);
        packet[offset + 3] = ToBcd(t.Day);
        packet[offset + 4] = ToBcd(t.Hour);
        packet[offset + 5] = ToBcd(t.Minute);
        packet[offset + 6] = ToBcd(t.Second);
    }

    /// <summary>
    /// The status block's clock: YYMMDD at <paramref name="dateOffset"/> (the century is 20) and hhmmss at
    /// <paramref name="timeOffset"/>, 3 BCD bytes each. Both all zero, or not a valid time: no time (the
    /// rest of the status is still worth having).
    /// </summary>
    public static DateTime? ReadSystemTime(ReadOnlySpan<byte> packet, int dateOffset, int timeOffset)
    {
        Span<byte> full = stackalloc byte[7];
        if (IsZero(packet.Slice(dateOffset, 3)) && IsZero(packet.Slice(timeOffset, 3)))
        {
            return null;
        }

        full[0] = 0x20;
        packet.Slice(dateOffset, 3).CopyTo(full[1..]);
        packet.Slice(timeOffset, 3).CopyTo(full[4..]);
        return ReadDateTime(full, 0, "system time", lenient: true);
    }

    public static void WriteSystemTime(Span<byte> packet, int dateOffset, int timeOffset, DateTime? time)
    {
        if (time is not { } t)
        {
            packet.Slice(dateOffset, 3).Clear();
            packet.Slice(timeOffset, 3).Clear();
            return;
        }

        if (t.Year is < 2000 or > 2099)
        {
            throw new ArgumentOutOfRangeException(nameof(time), time, "the status clock holds years 2000-2099");
        }

        packet[dateOffset] = ToBcd(t.Year % 100);
        packet[dateOffset + 1] = ToBcd(t.Month);
        packet[dateOffset + 2] = ToBcd(t.Day);
        packet[timeOffset] = ToBcd(t.Hour);
        packet[timeOffset + 1] = ToBcd(t.Minute);
        packet[timeOffset + 2] = ToBcd(t.Second);
    }

    /// <summary>Two BCD bytes as "major.minor", e.g. 08 92 → "8.92".</summary>
    public static string ReadVersion(ReadOnlySpan<byte> packet, int offset) =>
        string.Create(CultureInfo.InvariantCulture, $"{packet[offset]:x}.{packet[offset + 1]:x2}");

    public static void WriteVersion(Span<byte> packet, int offset, string version)
    {
        var dot = version.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0
            || !byte.TryParse(version.AsSpan(0, dot), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var major)
            || !byte.TryParse(version.AsSpan(dot + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var minor))
        {
            throw new ArgumentException($"'{version}' is not a firmware version such as 8.92", nameof(version));
        }

        packet[offset] = major;
        packet[offset + 1] = minor;
    }

    private static bool IsZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);

    private static bool IsDate(int year, int month, int day) =>
        year is >= 1 and <= 9999 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month);

    private static int Bcd(byte value, string field, ReadOnlySpan<byte> bytes)
    {
        int high = value >> 4;
        int low = value & 0x0F;
        return high <= 9 && low <= 9 ? (high * 10) + low : throw Invalid(field, bytes, "not BCD");
    }

    private static byte ToBcd(int value) => (byte)(((value / 10) << 4) | (value % 10));

    private static UhppoteCodecException Invalid(string field, ReadOnlySpan<byte> bytes, string what) =>
        new($"{field} {Convert.ToHexString(bytes)} is {what}");
}
