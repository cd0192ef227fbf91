using System.Text.Json;
using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Pcsc;

namespace Gateway.Cli.Tests;

/// <summary>vpcd's readers are on fixed ports: the tests of this assembly that use them run one at a time.</summary>
[CollectionDefinition(Vpcd.Collection, DisableParallelization = true)]
public sealed class PcscCollection
{
}

/// <summary>
/// gatewayctl encoder info/read on a PC/SC reader (<c>pcsc://…</c>): gatewayctl and gateway-sim's
/// simulated reader card (<c>--vpcd</c>) as real processes, through pcsc-lite, pcscd and vsmartcard-vpcd.
/// </summary>
[Collection(Vpcd.Collection)]
public sealed class PcscEncoderCommandTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    [PcscFact]
    public async Task InfoAndRead_OnAPcscReader_AsOnASerialPort()
    {
        using var vpcd = await Vpcd.AcquireAsync();
        var process = ChildProcess.StartDotnet(RepoPaths.Simulator, ["encoder", "--vpcd", $"{Vpcd.Host}:{Vpcd.Port}", "--card", "1k", "--uid", "04D1E2F3"]);
        await using var simulator = process;
        await process.WaitForLineAsync("^ready", Wait);
        var keyText = SiteCardKeys.GenerateKeyText();
        await using (var encoder = new PcscCardEncoder(new PcscEncoderOptions(Vpcd.Endpoint, "site-7"), SiteCardKeys.Parse(keyText, 1), new InMemoryCardWriteJournal()))
        {
            using var bound = new CancellationTokenSource(Wait);
            await encoder.WaitForCardAsync(Wait, bound.Token);
            await encoder.IssueAsync(new CardIssueRequest(4712, CardKind.Access, 1), bound.Token);
        }

        var (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["encoder", "info", Vpcd.Endpoint, "--json"], Wait);
        Assert.True(code == 0, stderr);
        using (var json = JsonDocument.Parse(stdout))
        {
            Assert.Equal(Vpcd.Endpoint, json.RootElement.GetProperty("port").GetString());
            Assert.Equal("PC/SC reader (pcsc-lite)", json.RootElement.GetProperty("firmware").GetString());
            Assert.Equal("04D1E2F3", json.RootElement.GetProperty("card").GetProperty("uid").GetString());
            Assert.Equal("1k", json.RootElement.GetProperty("card").GetProperty("type").GetString());
        }

        var env = new Dictionary<string, string?> { ["GATEWAY_CARD_KEY"] = keyText, ["GATEWAY_SITE_ID"] = "site-7" };
        (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["encoder", "read", Vpcd.Endpoint], Wait, environment: env);
        Assert.True(code == 0, stderr);
        Assert.Contains("Gateway card number 4712 of site site-7", stdout, StringComparison.Ordinal);
    }

    [PcscFact]
    public async Task Info_ReaderNotThere_OneLineListingTheReaders()
    {
        var endpoint = PcscEndpoint.Format("ACS ACR122U PICC Interface 00 00");
        var (code, _, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["encoder", "info", endpoint], Wait);
        Assert.Equal(1, code);
        Assert.StartsWith($"gatewayctl: {endpoint}: ", stderr, StringComparison.Ordinal);
        Assert.Contains(Vpcd.Endpoint, stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("pcsc:/Virtual PCD", "is not a PC/SC endpoint")]
    [InlineData("pcsc://Virtual%2", "a '%' must be followed by two hex digits")]
    public async Task Info_MalformedEndpoint_Exit2AndOneLine(string endpoint, string expected)
    {
        var (code, _, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["encoder", "info", endpoint], Wait);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
