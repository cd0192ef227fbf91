using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Cli.Api;

/// <summary>
/// How gatewayctl verifies an https:// service: always (name and chain), against the system's roots and,
/// when given, a site's own CA certificate(s) in a PEM file: <c>--ca-file</c>, else <c>GATEWAY_CA_FILE</c>,
/// else the file saved by <c>gatewayctl login</c>. There is no switch that turns verification off.
/// </summary>
public static class ServerTrust
{
    public const string CaFileVariable = "GATEWAY_CA_FILE";

    /// <summary>The --ca-file given on the command line (set once by Program before a command runs).</summary>
    public static string? CommandLineCaFile { get; set; }

    /// <summary>The CA file in force, as a full path, or null for the system's roots only.</summary>
    public static string? CaFile =>
        CommandLineCaFile is { Length: > 0 } given ? Path.GetFullPath(given)
        : Environment.GetEnvironmentVariable(CaFileVariable) is { Length: > 0 } fromEnvironment ? Path.GetFullPath(fromEnvironment)
        : TokenStore.SavedCaFile();

    /// <summary>A handler for talking to the service: the site CA trusted too when one is in force.</summary>
    /// <exception cref="CliException">The CA file cannot be read or holds no certificate.</exception>
    public static SocketsHttpHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler();
        if (CaFile is { } file)
        {
            var authorities = Load(file);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => Verify(authorities, certificate, errors);
        }

        return handler;
    }

    /// <summary>A failure to reach the service, said plainly when it is the certificate.</summary>
    public static string Describe(Uri server, HttpRequestException ex) => ex.InnerException is AuthenticationException tls
        ? $"the certificate of the service at {server} is not trusted ({tls.Message.TrimEnd('.')}): give the site's CA certificate with --ca-file FILE (or {CaFileVariable})"
        : $"cannot reach the service at {server}: {ex.Message}";

    private static X509Certificate2Collection Load(string file)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new CliException($"--ca-file {file}: cannot read it as PEM certificates ({ex.Message})", 1, ex);
        }

        return authorities.Count > 0 ? authorities : throw new CliException($"--ca-file {file}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }

    private static bool Verify(X509Certificate2Collection authorities, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        // A wrong host name or no certificate at all is never excused; only the chain is judged again, against the site CA.
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(presented);
    }
}
