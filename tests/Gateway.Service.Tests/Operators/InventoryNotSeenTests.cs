using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Service.Tests.Api;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Service.Tests.Operators;

/// <summary>
/// The anomaly "issued cards never seen at any controller for N days" in the inventory of February 2026
/// (site time Asia/Shanghai: month end 2026-02-28T16:00Z), over card histories and collected controller
/// events written into the real file.
/// </summary>
public sealed class InventoryNotSeenTests
{
    private const string Month = "2026-02";
    private const string LongAgo = "2025-10-01T02:00:00.0000000Z";
    private static readonly DateTimeOffset MonthEnd = new(2026, 2, 28, 16, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Report_IssuedCardsWithoutRecentEvents_FlaggedInJsonCsvAndText()
    {
        await using var host = await StartAsync(configuration: null);
        var report = await OpenAsync(host);

        var anomalies = report.GetProperty("anomalies");
        Assert.Equal(90, anomalies.GetProperty("notSeenDays").GetInt32());
        var flagged = anomalies.GetProperty("notSeenAtControllers").EnumerateArray().ToDictionary(c => c.GetProperty("cardNumber").GetInt64());

        // 2001 seen 10 days before month end, 2004 issued 30 days before, 2005 lost: not flagged.
        Assert.Equal([2002, 2003, 2006], flagged.Keys.Order());
        Assert.Equal(3, anomalies.GetProperty("notSeenTotal").GetInt64());
        Assert.Equal(At(MonthEnd.AddDays(-100)), flagged[2002].GetProperty("lastSeenUtc").GetString());
        Assert.Equal(JsonValueKind.Null, flagged[2003].GetProperty("lastSeenUtc").ValueKind);
        Assert.Equal("04A1B2C3D42003", flagged[2003].GetProperty("uid").GetString());
        Assert.Equal(LongAgo, flagged[2003].GetProperty("issuedUtc").GetString());

        // 2006 was presented only after month end: the report of February does not see it.
        Assert.Equal(JsonValueKind.Null, flagged[2006].GetProperty("lastSeenUtc").ValueKind);

        var csv = await host.Client.GetStringAsync(new Uri($"api/inventory/{Month}?format=csv", UriKind.Relative));
        Assert.Contains($"anomaly,not-seen-at-controllers,,2002,,,,,\"UID 04A1B2C3D42002, issued {LongAgo}, last seen {At(MonthEnd.AddDays(-100))}\"\r\n", csv, StringComparison.Ordinal);
        Assert.Contains($"anomaly,not-seen-at-controllers,,2003,,,,,\"UID 04A1B2C3D42003, issued {LongAgo}, never seen\"\r\n", csv, StringComparison.Ordinal);
        Assert.DoesNotContain("not-seen-at-controllers,,2001,", csv, StringComparison.Ordinal);

        var text = await host.Client.GetStringAsync(new Uri($"api/inventory/{Month}?format=text", UriKind.Relative));
        var line = Assert.Single(text.Split('\n'), l => l.Contains("not seen at any controller", StringComparison.Ordinal));
        Assert.StartsWith("  issued cards not seen at any controller for 90 days: 2002 (UID 04A1B2C3D42002", line, StringComparison.Ordinal);
        Assert.Contains("2003 (UID 04A1B2C3D42003, issued " + LongAgo + ", never seen)", line, StringComparison.Ordinal);
        Assert.DoesNotContain("2001 (", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_NotSeenDaysConfigured_UsesThatWindow()
    {
        await using var host = await StartAsync(new Dictionary<string, string?> { ["Gateway:Inventory:NotSeenDays"] = "120" });
        var report = await OpenAsync(host);

        var anomalies = report.GetProperty("anomalies");
        Assert.Equal(120, anomalies.GetProperty("notSeenDays").GetInt32());

        // Seen 100 days before month end is within 120 days.
        Assert.Equal([2003, 2006], anomalies.GetProperty("notSeenAtControllers").EnumerateArray().Select(c => c.GetProperty("cardNumber").GetInt64()).Order());
        var text = await host.Client.GetStringAsync(new Uri($"api/inventory/{Month}?format=text", UriKind.Relative));
        Assert.Contains("not seen at any controller for 120 days: 2003 ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_SignedBeforeEventsWereCollected_ReadsAsNotEvaluated()
    {
        await using var host = await StartAsync(configuration: null);
        var report = JsonNode.Parse((await OpenAsync(host)).GetRawText())!;

        // A month signed off by an earlier version stored a sentence where the list now is.
        report["month"] = "2025-12";
        report["state"] = "signed-off";
        report["anomalies"]!["notSeenAtControllers"] = "waits for controller event collection (sync engine): not evaluated yet";
        Sql(host, $"INSERT INTO inventory_months(month, state, starts_utc, ends_utc, opened_utc, opened_by, signed_off_utc, signed_off_by, audit_head_id, audit_head_mac, report) VALUES ('2025-12', 'signed-off', 's', 'e', 'o', 'admin', 'x', 'accountant', 0, '', '{report.ToJsonString().Replace("'", "''", StringComparison.Ordinal)}')");

        var json = await OperatorTestKit.GetJsonAsync(host.Client, "api/inventory/2025-12");
        Assert.Equal(JsonValueKind.Null, json.GetProperty("anomalies").GetProperty("notSeenAtControllers").ValueKind);
        var text = await host.Client.GetStringAsync(new Uri("api/inventory/2025-12?format=text", UriKind.Relative));
        Assert.Contains("not seen at any controller for 90 days: not evaluated", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_NotSeenDaysOutOfRange_RefusedNamingTheKey()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Gateway:Inventory:NotSeenDays"] = "0" }).Build();
        Assert.False(Gateway.Service.Inventory.InventoryOptions.TryLoad(configuration.GetSection("Gateway"), out _, out var error));
        Assert.StartsWith("Gateway:Inventory:NotSeenDays: '0'", error, StringComparison.Ordinal);
    }

    private static async Task<ApiTestHost> StartAsync(IDictionary<string, string?>? configuration)
    {
        var host = await ApiTestHost.StartAsync(configuration: configuration, time: new FakeTimeProvider(new DateTimeOffset(2026, 3, 5, 2, 0, 0, TimeSpan.Zero)));
        Seed(host);
        return host;
    }

    private static async Task<JsonElement> OpenAsync(ApiTestHost host)
    {
        using var opened = await host.Client.PostAsync(new Uri($"api/inventory/{Month}", UriKind.Relative), null);
        var report = await ApiTestHost.ReadJsonAsync(opened);
        Assert.True(opened.StatusCode == HttpStatusCode.Created, report.GetRawText());
        return report;
    }

    private static string At(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// 2001-2003, 2005, 2006 issued in October 2025, 2004 30 days before month end. 2001 presented 10 days
    /// before month end (an event whose card number was not resolved: matched by UID); 2002 last 100 days
    /// before; 2003 never; 2005 reported lost in January; 2006 presented on 1 March only.
    /// </summary>
    private static void Seed(ApiTestHost host)
    {
        var sql = new StringBuilder();
        sql.Append("INSERT INTO holders(id, name, building, unit, room, created_utc, updated_utc) VALUES (1, 'Resident', '3', '2', '1201', '2025-09-01T00:00:00.0000000Z', '2025-09-01T00:00:00.0000000Z');");
        var issued = new Dictionary<int, string> { [2001] = LongAgo, [2002] = LongAgo, [2003] = LongAgo, [2004] = At(MonthEnd.AddDays(-30)), [2005] = LongAgo, [2006] = LongAgo };
        foreach (var (n, at) in issued)
        {
            var uid = "04A1B2C3D4" + n.ToString("0000", CultureInfo.InvariantCulture);
            sql.Append(CultureInfo.InvariantCulture, $"INSERT INTO cards(number, state, uid, holder_id, kind, batch, received_utc, updated_utc) VALUES ({n}, 'issued', '{uid}', 1, 'access', 'B2', '2025-09-01T00:00:00.0000000Z', '{at}');");
            sql.Append(CultureInfo.InvariantCulture, $"INSERT INTO card_events(card_number, action, from_state, to_state, at_utc, operator_id) VALUES ({n}, 'receive', NULL, 'in-stock', '2025-09-01T00:00:00.0000000Z', 'clerk');");
            sql.Append(CultureInfo.InvariantCulture, $"INSERT INTO card_events(card_number, action, from_state, to_state, at_utc, operator_id) VALUES ({n}, 'issue', 'in-stock', 'issued', '{at}', 'clerk');");
            sql.Append(CultureInfo.InvariantCulture, $"INSERT INTO card_issues(card_number, holder_id, kind, uid, issue_counter, items, receipt_reference, issued_utc, issued_by) VALUES ({n}, 1, 'access', '{uid}', 1, '[\"card\"]', 'R-{n}', '{at}', 'clerk');");
        }

        sql.Append("INSERT INTO card_events(card_number, action, from_state, to_state, at_utc, operator_id) VALUES (2005, 'report-lost', 'issued', 'lost', '2026-01-01T02:00:00.0000000Z', 'clerk');");
        var sequence = 0;
        void Seen(int card, DateTimeOffset time, bool resolved = true)
        {
            var uid = "04A1B2C3D4" + card.ToString("0000", CultureInfo.InvariantCulture);
            sql.Append(CultureInfo.InvariantCulture, $"INSERT INTO controller_events(controller_id, boot_id, sequence, time_utc, card_uid, lane, direction, decision, reason, card_number, holder_id, plate, collected_utc) VALUES ('door-3', 7, {++sequence}, '{At(time)}', '{uid}', 1, 'entry', 'granted', 'none', {(resolved ? card.ToString(CultureInfo.InvariantCulture) : "NULL")}, NULL, NULL, '{At(time)}');");
        }

        Seen(2001, MonthEnd.AddDays(-200));
        Seen(2001, MonthEnd.AddDays(-10), resolved: false);
        Seen(2002, MonthEnd.AddDays(-150));
        Seen(2002, MonthEnd.AddDays(-100));
        Seen(2006, MonthEnd.AddDays(1));
        Sql(host, sql.ToString());
    }

    private static void Sql(ApiTestHost host, string sql)
    {
        using var connection = host.Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
