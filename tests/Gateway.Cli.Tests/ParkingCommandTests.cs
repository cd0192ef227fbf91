using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Gateway.Cli.Tests;

/// <summary>gatewayctl parking … as real processes against a live service on a real SQLite file.</summary>
public sealed class ParkingCommandTests : IDisposable
{
    private const string Token = "cli-parking-bootstrap-token-0123456789abcdef";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly TempFolder _folder = new("gatewayctl-parking");

    [LinuxFact]
    public async Task Parking_AgreementPaymentGrantDebitReverse_EndToEnd()
    {
        await using var service = ChildProcess.StartDotnet(RepoPaths.Service, [$"--Gateway:DataFolder={_folder.Combine("data")}", "--Gateway:Http:Port=0", $"--Gateway:BootstrapToken={Token}"]);
        var url = (await service.WaitForLineAsync(@"HTTP (http://[0-9.]+:\d+)", Bound)).Groups[1].Value;
        var (holder, card) = Seed(_folder.Combine("data", "gateway.db"));

        var agreement = await JsonAsync(url, "parking", "agreements", "create", "--number", "P-CLI-1", "--holder", Str(holder), "--card", Str(card), "--plate", "沪A12345", "--space", "B1-017", "--fee-fen", "30000", "--cycle", "month", "--method", "bank-debit", "--signed-copy", "archive/P-CLI-1.pdf", "--account-name", "李伟", "--account-number", "6222 0202 0011 2233 445");
        var agreementId = agreement.GetProperty("id").GetInt64();
        // A second agreement, never paid: on the overdue list from the day it was made.
        await JsonAsync(url, "parking", "agreements", "create", "--number", "P-CLI-2", "--holder", Str(holder), "--card", "200002", "--plate", "沪B54321", "--space", "B1-018", "--fee", "300.00", "--cycle", "month", "--method", "cash", "--signed-copy", "archive/P-CLI-2.pdf");

        var payment = await JsonAsync(url, "parking", "payments", "record", Str(agreementId), "--amount-fen", "30000", "--receipt", "R-CLI-1");
        var paymentId = payment.GetProperty("id").GetInt64();
        var grant = await JsonAsync(url, "parking", "grant", Str(paymentId));
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai")).DateTime);
        var start = DateOnly.Parse(grant.GetProperty("period").GetProperty("start").GetString()!, CultureInfo.InvariantCulture);
        Assert.InRange(start.DayNumber, today.DayNumber - 1, today.DayNumber); // the clock may cross midnight between the two readings
        Assert.Equal(1, grant.GetProperty("period").GetProperty("months").GetInt32());

        // The same command again is answered by the first grant (same derived key), not a second period.
        var again = await JsonAsync(url, "parking", "grant", Str(paymentId));
        Assert.Equal(grant.GetRawText(), again.GetRawText());

        // Readable table for people.
        var (code, table, err) = await RunAsync(url, "parking", "agreements", "list", "--plate", "沪A12345");
        Assert.True(code == 0, err);
        Assert.Contains("P-CLI-1", table, StringComparison.Ordinal);
        Assert.StartsWith("ID", table.TrimStart(), StringComparison.Ordinal);

        var expiring = await JsonAsync(url, "parking", "expiring", "--days", "40");
        Assert.Equal("P-CLI-1", Assert.Single(expiring.GetProperty("items").EnumerateArray()).GetProperty("agreementNumber").GetString());

        var overdue = await JsonAsync(url, "parking", "overdue");
        var late = Assert.Single(overdue.GetProperty("items").EnumerateArray());
        Assert.Equal(("P-CLI-2", "Resident"), (late.GetProperty("agreementNumber").GetString(), late.GetProperty("holderName").GetString()));
        var overduePath = _folder.Combine("overdue.csv");
        var (overdueCode, _, overdueErr) = await RunAsync(url, "parking", "overdue", "--csv", "--out", overduePath);
        Assert.True(overdueCode == 0, overdueErr);
        var overdueCsv = await File.ReadAllBytesAsync(overduePath);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, overdueCsv[..3]);
        Assert.Contains(",P-CLI-2,", System.Text.Encoding.UTF8.GetString(overdueCsv), StringComparison.Ordinal);

