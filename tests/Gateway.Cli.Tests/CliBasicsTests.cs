using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Gateway.Cli.Tests;

/// <summary>gatewayctl as a real process: version, help, errors as one line, and health against a live service.</summary>
public sealed class CliBasicsTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly TempFolder _folder = new("gatewayctl");

    [Fact]
    public async Task Version_PrintsProductVersion()
    {
        var (code, stdout, _) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["--version"], Bound);
        Assert.Equal(0, code);
        Assert.StartsWith("0.1.0", stdout.Trim(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData]
    [InlineData("health")]
    public async Task Help_OnEveryLevel_DescribesTheCommand(params string[] path)
    {
        var (code, stdout, _) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, [.. path, "--help"], Bound);
        Assert.Equal(0, code);
        Assert.Contains("Usage:", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_ServiceNotRunning_ExitsNonZero_WithOneStderrLine()
    {
        var port = FreePort();
        var (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["health", "--server", $"http://127.0.0.1:{port}"], Bound);
        Assert.NotEqual(0, code);
        Assert.Equal(string.Empty, stdout.Trim());
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"cannot reach the service at http://127.0.0.1:{port}", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("health", "--nope")]
    public async Task UnknownCommandOrOption_ExitsNonZero_WithOneStderrLine(params string[] args)
    {
        var (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, args, Bound);
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout.Trim());
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(args[^1], line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_BadServerUrl_IsRefused()
    {
        var (code, _, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["health", "--server", "ftp://x"], Bound);
        Assert.Equal(1, code);
        Assert.Contains("is not an http:// or https:// URL", stderr, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task Health_AgainstLiveService_ReadinessForAnyone_TheReportWithAToken()
    {
        const string token = "cli-health-bootstrap-token-0123456789abcdef";
        await using var service = ChildProcess.StartDotnet(RepoPaths.Service, [$"--Gateway:DataFolder={_folder.Combine("data")}", "--Gateway:Http:Port=0", "--Gateway:SiteId=cli-site", $"--Gateway:BootstrapToken={token}"]);
        var url = (await service.WaitForLineAsync(@"HTTP (http://[0-9.]+:\d+)", Bound)).Groups[1].Value;
        var anonymous = new Dictionary<string, string?> { ["GATEWAY_TOKEN"] = null, ["GATEWAY_CREDENTIALS"] = _folder.Combine("no-credentials.json") };

        var (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["health", "--server", url, "--json"], Bound, environment: anonymous);
        Assert.True(code == 0, stderr);
        Assert.Equal("""{"status":"ready"}""", stdout.Trim());

        var (textCode, text, _) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["health"], Bound, environment: new Dictionary<string, string?>(anonymous) { ["GATEWAY_SERVER"] = url });
        Assert.Equal(0, textCode);
        Assert.Contains("status   ready", text, StringComparison.Ordinal);
        Assert.DoesNotContain("cli-site", text, StringComparison.Ordinal);

        var withToken = new Dictionary<string, string?>(anonymous) { ["GATEWAY_SERVER"] = url, ["GATEWAY_TOKEN"] = token };
        var (jsonCode, report, _) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["health", "--json"], Bound, environment: withToken);
        Assert.Equal(0, jsonCode);
        using var json = JsonDocument.Parse(report);
        Assert.Equal("ready", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("cli-site", json.RootElement.GetProperty("siteId").GetString());
        var (fullCode, full, _) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["health"], Bound, environment: withToken);
        Assert.Equal(0, fullCode);
        Assert.Contains("site     cli-site", full, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
