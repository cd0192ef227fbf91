using System.Net;
using System.Text.Json;
using Gateway.Service.Api;
using Gateway.Service.Audit;
using Gateway.Service.Storage;
using Gateway.Service.Tests.Api;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Tests.Operators;

/// <summary>
/// The audit chain over a real SQLite file: changes made through the API are recorded in their own
/// transaction, and tampering done straight on the file (edit, delete, insert, truncate — with the
/// append-only triggers dropped first, as an intruder would) is found and the first bad row named.
/// </summary>
public sealed class AuditLogTests
{
    [Fact]
    public async Task Verify_UntouchedLog_IsIntact_HeadIsLastRow()
    {
        await using var host = await StartWithRowsAsync();
        var result = await VerifyAsync(host);
        Assert.True(result.GetProperty("intact").GetBoolean(), result.GetRawText());
        Assert.Equal(6, result.GetProperty("rowsChecked").GetInt64());
        var head = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/audit/head", UriKind.Relative)));
        Assert.Equal(6, head.GetProperty("lastId").GetInt64());
        Assert.Equal(result.GetProperty("head").GetProperty("mac").GetString(), head.GetProperty("mac").GetString());
    }

    [Fact]
    public async Task Verify_RowEditedInTheFile_NamesItEdited()
    {
        await using var host = await StartWithRowsAsync();
        Tamper(host, "UPDATE audit_log SET details = replace(details, 'Clerk 2', 'Clerk 9') WHERE id = 3");
        var result = await VerifyAsync(host);
        AssertFault(result, 3, "edited");
    }

    [Fact]
    public async Task Verify_MacColumnEditedInTheFile_NamesItEdited()
    {
        await using var host = await StartWithRowsAsync();
        Tamper(host, "UPDATE audit_log SET mac = (SELECT mac FROM audit_log WHERE id = 5) WHERE id = 4");
        AssertFault(await VerifyAsync(host), 4, "edited");
    }

    [Fact]
    public async Task Verify_RowDeletedFromTheFile_NamesTheMissingId()
    {
        await using var host = await StartWithRowsAsync();
        Tamper(host, "DELETE FROM audit_log WHERE id = 3");
        AssertFault(await VerifyAsync(host), 3, "deleted");
    }

    [Fact]
    public async Task Verify_RowDeletedAndIdsRenumbered_NamesThePosition()
    {
        await using var host = await StartWithRowsAsync();
        Tamper(host, "DELETE FROM audit_log WHERE id = 3; UPDATE audit_log SET id = id + 100 WHERE id > 3; UPDATE audit_log SET id = id - 101 WHERE id > 100;");
        AssertFault(await VerifyAsync(host), 3, "deleted");
    }

    [Fact]
    public async Task Verify_RowInsertedIntoTheFile_NamesItInserted()
    {
        await using var host = await StartWithRowsAsync();
        // Make room at id 4 by moving the later rows up, then slip a forged row in that links to row 3.
        Tamper(host, """
            UPDATE audit_log SET id = id + 100 WHERE id >= 4;
            UPDATE audit_log SET id = id - 99 WHERE id >= 100;
            INSERT INTO audit_log(id, at_utc, operator_id, operator_name, action, subject, details, prev_mac, mac)
            SELECT 4, at_utc, 'intruder', 'Intruder', 'card.issue', 'card:100001', '{}', mac, lower(hex(randomblob(32))) FROM audit_log WHERE id = 3;
            """);
        AssertFault(await VerifyAsync(host), 4, "inserted");
    }

    [Fact]
    public async Task Verify_ForgedRowAppendedAfterExportedHead_NamesItInserted()
    {
        await using var host = await StartWithRowsAsync();
        var head = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/audit/head", UriKind.Relative)));
        Tamper(host, """
            INSERT INTO audit_log(id, at_utc, operator_id, operator_name, action, subject, details, prev_mac, mac)
            SELECT 7, at_utc, 'intruder', 'Intruder', 'operator.create', 'operator:ghost', '{}', mac, lower(hex(randomblob(32))) FROM audit_log WHERE id = 6;
            """);
        AssertFault(await VerifyAsync(host, head), 7, "inserted");
    }

