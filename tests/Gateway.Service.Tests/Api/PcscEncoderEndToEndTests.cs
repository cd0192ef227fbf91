using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Gateway.Service.Api;

namespace Gateway.Service.Tests.Api;

/// <summary>vpcd's readers are on fixed ports: the tests of this assembly that use them run one at a time.</summary>
[CollectionDefinition(Vpcd.Collection, DisableParallelization = true)]
public sealed class PcscCollection
{
}

/// <summary>
/// Issuing through the service on a PC/SC reader, every part a real process or the real stack: the
/// service's API and encoder port configured with <c>pcsc://Virtual%20PCD%2000%2000</c>, pcsc-lite and
/// pcscd with vsmartcard-vpcd, and gateway-sim's simulated reader card (<c>--vpcd</c>) as a separate
/// process; the journal in SQLite.
/// </summary>
[Collection(Vpcd.Collection)]
public sealed class PcscEncoderEndToEndTests : IAsyncLifetime
{
    private const string Uid = "04C1D2E3";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly TempFolder _folder = new("gateway-e2e-pcsc");
    private IDisposable? _vpcd;
    private ChildProcess? _simulator;
    private HttpClient? _control;

    public async Task InitializeAsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        _vpcd = await Vpcd.AcquireAsync();
        _simulator = ChildProcess.StartDotnet(RepoPaths.Simulator, ["encoder", "--vpcd", $"{Vpcd.Host}:{Vpcd.Port}", "--card", "1k", "--uid", Uid, "--control", "http://127.0.0.1:0"]);
        var url = (await _simulator.WaitForLineAsync(@"^control (http://\S+)", Bound)).Groups[1].Value;
        await _simulator.WaitForLineAsync("^ready", Bound);
        _control = new HttpClient { BaseAddress = new Uri(url) };
    }

    [PcscFact]
    public async Task Issue_OnAPcscReader_ThenNoCard_502AndNothingWritten()
    {
        var keyFile = _folder.Combine("site.key");
        await File.WriteAllTextAsync(keyFile, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        await using var host = await FrontDeskHost.StartAsync(encoder: null, extra: new Dictionary<string, string?>
        {
            ["Gateway:Devices:3:Endpoint"] = Vpcd.Endpoint,
            ["Gateway:CardKeys:KeyFile"] = keyFile,
        });
        var holderId = (await FrontDeskHost.CreateHolderAsync(host.Client)).GetProperty("id").GetInt64();
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100002);

        // pcscd polls vpcd's reader: the desk sees the blank card once pcscd has.
        await WhoIsThisAsync(host, "blank", Uid);
        using (var issued = await FrontDeskHost.IssueAsync(host.Client, 100001, holderId, "both", key: "pcsc-issue"))
        {
            var card = await ApiTestHost.ReadJsonAsync(issued);
            Assert.True(issued.StatusCode == HttpStatusCode.Created, card.GetRawText());
            Assert.Equal(Uid, card.GetProperty("uid").GetString());
            Assert.Equal("issued", card.GetProperty("state").GetString());
        }

        var who = await WhoIsThisAsync(host, "valid", Uid);
        Assert.Equal(100001, who.GetProperty("card").GetProperty("number").GetInt64());

        // The card taken off: "who is this?" says no card, and an issue answers 502 with nothing written.
        (await _control!.PostAsync(new Uri("field/clear", UriKind.Relative), null)).EnsureSuccessStatusCode();
        await WhoIsThisAsync(host, "no-card", null);
        using (var none = await FrontDeskHost.IssueAsync(host.Client, 100002, holderId, "access", key: "pcsc-none"))
        {
            var problem = await ApiTestHost.ReadJsonAsync(none);
            Assert.True(none.StatusCode == HttpStatusCode.BadGateway, problem.GetRawText());
            Assert.Equal("urn:gateway:problem:encoder-failed", problem.GetProperty("type").GetString());
        }

        Assert.Equal("0", Scalar(host, "SELECT COUNT(*) FROM card_write_journal WHERE card_number = 100002"));
        Assert.Equal("in-stock", (await FrontDeskHost.GetCardAsync(host.Client, 100002)).GetProperty("state").GetString());
    }

    public async Task DisposeAsync()
    {
        _control?.Dispose();
        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }

        _vpcd?.Dispose();
        _folder.Dispose();
    }

    // Asks "who is this?" every 100 ms until the desk sees the card in the expected state (pcscd
    // notices a card placed or taken off at its next poll of vpcd); a bound for a hung test only.
    private async Task<JsonElement> WhoIsThisAsync(ApiTestHost host, string status, string? uid)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var who = await host.Client.GetAsync(new Uri("api/encoders/desk/card", UriKind.Relative));
            var answer = await ApiTestHost.ReadJsonAsync(who);
            if (who.StatusCode == HttpStatusCode.OK && answer.GetProperty("status").GetString() == status
                && (uid is null || answer.GetProperty("uid").GetString() == uid))
            {
                return answer;
            }

            if (watch.Elapsed > Bound)
            {
                var cards = await _control!.GetStringAsync(new Uri("cards", UriKind.Relative));
                var stats = await _control!.GetStringAsync(new Uri("stats", UriKind.Relative));
                var fresh = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["encoder", "info", Vpcd.Endpoint], Bound);
                Assert.Fail($"the desk still does not see {(uid is null ? "no card" : $"card {uid}")} as {status}: {answer.GetRawText()}; simulator: {cards} {stats} {_simulator!.StandardError}; gatewayctl: {fresh.StandardOutput} {fresh.StandardError}");
            }

            await Task.Delay(100);
        }
    }

    private static string Scalar(ApiTestHost host, string sql)
    {
        using var connection = host.Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
