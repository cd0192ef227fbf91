using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Service.Hosting;

/// <summary>
/// The HTTP listener (section <c>Gateway:Http</c>): address, port (0 takes any free port, as tests do),
/// and HTTPS. With <see cref="Certificate"/> the listener serves HTTPS only. Without it, an address other
/// than loopback is refused at start unless <see cref="AllowUnencrypted"/> says plain HTTP on the network
/// is wanted (tokens and passwords then cross it readable; a warning is logged at every start).
/// </summary>
public sealed record HttpOptions(IPAddress Address, int Port)
{
    /// <summary>The server certificate with its private key (<c>Gateway:Http:Certificate:*</c>), or null for plain HTTP.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>The file it was read from (for the start-up log; never the password).</summary>
    public string? CertificatePath { get; init; }

    /// <summary><c>Gateway:Http:AllowUnencrypted</c>: plain HTTP on an address other than loopback.</summary>
    public bool AllowUnencrypted { get; init; }

    /// <summary>Whether the listener serves plain HTTP beyond this machine.</summary>
    public bool UnencryptedOnNetwork => Certificate is null && !IPAddress.IsLoopback(Address);

    /// <summary>Listens where configured: HTTPS with the certificate, else plain HTTP.</summary>
    public void Listen(KestrelServerOptions kestrel) => kestrel.Listen(Address, Port, listen =>
    {
        if (Certificate is { } certificate)
        {
            listen.UseHttps(certificate);
        }
    });

    /// <summary>What the start-up log warns about: plain HTTP on the network, a certificate near or past its end.</summary>
    public IEnumerable<string> Warnings(DateTimeOffset now)
    {
        if (UnencryptedOnNetwork)
        {
            yield return $"serving plain HTTP on {Address} (Gateway:Http:AllowUnencrypted): tokens and passwords cross the network readable; configure Gateway:Http:Certificate:Path for HTTPS";
        }

        if (Certificate is { } certificate)
        {
            var ends = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
            if (ends <= now)
            {
                yield return $"the HTTPS certificate {CertificatePath} expired at {ends:yyyy-MM-dd HH:mm} UTC: clients refuse it; replace it";
            }
            else if (ends <= now.AddDays(30))
            {
                yield return $"the HTTPS certificate {CertificatePath} expires at {ends:yyyy-MM-dd HH:mm} UTC: replace it before then";
            }
        }
    }

    /// <summary>Reads <c>Gateway:Http:*</c>; the error names the key and never shows a password.</summary>
    public static bool TryLoad(IConfigurationSection gateway, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out HttpOptions? options, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        options = null;
        var addressText = gateway["Http:Address"] ?? "127.0.0.1";
        if (!IPAddress.TryParse(addressText, out var address))
        {
            error = $"Gateway:Http:Address: '{addressText}' is not an IP address (e.g. 127.0.0.1)";
            return false;
        }

        var portText = gateway["Http:Port"] ?? "5080";
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            error = $"Gateway:Http:Port: '{portText}' is not a whole number from 0 to 65535";
            return false;
        }

        var allowText = gateway["Http:AllowUnencrypted"] ?? "false";
        if (!bool.TryParse(allowText, out var allowUnencrypted))
        {
            error = $"Gateway:Http:AllowUnencrypted: '{allowText}' is not true or false";
            return false;
        }

        X509Certificate2? certificate = null;
        var path = gateway["Http:Certificate:Path"];
        if (!string.IsNullOrWhiteSpace(path))
        {
            path = Path.GetFullPath(path);
            var keyPath = gateway["Http:Certificate:KeyPath"];
            keyPath = string.IsNullOrWhiteSpace(keyPath) ? null : Path.GetFullPath(keyPath);
            var password = gateway["Http:Certificate:Password"];
            if (!TryLoadCertificate(path, keyPath, string.IsNullOrEmpty(password) ? null : password, out certificate, out error))
            {
                return false;
            }
        }
        else if (!string.IsNullOrWhiteSpace(gateway["Http:Certificate:KeyPath"]))
        {
            error = "Gateway:Http:Certificate:KeyPath: set Gateway:Http:Certificate:Path too (the certificate the key belongs to)";
            return false;
        }

        if (certificate is null && !IPAddress.IsLoopback(address) && !allowUnencrypted)
        {
            error = $"Gateway:Http:Address: {address} is not a loopback address and no certificate is configured: set Gateway:Http:Certificate:Path (HTTPS), "
                + "or Gateway:Http:AllowUnencrypted=true to serve plain HTTP on the network (tokens and passwords then cross it readable)";
            return false;
        }

        options = new HttpOptions(address, port) { Certificate = certificate, CertificatePath = certificate is null ? null : path, AllowUnencrypted = allowUnencrypted };
        error = null;
        return true;
    }

    /// <summary>
    /// A PFX (PKCS#12) file, or PEM: the certificate first, its key in the same file or in <paramref name="keyPath"/>
    /// (encrypted when <paramref name="password"/> is given). The certificate must hold its private key.
    /// </summary>
    private static bool TryLoadCertificate(string path, string? keyPath, string? password, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out X509Certificate2? certificate, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        certificate = null;
        const string key = "Gateway:Http:Certificate:Path";
        try
        {
            if (!File.Exists(path))
            {
                error = $"{key}: '{path}' does not exist";
                return false;
            }

            if (keyPath is not null && !File.Exists(keyPath))
            {
                error = $"Gateway:Http:Certificate:KeyPath: '{keyPath}' does not exist";
                return false;
            }

            var isPem = File.ReadAllText(path).Contains("-----BEGIN ", StringComparison.Ordinal);
            if (isPem)
            {
                using var pem = password is null
                    ? X509Certificate2.CreateFromPemFile(path, keyPath)
                    : X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath);

                // A key read from PEM is ephemeral; Windows' TLS stack needs it persisted, so go through PKCS#12 once.
                certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            else
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
            }
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            error = $"{key}: '{path}' could not be read as a PEM or PFX certificate with its private key ({ex.Message}); a PFX or encrypted key needs Gateway:Http:Certificate:Password";
            return false;
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            certificate = null;
            error = $"{key}: '{path}' holds no private key: give the key in the same PEM file, in Gateway:Http:Certificate:KeyPath, or use a PFX that includes it";
            return false;
        }

        error = null;
        return true;
    }
}
