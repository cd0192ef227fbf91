using System.Text.Json;

namespace Gateway.Cli.Tests;

/// <summary>gatewayctl holders and cards as real processes against the built service (a real process on 127.0.0.1).</summary>
public sealed class FrontDeskCommandsTests : IAsyncLifetime
{
    private const string Token = "cli-front-desk-token-0123456789abcdef0123";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly TempFolder _folder = new("gatewayctl-desk");
    private ChildProcess? _service;
    private string _url = string.Empty;

    public async Task InitializeAsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        _service = ChildProcess.StartDotnet(RepoPaths.Service, [$"--Gateway:DataFolder={_folder.Combine("data")}", "--Gateway:Http:Port=0", $"--Gateway:BootstrapToken={Token}"]);
        _url = (await _service.WaitForLineAsync(@"HTTP (http://[0-9.]+:\d+)", Bound)).Groups[1].Value;
    }

    [LinuxFact]
    public async Task HoldersAndCards_JsonForScripts_TablesForPeople_ProblemsAsOneLine()
    {
        var (code, stdout, stderr) = await RunAsync("holders", "add", "--name", "Li Wei", "--unit", "3-2-1201", "--id-number", "110101199003071234", "--json");
        Assert.True(code == 0, stderr);
        using var holder = JsonDocument.Parse(stdout);
        var holderId = holder.RootElement.GetProperty("id").GetInt64();
        Assert.Equal("****1234", holder.RootElement.GetProperty("idDocument").GetString());

        (code, stdout, stderr) = await RunAsync("holders", "list", "--unit", "3-2-1201");
        Assert.True(code == 0, stderr);
        Assert.Matches(@"ID\s+NAME\s+UNIT", stdout);
        Assert.Contains("Li Wei", stdout, StringComparison.Ordinal);

        (code, stdout, stderr) = await RunAsync("cards", "receive", "100001", "100005", "--batch", "B-7");
        Assert.True(code == 0, stderr);
        Assert.Contains("received 5 cards 100001-100005", stdout, StringComparison.Ordinal);

        (code, stdout, _) = await RunAsync("cards", "list", "--state", "in-stock", "--limit", "2", "--json");
        Assert.Equal(0, code);
        using (var page = JsonDocument.Parse(stdout))
        {
            Assert.Equal(2, page.RootElement.GetProperty("items").GetArrayLength());
            Assert.Equal(100002, page.RootElement.GetProperty("next").GetInt64());
        }

        (code, stdout, _) = await RunAsync("cards", "list", "--limit", "2");
        Assert.Contains("(more: --after 100002)", stdout, StringComparison.Ordinal);

        // A refused transition: exit 5, nothing on stdout, one stderr line naming the problem type.
        (code, stdout, stderr) = await RunAsync("cards", "lost", "100001");
        Assert.Equal(5, code);
        Assert.Equal(string.Empty, stdout.Trim());
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("urn:gateway:problem:invalid-transition", line, StringComparison.Ordinal);
        Assert.Contains("in-stock", line, StringComparison.Ordinal);

        // No encoder in this service: issuing says so and how to resume.
        (code, _, stderr) = await RunAsync("cards", "issue", "100001", "--holder", holderId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--kind", "access", "--receipt", "R-1");
        Assert.Equal(1, code);
        line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("urn:gateway:problem:encoder-unavailable", line, StringComparison.Ordinal);
        Assert.Contains("--idempotency-key", line, StringComparison.Ordinal);

        (code, stdout, _) = await RunAsync("cards", "show", "100001");
        Assert.Equal(0, code);
        Assert.Matches(@"state\s+in-stock", stdout);
        Assert.Contains("receive", stdout, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task NoToken_Exit3_WithOneLine()
    {
        var (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["cards", "list", "--server", _url], Bound, environment: new Dictionary<string, string?>
        {
            ["GATEWAY_TOKEN"] = null,
            ["GATEWAY_CREDENTIALS"] = _folder.Combine("none.json"),
        });
        Assert.Equal(3, code);
        Assert.Equal(string.Empty, stdout.Trim());
        Assert.Contains("no token", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task BadUnitOrNumber_IsRefusedBeforeSending()
    {
        var (code, _, stderr) = await RunAsync("holders", "add", "--name", "A", "--unit", "3-2");
        Assert.Equal(2, code);
        Assert.Contains("building-unit-room", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await RunAsync("cards", "show", "abc");
        Assert.Equal(2, code);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    public async Task DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        _folder.Dispose();
    }

    private Task<(int ExitCode, string StandardOutput, string StandardError)> RunAsync(params string[] args) =>
        ChildProcess.RunDotnetAsync(RepoPaths.Cli, [.. args, "--server", _url], Bound, environment: new Dictionary<string, string?>
        {
            ["GATEWAY_TOKEN"] = Token,
            ["GATEWAY_CREDENTIALS"] = _folder.Combine("credentials.json"),
        });
}
