using System.Net;
using static Gateway.Service.Tests.Api.Parking.ParkingApi;

namespace Gateway.Service.Tests.Api.Parking;

/// <summary>Bank debit both ways through the live API on a real SQLite file.</summary>
public sealed class BankDebitApiTests
{
    [Fact]
    public async Task ExportRequests_ListsDueBankDebitAgreementsOnly_AsCsv()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var due = (await CreateAgreementAsync(host, "B-DUE", cycle: "quarter", method: "bank-debit")).GetProperty("id").GetInt64();
        var paid = (await CreateAgreementAsync(host, "B-PAID", method: "bank-debit")).GetProperty("id").GetInt64();
        await CreateAgreementAsync(host, "C-CASH");
        await GrantAsync(host, await RecordPaymentAsync(host, due, 90000, "R-DUE")); // to 30 Apr
        await GrantAsync(host, await RecordPaymentAsync(host, paid, 30000 * 6, "R-PAID")); // to 31 Jul

        var response = await host.Client.GetAsync("api/parking/bank-debit/requests?month=2026-04");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]); // UTF-8 with a byte-order mark, as every CSV Gateway writes
        Assert.Equal($"agreement_number,amount,due_date,plate,account_name,account_number\nB-DUE,900.00,2026-04-30,沪A12345,李伟,{AccountNumber}\n", System.Text.Encoding.UTF8.GetString(bytes[3..]));
    }

    [Fact]
    public async Task ImportResults_MixedFile_GrantsSuccesses_ReportsEveryOtherLine_SecondImportChangesNothing()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        await CreateAgreementAsync(host, "B-1", method: "bank-debit");
        await CreateAgreementAsync(host, "B-2", method: "bank-debit");
        await CreateAgreementAsync(host, "B-3", cycle: "quarter", method: "bank-debit");
        await CreateAgreementAsync(host, "C-1");
        var file = string.Join('\n', [
            "agreement_number,amount,date,status,reason",
            "B-1,300.00,2026-01-31,ok",                      // 2 granted
            "B-2,300.00,2026-01-31,failed,insufficient funds", // 3 failed
            "B-1,300.00,2026-01-31,ok",                      // 4 duplicate in this file
            "B-9,300.00,2026-01-31,ok",                      // 5 unmatched: unknown
            "C-1,300.00,2026-01-31,ok",                      // 6 unmatched: cash agreement
            "B-3,300.00,2026-01-31,ok",                      // 7 refused: not a whole quarter (recorded)
            "B-2,300.00,2026-31-01,ok",                      // 8 malformed date
            "garbage",                                       // 9 malformed
            ""]);

        var response = await PostWithKeyAsync(host.Client, "api/parking/bank-debit/results", Csv(file), "import-1");
        var report = await ApiTestHost.ReadJsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, report.ToString());

        var outcomes = report.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("line").GetInt32(), r => r.GetProperty("outcome").GetString());
        Assert.Equal(
            new Dictionary<int, string?> { [2] = "granted", [3] = "failed", [4] = "duplicate", [5] = "unmatched", [6] = "unmatched", [7] = "refused", [8] = "malformed", [9] = "malformed" },
            outcomes);
        Assert.True(report.GetProperty("changed").GetBoolean());
        Assert.Equal(2, host.Count("parking_payments")); // B-1 granted, B-3 recorded
        Assert.Equal(1, host.Count("parking_periods"));
        var b1 = Assert.Single((await GetAsync(host, "api/parking/agreements?agreementNumber=B-1")).GetProperty("items").EnumerateArray());
        Assert.Equal("2026-02-28", Date(b1, "paidUntil"));

        var before = host.Snapshot();
        var again = await PostWithKeyAsync(host.Client, "api/parking/bank-debit/results", Csv(file), "import-2");
        var second = await ApiTestHost.ReadJsonAsync(again);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.False(second.GetProperty("changed").GetBoolean());
        var secondOutcomes = second.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("outcome").GetString()).ToList();
        Assert.DoesNotContain("granted", secondOutcomes);
        Assert.DoesNotContain("failed", secondOutcomes);
        Assert.DoesNotContain("refused", secondOutcomes);
        Assert.Equal(4, secondOutcomes.Count(o => o == "duplicate"));
        Assert.Equal(before, host.Snapshot());
    }

    [Fact]
    public async Task ImportResults_OnlyMalformedOrUnknownLines_ReportsAndCommitsNothing()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var before = host.Snapshot();

        var response = await PostWithKeyAsync(host.Client, "api/parking/bank-debit/results", Csv("X-1,300.00,2026-01-31,ok\nX-2,abc,2026-01-31,ok\n"), "import-x");
        var report = await ApiTestHost.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["unmatched", "malformed"], report.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("outcome").GetString()));
        Assert.Equal(before, host.Snapshot());
    }
}