    [Fact]
    public async Task Verify_TailTruncated_IntactAlone_ButCaughtAgainstExportedHead()
    {
        await using var host = await StartWithRowsAsync();
        var head = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/audit/head", UriKind.Relative)));
        Tamper(host, "DELETE FROM audit_log WHERE id >= 5");

        // The chain that is left is self-consistent: only the exported head shows what is missing.
        Assert.True((await VerifyAsync(host)).GetProperty("intact").GetBoolean());
        AssertFault(await VerifyAsync(host, head), 5, "truncated");
    }

    [Fact]
    public async Task AuditLog_SqlUpdateOrDelete_RefusedByTriggers()
    {
        await using var host = await StartWithRowsAsync();
        using var connection = host.Database.OpenConnection();
        using var update = connection.CreateCommand();
        update.CommandText = "UPDATE audit_log SET action = 'x' WHERE id = 1";
        Assert.Contains("append-only", Assert.Throws<SqliteException>(() => update.ExecuteNonQuery()).Message, StringComparison.Ordinal);
        using var delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM audit_log";
        Assert.Throws<SqliteException>(() => delete.ExecuteNonQuery());
        Assert.Equal(6, host.Count("audit_log"));
    }

    [Theory]
    [InlineData("DELETE", "api/audit")]
    [InlineData("PUT", "api/audit")]
    [InlineData("PATCH", "api/audit/1")]
    [InlineData("DELETE", "api/audit/1")]
    [InlineData("POST", "api/audit")]
    public async Task AuditApi_NoMethodChangesOrDeletesRows(string method, string path)
    {
        await using var host = await StartWithRowsAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative)) { Content = ApiTestHost.RawJson("{}") };
        using var response = await host.Client.SendAsync(request);
        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"{method} {path} answered {(int)response.StatusCode}");
        Assert.Equal(6, host.Count("audit_log"));
    }

    [Fact]
    public async Task List_FilterByActionSubjectAndOperator_ShowsBeforeAndAfter()
    {
        await using var host = await StartWithRowsAsync();
        var page = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/audit?action=operator.create&operator=bootstrap-admin", UriKind.Relative)));
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(5, items.Count);
        Assert.All(items, i => Assert.Equal("bootstrap-admin", i.GetProperty("operatorId").GetString()));
        var one = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/audit?subject=operator:clerk-2", UriKind.Relative)));
        var row = Assert.Single(one.GetProperty("items").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("details").GetProperty("before").ValueKind);
        Assert.Equal("Clerk 2", row.GetProperty("details").GetProperty("after").GetProperty("displayName").GetString());
        var family = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/audit?action=operator.*&limit=2", UriKind.Relative)));
        Assert.Equal(2, family.GetProperty("items").GetArrayLength());
        Assert.Equal(2, family.GetProperty("next").GetInt64());
    }

    [Fact]
    public async Task UnitOfWork_RolledBack_LeavesNoAuditRow_Committed_AppendsInTheSameTransaction()
    {
        await using var host = await StartWithRowsAsync();
        var units = host.Services.GetRequiredService<UnitOfWorkFactory>();
        await using (var unit = await units.BeginAsync(new Actor("tester", "Tester"), CancellationToken.None))
        {
            await using var insert = unit.Command("INSERT INTO site_settings(key, value) VALUES ('rolled', 'back')");
            await insert.ExecuteNonQueryAsync();
            unit.Audit("test.change", "site:rolled", new { before = (string?)null, after = "back" });
        }

        Assert.Equal(6, host.Count("audit_log"));
        await using (var unit = await units.BeginAsync(new Actor("tester", "Tester"), CancellationToken.None))
        {
            await using var insert = unit.Command("INSERT INTO site_settings(key, value) VALUES ('kept', 'yes')");
            await insert.ExecuteNonQueryAsync();
            unit.Audit("test.change", "site:kept", new { before = (string?)null, after = "yes" });
            await unit.CommitAsync(CancellationToken.None);
        }

        Assert.Equal(7, host.Count("audit_log"));
        Assert.True((await VerifyAsync(host)).GetProperty("intact").GetBoolean());
    }

    [Fact]
    public async Task AuditKey_CreatedOwnerOnly_MissingKeyWithRows_Refused()
    {
        await using var host = await StartWithRowsAsync();
        var key = host.Services.GetRequiredService<AuditKey>();
        var text = (await File.ReadAllTextAsync(key.Path)).Trim();
        Assert.Equal(64, text.Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key.Path));
        }

        var elsewhere = new AuditKey(Path.Combine(host.DataFolder, "missing", "audit.key"));
        var ex = Assert.Throws<AuditKeyException>(() => elsewhere.LoadOrCreate(logIsEmpty: false));
        Assert.Contains("missing", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(elsewhere.Path));
    }

    [Fact]
    public void Verify_WrongKey_FailsAtTheFirstRow()
    {
        var key = new byte[32];
        var rows = new List<AuditRow>();
        var prev = AuditChain.Genesis;
        for (var i = 1; i <= 3; i++)
        {
            var mac = AuditChain.ComputeMac(key, prev, "2026-01-01T00:00:00.0000000Z", "op", "Op", "a.b", $"s:{i}", "{}");
            rows.Add(new AuditRow(i, "2026-01-01T00:00:00.0000000Z", "op", "Op", "a.b", $"s:{i}", "{}", prev, mac));
            prev = mac;
        }

        Assert.True(AuditChain.Verify(key, rows).Intact);
        var other = AuditChain.Verify(Enumerable.Repeat((byte)1, 32).ToArray(), rows);
        Assert.False(other.Intact);
        Assert.Equal(1, other.FirstBadRowId);
    }

    internal static void Tamper(ApiTestHost host, string sql)
    {
        // Straight on the file, as someone with access to the disk would: drop the triggers, then change rows.
        using var connection = new SqliteConnection($"Data Source={host.Database.Path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete; " + sql;
        command.ExecuteNonQuery();
    }

    internal static async Task<JsonElement> VerifyAsync(ApiTestHost host, JsonElement? head = null)
    {
        var body = head is { } h ? (object)new { lastId = h.GetProperty("lastId").GetInt64(), mac = h.GetProperty("mac").GetString() } : new { };
        using var response = await host.Client.PostAsync(new Uri("api/audit/verify", UriKind.Relative), ApiTestHost.Json(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ApiTestHost.ReadJsonAsync(response);
    }

    private static void AssertFault(JsonElement result, long row, string fault)
    {
        Assert.False(result.GetProperty("intact").GetBoolean(), result.GetRawText());
        Assert.Equal(fault, result.GetProperty("fault").GetString());
        Assert.Equal(row, result.GetProperty("firstBadRowId").GetInt64());
    }

    /// <summary>A host whose log holds 6 rows: the initial admin's creation, then 5 operators created by the bootstrap admin.</summary>
    private static async Task<ApiTestHost> StartWithRowsAsync()
    {
        var host = await ApiTestHost.StartAsync();
        for (var i = 1; i <= 5; i++)
        {
            using var response = await host.Client.PostAsync(
                new Uri("api/operators", UriKind.Relative),
                ApiTestHost.Json(new { username = $"clerk-{i}", displayName = $"Clerk {i}", roles = new[] { GatewayRoles.FrontDesk }, password = $"first-password-{i}-long" }));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        Assert.Equal(6, host.Count("audit_log"));
        return host;
    }
}
