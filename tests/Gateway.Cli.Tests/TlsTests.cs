using System.Text.Json;

namespace Gateway.Cli.Tests;

/// <summary>
/// gatewayctl against a service serving HTTPS with a site's own CA, as real processes: the certificate is
/// verified, an untrusted one is refused with a line that says what to do, and --ca-file (or
/// GATEWAY_CA_FILE, or the file saved at login) makes the site CA trusted.
/// </summary>
public sealed class TlsTests : IDisposable
{
    private const string Token = "cli-tls-bootstrap-token-0123456789abcdef0123";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly TempFolder _folder = new("gatewayctl-tls");

    [LinuxFact]
    public async Task Https_CertificateVerified_SiteCaByOptionVariableOrLogin_UntrustedRefusedWithAHint()
    {
        var certificates = TestCertificates.Create(_folder.Path);
        await using var service = ChildProcess.StartDotnet(RepoPaths.Service, [$"--Gateway:DataFolder={_folder.Combine("data")}", "--Gateway:Http:Port=0", $"--Gateway:BootstrapToken={Token}", $"--Gateway:Http:Certificate:Path={certificates.ServerCombinedPem}"]);
        var url = (await service.WaitForLineAsync(@"HTTP (https://[0-9.]+:\d+)", Bound)).Groups[1].Value;
        var credentials = _folder.Combine("credentials.json");

        var untrusted = await RunAsync(["health", "--server", url], credentials);
        Assert.Equal(1, untrusted.Code);
        var line = Assert.Single(untrusted.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"the certificate of the service at {url}/ is not trusted", line, StringComparison.Ordinal);
        Assert.Contains("--ca-file", line, StringComparison.Ordinal);

        var otherCa = await RunAsync(["health", "--server", url, "--ca-file", certificates.OtherCaPem], credentials);
        Assert.Equal(1, otherCa.Code);
        Assert.Contains("is not trusted", otherCa.Err, StringComparison.Ordinal);

        var trusted = await RunAsync(["health", "--server", url, "--ca-file", certificates.CaPem], credentials);
        Assert.True(trusted.Code == 0, trusted.Err);
        Assert.Contains("status   ready", trusted.Out, StringComparison.Ordinal);

        var byVariable = await RunAsync(["health", "--server", url], credentials, ("GATEWAY_CA_FILE", certificates.CaPem));
        Assert.True(byVariable.Code == 0, byVariable.Err);

        // Logging in with the CA saves it beside the token: later commands need neither option nor variable.
        var login = await RunAsync(["login", "--server", url, "--ca-file", certificates.CaPem], credentials, ("GATEWAY_TOKEN", Token));
        Assert.True(login.Code == 0, login.Err);
        using (var saved = JsonDocument.Parse(await File.ReadAllTextAsync(credentials)))
        {
            Assert.Equal(certificates.CaPem, saved.RootElement.GetProperty("caFile").GetString());
        }

        var me = await RunAsync(["operators", "list", "--json"], credentials);
        Assert.True(me.Code == 0, me.Err);
        Assert.Contains("\"admin\"", me.Out, StringComparison.Ordinal);

        var missing = await RunAsync(["health", "--server", url, "--ca-file", _folder.Combine("no-such-ca.pem")], credentials);
        Assert.Equal(1, missing.Code);
        Assert.Contains("--ca-file", missing.Err, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();

    private static async Task<(int Code, string Out, string Err)> RunAsync(string[] args, string credentials, params (string Key, string Value)[] extra)
    {
        var environment = new Dictionary<string, string?>
        {
            ["GATEWAY_TOKEN"] = null,
            ["GATEWAY_CREDENTIALS"] = credentials,
            ["GATEWAY_SERVER"] = null,
            ["GATEWAY_CA_FILE"] = null,
        };
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        var (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, args, Bound, environment: environment);
        return (code, stdout, stderr);
    }
}