        // Bank debit: export next month's requests to a file, import a result file twice.
        var paidUntil = DateOnly.Parse(grant.GetProperty("period").GetProperty("end").GetString()!, CultureInfo.InvariantCulture);
        var exportPath = _folder.Combine("requests.csv");
        var (exportCode, _, exportErr) = await RunAsync(url, "parking", "debit", "export", "--month", paidUntil.ToString("yyyy-MM", CultureInfo.InvariantCulture), "--out", exportPath);
        Assert.True(exportCode == 0, exportErr);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(exportPath)); // account numbers: the owner's only
        }
        Assert.Contains("P-CLI-1,300.00," + paidUntil.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + ",沪A12345,李伟,6222020200112233445", await File.ReadAllTextAsync(exportPath), StringComparison.Ordinal);

        var resultPath = _folder.Combine("results.csv");
        await File.WriteAllTextAsync(resultPath, $"agreement_number,amount,date,status\nP-CLI-1,300.00,{paidUntil:yyyy-MM-dd},ok\nP-NOPE,300.00,{paidUntil:yyyy-MM-dd},ok\n");
        var report = await JsonAsync(url, "parking", "debit", "import", resultPath);
        Assert.Equal(["granted", "unmatched"], report.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("outcome").GetString()));
        var (importCode, importText, importErr) = await RunAsync(url, "parking", "debit", "import", resultPath);
        Assert.True(importCode == 0, importErr);
        Assert.Contains("granted 1", importText, StringComparison.Ordinal); // the same file: the first report, replayed

        // A bank that writes GB18030 (Chinese headers are not expected, Chinese reasons are): the file goes as
        // written, the service detects the encoding and the reason comes back readable, in the table as in JSON.
        System.Text.Encoding.RegisterProvider(System.Text.CodePagesEncodingProvider.Instance);
        var nextDue = paidUntil.AddMonths(1);
        var gbPath = _folder.Combine("results-gb18030.csv");
        await File.WriteAllBytesAsync(gbPath, System.Text.Encoding.GetEncoding("GB18030").GetBytes($"agreement_number,amount,date,status,reason\nP-CLI-1,300.00,{nextDue:yyyy-MM-dd},failed,余额不足\n"));
        var (gbCode, gbTable, gbErr) = await RunAsync(url, "parking", "debit", "import", gbPath);
        Assert.True(gbCode == 0, gbErr);
        Assert.Contains("余额不足", gbTable, StringComparison.Ordinal);
        Assert.Contains("read as gb18030", gbTable, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("failed 1", gbTable, StringComparison.Ordinal);

        // Reverse the first payment: the debit's period moves to the start of the chain.
        var reversal = await JsonAsync(url, "parking", "reverse", Str(paymentId), "--reason", "recorded twice");
        Assert.Equal("reversed", reversal.GetProperty("payment").GetProperty("state").GetString());
        var moved = Assert.Single(reversal.GetProperty("moved").EnumerateArray());
        Assert.Equal(grant.GetProperty("period").GetProperty("start").GetString(), moved.GetProperty("start").GetString());

        // A payment refused at the desk (not whole months), then the same receipt with the amount corrected:
        // the correction is a new request (its own key), recorded, not 422 idempotency-key-reused.
        var (refusedCode, _, refusedErr) = await RunAsync(url, "parking", "payments", "record", Str(agreementId), "--amount", "250.00", "--receipt", "R-CLI-2");
        Assert.NotEqual(0, refusedCode);
        Assert.Contains("urn:gateway:problem:parking-", refusedErr, StringComparison.Ordinal);
        Assert.DoesNotContain("idempotency", refusedErr, StringComparison.OrdinalIgnoreCase);
        var corrected = await JsonAsync(url, "parking", "payments", "record", Str(agreementId), "--amount", "300.00", "--receipt", "R-CLI-2");
        Assert.Equal(30000, corrected.GetProperty("amountFen").GetInt64());
        Assert.Equal("recorded", corrected.GetProperty("state").GetString());
        // The corrected command run again replays its answer: one payment, not two.
        var replayed = await JsonAsync(url, "parking", "payments", "record", Str(agreementId), "--amount", "300.00", "--receipt", "R-CLI-2");
        Assert.Equal(corrected.GetProperty("id").GetInt64(), replayed.GetProperty("id").GetInt64());

        // The day's cash: R-CLI-1 and R-CLI-2 in cash, R-CLI-1 reversed, one bank debit settled.
        var cash = await JsonAsync(url, "reports", "cash");
        var totals = cash.GetProperty("totals");
        Assert.Equal((60000L, 30000L, -30000L, 30000L), (totals.GetProperty("cash").GetProperty("totalFen").GetInt64(), totals.GetProperty("bankDebits").GetProperty("totalFen").GetInt64(), totals.GetProperty("reversals").GetProperty("totalFen").GetInt64(), totals.GetProperty("cashInHandFen").GetInt64()));
        var (cashCode, cashTable, cashErr) = await RunAsync(url, "reports", "cash");
        Assert.True(cashCode == 0, cashErr);
        Assert.Contains(cashTable.Split('\n'), l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^cash in hand\s+300\.00$"));
        var (textCode, page, textErr) = await RunAsync(url, "reports", "cash", "--text");
        Assert.True(textCode == 0, textErr);
        Assert.StartsWith("CASH REPORT", page, StringComparison.Ordinal);

        // A refusal is one line on stderr with the problem type, exit 4 for not found.
        var (missingCode, missingOut, missingErr) = await RunAsync(url, "parking", "grant", "999999");
        Assert.Equal(4, missingCode);
        Assert.Equal(string.Empty, missingOut.Trim());
        Assert.Contains("urn:gateway:problem:not-found", Assert.Single(missingErr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Fact]
    public void PaymentKey_NamesAgreementReceiptAmountAndMethod()
    {
        var key = Commands.ParkingCommand.PaymentKey(7, "R-0001", 90000, "cash");
        Assert.Equal(key, Commands.ParkingCommand.PaymentKey(7, "R-0001", 90000, "cash"));
        Assert.NotEqual(key, Commands.ParkingCommand.PaymentKey(7, "R-0001", 80000, "cash"));
        Assert.NotEqual(key, Commands.ParkingCommand.PaymentKey(7, "R-0001", 90000, "bank-debit"));
        Assert.NotEqual(key, Commands.ParkingCommand.PaymentKey(7, "R-0002", 90000, "cash"));
        Assert.NotEqual(key, Commands.ParkingCommand.PaymentKey(8, "R-0001", 90000, "cash"));
        // A receipt number in Chinese with a space still makes a valid header value (printable ASCII, at most 128).
        var chinese = Commands.ParkingCommand.PaymentKey(7, "收据 0001", 90000, "cash");
        Assert.StartsWith("payment-7-", chinese, StringComparison.Ordinal);
        Assert.All(chinese, c => Assert.InRange(c, '!', '~'));
        Assert.InRange(chinese.Length, 1, 128);
    }

    public void Dispose() => _folder.Dispose();

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);

    private async Task<JsonElement> JsonAsync(string url, params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(url, [.. args, "--json"]);
        Assert.True(code == 0, $"gatewayctl {string.Join(' ', args)}: exit {code}: {stderr}");
        using var document = JsonDocument.Parse(stdout);
        return document.RootElement.Clone();
    }

    private Task<(int ExitCode, string StandardOutput, string StandardError)> RunAsync(string url, params string[] args) =>
        ChildProcess.RunDotnetAsync(RepoPaths.Cli, [.. args, "--server", url], Bound, environment: new Dictionary<string, string?>
        {
            ["GATEWAY_TOKEN"] = Token,
            ["GATEWAY_CREDENTIALS"] = _folder.Combine("none.json"),
            ["GATEWAY_SERVER"] = null,
        });

    /// <summary>A holder with an issued parking card, written straight into the front office's tables.</summary>
    private static (long Holder, long Card) Seed(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Default Timeout=30");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO holders(name, building, unit, room, created_utc, updated_utc) VALUES ('Resident', '3', '2', '1201', '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z');
            INSERT INTO cards(number, state, holder_id, kind, received_utc, updated_utc) VALUES (200001, 'issued', last_insert_rowid(), 'parking', '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z');
            INSERT INTO cards(number, state, holder_id, kind, received_utc, updated_utc) SELECT 200002, 'issued', holder_id, 'parking', received_utc, updated_utc FROM cards WHERE number = 200001;
            SELECT holder_id FROM cards WHERE number = 200001;
            """;
        var holder = (long)command.ExecuteScalar()!;
        SqliteConnection.ClearAllPools();
        return (holder, 200001);
    }
}
