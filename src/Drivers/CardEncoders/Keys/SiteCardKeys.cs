using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Drivers.CardEncoders.Keys;

/// <summary>Where the site master key comes from (configuration section <c>Gateway:CardKeys</c>).</summary>
/// <param name="KeyFile">A file holding the key (see docs/card-layout.md for its format), or null.</param>
/// <param name="EnvironmentVariable">The name of an environment variable holding the key, or null.</param>
/// <param name="CurrentVersion">The key version written on newly issued cards (1-255).</param>
public sealed record CardKeyOptions(string? KeyFile, string? EnvironmentVariable, byte CurrentVersion = 1);

/// <summary>The site master key is missing, unreadable, malformed or weak. The message never contains key material.</summary>
public sealed class CardKeyException : Exception
{
    public CardKeyException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// The site's card master keys, by key version, and everything derived from them: per-card,
/// per-sector MIFARE Classic keys (AN10922 AES-128 diversification truncated to 6 bytes) and the
/// payload MAC. The master keys never leave this object: there is no getter, <see cref="ToString"/>
/// names only the versions, and derived keys are handed only to the driver inside this assembly.
/// </summary>
public sealed class SiteCardKeys
{
    /// <summary>System identifier of AN10922's input M: "GATEWAY" then the key version byte.</summary>
    private static readonly byte[] SystemIdentifier = Encoding.ASCII.GetBytes("GATEWAY");

    // Published test vectors and obvious patterns: a site key equal to any of them is refused.
    private static readonly string[] KnownPublicKeys =
    [
        "2B7E151628AED2A6ABF7158809CF4F3C", // RFC 4493 / SP 800-38B examples
        "00112233445566778899AABBCCDDEEFF", // AN10922 §2.2 example
        "000102030405060708090A0B0C0D0E0F",
        "0F0E0D0C0B0A09080706050403020100",
        "FFEEDDCCBBAA99887766554433221100",
    ];

    private readonly Dictionary<byte, byte[]> _masterKeys;

    private SiteCardKeys(Dictionary<byte, byte[]> masterKeys, byte currentVersion)
    {
        _masterKeys = masterKeys;
        CurrentVersion = currentVersion;
    }

    /// <summary>The key version written on newly issued cards.</summary>
    public byte CurrentVersion { get; }

    /// <summary>Every key version this site can read, newest first.</summary>
    public IReadOnlyList<byte> Versions => [.. _masterKeys.Keys.OrderDescending()];

    /// <summary>
    /// Loads the master key(s) from the file or environment variable named in <paramref name="options"/>.
    /// The text is either one key (32 hex digits, taken as <see cref="CardKeyOptions.CurrentVersion"/>)
    /// or lines <c>VERSION:HEX</c>; blank lines and lines starting with # are ignored.
    /// </summary>
    /// <exception cref="CardKeyException">No source configured, the source is missing or empty, the text is malformed, the current version has no key, or a key is weak.</exception>
    public static SiteCardKeys Load(CardKeyOptions options, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        environment ??= Environment.GetEnvironmentVariable;
        string text;
        string source;
        if (!string.IsNullOrWhiteSpace(options.KeyFile))
        {
            source = $"key file {options.KeyFile}";
            try
            {
                text = File.ReadAllText(options.KeyFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CardKeyException($"the card master key cannot be read from {source}: {ex.GetType().Name}");
            }
        }
        else if (!string.IsNullOrWhiteSpace(options.EnvironmentVariable))
        {
            source = $"environment variable {options.EnvironmentVariable}";
            text = environment(options.EnvironmentVariable) ?? throw new CardKeyException($"the card master key is missing: {source} is not set");
        }
        else
        {
            throw new CardKeyException("no card master key is configured: set Gateway:CardKeys:KeyFile or Gateway:CardKeys:EnvironmentVariable");
        }

        return Parse(text, options.CurrentVersion, source);
    }

    /// <summary>Parses key text (see <see cref="Load"/>); <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="CardKeyException">Malformed, missing the current version, or weak.</exception>
    public static SiteCardKeys Parse(string text, byte currentVersion, string source = "the key text")
    {
        ArgumentNullException.ThrowIfNull(text);
        if (currentVersion == 0)
        {
            throw new CardKeyException("card key versions are 1-255; 0 is not a version");
        }

        var keys = new Dictionary<byte, byte[]>();
        var lines = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith('#'))
            .ToList();
        if (lines.Count == 0)
        {
            throw new CardKeyException($"the card master key is missing: {source} is empty");
        }

        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            byte version;
            string hex;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 && lines.Count == 1)
            {
                version = currentVersion;
                hex = line;
            }
            else if (colon > 0 && byte.TryParse(line.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out version) && version > 0)
            {
                hex = line[(colon + 1)..].Trim();
            }
            else
            {
                throw new CardKeyException($"{source}, key line {i + 1}: expected VERSION:HEX with a version from 1 to 255");
            }

