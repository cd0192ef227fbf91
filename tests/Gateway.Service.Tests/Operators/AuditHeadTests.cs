using System.Net;
using System.Text.Json;
using Gateway.Service.Api;
using Gateway.Service.Audit;
using Gateway.Service.Operators;
using Gateway.Service.Tests.Api;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Service.Tests.Operators;

/// <summary>
/// The audit chain's head outside the database: appended to the head file beside the data folder and
/// logged at start, daily and at every inventory sign-off; an emptied log that had rows is not intact;
/// a head naming row 0 (the empty log's) is no false "truncated".
/// </summary>
public sealed class AuditHeadTests
{
    [Fact]
    public async Task HeadFile_BesideTheDataFolder_WrittenAtStartDailyAndAtSignOff_AndLogged()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 5, 2, 0, 0, TimeSpan.Zero));
        var log = new CapturedLog();
        await using var host = await ApiTestHost.StartAsync(time: time, services: s => s.AddSingleton<ILoggerProvider>(log));
        var file = host.DataFolder + ".audit-heads.log";
        Assert.Equal(file, host.Services.GetRequiredService<AuditHeadRecorder>().FilePath);

        var atStart = Assert.Single(await WaitForLinesAsync(file, 1));
        Assert.Equal("daily", atStart.GetProperty("reason").GetString());
        Assert.Equal(1, atStart.GetProperty("lastId").GetInt64());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        // A day later, the daily pass again, with the rows written meanwhile.
        await OperatorTestKit.CreateAsync(host, "clerk", [GatewayRoles.FrontDesk]);
        time.Advance(TimeSpan.FromDays(1));
        var daily = (await WaitForLinesAsync(file, 2))[1];
        Assert.Equal(2, daily.GetProperty("lastId").GetInt64());

        // A signed-off month: the head after the sign-off's own row.
        using (var opened = await host.Client.PostAsync(new Uri("api/inventory/2026-02", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        }

        foreach (var state in new[] { "in-stock", "issued", "lost", "revoked", "damaged", "written-off", "returned" })
        {
            var body = state is "in-stock" or "damaged" or "returned" ? (object)new { registerCount = 0, physicalCount = 0 } : new { registerCount = 0 };
            using var line = await host.Client.PatchAsync(new Uri($"api/inventory/2026-02/lines/{state}", UriKind.Relative), ApiTestHost.Json(body));
            Assert.Equal(HttpStatusCode.OK, line.StatusCode);
        }

        using (var signed = await host.Client.PostAsync(new Uri("api/inventory/2026-02/sign-off", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
        }

        var head = await OperatorTestKit.GetJsonAsync(host.Client, "api/audit/head");
        var signOff = (await WaitForLinesAsync(file, 3))[2];
        Assert.Equal("inventory sign-off 2026-02", signOff.GetProperty("reason").GetString());
        Assert.Equal(head.GetProperty("lastId").GetInt64(), signOff.GetProperty("lastId").GetInt64());
        Assert.Equal(head.GetProperty("mac").GetString(), signOff.GetProperty("mac").GetString());
        Assert.Equal("2026-03-06T02:00:00.0000000Z", signOff.GetProperty("atUtc").GetString());
        Assert.Contains($"Audit chain head (inventory sign-off 2026-02): row {head.GetProperty("lastId").GetInt64()}, MAC {head.GetProperty("mac").GetString()}", log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HeadFile_TruncatedLog_CaughtAgainstTheFilesLatestHead()
    {
        await using var host = await ApiTestHost.StartAsync();
        for (var i = 1; i <= 3; i++)
        {
            await OperatorTestKit.CreateAsync(host, $"clerk-{i}", [GatewayRoles.FrontDesk]);
        }

        await host.Services.GetRequiredService<AuditHeadRecorder>().RecordAsync("test", CancellationToken.None);
        var latest = (await WaitForLinesAsync(host.DataFolder + ".audit-heads.log", 2)).MaxBy(h => h.GetProperty("lastId").GetInt64());
        Assert.Equal(4, latest.GetProperty("lastId").GetInt64());
        AuditLogTests.Tamper(host, "DELETE FROM audit_log WHERE id >= 3");

        var result = await AuditLogTests.VerifyAsync(host, latest);
        Assert.False(result.GetProperty("intact").GetBoolean());
        Assert.Equal("truncated", result.GetProperty("fault").GetString());
        Assert.Equal(3, result.GetProperty("firstBadRowId").GetInt64());
    }

    [Fact]
    public async Task Verify_LogEmptiedInTheFile_NotIntact()
    {
        await using var host = await ApiTestHost.StartAsync();
        await OperatorTestKit.CreateAsync(host, "clerk", [GatewayRoles.FrontDesk]);
        AuditLogTests.Tamper(host, "DELETE FROM audit_log");

        var result = await AuditLogTests.VerifyAsync(host);
        Assert.False(result.GetProperty("intact").GetBoolean(), result.GetRawText());
        Assert.Equal("truncated", result.GetProperty("fault").GetString());
        Assert.Contains("2 operators row(s)", result.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_AgainstTheEmptyLogsHead_IsIntact()
    {
        await using var host = await ApiTestHost.StartAsync();
        using var empty = JsonDocument.Parse($$"""{"lastId":0,"mac":"{{AuditChain.Genesis}}"}""");
        var result = await AuditLogTests.VerifyAsync(host, empty.RootElement);
        Assert.True(result.GetProperty("intact").GetBoolean(), result.GetRawText());
    }

    [Fact]
    public void Chain_HeadOfRowZero_HoldsForAnyLog_ButOnlyWithTheGenesisMac()
    {
        var key = new byte[32];
        var rows = Rows(key, 2);
        Assert.True(AuditChain.Verify(key, [], [new AuditHead(0, AuditChain.Genesis)]).Intact);
        Assert.True(AuditChain.Verify(key, rows, [new AuditHead(0, AuditChain.Genesis)]).Intact);
        var forged = AuditChain.Verify(key, rows, [new AuditHead(0, new string('a', 64))]);
        Assert.False(forged.Intact);
        Assert.Equal(AuditFault.Edited, forged.Fault);
    }

    [Fact]
    public void Chain_EmptyLog_IntactOnlyWithoutEvidenceOfRows()
    {
        var key = new byte[32];
        Assert.True(AuditChain.Verify(key, []).Intact);
        var emptied = AuditChain.Verify(key, [], null, "the database holds 1 operators row(s)");
        Assert.False(emptied.Intact);
        Assert.Equal(AuditFault.Truncated, emptied.Fault);
        Assert.Equal(1, emptied.FirstBadRowId);
    }

    private static List<AuditRow> Rows(byte[] key, int count)
    {
        var rows = new List<AuditRow>();
        var prev = AuditChain.Genesis;
        for (var i = 1; i <= count; i++)
        {
            var mac = AuditChain.ComputeMac(key, prev, "2026-01-01T00:00:00.0000000Z", "op", "Op", "a.b", $"s:{i}", "{}");
            rows.Add(new AuditRow(i, "2026-01-01T00:00:00.0000000Z", "op", "Op", "a.b", $"s:{i}", "{}", prev, mac));
            prev = mac;
        }

        return rows;
    }

    private static async Task<List<JsonElement>> WaitForLinesAsync(string file, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var lines = File.Exists(file) ? (await File.ReadAllLinesAsync(file)).Where(l => l.Length > 0).ToList() : [];
            if (lines.Count >= count || DateTime.UtcNow > deadline)
            {
                Assert.True(lines.Count >= count, $"{lines.Count} head line(s) in {file}, expected {count}");
                return lines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
            }

            await Task.Delay(20);
        }
    }
}
