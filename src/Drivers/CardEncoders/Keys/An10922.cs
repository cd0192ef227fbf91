namespace Gateway.Drivers.CardEncoders.Keys;

/// <summary>
/// Key diversification after NXP AN10922 §2.2 (AES-128): the diversified key is the AN10922 CMAC,
/// under the master key, of the constant 01h followed by the diversification input M
/// (UID ‖ application id ‖ system identifier, at most 31 bytes).
/// </summary>
public static class An10922
{
    /// <summary>The diversification constant for an AES-128 output key (AN10922 §2.2, step 5).</summary>
    public const byte Aes128Constant = 0x01;

    /// <summary>Diversifies a 16-byte AES key from <paramref name="masterKey"/> and input M.</summary>
    /// <exception cref="ArgumentException">The master key is not 16 bytes, or M is empty or longer than 31 bytes.</exception>
    public static byte[] DiversifyAes128(ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> diversificationInput)
    {
        if (diversificationInput.IsEmpty || diversificationInput.Length > 31)
        {
            throw new ArgumentException("AN10922 diversification input M is 1 to 31 bytes", nameof(diversificationInput));
        }

        Span<byte> d = stackalloc byte[1 + diversificationInput.Length];
        d[0] = Aes128Constant;
        diversificationInput.CopyTo(d[1..]);
        var key = AesCmac.ComputeAn10922(masterKey, d);
        d.Clear();
        return key;
    }
}
