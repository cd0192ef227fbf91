using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Testing;

/// <summary>
/// A site's own certificate authority and a server certificate it signed for 127.0.0.1 and localhost,
/// written as the files an admin would configure: PEM (certificate and key apart, or together) and PFX.
/// </summary>
public sealed class TestCertificates
{
    public const string PfxPassword = "pfx-password-for-tests";

    private TestCertificates(string folder)
    {
        CaPem = Path.Combine(folder, "site-ca.pem");
        ServerPem = Path.Combine(folder, "server.pem");
        ServerKeyPem = Path.Combine(folder, "server.key");
        ServerCombinedPem = Path.Combine(folder, "server-with-key.pem");
        ServerPfx = Path.Combine(folder, "server.pfx");
        OtherCaPem = Path.Combine(folder, "other-ca.pem");
    }

    /// <summary>The site CA's certificate (what gatewayctl --ca-file takes).</summary>
    public string CaPem { get; }

    /// <summary>The server certificate alone.</summary>
    public string ServerPem { get; }

    /// <summary>The server's private key (PKCS#8 PEM).</summary>
    public string ServerKeyPem { get; }

    /// <summary>Certificate and key in one PEM file.</summary>
    public string ServerCombinedPem { get; }

    /// <summary>Certificate and key as PKCS#12, protected by <see cref="PfxPassword"/>.</summary>
    public string ServerPfx { get; }

    /// <summary>A CA that signed nothing here (trusting it must not make the server trusted).</summary>
    public string OtherCaPem { get; }

    /// <summary>The CA's certificate, to trust in a test's own HTTP client.</summary>
    public required X509Certificate2 Ca { get; init; }

    public static TestCertificates Create(string folder)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Gateway Test Site CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=gateway.test", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var signed = serverRequest.Create(ca, now.AddDays(-1), now.AddDays(90), RandomNumberGenerator.GetBytes(8));
        using var server = signed.CopyWithPrivateKey(serverKey);

        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = new CertificateRequest("CN=Someone Else's CA", otherKey, HashAlgorithmName.SHA256).CreateSelfSigned(now.AddDays(-1), now.AddYears(1));

        var files = new TestCertificates(folder) { Ca = X509CertificateLoader.LoadCertificate(ca.RawData) };
        File.WriteAllText(files.CaPem, ca.ExportCertificatePem() + "\n");
        File.WriteAllText(files.OtherCaPem, other.ExportCertificatePem() + "\n");
        File.WriteAllText(files.ServerPem, server.ExportCertificatePem() + "\n");
        File.WriteAllText(files.ServerKeyPem, serverKey.ExportPkcs8PrivateKeyPem() + "\n");
        File.WriteAllText(files.ServerCombinedPem, server.ExportCertificatePem() + "\n" + serverKey.ExportPkcs8PrivateKeyPem() + "\n");
        File.WriteAllBytes(files.ServerPfx, server.Export(X509ContentType.Pkcs12, PfxPassword));
        return files;
    }

    /// <summary>A handler that trusts exactly this site CA (and the system's roots, which signed nothing here).</summary>
    public SocketsHttpHandler TrustingHandler() => new()
    {
        SslOptions =
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) != 0)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(Ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            },
        },
    };
}
