using System.Security.Cryptography;

namespace Gateway.Drivers.CardEncoders.Keys;

/// <summary>
/// AES-128 CMAC (RFC 4493, NIST SP 800-38B) and the AN10922 variant of it used for key
/// diversification. Pure functions over System.Security.Cryptography's AES block cipher.
/// </summary>
public static class AesCmac
{
    /// <summary>Block and key size of AES-128, in bytes.</summary>
    public const int BlockSize = 16;

    // RFC 4493 §2.3: Rb for a 128-bit block.
    private const byte Rb = 0x87;

    /// <summary>Computes the 16-byte AES-CMAC of <paramref name="message"/> (RFC 4493 §2.4).</summary>
    /// <exception cref="ArgumentException">The key is not 16 bytes.</exception>
    public static byte[] Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message)
    {
        using var aes = CreateAes(key);
        var (k1, k2) = Subkeys(aes);
        var blocks = message.IsEmpty ? 1 : (message.Length + BlockSize - 1) / BlockSize;
        var complete = !message.IsEmpty && message.Length % BlockSize == 0;
        return Mac(aes, message, blocks, complete ? k1 : k2);
    }

    /// <summary>
    /// The CMAC computation of NXP AN10922 §2.2 (AES-128 diversification): the input is padded
    /// with 80 00… to 32 bytes (not to the next block) whenever it is shorter than 32 bytes, and
    /// K2 is used exactly when padding was added. For inputs of 17 to 32 bytes this equals RFC 4493.
    /// </summary>
    /// <exception cref="ArgumentException">The key is not 16 bytes or the input is longer than 32 bytes.</exception>
    public static byte[] ComputeAn10922(ReadOnlySpan<byte> key, ReadOnlySpan<byte> input)
    {
        if (input.Length > 2 * BlockSize)
        {
            throw new ArgumentException("AN10922 diversification input is at most 32 bytes", nameof(input));
        }

        using var aes = CreateAes(key);
        var (k1, k2) = Subkeys(aes);
        return Mac(aes, input, 2, input.Length == 2 * BlockSize ? k1 : k2);
    }

    /// <summary>The subkeys K1 and K2 of RFC 4493 §2.3, exposed for test vectors.</summary>
    public static (byte[] K1, byte[] K2) GenerateSubkeys(ReadOnlySpan<byte> key)
    {
        using var aes = CreateAes(key);
        return Subkeys(aes);
    }

    private static Aes CreateAes(ReadOnlySpan<byte> key)
    {
        if (key.Length != BlockSize)
        {
            throw new ArgumentException("AES-128 keys are 16 bytes", nameof(key));
        }

        var aes = Aes.Create();
        aes.Key = key.ToArray();
        return aes;
    }

    private static (byte[] K1, byte[] K2) Subkeys(Aes aes)
    {
        var l = aes.EncryptEcb(new byte[BlockSize], PaddingMode.None);
        var k1 = ShiftLeftXor(l);
        var k2 = ShiftLeftXor(k1);
        CryptographicOperations.ZeroMemory(l);
        return (k1, k2);
    }

    private static byte[] ShiftLeftXor(byte[] input)
    {
        var output = new byte[BlockSize];
        for (var i = 0; i < BlockSize; i++)
        {
            var next = i + 1 < BlockSize ? input[i + 1] >> 7 : 0;
            output[i] = (byte)((input[i] << 1) | next);
        }

        if ((input[0] & 0x80) != 0)
        {
            output[BlockSize - 1] ^= Rb;
        }

        return output;
    }

    // CBC-MAC over `blocks` blocks of `message` padded with 80 00.. when short; the last block is
    // XORed with `lastKey` (K1 for a complete final block, K2 for a padded one).
    private static byte[] Mac(Aes aes, ReadOnlySpan<byte> message, int blocks, byte[] lastKey)
    {
        var padded = new byte[blocks * BlockSize];
        message.CopyTo(padded);
        if (message.Length < padded.Length)
        {
            padded[message.Length] = 0x80;
        }

        var last = padded.AsSpan((blocks - 1) * BlockSize, BlockSize);
        for (var i = 0; i < BlockSize; i++)
        {
            last[i] ^= lastKey[i];
        }

        var state = new byte[BlockSize];
        for (var b = 0; b < blocks; b++)
        {
            for (var i = 0; i < BlockSize; i++)
            {
                state[i] ^= padded[(b * BlockSize) + i];
            }

            var encrypted = aes.EncryptEcb(state, PaddingMode.None);
            encrypted.CopyTo(state, 0);
            CryptographicOperations.ZeroMemory(encrypted);
        }

        CryptographicOperations.ZeroMemory(padded);
        CryptographicOperations.ZeroMemory(lastKey);
        return state;
    }
}
