using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Drivers.CardEncoders.Keys;

namespace Gateway.Drivers.CardEncoders;

/// <summary>What a Gateway card opens.</summary>
public enum CardKind : byte
{
    /// <summary>Building and common doors.</summary>
    Access = 1,

    /// <summary>The car park.</summary>
    Parking = 2,

    /// <summary>Doors and car park.</summary>
    Both = 3,
}

/// <summary>Why a card is not a valid Gateway card of this site.</summary>
public enum NotGatewayCardReason
{
    /// <summary>Blank stock: the payload sector still has the transport keys and no payload.</summary>
    Blank,

    /// <summary>Neither this site's keys (any version it holds) nor the transport keys open the payload sector: another site's card, a wrong site key, or a card from another system.</summary>
    UnknownKeys,

    /// <summary>The payload sector opens but does not start with Gateway's magic.</summary>
    NotGatewayPayload,

    /// <summary>A layout version this build does not know.</summary>
    UnsupportedLayout,

    /// <summary>The card names a key version this site does not hold.</summary>
    UnknownKeyVersion,

    /// <summary>A field holds a value no Gateway writes (kind, site id).</summary>
    InvalidField,

    /// <summary>The MAC over UID and payload does not verify: the payload was edited, forged or copied from another card.</summary>
    MacMismatch,

    /// <summary>A valid Gateway card of another site (same master key, different site id).</summary>
    OtherSite,

    /// <summary>An issue or erase was interrupted: the card is part-written (see the write journal).</summary>
    Torn,

    /// <summary>The card is not a MIFARE Classic 1K or 4K.</summary>
    UnsupportedCard,
}

/// <summary>The payload of a Gateway card, as written in its payload sector.</summary>
/// <param name="SiteId">The issuing site (Gateway:SiteId, at most 24 characters of A-Z a-z 0-9 - _).</param>
/// <param name="CardNumber">The card number printed on the card and kept in the card register.</param>
/// <param name="Kind">What the card opens.</param>
/// <param name="IssueCounter">How many times this card number has been issued (1 for the first).</param>
/// <param name="KeyVersion">The site key version the card's keys and MAC derive from.</param>
public sealed record CardPayload(string SiteId, uint CardNumber, CardKind Kind, uint IssueCounter, byte KeyVersion);

/// <summary>
/// Gateway's card layout, version 1 (docs/card-layout.md): the payload lives in sector 1
/// (blocks 4-6, trailer 7) of a MIFARE Classic 1K or 4K.
/// </summary>
/// <remarks>
/// Block 4: 00-03 magic "GWAY", 04 layout version, 05 key version, 06 kind, 07 reserved (0),
/// 08-11 card number (big-endian), 12-15 issue counter (big-endian).
/// Blocks 5-6: 00-23 site id (ASCII, NUL-padded), then 8 bytes of MAC: the AES-CMAC, under the
/// card's diversified MAC key, of UID ‖ the 40 bytes before it, truncated to 8 bytes.
/// </remarks>
public static partial class CardLayout
{
    /// <summary>The sector holding the payload.</summary>
    public const int PayloadSector = 1;

    /// <summary>The layout version this build writes and reads.</summary>
    public const byte LayoutVersion = 1;

    /// <summary>Bytes of the payload (three data blocks).</summary>
    public const int PayloadLength = 48;

    /// <summary>Bytes of the truncated MAC.</summary>
    public const int MacLength = 8;

    /// <summary>Longest site id a card holds.</summary>
    public const int MaxSiteIdLength = 24;

    private const int SiteIdOffset = 16;
    private const int MacOffset = PayloadLength - MacLength;

    /// <summary>The magic "GWAY" at the start of block 4.</summary>
    public static ReadOnlySpan<byte> Magic => "GWAY"u8;

    /// <summary>Absolute numbers of the payload's data blocks (4, 5, 6).</summary>
    public static IReadOnlyList<int> PayloadBlocks { get; } = [4, 5, 6];

    /// <summary>True when <paramref name="siteId"/> can be written on a card.</summary>
    public static bool IsValidSiteId(string siteId) => SiteIdPattern().IsMatch(siteId);

