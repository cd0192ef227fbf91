using System.Net;
using System.Security.Authentication;
using Gateway.Service.Hosting;
using Gateway.Service.Tests.Api;

namespace Gateway.Service.Tests.Hosting;

/// <summary>
/// The HTTP listener serves HTTPS from a PEM or PFX certificate in configuration (through the service's
/// own listener setup, on a real socket); plain HTTP beyond loopback needs an explicit setting.
/// </summary>
public sealed class HttpsTests : IDisposable
{
    private readonly TempFolder _folder = new("gateway-https");
    private readonly TestCertificates _certificates;

    public HttpsTests()
    {
        _certificates = TestCertificates.Create(_folder.Path);
    }

    public static TheoryData<string, string?, string?> Certificates() => new()
    {
        { "server.pem", "server.key", null },
        { "server-with-key.pem", null, null },
        { "server.pfx", null, TestCertificates.PfxPassword },
    };

    [Theory]
    [MemberData(nameof(Certificates))]
    public async Task Certificate_PemOrPfx_ServesHttpsThatTheSiteCaVerifies_AndNoPlainHttp(string file, string? key, string? password)
    {
        await using var host = await ApiTestHost.StartAsync(configuration: new Dictionary<string, string?>
        {
            ["Gateway:Http:Certificate:Path"] = _folder.Combine(file),
            ["Gateway:Http:Certificate:KeyPath"] = key is null ? null : _folder.Combine(key),
            ["Gateway:Http:Certificate:Password"] = password,
        });
        Assert.Equal("https", host.BaseAddress.Scheme);

        using var trusting = new HttpClient(_certificates.TrustingHandler()) { BaseAddress = host.BaseAddress };
        trusting.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiTestHost.AdminToken);
        using (var health = await trusting.GetAsync(new Uri("health", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        using (var me = await trusting.GetAsync(new Uri("api/me", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        }

        // A client that trusts only the system's roots refuses the site's certificate.
        using var untrusting = new HttpClient { BaseAddress = host.BaseAddress };
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetAsync(new Uri("health", UriKind.Relative)));
        Assert.IsType<AuthenticationException>(refused.InnerException);

        // The port speaks TLS only.
        using var plain = new HttpClient { BaseAddress = new UriBuilder(host.BaseAddress) { Scheme = "http" }.Uri, Timeout = TimeSpan.FromSeconds(30) };
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var response = await plain.GetAsync(new Uri("health", UriKind.Relative));
            response.EnsureSuccessStatusCode();
        });
    }

    [Fact]
    public void NonLoopbackAddress_WithoutCertificate_RefusedUnlessAllowedExplicitly_ThenWarned()
    {
        Assert.False(Load(new() { ["Gateway:Http:Address"] = "0.0.0.0" }, out _, out var error));
        Assert.StartsWith("Gateway:Http:Address: 0.0.0.0 is not a loopback address and no certificate is configured", error, StringComparison.Ordinal);
        Assert.Contains("Gateway:Http:AllowUnencrypted=true", error, StringComparison.Ordinal);

        Assert.True(Load(new() { ["Gateway:Http:Address"] = "0.0.0.0", ["Gateway:Http:AllowUnencrypted"] = "true" }, out var allowed, out error), error);
        Assert.Contains(allowed!.Http.Warnings(DateTimeOffset.UtcNow), w => w.StartsWith("serving plain HTTP on 0.0.0.0", StringComparison.Ordinal));

        Assert.True(Load(new() { ["Gateway:Http:Address"] = "::1" }, out var loopback, out error), error);
        Assert.Empty(loopback!.Http.Warnings(DateTimeOffset.UtcNow));

        Assert.True(Load(new() { ["Gateway:Http:Address"] = "0.0.0.0", ["Gateway:Http:Certificate:Path"] = _certificates.ServerCombinedPem }, out var https, out error), error);
        Assert.Empty(https!.Http.Warnings(DateTimeOffset.UtcNow));
        Assert.Single(https.Http.Warnings(DateTimeOffset.UtcNow.AddDays(70)), w => w.Contains("expires at", StringComparison.Ordinal));
        Assert.Single(https.Http.Warnings(DateTimeOffset.UtcNow.AddDays(100)), w => w.Contains("expired at", StringComparison.Ordinal));
    }

    [Fact]
    public void Certificate_Unusable_RefusedWithTheKeyNamed_NeverThePassword()
    {
        Assert.False(Load(new() { ["Gateway:Http:Certificate:Path"] = _folder.Combine("missing.pem") }, out _, out var error));
        Assert.StartsWith("Gateway:Http:Certificate:Path: ", error, StringComparison.Ordinal);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);

        Assert.False(Load(new() { ["Gateway:Http:Certificate:Path"] = _certificates.ServerPem }, out _, out error));
        Assert.StartsWith("Gateway:Http:Certificate:Path: ", error, StringComparison.Ordinal);

        Assert.False(Load(new() { ["Gateway:Http:Certificate:Path"] = _certificates.ServerPfx, ["Gateway:Http:Certificate:Password"] = "not-the-password-9f" }, out _, out error));
        Assert.StartsWith("Gateway:Http:Certificate:Path: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password-9f", error, StringComparison.Ordinal);

        Assert.False(Load(new() { ["Gateway:Http:Certificate:KeyPath"] = _certificates.ServerKeyPem }, out _, out error));
        Assert.StartsWith("Gateway:Http:Certificate:KeyPath: ", error, StringComparison.Ordinal);

        Assert.False(Load(new() { ["Gateway:Http:AllowUnencrypted"] = "maybe" }, out _, out error));
        Assert.StartsWith("Gateway:Http:AllowUnencrypted: 'maybe'", error, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();

    private bool Load(Dictionary<string, string?> settings, out GatewayOptions? options, out string? error)
    {
        settings["Gateway:DataFolder"] = _folder.Combine("data");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return GatewayOptions.TryLoad(configuration, out options, out error);
    }
}
