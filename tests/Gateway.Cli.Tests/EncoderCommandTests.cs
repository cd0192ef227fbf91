using System.Text.Json;
using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;

namespace Gateway.Cli.Tests;

/// <summary>gatewayctl encoder info/read against gateway-sim encoder, both real processes, over a real pty.</summary>
public sealed class EncoderCommandTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private readonly TempFolder _folder = new("gateway-cli-encoder");
    private readonly string _keyText = SiteCardKeys.GenerateKeyText();

    [LinuxFact]
    public async Task Info_Json_ReportsFirmwareAndCard()
    {
        var link = _folder.Combine("ttyPN532");
        await using var sim = await StartSimulatorAsync(link, "01020304");
        var (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["encoder", "info", link, "--json"], Wait);
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal("PN532 v1.6", json.RootElement.GetProperty("firmware").GetString());
        Assert.Equal("01020304", json.RootElement.GetProperty("card").GetProperty("uid").GetString());
        Assert.Equal("1k", json.RootElement.GetProperty("card").GetProperty("type").GetString());
    }

    [LinuxFact]
    public async Task Info_NoCard_SaysNone()
    {
        var link = _folder.Combine("ttyPN532");
        await using var sim = await StartSimulatorAsync(link, null, "none");
        var (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["encoder", "info", link], Wait);
        Assert.True(code == 0, stderr);
        Assert.Contains("card     none", stdout, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task Info_NoReaderOnPort_OneLineNamingThePort()
    {
        var missing = _folder.Combine("ttyNothing");
        var (code, _, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["encoder", "info", missing], Wait);
        Assert.Equal(1, code);
        Assert.StartsWith($"gatewayctl: {missing}: ", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [LinuxFact]
    public async Task Read_IssuedCard_NamesSiteAndNumber_ThenWrongKey_AndBlank_SayWhy()
    {
        var link = _folder.Combine("ttyPN532");
        await using var sim = await StartSimulatorAsync(link, "0A0B0C0D");
        await using (var encoder = new Pn532CardEncoder(new Pn532EncoderOptions(link, "site-7"), SiteCardKeys.Parse(_keyText, 1), new InMemoryCardWriteJournal()))
        {
            await encoder.IssueAsync(new CardIssueRequest(4711, CardKind.Both, 1), new CancellationTokenSource(Wait).Token);
        }

        var keyFile = _folder.Combine("site.key");
        await File.WriteAllTextAsync(keyFile, _keyText);
        var (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["encoder", "read", link, "--json", "--key-file", keyFile, "--site", "site-7"], Wait);
        Assert.True(code == 0, stderr);
        using (var json = JsonDocument.Parse(stdout))
        {
            Assert.True(json.RootElement.GetProperty("valid").GetBoolean());
            Assert.Equal("site-7", json.RootElement.GetProperty("siteId").GetString());
            Assert.Equal(4711, json.RootElement.GetProperty("cardNumber").GetInt64());
            Assert.Equal("both", json.RootElement.GetProperty("kind").GetString());
        }

        // The key from the environment, as the service can take it.
        var env = new Dictionary<string, string?> { ["GATEWAY_CARD_KEY"] = _keyText, ["GATEWAY_SITE_ID"] = "site-7" };
        (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["encoder", "read", link], Wait, environment: env);
        Assert.True(code == 0, stderr);
        Assert.Contains("Gateway card number 4711 of site site-7", stdout, StringComparison.Ordinal);

        // Another site's key: not this site's card, and exactly why.
        env["GATEWAY_CARD_KEY"] = SiteCardKeys.GenerateKeyText();
        (code, stdout, _) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["encoder", "read", link, "--json"], Wait, environment: env);
        Assert.Equal(EncoderCommandExitCodes.NotGatewayCard, code);
        using (var json = JsonDocument.Parse(stdout))
        {
            Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
            Assert.Equal("unknown-keys", json.RootElement.GetProperty("reason").GetString());
        }

        // A blank card.
        using var http = new HttpClient { BaseAddress = new Uri(sim.ControlUrl) };
        (await http.PostAsync("field/clear", null)).EnsureSuccessStatusCode();
        (await http.PostAsync("cards", new StringContent("{\"type\":\"1k\"}", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        (code, _, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["encoder", "read", link, "--key-file", keyFile, "--site", "site-7"], Wait);
        Assert.Equal(EncoderCommandExitCodes.NotGatewayCard, code);
        Assert.Contains("blank stock", stderr, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task Read_NoKey_RefusedBeforeTouchingTheReader()
    {
        var env = new Dictionary<string, string?> { ["GATEWAY_CARD_KEY"] = null, ["GATEWAY_SITE_ID"] = "site-7" };
        var (code, _, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["encoder", "read", _folder.Combine("tty0")], Wait, environment: env);
        Assert.Equal(2, code);
        Assert.Contains("GATEWAY_CARD_KEY", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keygen_PrintsAKeyTheKeyLoaderAccepts()
    {
        var (code, stdout, _) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["encoder", "keygen", "--version", "3"], Wait);
        Assert.Equal(0, code);
        Assert.Equal([3], SiteCardKeys.Parse(stdout.Trim(), 3).Versions);
    }

    public void Dispose() => _folder.Dispose();

    private static async Task<Simulator> StartSimulatorAsync(string link, string? uid, string card = "1k")
    {
        List<string> args = ["encoder", "--pty", link, "--card", card, "--control", "http://127.0.0.1:0"];
        if (uid is not null)
        {
            args.AddRange(["--uid", uid]);
        }

        var process = ChildProcess.StartDotnet(RepoPaths.Simulator, args);
        var url = (await process.WaitForLineAsync(@"^control (http://\S+)", Wait)).Groups[1].Value;
        await process.WaitForLineAsync("^ready", Wait);
        return new Simulator(process, url);
    }

    private sealed record Simulator(ChildProcess Process, string ControlUrl) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Process.DisposeAsync();
    }
}

internal static class EncoderCommandExitCodes
{
    public const int NotGatewayCard = Gateway.Cli.Commands.EncoderCommand.NotGatewayCardExitCode;
}
