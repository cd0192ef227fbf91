using System.Net;
using System.Text.Json;

namespace Gateway.Service.Tests.Hosting;

/// <summary>The built service as a real process: it starts, answers /health, and stops cleanly on SIGTERM and SIGINT.</summary>
public sealed class ServiceLifetimeTests : IDisposable
{
    // Generous: only there to catch a hang, never to judge speed.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private const string Token = "lifetime-test-bootstrap-token-0123456789abcdef";
    private readonly TempFolder _folder = new("gateway-life");

    [LinuxTheory]
    [InlineData(15, "SIGTERM")]
    [InlineData(2, "SIGINT")]
    public async Task Signal_AfterHealthy_StopsWithExitCode0_AndLogsShutdownToFile(int signal, string name)
    {
        await using var service = StartService();
        var url = await WaitForUrlAsync(service);

        using var http = Authorized();
        using var response = await http.GetAsync(new Uri(url + "/health"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("ready", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("open", body.RootElement.GetProperty("storage").GetProperty("state").GetString());
        Assert.True(body.RootElement.GetProperty("storage").GetProperty("schemaVersion").GetInt32() >= 1);

        service.Signal(signal);
        var code = await service.WaitForExitAsync(Bound);

        Assert.True(code == 0, $"{name}: exit code {code}\n{service.StandardOutput}\n{service.StandardError}");
        var logs = Directory.GetFiles(Path.Combine(_folder.Path, "logs"), "gateway-*.log");
        var log = await File.ReadAllTextAsync(Assert.Single(logs));
        Assert.Contains("Gateway stopped", log, StringComparison.Ordinal);
        Assert.Contains("started: site test-site", log, StringComparison.Ordinal);
    }

    [Fact]
    public void RuntimeConfig_BuiltService_UsesWorkstationGarbageCollector()
    {
        // A site's service idles small: Server GC kept ~30 MB more resident for the same heap (docs/benchmarks.md, "sync").
        var config = Path.ChangeExtension(RepoPaths.Service, ".runtimeconfig.json");
        using var json = JsonDocument.Parse(File.ReadAllText(config));

        var properties = json.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.False(properties.GetProperty("System.GC.Server").GetBoolean());
    }

    [LinuxFact]
    public async Task Liveness_Answers200_AndReadinessListsConfiguredDevices()
    {
        await using var service = StartService(
            "--Gateway:Devices:0:Id=gate-1",
            "--Gateway:Devices:0:Kind=barrier",
            "--Gateway:Devices:0:Endpoint=tcp://127.0.0.1:1502",
            "--Gateway:Devices:0:Zone=car-park");
        var url = await WaitForUrlAsync(service);
        using var http = Authorized();

        using var live = await http.GetAsync(new Uri(url + "/health/live"));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);

        using var ready = JsonDocument.Parse(await http.GetStringAsync(new Uri(url + "/health")));
        var device = Assert.Single(ready.RootElement.GetProperty("devices").EnumerateArray());
        Assert.Equal("gate-1", device.GetProperty("id").GetString());
        Assert.Equal("barrier", device.GetProperty("kind").GetString());
        Assert.Equal("tcp://127.0.0.1:1502", device.GetProperty("endpoint").GetString());
    }

    [LinuxFact]
    public async Task Start_OnDatabaseOfAnotherSite_RefusesWithClearMessage()
    {
        await using (var first = StartService())
        {
            await WaitForUrlAsync(first);
            first.Signal(15);
            Assert.Equal(0, await first.WaitForExitAsync(Bound));
        }

        var (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(
            RepoPaths.Service,
            [$"--Gateway:DataFolder={_folder.Path}", "--Gateway:Http:Port=0", "--Gateway:SiteId=other-site"],
            Bound);
        Assert.Equal(1, code);
        Assert.Contains("belongs to site 'test-site'", stdout + stderr, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task Start_WhileAnotherServiceRunsOnTheDataFolder_RefusedUntilThatOneIsKilled()
    {
        await using var first = StartService();
        await WaitForUrlAsync(first);

        var (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(
            RepoPaths.Service,
            [$"--Gateway:DataFolder={_folder.Path}", "--Gateway:Http:Port=0", "--Gateway:SiteId=test-site"],
            Bound);
        Assert.Equal(1, code);
        Assert.Contains("another Gateway is running on data folder", stdout + stderr, StringComparison.Ordinal);

        // SIGKILL leaves no stale lock: the operating system releases it with the process.
        first.Signal(9);
        await first.WaitForExitAsync(Bound);
        await using var second = StartService();
        await WaitForUrlAsync(second);
        second.Signal(15);
        Assert.Equal(0, await second.WaitForExitAsync(Bound));
    }

    public void Dispose() => _folder.Dispose();

    private ChildProcess StartService(params string[] extra) => ChildProcess.StartDotnet(
        RepoPaths.Service,
        [$"--Gateway:DataFolder={_folder.Path}", "--Gateway:Http:Port=0", "--Gateway:SiteId=test-site", $"--Gateway:BootstrapToken={Token}", .. extra]);

    /// <summary>/health details storage and devices to a token that reads devices only.</summary>
    private static HttpClient Authorized()
    {
        var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        return http;
    }

    private static async Task<string> WaitForUrlAsync(ChildProcess service)
    {
        var match = await service.WaitForLineAsync(@"started: site \S+, HTTP (http://[0-9.]+:\d+)", Bound);
        return match.Groups[1].Value;
    }
}
