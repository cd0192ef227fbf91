using System.Net;
using System.Text.Json;
using Gateway.Service.Api;
using Gateway.Service.Inventory;
using Gateway.Service.Tests.Api;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Service.Tests.Operators;

/// <summary>
/// The monthly inventory of February 2026 (site time Asia/Shanghai: 2026-01-31T16:00Z .. 2026-02-28T16:00Z)
/// over a card history written into the real file: system counts, movements, each kind of variance,
/// anomalies, sign-off refused until explained, immutability after, and the recorded audit head.
/// </summary>
public sealed class InventoryTests
{
    private const string Month = "2026-02";

    [Fact]
    public async Task Open_BeforeMonthEnds_Refused_After_CountsStatesAtMonthEndInSiteTime()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 2, 28, 15, 59, 0, TimeSpan.Zero));
        await using var host = await ApiTestHost.StartAsync(time: time);
        Seed(host);
        using (var early = await host.Client.PostAsync(new Uri($"api/inventory/{Month}", UriKind.Relative), null))
        {
            await ApiTestHost.AssertProblemAsync(early, 409, ProblemTypes.InvalidTransition);
        }

        time.Advance(TimeSpan.FromMinutes(1));
        using var opened = await host.Client.PostAsync(new Uri($"api/inventory/{Month}", UriKind.Relative), null);
        var report = await ApiTestHost.ReadJsonAsync(opened);
        Assert.True(opened.StatusCode == HttpStatusCode.Created, report.GetRawText());
        Assert.Equal("2026-01-31T16:00:00.0000000Z", report.GetProperty("startsUtc").GetString());
        Assert.Equal("2026-02-28T16:00:00.0000000Z", report.GetProperty("endsUtc").GetString());
        var lines = Lines(report);
        Assert.Equal((6, 3), (lines["in-stock"].GetProperty("opening").GetInt64(), lines["in-stock"].GetProperty("system").GetInt64()));
        Assert.Equal((2, 3), (lines["issued"].GetProperty("opening").GetInt64(), lines["issued"].GetProperty("system").GetInt64()));
        Assert.Equal(1, lines["lost"].GetProperty("system").GetInt64());
        Assert.Equal(1, lines["damaged"].GetProperty("system").GetInt64());
        Assert.Equal(0, lines["returned"].GetProperty("system").GetInt64());
        var movements = report.GetProperty("movements").EnumerateArray().ToDictionary(m => m.GetProperty("action").GetString()!, m => m.GetProperty("count").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["damaged"] = 1, ["issue"] = 3, ["report-lost"] = 1 }, movements);

        var anomalies = report.GetProperty("anomalies");
        Assert.Equal([1003], anomalies.GetProperty("issuedWithoutHandOver").EnumerateArray().Select(n => n.GetInt64()));
        var missing = Assert.Single(anomalies.GetProperty("missingStockNumbers").EnumerateArray());
        Assert.Equal("B1", missing.GetProperty("batch").GetString());
        Assert.Equal([1005], missing.GetProperty("numbers").EnumerateArray().Select(n => n.GetInt64()));
        Assert.Equal([1008], anomalies.GetProperty("cardsWithoutState").EnumerateArray().Select(n => n.GetInt64()));
        Assert.Empty(anomalies.GetProperty("notSeenAtControllers").EnumerateArray());
        Assert.Equal(90, anomalies.GetProperty("notSeenDays").GetInt32());

        using var again = await host.Client.PostAsync(new Uri($"api/inventory/{Month}", UriKind.Relative), null);
        await ApiTestHost.AssertProblemAsync(again, 409, ProblemTypes.Conflict);
    }

    [Fact]
    public async Task SignOff_EachKindOfVariance_RefusedUntilExplained_ThenImmutable_WithAuditHead()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 5, 2, 0, 0, TimeSpan.Zero));
        await using var host = await ApiTestHost.StartAsync(time: time);
        Seed(host);
        var finance = await OperatorTestKit.ReadyOperatorAsync(host, "accountant", GatewayRoles.Finance);
        using var client = host.CreateClient(finance);
        using (var opened = await client.PostAsync(new Uri($"api/inventory/{Month}", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        }

        // Register: in-stock short by one, issued over by one; physical: in-stock over by one, damaged short by one.
        var register = new Dictionary<string, long> { ["in-stock"] = 2, ["issued"] = 4, ["lost"] = 1, ["revoked"] = 0, ["damaged"] = 1, ["written-off"] = 0, ["returned"] = 0 };
        var physical = new Dictionary<string, long> { ["in-stock"] = 4, ["returned"] = 0, ["damaged"] = 0 };
        foreach (var (state, count) in register)
        {
            await PatchAsync(client, state, physical.TryGetValue(state, out var p) ? new { registerCount = count, physicalCount = p } : new { registerCount = count });
        }

        using (var notOnSite = await client.PatchAsync(new Uri($"api/inventory/{Month}/lines/issued", UriKind.Relative), ApiTestHost.Json(new { physicalCount = 3 })))
        {
            await ApiTestHost.AssertProblemAsync(notOnSite, 400, ProblemTypes.ValidationFailed);
        }

        var report = await OperatorTestKit.GetJsonAsync(client, $"api/inventory/{Month}");
        var lines = Lines(report);
        Assert.Equal((-1L, 1L), (lines["in-stock"].GetProperty("registerVariance").GetInt64(), lines["in-stock"].GetProperty("physicalVariance").GetInt64()));
        Assert.Equal(1, lines["issued"].GetProperty("registerVariance").GetInt64());
        Assert.Equal(-1, lines["damaged"].GetProperty("physicalVariance").GetInt64());
        Assert.False(lines["lost"].GetProperty("needsExplanation").GetBoolean());

        var refused = await SignOffAsync(client);
        var problem = await ApiTestHost.AssertProblemAsync(refused, 409, InventoryEndpoints.UnexplainedVarianceType);
        Assert.Equal(
            ["damaged: variance not explained", "in-stock: variance not explained", "issued: variance not explained"],
            problem.GetProperty("blocking").EnumerateArray().Select(b => b.GetString()).Order());
        refused.Dispose();

        await PatchAsync(client, "in-stock", new { explanation = "card 1007 found in the issue tray; register entry for 1009 missed" });
        await PatchAsync(client, "issued", new { explanation = "card 1003 written in the register twice" });
        using (var stillRefused = await SignOffAsync(client))
        {
            var still = await ApiTestHost.AssertProblemAsync(stillRefused, 409, InventoryEndpoints.UnexplainedVarianceType);
            Assert.Equal(["damaged: variance not explained"], still.GetProperty("blocking").EnumerateArray().Select(b => b.GetString()));
        }

        await PatchAsync(client, "damaged", new { explanation = "damaged card 1006 sent back to the supplier" });
        var headBefore = await OperatorTestKit.GetJsonAsync(host.Client, "api/audit/head");
        JsonElement signed;
        using (var ok = await SignOffAsync(client))
        {
            signed = await ApiTestHost.ReadJsonAsync(ok);
            Assert.True(ok.StatusCode == HttpStatusCode.OK, signed.GetRawText());
        }

        Assert.Equal("signed-off", signed.GetProperty("state").GetString());
        Assert.Equal("accountant", signed.GetProperty("signedOffBy").GetString());
        Assert.Equal("2026-03-05T02:00:00.0000000Z", signed.GetProperty("signedOffUtc").GetString());
        Assert.Equal(headBefore.GetProperty("lastId").GetInt64(), signed.GetProperty("auditHead").GetProperty("lastId").GetInt64());
        Assert.Equal(headBefore.GetProperty("mac").GetString(), signed.GetProperty("auditHead").GetProperty("mac").GetString());

        // Immutable: through the API and through SQL.
        using (var change = await client.PatchAsync(new Uri($"api/inventory/{Month}/lines/issued", UriKind.Relative), ApiTestHost.Json(new { registerCount = 3 })))
        {
            await ApiTestHost.AssertProblemAsync(change, 409, ProblemTypes.InvalidTransition);
        }

        using (var twice = await SignOffAsync(client))
        {
            await ApiTestHost.AssertProblemAsync(twice, 409, ProblemTypes.InvalidTransition);
        }

        using (var connection = host.Database.OpenConnection())
        using (var sql = connection.CreateCommand())
        {
            sql.CommandText = "UPDATE inventory_lines SET register_count = 3 WHERE month = '2026-02' AND card_state = 'issued'";
            Assert.Contains("immutable", Assert.Throws<SqliteException>(() => sql.ExecuteNonQuery()).Message, StringComparison.Ordinal);
        }

        // The frozen report does not follow later history.
        time.Advance(TimeSpan.FromHours(1));
        Tamper(host, "UPDATE card_events SET at_utc = '2026-02-27T00:00:00.0000000Z' WHERE card_number = 1007 AND action = 'issue'");
        var after = await OperatorTestKit.GetJsonAsync(client, $"api/inventory/{Month}");
        Assert.Equal(3, Lines(after)["in-stock"].GetProperty("system").GetInt64());

        var csv = await client.GetStringAsync(new Uri($"api/inventory/{Month}?format=csv", UriKind.Relative));
        Assert.Contains("line,in-stock,6,3,2,4,-1,1,\"card 1007 found", csv, StringComparison.Ordinal);
        Assert.Contains("anomaly,missing-stock-number,,1005,,,,,\"batch B1\"", csv, StringComparison.Ordinal);
        var text = await client.GetStringAsync(new Uri($"api/inventory/{Month}?format=text", UriKind.Relative));
        Assert.Contains($"Signed off by accountant at 2026-03-05T02:00:00.0000000Z; audit chain head: row {headBefore.GetProperty("lastId").GetInt64()}", text, StringComparison.Ordinal);
        Assert.Contains("issued without a recorded hand-over: 1003", text, StringComparison.Ordinal);

        // The head recorded at sign-off catches a truncated tail without any exported head.
        var recorded = signed.GetProperty("auditHead").GetProperty("lastId").GetInt64();
        AuditLogTests.Tamper(host, $"DELETE FROM audit_log WHERE id >= {recorded}");
        var verify = await AuditLogTests.VerifyAsync(host);
        Assert.False(verify.GetProperty("intact").GetBoolean(), verify.GetRawText());
        Assert.Equal("truncated", verify.GetProperty("fault").GetString());
    }

    private static Dictionary<string, JsonElement> Lines(JsonElement report) =>
        report.GetProperty("lines").EnumerateArray().ToDictionary(l => l.GetProperty("state").GetString()!, l => l);

    [Fact]
    public async Task Report_ListsDormantUids_ReadByFinanceAndAdminOnly()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 5, 2, 0, 0, TimeSpan.Zero));
        await using var host = await ApiTestHost.StartAsync(time: time);
        Seed(host);
        using (var opened = await host.Client.PostAsync(new Uri($"api/inventory/{Month}", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        }

        foreach (var (role, allowed) in new[] { (GatewayRoles.FrontDesk, false), (GatewayRoles.ParkingAuthorizer, false), (GatewayRoles.Finance, true), (GatewayRoles.Admin, true) })
        {
            using var client = host.CreateClient(await OperatorTestKit.ReadyOperatorAsync(host, "only-" + role, role));
            foreach (var path in new[] { $"api/inventory/{Month}", $"api/inventory/{Month}?format=csv", "api/inventory" })
            {
                using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
                Assert.True(allowed ? response.StatusCode == HttpStatusCode.OK : response.StatusCode == HttpStatusCode.Forbidden, $"{role} GET {path}: {(int)response.StatusCode}");
            }
        }
    }

    [Theory]
    [InlineData("9999-12")]
    [InlineData("2200-01")]
    [InlineData("1999-12")]
    [InlineData("2026-13")]
    [InlineData("26-02")]
    public async Task Month_OutsideTheSaneRange_400OnEveryInventoryRoute_NothingWritten(string month)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 5, 2, 0, 0, TimeSpan.Zero));
        await using var host = await ApiTestHost.StartAsync(time: time);
        var before = host.Snapshot();
        var requests = new Func<Task<HttpResponseMessage>>[]
        {
            () => host.Client.PostAsync(new Uri($"api/inventory/{month}", UriKind.Relative), null),
            () => host.Client.GetAsync(new Uri($"api/inventory/{month}", UriKind.Relative)),
            () => host.Client.GetAsync(new Uri($"api/inventory/{month}?format=text", UriKind.Relative)),
            () => host.Client.PatchAsync(new Uri($"api/inventory/{month}/lines/in-stock", UriKind.Relative), ApiTestHost.Json(new { registerCount = 1 })),
            () => host.Client.PostAsync(new Uri($"api/inventory/{month}/sign-off", UriKind.Relative), null),
        };
        foreach (var send in requests)
        {
            using var response = await send();
            var problem = await ApiTestHost.AssertProblemAsync(response, 400, ProblemTypes.ValidationFailed);
            Assert.Contains("month", problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        }

        Assert.Equal(before, host.Snapshot());
    }

    [Fact]
    public async Task Open_MonthEndsOnAMidnightTheZoneSkips_BoundAtTheFirstLocalTimeThatExists()
    {
        // Cuba began daylight saving at 00:00 on 1 April 2012: that midnight never happened (00:00 -05 became 01:00 -04).
        var time = new FakeTimeProvider(new DateTimeOffset(2012, 5, 5, 12, 0, 0, TimeSpan.Zero));
        await using var host = await ApiTestHost.StartAsync(time: time, configuration: new Dictionary<string, string?> { ["Gateway:SiteTimeZone"] = "America/Havana" });
        using var march = await host.Client.PostAsync(new Uri("api/inventory/2012-03", UriKind.Relative), null);
        var report = await ApiTestHost.ReadJsonAsync(march);
        Assert.True(march.StatusCode == HttpStatusCode.Created, report.GetRawText());
        Assert.Equal("2012-03-01T05:00:00.0000000Z", report.GetProperty("startsUtc").GetString());
        Assert.Equal("2012-04-01T05:00:00.0000000Z", report.GetProperty("endsUtc").GetString());

        using var april = await host.Client.PostAsync(new Uri("api/inventory/2012-04", UriKind.Relative), null);
        var next = await ApiTestHost.ReadJsonAsync(april);
        Assert.True(april.StatusCode == HttpStatusCode.Created, next.GetRawText());
        Assert.Equal("2012-04-01T05:00:00.0000000Z", next.GetProperty("startsUtc").GetString());
        Assert.Equal("2012-05-01T04:00:00.0000000Z", next.GetProperty("endsUtc").GetString());
    }

    private static async Task PatchAsync(HttpClient client, string state, object body)
    {
        using var response = await client.PatchAsync(new Uri($"api/inventory/{Month}/lines/{state}", UriKind.Relative), ApiTestHost.Json(body));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private static Task<HttpResponseMessage> SignOffAsync(HttpClient client) =>
        client.PostAsync(new Uri($"api/inventory/{Month}/sign-off", UriKind.Relative), null);

    private static void Tamper(ApiTestHost host, string sql)
    {
        using var connection = host.Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Batch B1 = 1001..1010 received 10 January, with 1005 absent and 1008 never given a state;
    /// 1001 and 1004 issued in January, 1004 lost in February; 1002, 1003 (no hand-over), 1006 issued in
    /// February, 1006 damaged; 1010 issued exactly at month end (March in site time); 1007 in March.
    /// </summary>
    private static void Seed(ApiTestHost host)
    {
        const string received = "2026-01-10T02:00:00.0000000Z";
        var sql = new System.Text.StringBuilder();
        sql.Append("INSERT INTO holders(id, name, building, unit, room, created_utc, updated_utc) VALUES (1, 'Resident', '3', '2', '1201', '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z');");
        foreach (var n in new[] { 1001, 1002, 1003, 1004, 1006, 1007, 1008, 1009, 1010 })
        {
            sql.Append(System.Globalization.CultureInfo.InvariantCulture, $"INSERT INTO cards(number, state, batch, received_utc, updated_utc) VALUES ({n}, 'in-stock', 'B1', '{received}', '{received}');");
            if (n != 1008)
            {
                sql.Append(System.Globalization.CultureInfo.InvariantCulture, $"INSERT INTO card_events(card_number, action, from_state, to_state, at_utc, operator_id) VALUES ({n}, 'receive', NULL, 'in-stock', '{received}', 'clerk');");
            }
        }

        void Event(int n, string action, string from, string to, string at, bool handOver = false)
        {
            sql.Append(System.Globalization.CultureInfo.InvariantCulture, $"INSERT INTO card_events(card_number, action, from_state, to_state, at_utc, operator_id) VALUES ({n}, '{action}', '{from}', '{to}', '{at}', 'clerk');");
            if (handOver)
            {
                sql.Append(System.Globalization.CultureInfo.InvariantCulture, $"INSERT INTO card_issues(card_number, holder_id, kind, uid, issue_counter, items, receipt_reference, issued_utc, issued_by) VALUES ({n}, 1, 'access', 'UID{n}', 1, '[\"card\"]', 'R-{n}', '{at}', 'clerk');");
            }
        }

        Event(1001, "issue", "in-stock", "issued", "2026-01-20T03:00:00.0000000Z", handOver: true);
        Event(1004, "issue", "in-stock", "issued", "2026-01-15T03:00:00.0000000Z", handOver: true);
        Event(1004, "report-lost", "issued", "lost", "2026-02-20T03:00:00.0000000Z");
        Event(1002, "issue", "in-stock", "issued", "2026-02-10T03:00:00.0000000Z", handOver: true);
        Event(1003, "issue", "in-stock", "issued", "2026-02-12T03:00:00.0000000Z");
        Event(1006, "issue", "in-stock", "issued", "2026-02-03T03:00:00.0000000Z", handOver: true);
        Event(1006, "damaged", "issued", "damaged", "2026-02-25T03:00:00.0000000Z");
        Event(1010, "issue", "in-stock", "issued", "2026-02-28T16:00:00.0000000Z", handOver: true);
        Event(1007, "issue", "in-stock", "issued", "2026-03-02T03:00:00.0000000Z", handOver: true);
        Tamper(host, sql.ToString());
    }
}