            var key = ParseHex(hex, source, i + 1);
            var weakness = Weakness(key);
            if (weakness is not null)
            {
                CryptographicOperations.ZeroMemory(key);
                throw new CardKeyException($"{source}, key version {version}: refused, {weakness}");
            }

            if (!keys.TryAdd(version, key))
            {
                throw new CardKeyException($"{source}: key version {version} is given twice");
            }
        }

        if (!keys.ContainsKey(currentVersion))
        {
            throw new CardKeyException($"{source} has no key for the current key version {currentVersion}");
        }

        return new SiteCardKeys(keys, currentVersion);
    }

    /// <summary>Creates a fresh random key text (for `gatewayctl` key generation and tests).</summary>
    public static string GenerateKeyText(byte version = 1) =>
        string.Create(CultureInfo.InvariantCulture, $"{version}:{Convert.ToHexString(RandomNumberGenerator.GetBytes(AesCmac.BlockSize))}");

    /// <summary>True when this site holds a key of <paramref name="version"/>.</summary>
    public bool HasVersion(byte version) => _masterKeys.ContainsKey(version);

    /// <inheritdoc />
    public override string ToString() => $"SiteCardKeys(versions {string.Join(',', Versions)}, current {CurrentVersion})";

    /// <summary>
    /// The 6-byte MIFARE Classic key of one sector and slot of one card: the first 6 bytes of
    /// AN10922(master[version], UID ‖ 'G' sector slot ‖ "GATEWAY" version).
    /// </summary>
    internal byte[] SectorKey(ReadOnlySpan<byte> uid, byte version, int sector, MifareKeySlot slot)
    {
        var full = Diversify(uid, version, (byte)sector, slot == MifareKeySlot.A ? (byte)'A' : (byte)'B');
        var key = full.AsSpan(0, 6).ToArray();
        CryptographicOperations.ZeroMemory(full);
        return key;
    }

    /// <summary>The 8-byte payload MAC: AES-CMAC under the card's diversified MAC key, truncated (SP 800-38B §5.5).</summary>
    internal byte[] PayloadMac(ReadOnlySpan<byte> uid, byte version, ReadOnlySpan<byte> macInput)
    {
        var macKey = Diversify(uid, version, 0, (byte)'M');
        var mac = AesCmac.Compute(macKey, macInput);
        CryptographicOperations.ZeroMemory(macKey);
        var truncated = mac.AsSpan(0, CardLayout.MacLength).ToArray();
        CryptographicOperations.ZeroMemory(mac);
        return truncated;
    }

    private byte[] Diversify(ReadOnlySpan<byte> uid, byte version, byte sector, byte slot)
    {
        if (uid.Length is not (4 or 7))
        {
            throw new ArgumentException("MIFARE Classic UIDs are 4 or 7 bytes", nameof(uid));
        }

        if (!_masterKeys.TryGetValue(version, out var master))
        {
            throw new CardKeyException($"this site has no card key of version {version}");
        }

        // M = UID ‖ AID ('G', sector, slot) ‖ system identifier ("GATEWAY", version): at most 18 bytes.
        Span<byte> m = stackalloc byte[uid.Length + 3 + SystemIdentifier.Length + 1];
        uid.CopyTo(m);
        m[uid.Length] = (byte)'G';
        m[uid.Length + 1] = sector;
        m[uid.Length + 2] = slot;
        SystemIdentifier.CopyTo(m[(uid.Length + 3)..]);
        m[^1] = version;
        return An10922.DiversifyAes128(master, m);
    }

    private static byte[] ParseHex(string hex, string source, int line)
    {
        var compact = hex.Replace(" ", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        if (compact.Length != 2 * AesCmac.BlockSize || !compact.All(Uri.IsHexDigit))
        {
            throw new CardKeyException($"{source}, key line {line}: expected 32 hexadecimal digits (an AES-128 key)");
        }

        return Convert.FromHexString(compact);
    }

    private static string? Weakness(byte[] key)
    {
        if (KnownPublicKeys.Any(k => CryptographicOperations.FixedTimeEquals(Convert.FromHexString(k), key)))
        {
            return "it is a published example key";
        }

        // A random 16-byte key has about 15 distinct byte values; fewer than 8 means a pattern or a typing shortcut.
        if (key.Distinct().Count() < 8)
        {
            return "it has too few distinct bytes to be random (generate one with `gatewayctl encoder keygen`)";
        }

        var ascending = 0;
        for (var i = 1; i < key.Length; i++)
        {
            if (key[i] == (byte)(key[i - 1] + 1) || key[i] == (byte)(key[i - 1] - 1))
            {
                ascending++;
            }
        }

        return ascending >= 8 ? "it is a counting sequence, not a random key" : null;
    }
}

/// <summary>Which of a MIFARE Classic sector's two keys.</summary>
public enum MifareKeySlot
{
    /// <summary>Key A: on an issued Gateway card, reads only.</summary>
    A,

    /// <summary>Key B: on an issued Gateway card, reads and writes (data and trailer).</summary>
    B,
}
