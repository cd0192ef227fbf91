using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gateway.Service.Api;
using Gateway.Service.SiteImport;

namespace Gateway.Service.Tests.Api.Import;

/// <summary>/api/imports over real HTTP on a real SQLite file, in a site with a car-park gate, building 3's door and a common door.</summary>
public sealed class ImportApiTests
{
    private static readonly Encoding Gb18030 = CodePagesEncodingProvider.Instance.GetEncoding(54936)!;

    private static string PaidUntil(int days) => DateOnly.FromDateTime(DateTime.UtcNow).AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static object File(string name, string kind, byte[] bytes) => new { name, kind, content = Convert.ToBase64String(bytes) };

    private static object[] GoodFiles() =>
    [
        File("住户.csv", "holders", Gb18030.GetBytes("住户编号,姓名,楼栋,单元,房号,电话\r\nH-1,张三,3,2,1201,13800000001\r\nH-2,李四,3,2,1202,\r\nH-3,王五,5,1,0301,\r\n")),
        File("cards.csv", "cards", Encoding.UTF8.GetBytes("card_number,uid,kind,holder_ref\n500001,04A1B2C3,both,H-1\n500002,04A1B2C4,access,H-2\n500003,04A1B2C5,access,H-3\n")),
        File("agreements.csv", "agreements", Encoding.UTF8.GetBytes($"agreement_number,holder_ref,card_number,plate,space,monthly_fee,billing_cycle,payment_method,paid_until\nP-1,H-1,500001,沪A12345,B2-017,300.00,month,cash,{PaidUntil(40)}\n")),
    ];

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, object[] files, string? key) =>
        FrontDeskHost.PostAsync(client, path, new { files }, key);

    [Fact]
    public async Task DryRun_BadLines_ReportedByFileAndLine_ForecastPerController_NothingChanged()
    {
        await using var host = await FrontDeskHost.StartAsync(null, withEncoderDevice: false);
        var before = host.Snapshot();
        object[] files =
        [
            .. GoodFiles().Take(1),
            File("cards.csv", "cards", Encoding.UTF8.GetBytes("card_number,uid,kind,holder_ref\n500001,04A1B2C3,both,H-1\n500002,04A1B2C4,access,H-9\n500001,04A1B2C6,access,H-2\n500004,04A1B2C3,access,H-2\n500005,04A1B2C7,access,H-3\n")),
            File("agreements.csv", "agreements", Encoding.UTF8.GetBytes($"agreement_number,holder_ref,card_number,plate,space,monthly_fee,billing_cycle,payment_method,paid_until\nP-1,H-1,500001,沪A12345,B2-017,300.00,month,cash,{PaidUntil(40)}\nP-2,H-3,500005,沪B12345,B2-018,300.00,month,cash,{PaidUntil(40)}\n")),
            File("bad.csv", "holders", [0xFF, 0xFE, .. Encoding.Unicode.GetBytes("ref")]),
        ];

        using var response = await PostAsync(host.Client, "api/imports/dry-run", files, key: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await ApiTestHost.ReadJsonAsync(response);
        Assert.True(report.GetProperty("dryRun").GetBoolean());
        Assert.False(report.GetProperty("committed").GetBoolean());
        var problems = report.GetProperty("problems").EnumerateArray().Select(p => (p.GetProperty("file").GetString(), p.GetProperty("line").GetInt32(), p.GetProperty("code").GetString())).ToList();
        Assert.Equal(
            [
                ("agreements.csv", 3, "card-not-usable"),
                ("bad.csv", 0, "bad-encoding"),
                ("cards.csv", 3, "unknown-holder"),
                ("cards.csv", 4, "duplicate-card-number"),
                ("cards.csv", 5, "duplicate-uid"),
            ],
            problems);
        Assert.Equal(3, report.GetProperty("holders").GetProperty("new").GetInt32());
        Assert.Equal(2, report.GetProperty("cards").GetProperty("new").GetInt32());
        Assert.Equal(1, report.GetProperty("agreements").GetProperty("new").GetInt32());
        var forecast = report.GetProperty("controllers").EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!, c => c.GetProperty("willHold").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["gate-1"] = 1, ["b3-door"] = 1, ["lobby"] = 2 }, forecast);
        Assert.Equal(before, host.Snapshot());
    }

    [Fact]
    public async Task Import_BackupFirst_OneTransaction_LegacyCardsOnTheOutbox_Audited_SecondRunAddsNothing()
    {
        await using var host = await FrontDeskHost.StartAsync(null, withEncoderDevice: false);
        var outboxBefore = host.Count("card_outbox");

        using var first = await PostAsync(host.Client, "api/imports", GoodFiles(), Guid.NewGuid().ToString());

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var report = await ApiTestHost.ReadJsonAsync(first);
        Assert.True(report.GetProperty("committed").GetBoolean());
        Assert.Empty(report.GetProperty("problems").EnumerateArray());
        var backup = report.GetProperty("backup").GetProperty("path").GetString()!;
        Assert.True(System.IO.File.Exists(backup), backup);
        Assert.Equal((3, 3, 1), (report.GetProperty("holders").GetProperty("new").GetInt32(), report.GetProperty("cards").GetProperty("new").GetInt32(), report.GetProperty("agreements").GetProperty("new").GetInt32()));
        var card = await FrontDeskHost.GetCardAsync(host.Client, 500001);
        Assert.Equal("issued", card.GetProperty("state").GetString());
        Assert.Equal("04A1B2C3", card.GetProperty("uid").GetString());
        Assert.True(card.GetProperty("legacy").GetBoolean());
        Assert.Equal(1L, Scalar(host, "SELECT legacy FROM cards WHERE number = 500001"));
        Assert.True(host.Count("card_outbox") >= outboxBefore + 3);
        Assert.Equal(3L, Scalar(host, "SELECT COUNT(*) FROM audit_log WHERE action = 'card.import-legacy'"));
        Assert.Equal(3L, Scalar(host, "SELECT COUNT(*) FROM audit_log WHERE action = 'holder.import'"));
        Assert.Equal(1L, Scalar(host, "SELECT COUNT(*) FROM audit_log WHERE action = 'parking.agreement.import'"));
        Assert.Equal(1L, Scalar(host, "SELECT COUNT(*) FROM audit_log WHERE action = 'import.commit'"));
        // The backup holds the site as it was before the import.
        Assert.Equal(0L, ScalarIn(backup, "SELECT COUNT(*) FROM holders"));

        // The agreement's paid-until date is what the car park's controller is given (plus grace).
        var agreements = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/parking/agreements?agreementNumber=P-1", UriKind.Relative)));
        var id = agreements.GetProperty("items")[0].GetProperty("id").GetInt64();
        var agreement = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri($"api/parking/agreements/{id}", UriKind.Relative)));
        var period = Assert.Single(agreement.GetProperty("periods").EnumerateArray());
        Assert.Equal(DateOnly.FromDateTime(DateTime.UtcNow).AddDays(41).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), period.GetProperty("end").GetString());

        var after = host.Snapshot();
        using var second = await PostAsync(host.Client, "api/imports", GoodFiles(), Guid.NewGuid().ToString());

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var again = await ApiTestHost.ReadJsonAsync(second);
        Assert.False(again.GetProperty("committed").GetBoolean());
        Assert.Equal(JsonValueKind.Null, again.GetProperty("backup").ValueKind);
        Assert.Equal((0, 3), (again.GetProperty("holders").GetProperty("new").GetInt32(), again.GetProperty("holders").GetProperty("unchanged").GetInt32()));
        Assert.Equal((0, 3), (again.GetProperty("cards").GetProperty("new").GetInt32(), again.GetProperty("cards").GetProperty("unchanged").GetInt32()));
        Assert.Equal((0, 1), (again.GetProperty("agreements").GetProperty("new").GetInt32(), again.GetProperty("agreements").GetProperty("unchanged").GetInt32()));
        Assert.Equal(after, host.Snapshot());
    }

    private static Dictionary<string, string?> Board(string readerFormat) => new()
    {
        // Nothing listens there: the board is configuration only, its readers' format what the import needs.
        ["Gateway:Devices:4:Id"] = "door-b3",
        ["Gateway:Devices:4:Kind"] = "uhppote",
        ["Gateway:Devices:4:Endpoint"] = "udp://127.0.0.1:9",
        ["Gateway:Devices:4:Controller"] = "423187757",
        ["Gateway:Devices:4:Doors:1:Zone"] = "building-3",
        ["Gateway:Devices:4:Doors:1:ReaderFormat"] = readerFormat,
    };

    [Fact]
    public async Task Import_CardsKnownByTheirBoardNumber_Wiegand34Board_UidFromTheNumber_TheBoardWillHoldTheSameNumbers()
    {
        await using var host = await FrontDeskHost.StartAsync(null, withEncoderDevice: false, extra: Board("w34-lsb"));
        object[] files =
        [
            GoodFiles()[0],
            File("cards.csv", "cards", Encoding.UTF8.GetBytes(
                "card_number,uid,kind,holder_ref,board_number\n"
                + "600001,,access,H-1,551838724\n"           // reads back to 0464E420 through a w34-lsb reader
                + "600002,0464E421,access,H-2,568615940\n"   // both, and they agree
                + "600003,0464E422,access,H-3,551838724\n")), // both, and they disagree
        ];

        using (var dry = await PostAsync(host.Client, "api/imports/dry-run", files, key: null))
        {
            var report = await ApiTestHost.ReadJsonAsync(dry);
            var problem = Assert.Single(report.GetProperty("problems").EnumerateArray());
            Assert.Equal(("cards.csv", 4, "board-number-mismatch"), (problem.GetProperty("file").GetString(), problem.GetProperty("line").GetInt32(), problem.GetProperty("code").GetString()));
            Assert.Contains("UID 0464E422 reads as 585393156 through a w34-lsb reader, not as board number 551838724", problem.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        object[] good = [files[0], File("cards.csv", "cards", Encoding.UTF8.GetBytes("card_number,uid,kind,holder_ref,board_number\n600001,,access,H-1,551838724\n600002,0464E421,access,H-2,568615940\n"))];
        using var imported = await PostAsync(host.Client, "api/imports", good, Guid.NewGuid().ToString());

        var committed = await ApiTestHost.ReadJsonAsync(imported);
        Assert.True(committed.GetProperty("committed").GetBoolean(), committed.ToString());
        Assert.Equal("0464E420", (await FrontDeskHost.GetCardAsync(host.Client, 600001)).GetProperty("uid").GetString());
        Assert.Equal(1L, Scalar(host, "SELECT COUNT(*) FROM card_events WHERE card_number = 600001 AND action = 'import-legacy' AND note LIKE '%UID from board number 551838724'"));
        Assert.Equal(1L, Scalar(host, "SELECT COUNT(*) FROM audit_log WHERE action = 'card.import-legacy' AND details LIKE '%\"boardNumber\":551838724%' AND details LIKE '%\"uidFromBoardNumber\":true%'"));

        // The board's forecast is made from the cards' UIDs as any card's is: it will hold the numbers it was given.
        using var again = await PostAsync(host.Client, "api/imports/dry-run", good, key: null);
        var board = (await ApiTestHost.ReadJsonAsync(again)).GetProperty("controllers").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "door-b3");
        Assert.Equal(2, board.GetProperty("willHold").GetInt32());
        Assert.Equal(2, board.GetProperty("holdsNow").GetInt32());
    }

    [Theory]
    [InlineData("w26", "a w26 reader outputs 24 of a UID's 32 bits")]
    [InlineData(null, "no UHPPOTE board is configured")]
    public async Task Import_BoardNumberThatGivesNoUid_RefusedByLineWithTheReason_NothingChanged(string? readerFormat, string reason)
    {
        await using var host = await FrontDeskHost.StartAsync(null, withEncoderDevice: false, extra: readerFormat is null ? null : Board(readerFormat));
        var before = host.Snapshot();
        object[] files = [GoodFiles()[0], File("cards.csv", "cards", Encoding.UTF8.GetBytes("card_number,kind,holder_ref,board_number\n600001,access,H-1,10058400\n"))];

        using var refused = await PostAsync(host.Client, "api/imports", files, Guid.NewGuid().ToString());

        var problem = await ApiTestHost.AssertProblemAsync(refused, 422, "urn:gateway:problem:import-refused");
        var line = Assert.Single(problem.GetProperty("report").GetProperty("problems").EnumerateArray());
        Assert.Equal(("cards.csv", 2, "uid-unknown"), (line.GetProperty("file").GetString(), line.GetProperty("line").GetInt32(), line.GetProperty("code").GetString()));
        Assert.Contains(reason, line.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("give it in the uid column", line.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, host.Snapshot());
    }

    [Fact]
    public async Task Import_WithABadLine_Refused422WithTheReport_NothingChanged_NoBackup()
    {
        await using var host = await FrontDeskHost.StartAsync(null, withEncoderDevice: false);
        var before = host.Snapshot();
        object[] files = [.. GoodFiles().Take(2), File("agreements.csv", "agreements", Encoding.UTF8.GetBytes("agreement_number,holder_ref,card_number,plate,space,monthly_fee,billing_cycle,payment_method,paid_until\nP-1,H-1,500001,沪A12345,B2-017,300.00,monthly,cash,\n"))];

        using var response = await PostAsync(host.Client, "api/imports", files, Guid.NewGuid().ToString());

        var problem = await ApiTestHost.AssertProblemAsync(response, 422, ImportEndpoints.ImportRefused);
        var line = Assert.Single(problem.GetProperty("report").GetProperty("problems").EnumerateArray());
        Assert.Equal(("agreements.csv", 2), (line.GetProperty("file").GetString(), line.GetProperty("line").GetInt32()));
        Assert.Contains("billing_cycle: 'monthly'", line.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, host.Snapshot());
        Assert.False(Directory.Exists(Path.Combine(host.DataFolder, "backups")) && Directory.EnumerateFiles(Path.Combine(host.DataFolder, "backups")).Any());
    }

    [Fact]
    public async Task LegacyCard_HandedBack_CannotBeRecycled_NoKeysToEraseIt_StaysReturned()
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        using (var imported = await PostAsync(host.Client, "api/imports", GoodFiles(), Guid.NewGuid().ToString()))
        {
            Assert.Equal(HttpStatusCode.OK, imported.StatusCode);
        }

        using (var revoked = await FrontDeskHost.PostAsync(host.Client, "api/cards/500002/revoke", new { reason = "moved-out" }))
        {
            Assert.True(revoked.IsSuccessStatusCode, await revoked.Content.ReadAsStringAsync());
        }

        using (var returned = await FrontDeskHost.PostAsync(host.Client, "api/cards/500002/return", new { }))
        {
            Assert.True(returned.IsSuccessStatusCode, await returned.Content.ReadAsStringAsync());
        }

        using var recycle = await FrontDeskHost.PostAsync(host.Client, "api/cards/500002/recycle", new { });

        var problem = await ApiTestHost.AssertProblemAsync(recycle, 409, ProblemTypes.InvalidTransition);
        Assert.Contains("legacy card", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("returned", (await FrontDeskHost.GetCardAsync(host.Client, 500002)).GetProperty("state").GetString());
    }

    [Theory]
    [InlineData("api/imports/dry-run")]
    [InlineData("api/imports")]
    public async Task Import_NotAdmin_Forbidden(string path)
    {
        await using var host = await FrontDeskHost.StartAsync(null, withEncoderDevice: false);
        using var desk = host.CreateClient(FrontDeskHost.DeskToken);

        using var response = await PostAsync(desk, path, GoodFiles(), Guid.NewGuid().ToString());

        await ApiTestHost.AssertProblemAsync(response, 403, ProblemTypes.Forbidden);
    }

    [Fact]
    public async Task Import_BadBody_ValidationFailed()
    {
        await using var host = await FrontDeskHost.StartAsync(null, withEncoderDevice: false);

        using var response = await FrontDeskHost.PostAsync(host.Client, "api/imports/dry-run", new { files = new[] { new { name = "a.csv", kind = "holders", content = "not base64!" } } });

        var problem = await ApiTestHost.AssertProblemAsync(response, 400, ProblemTypes.ValidationFailed);
        Assert.True(problem.GetProperty("errors").TryGetProperty("files[0].content", out _));
    }

    private static long Scalar(ApiTestHost host, string sql)
    {
        using var connection = host.Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    private static long ScalarIn(string path, string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }
}
