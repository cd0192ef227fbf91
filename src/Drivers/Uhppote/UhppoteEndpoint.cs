using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using Gateway.Drivers.Uhppote.Codec;

namespace Gateway.Drivers.Uhppote;

/// <summary>
/// <c>udp://HOST[:PORT]</c>: where a board listens (port 60000 by default). HOST is an IPv4 address or a
/// name; the boards speak IPv4 only.
/// </summary>
public sealed record UhppoteEndpoint(string Host, int Port = UhppoteCodec.DefaultPort)
{
    private const string Scheme = "udp://";

    /// <exception cref="FormatException">Not udp://HOST[:PORT]; the message says why.</exception>
    public static UhppoteEndpoint Parse(string text) =>
        TryParse(text, out var endpoint, out var error) ? endpoint : throw new FormatException(error);

    public static bool TryParse(string? text, [NotNullWhen(true)] out UhppoteEndpoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text) || !text.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            error = $"'{text}' is not a UHPPOTE endpoint (expected udp://HOST:PORT, e.g. udp://192.168.1.100:60000)";
            return false;
        }

        var rest = text[Scheme.Length..].TrimEnd('/');
        var colon = rest.LastIndexOf(':');
        var host = colon < 0 ? rest : rest[..colon];
        var port = UhppoteCodec.DefaultPort;
        if (colon >= 0 && (!int.TryParse(rest.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535))
        {
            error = $"'{text}' has an invalid port '{rest[(colon + 1)..]}' (0-65535)";
            return false;
        }

        if (host.Length == 0 || host.Contains('/', StringComparison.Ordinal) || host.Contains(' ', StringComparison.Ordinal) || host.Contains('[', StringComparison.Ordinal))
        {
            error = $"'{text}' has an invalid host (an IPv4 address or a name)";
            return false;
        }

        endpoint = new UhppoteEndpoint(host, port);
        error = null;
        return true;
    }

    /// <summary>An endpoint for an address.</summary>
    public static UhppoteEndpoint From(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return new UhppoteEndpoint(endpoint.Address.ToString(), endpoint.Port);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Scheme}{Host}:{Port}");
}
