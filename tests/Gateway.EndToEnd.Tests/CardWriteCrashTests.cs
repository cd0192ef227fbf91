using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.EndToEnd.Tests;

/// <summary>
/// The service killed with SIGKILL in the middle of writing a card: the encoder simulator stalls after
/// a chosen card command, so the card is left torn (some sectors re-keyed, some still on transport
/// keys) while <c>gatewayctl cards issue</c> runs. After a restart the operator runs the same command
/// again, with the key it was given: the issue resumes from its journal, the card is finished, the
/// database and the card's memory agree, and nothing was issued twice.
/// </summary>
[Collection(CrashCollection.Name)]
public sealed class CardWriteCrashTests : IDisposable
{
    private const string Uid = "04A1B2C3";
    private const string Number = "500001";
    private const string Key = "issue-500001-at-the-desk";

    // Card commands (InDataExchange) before the stall: past the payload sector's authentication and
    // into the re-keying of the other sectors (docs/encoder.md, "Recoverable writes").
    private const int StallAfterCardCommands = 20;

    private readonly TempFolder _folder = new("gateway-card-kill");

    [LinuxFact]
    public async Task Issue_ServiceKilledWhileTheEncoderStalls_RetryWithTheSameKeyFinishesTheCardOnce()
    {
        var link = _folder.Combine("tty-encoder");
        await using var encoder = ChildProcess.StartDotnet(RepoPaths.Simulator, ["encoder", "--pty", link, "--card", "1k", "--uid", Uid, "--control", "http://127.0.0.1:0"]);
        var control = (await encoder.WaitForLineAsync(@"^control (http://\S+)", DemoSite.Bound)).Groups[1].Value;
        await encoder.WaitForLineAsync("^ready$", DemoSite.Bound);
        using var sim = new HttpClient { BaseAddress = new Uri(control.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };

        await using var site = new ServiceSite(_folder.Path);
        site.AddEncoder("desk", link);
        await site.StartAsync();
        await site.CtlAsync("holders", "add", "--name", "Chen Jing", "--unit", "2-1-0302");
        await site.CtlAsync("cards", "receive", Number, Number);

        var before = await CardCommandsAsync(sim);
        (await sim.PostAsJsonAsync("faults", new { stallAfterCommands = StallAfterCardCommands })).EnsureSuccessStatusCode();
        string[] issue = ["cards", "issue", Number, "--holder", "1", "--kind", "access", "--receipt", "R-0302", "--idempotency-key", Key];
        await using (var first = site.StartCtl(issue))
        {
            await DemoSite.UntilAsync(async () => await CardCommandsAsync(sim) >= before + StallAfterCardCommands, "the card write never reached the stall");
            await site.KillAsync();
            Assert.NotEqual(0, await first.WaitForExitAsync(DemoSite.Bound));
        }

        // The card is torn: re-keyed in part, the rest still on transport keys.
        var torn = await TransportKeyedSectorsAsync(sim);
        Assert.InRange(torn, 1, 15);

        (await sim.PostAsJsonAsync("faults", new { stalled = false })).EnsureSuccessStatusCode();
        await site.StartAsync();

        // At start the torn issue is left open, and the log says so, naming the card and how to finish it (never the key).
        var startLog = site.Service!.StandardOutput;
        Assert.Matches($"issue of card {Number} \\(journal \\d+, operator bootstrap-admin\\) is still open: the card write is torn", startLog);
        Assert.Contains("same Idempotency-Key", startLog, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, startLog, StringComparison.Ordinal);

        // Nothing was committed: the number is not issued, and no other request may take the card meanwhile.
        using (var card = JsonDocument.Parse(await site.CtlAsync("cards", "show", Number, "--json")))
        {
            Assert.Equal("in-stock", card.RootElement.GetProperty("state").GetString());
        }

        // The desk sees the torn card for what it is: not a valid card.
        var whoTorn = await site.TryCtlAsync(["cards", "who", "desk", "--json"]);
        Assert.Equal(6, whoTorn.ExitCode);

        var other = await site.TryCtlAsync(["cards", "issue", Number, "--holder", "1", "--kind", "access", "--receipt", "R-0302"]);
        Assert.NotEqual(0, other.ExitCode);
        Assert.Contains("being issued", other.StandardError, StringComparison.Ordinal);

        // The same command with the same key resumes the journal and finishes the card.
        using (var issued = JsonDocument.Parse(await site.CtlAsync([.. issue, "--json"])))
        {
            Assert.Equal("issued", issued.RootElement.GetProperty("state").GetString());
            Assert.Equal(Uid, issued.RootElement.GetProperty("uid").GetString());
        }

        // The database and the card agree: issued once, on this UID; every sector on its diversified keys; the desk reads it valid.
        using (var card = JsonDocument.Parse(await site.CtlAsync("cards", "show", Number, "--json")))
        {
            Assert.Equal("issued", card.RootElement.GetProperty("state").GetString());
            Assert.Equal(Uid, card.RootElement.GetProperty("uid").GetString());
            Assert.Equal(1, card.RootElement.GetProperty("issueCount").GetInt32());
        }

        Assert.Equal(0, await TransportKeyedSectorsAsync(sim));
        using (var who = JsonDocument.Parse(await site.CtlAsync("cards", "who", "desk", "--json")))
        {
            Assert.True(who.RootElement.GetProperty("valid").GetBoolean(), who.RootElement.GetRawText());
            Assert.Equal(long.Parse(Number, CultureInfo.InvariantCulture), who.RootElement.GetProperty("card").GetProperty("number").GetInt64());
        }

        var history = await site.GetAsync($"api/cards/{Number}/history");
        Assert.Single(history.GetProperty("events").EnumerateArray(), e => e.GetProperty("to").GetString() == "issued");

        using (var audit = JsonDocument.Parse(await site.CtlAsync("audit", "--subject", $"card:{Number}", "--action", "card.issue", "--json")))
        {
            Assert.Single(audit.RootElement.GetProperty("items").EnumerateArray());
        }

        Assert.Contains("intact", await site.CtlAsync("audit", "verify"), StringComparison.OrdinalIgnoreCase);
        await site.StopAsync();

        // Underneath: one issue journal, committed, none left open; the card's write journal closed as completed; one issue row.
        await using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={site.DatabasePath};Mode=ReadOnly;Pooling=False");
        await db.OpenAsync();
        Assert.Equal("committed:1", await ScalarAsync(db, $"SELECT group_concat(state || ':' || n) FROM (SELECT state, COUNT(*) AS n FROM card_issue_journal WHERE card_number = {Number} GROUP BY state)"));
        Assert.Equal("completed", await ScalarAsync(db, $"SELECT group_concat(outcome) FROM card_write_journal WHERE card_uid = '{Uid}'"));
        Assert.Equal("1", await ScalarAsync(db, $"SELECT COUNT(*) FROM card_issues WHERE card_number = {Number}"));
    }

    private static async Task<string?> ScalarAsync(Microsoft.Data.Sqlite.SqliteConnection db, string sql)
    {
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static async Task<long> CardCommandsAsync(HttpClient sim) =>
        (await sim.GetFromJsonAsync<JsonElement>("stats")).GetProperty("cardCommands").GetInt64();

    /// <summary>Sectors whose trailer still holds the transport key A (FF…FF), from the simulator's memory dump.</summary>
    private static async Task<int> TransportKeyedSectorsAsync(HttpClient sim)
    {
        var memory = await sim.GetFromJsonAsync<JsonElement>($"cards/{Uid}/memory");
        var blocks = memory.GetProperty("blocks").EnumerateArray().Select(b => b.GetString()!).ToList();
        Assert.Equal(64, blocks.Count);
        return Enumerable.Range(0, 16).Count(sector => blocks[(sector * 4) + 3].StartsWith("FFFFFFFFFFFF", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