    /// <summary>Encodes the 48 payload bytes (MAC included) for the card <paramref name="uid"/>.</summary>
    /// <exception cref="ArgumentException">The site id cannot be written on a card, or the kind is unknown.</exception>
    /// <exception cref="CardKeyException">The site holds no key of the payload's key version.</exception>
    public static byte[] Encode(CardPayload payload, ReadOnlySpan<byte> uid, SiteCardKeys keys)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(keys);
        if (!IsValidSiteId(payload.SiteId))
        {
            throw new ArgumentException($"site id '{payload.SiteId}' cannot be written on a card: 1-{MaxSiteIdLength} characters of A-Z a-z 0-9 - _", nameof(payload));
        }

        if (!Enum.IsDefined(payload.Kind))
        {
            throw new ArgumentException($"card kind {(int)payload.Kind} is not access, parking or both", nameof(payload));
        }

        var data = new byte[PayloadLength];
        Magic.CopyTo(data);
        data[4] = LayoutVersion;
        data[5] = payload.KeyVersion;
        data[6] = (byte)payload.Kind;
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(8), payload.CardNumber);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(12), payload.IssueCounter);
        Encoding.ASCII.GetBytes(payload.SiteId, data.AsSpan(SiteIdOffset));
        keys.PayloadMac(uid, payload.KeyVersion, MacInput(uid, data)).CopyTo(data, MacOffset);
        return data;
    }

    /// <summary>
    /// Decodes and verifies the 48 payload bytes read from card <paramref name="uid"/>. Returns the
    /// payload, or null with the reason and a sentence for people.
    /// </summary>
    public static CardPayload? TryDecode(ReadOnlySpan<byte> data, ReadOnlySpan<byte> uid, SiteCardKeys keys, out NotGatewayCardReason reason, out string detail)
    {
        ArgumentNullException.ThrowIfNull(keys);
        reason = default;
        detail = string.Empty;
        if (data.Length != PayloadLength)
        {
            throw new ArgumentException($"the payload is {PayloadLength} bytes", nameof(data));
        }

        if (!data[..4].SequenceEqual(Magic))
        {
            if (data.IndexOfAnyExcept((byte)0) < 0)
            {
                (reason, detail) = (NotGatewayCardReason.Blank, "the payload sector is empty");
            }
            else
            {
                (reason, detail) = (NotGatewayCardReason.NotGatewayPayload, "the payload sector does not start with Gateway's magic");
            }

            return null;
        }

        if (data[4] != LayoutVersion)
        {
            (reason, detail) = (NotGatewayCardReason.UnsupportedLayout, $"layout version {data[4]} is not supported (this build reads {LayoutVersion})");
            return null;
        }

        var keyVersion = data[5];
        if (!keys.HasVersion(keyVersion))
        {
            (reason, detail) = (NotGatewayCardReason.UnknownKeyVersion, $"the card names key version {keyVersion}, which this site does not hold");
            return null;
        }

        var expected = keys.PayloadMac(uid, keyVersion, MacInput(uid, data));
        if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(expected, data[MacOffset..]))
        {
            (reason, detail) = (NotGatewayCardReason.MacMismatch, "the MAC over UID and payload does not verify: the payload was edited, forged or copied from another card");
            return null;
        }

        var kind = (CardKind)data[6];
        var siteBytes = data.Slice(SiteIdOffset, MaxSiteIdLength);
        var end = siteBytes.IndexOf((byte)0);
        var siteId = Encoding.ASCII.GetString(end < 0 ? siteBytes : siteBytes[..end]);
        if (!Enum.IsDefined(kind) || data[7] != 0 || !IsValidSiteId(siteId))
        {
            (reason, detail) = (NotGatewayCardReason.InvalidField, "a field holds a value Gateway never writes");
            return null;
        }

        return new CardPayload(siteId, BinaryPrimitives.ReadUInt32BigEndian(data[8..]), kind, BinaryPrimitives.ReadUInt32BigEndian(data[12..]), keyVersion);
    }

    private static byte[] MacInput(ReadOnlySpan<byte> uid, ReadOnlySpan<byte> data)
    {
        var input = new byte[uid.Length + MacOffset];
        uid.CopyTo(input);
        data[..MacOffset].CopyTo(input.AsSpan(uid.Length));
        return input;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,24}$")]
    private static partial Regex SiteIdPattern();
}
