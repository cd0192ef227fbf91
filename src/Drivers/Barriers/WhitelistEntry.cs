using System.Security.Cryptography;

namespace Gateway.Drivers.Barriers;

/// <summary>
/// One whitelist record: a card UID valid in [<see cref="ValidFrom"/>, <see cref="ValidTo"/>) by the
/// controller's clock, or blocked (kept so that presenting it is reported as blocked, not unknown).
/// Times are whole UTC seconds since 1970 as the profile stores them (32-bit unsigned).
/// </summary>
public readonly record struct WhitelistEntry
{
    /// <summary>Makes an entry.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A time outside 1970-01-01..2106-02-07 or valid-to before valid-from.</exception>
    public WhitelistEntry(CardUid uid, DateTimeOffset validFrom, DateTimeOffset validTo, bool blocked = false)
        : this(uid, ToSeconds(validFrom, nameof(validFrom)), ToSeconds(validTo, nameof(validTo)), blocked)
    {
    }

    /// <summary>Makes an entry from profile seconds.</summary>
    /// <exception cref="ArgumentOutOfRangeException">valid-to before valid-from.</exception>
    public WhitelistEntry(CardUid uid, uint validFromSeconds, uint validToSeconds, bool blocked = false)
    {
        if (uid.Length == 0)
        {
            throw new ArgumentException("the card UID is empty", nameof(uid));
        }

        if (validToSeconds < validFromSeconds)
        {
            throw new ArgumentOutOfRangeException(nameof(validToSeconds), "valid-to is before valid-from");
        }

        Uid = uid;
        ValidFromSeconds = validFromSeconds;
        ValidToSeconds = validToSeconds;
        Blocked = blocked;
    }

    public CardUid Uid { get; }

    /// <summary>Start of validity, UTC seconds since 1970 (inclusive).</summary>
    public uint ValidFromSeconds { get; }

    /// <summary>End of validity, UTC seconds since 1970 (exclusive).</summary>
    public uint ValidToSeconds { get; }

    public bool Blocked { get; }

    public DateTimeOffset ValidFrom => DateTimeOffset.FromUnixTimeSeconds(ValidFromSeconds);

    public DateTimeOffset ValidTo => DateTimeOffset.FromUnixTimeSeconds(ValidToSeconds);

    /// <summary>Writes the 8-register record.</summary>
    public void Write(Span<ushort> registers)
    {
        Uid.WriteField(registers, Blocked ? BarrierProfile.BlockedFlag : (byte)0);
        BarrierProfile.WriteUInt32(registers, 4, ValidFromSeconds);
        BarrierProfile.WriteUInt32(registers, 6, ValidToSeconds);
    }

    /// <summary>Reads an 8-register record; the result says what is wrong with it, if anything.</summary>
    public static BarrierResultCode TryRead(ReadOnlySpan<ushort> registers, out WhitelistEntry entry)
    {
        entry = default;
        if (!CardUid.TryReadField(registers, BarrierProfile.BlockedFlag, out var uid, out var flags))
        {
            return BarrierResultCode.MalformedUid;
        }

        var from = BarrierProfile.ReadUInt32(registers, 4);
        var to = BarrierProfile.ReadUInt32(registers, 6);
        if (to < from)
        {
            return BarrierResultCode.InvalidPeriod;
        }

        entry = new WhitelistEntry(uid, from, to, (flags & BarrierProfile.BlockedFlag) != 0);
        return BarrierResultCode.Ok;
    }

    /// <summary>
    /// The profile's content digest: the first 8 bytes (big-endian) of SHA-256 over the 16-byte
    /// images of the records (the 8 registers, high byte first) in ascending <see cref="CardUid"/> order.
    /// </summary>
    /// <exception cref="ArgumentException">The same UID appears twice.</exception>
    public static ulong ComputeDigest(IEnumerable<WhitelistEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var sorted = entries.ToArray();
        Array.Sort(sorted, (a, b) => a.Uid.CompareTo(b.Uid));
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].Uid == sorted[i - 1].Uid)
            {
                throw new ArgumentException($"card {sorted[i].Uid} appears twice", nameof(entries));
            }
        }

        return ComputeDigestOfSorted(sorted);
    }

    /// <summary>The digest of records already in ascending UID order with no duplicates.</summary>
    public static ulong ComputeDigestOfSorted(IEnumerable<WhitelistEntry> sortedEntries)
    {
        ArgumentNullException.ThrowIfNull(sortedEntries);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<ushort> registers = stackalloc ushort[BarrierProfile.RecordRegisters];
        Span<byte> image = stackalloc byte[2 * BarrierProfile.RecordRegisters];
        foreach (var entry in sortedEntries)
        {
            entry.Write(registers);
            for (var i = 0; i < registers.Length; i++)
            {
                image[2 * i] = (byte)(registers[i] >> 8);
                image[(2 * i) + 1] = (byte)registers[i];
            }

            hash.AppendData(image);
        }

        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(digest);
    }

    private static uint ToSeconds(DateTimeOffset time, string name)
    {
        var seconds = time.ToUnixTimeSeconds();
        if (seconds is < 0 or > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(name, time, "outside the profile's 32-bit UTC seconds");
        }

        return (uint)seconds;
    }
}
