using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.Service.Api;
using Gateway.Service.Tests.Operators;
using static Gateway.Service.Tests.Api.Parking.ParkingApi;

namespace Gateway.Service.Tests.Api.Parking;

/// <summary>The desk's money day through the live API on a real SQLite file: overdue lists, agreement changes, bank files as banks send them, the cash report.</summary>
public sealed class DeskMoneyApiTests
{
    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];

    [Fact]
    public async Task Overdue_LapsedAndNeverPaid_WithNamePhoneAndLastPayment_AsJsonAndCsvWithBom()
    {
        var (host, clock) = await StartAsync();
        await using var __ = host;
        var lapsed = (await CreateAgreementAsync(host, "P-LAPSED")).GetProperty("id").GetInt64();
        var never = (await CreateAgreementAsync(host, "P-NEVER")).GetProperty("id").GetInt64();
        var paid = (await CreateAgreementAsync(host, "P-PAID")).GetProperty("id").GetInt64();
        await GrantAsync(host, await RecordPaymentAsync(host, lapsed, 30000, "R-1")); // [31 Jan, 28 Feb)
        await GrantAsync(host, await RecordPaymentAsync(host, paid, 30000 * 3, "R-2")); // to 30 Apr
        SetPhone(host, lapsed, "13800000000");
        clock.Advance(TimeSpan.FromDays(35)); // 7 March in Shanghai

        var list = await GetAsync(host, "api/parking/overdue");

        var items = list.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([lapsed, never], items.Select(i => i.GetProperty("agreementId").GetInt64()));
        Assert.Equal("2026-02-28", Date(items[0], "paidUntil"));
        Assert.Equal(7, items[0].GetProperty("daysOverdue").GetInt32());
        Assert.Equal(30000, items[0].GetProperty("lastPaymentFen").GetInt64());
        Assert.Equal("13800000000", items[0].GetProperty("phone").GetString());
        Assert.StartsWith("Resident ", items[0].GetProperty("holderName").GetString(), StringComparison.Ordinal);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, items[1].GetProperty("paidUntil").ValueKind);
        Assert.Equal(35, items[1].GetProperty("daysOverdue").GetInt32()); // never paid: since the agreement was signed

        var csv = await host.Client.GetAsync("api/parking/overdue?format=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var bytes = await csv.Content.ReadAsByteArrayAsync();
        Assert.Equal(Bom, bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("agreement_id,agreement_number,holder_id,holder_name,phone,card_number,plate,space,payment_method,paid_until,days_overdue,last_payment_yuan,last_payment_at", lines[0]);
        Assert.Matches(@$"^{lapsed},P-LAPSED,\d+,Resident \d+,13800000000,\d+,沪A12345,B1-P-LAPSED,cash,2026-02-28,7,300.00,2026-01-31 10:00$", lines[1]);
        Assert.Equal(3, lines.Length);

        var expiring = await host.Client.GetAsync("api/parking/expiring?days=60&format=csv");
        var expiringBytes = await expiring.Content.ReadAsByteArrayAsync();
        Assert.Equal(Bom, expiringBytes[..3]);
        Assert.Contains(",P-PAID,", Encoding.UTF8.GetString(expiringBytes), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChangeAgreement_BadInput_ClearFourHundred_NothingChanged()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var id = (await CreateAgreementAsync(host, "P-CH")).GetProperty("id").GetInt64();
        var before = host.Snapshot();

        foreach (var (body, field) in new (object Body, string Field)[]
        {
            (new { }, "body"),
            (new { plate = "!" }, "plate"),
            (new { cardNumber = 0 }, "cardNumber"),
            (new { bankAccountName = "李伟" }, "bankAccountNumber"),
        })
        {
            var response = await host.Client.PatchAsync($"api/parking/agreements/{id}", ApiTestHost.Json(body));
            var problem = await ApiTestHost.AssertProblemAsync(response, 400, ProblemTypes.ValidationFailed);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        }

        // A bank account on a cash agreement: refused by the rules of the agreement, not stored.
        var cash = await host.Client.PatchAsync($"api/parking/agreements/{id}", ApiTestHost.Json(new { bankAccountName = "李伟", bankAccountNumber = AccountNumber }));
        await ApiTestHost.AssertProblemAsync(cash, 400, ProblemTypes.ValidationFailed);
        Assert.Equal(before, host.Snapshot());

        var changed = await host.Client.PatchAsync($"api/parking/agreements/{id}", ApiTestHost.Json(new { plate = "沪b99999", space = "B2-001" }));
        var body2 = await ApiTestHost.ReadJsonAsync(changed);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal("沪B99999", body2.GetProperty("agreement").GetProperty("plate").GetString());
        Assert.Equal(["plate", "space"], body2.GetProperty("changed").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public async Task BankAgreement_AccountRequired_StoredInFull_ListedMasked()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var (holder, card) = SeedHolderAndCard(host);
        var missing = await host.Client.PostAsync("api/parking/agreements", ApiTestHost.Json(new { agreementNumber = "B-NO", holderId = holder, cardNumber = card, plate = "沪A1", space = "S1", monthlyFeeFen = 30000, billingCycle = "month", paymentMethod = "bank-debit", signedCopyRef = "x" }));
        var problem = await ApiTestHost.AssertProblemAsync(missing, 400, ProblemTypes.ValidationFailed);
        Assert.True(problem.GetProperty("errors").TryGetProperty("bankAccountNumber", out _));

        var created = await CreateAgreementAsync(host, "B-OK", method: "bank-debit");
        Assert.Equal("****3445", created.GetProperty("bankAccount").GetString());
        Assert.Equal("李伟", created.GetProperty("bankAccountName").GetString());
        var listed = await host.Client.GetStringAsync("api/parking/agreements");
        Assert.DoesNotContain(AccountNumber, listed, StringComparison.Ordinal);
        var audit = await host.Client.GetStringAsync("api/audit?limit=500");
        Assert.DoesNotContain(AccountNumber, audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImportResults_Gb18030File_DetectedAndReported_ReasonReadExactly_DeclaredWrongRefused()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        await CreateAgreementAsync(host, "B-1", method: "bank-debit");
        await CreateAgreementAsync(host, "B-2", method: "bank-debit");
        var gb18030 = System.Text.CodePagesEncodingProvider.Instance.GetEncoding(54936)!;
        var file = gb18030.GetBytes("agreement_number,amount,date,status,reason\nB-1,300.00,2026-01-31,ok\nB-2,300.00,2026-01-31,failed,余额不足\n");

        // Declared as UTF-8 but GBK bytes: refused with where, nothing imported.
        var before = host.Snapshot();
        var wrong = await PostBytesAsync(host, file, "text/csv; charset=utf-8", "gb-wrong");
        var problem = await ApiTestHost.AssertProblemAsync(wrong, 400, ProblemTypes.ValidationFailed);
        Assert.Contains("not valid utf-8", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, host.Snapshot());

        var response = await PostBytesAsync(host, file, "text/csv", "gb-detect");
        var report = await ApiTestHost.ReadJsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gb18030", report.GetProperty("encoding").GetProperty("name").GetString());
        Assert.Equal("detected", report.GetProperty("encoding").GetProperty("source").GetString());
        var failed = report.GetProperty("results").EnumerateArray().Single(r => r.GetProperty("outcome").GetString() == "failed");
        Assert.EndsWith("余额不足", failed.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CashReport_PerOperator_ClerkSeesOwnShiftOnly_FinanceAll_CsvWithBomAndText()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var clerk = await OperatorTestKit.ReadyOperatorAsync(host, "clerk-a", "front-desk");
        var other = await OperatorTestKit.ReadyOperatorAsync(host, "clerk-b", "front-desk");
        var finance = await OperatorTestKit.ReadyOperatorAsync(host, "fin", "finance");
        using var clerkClient = host.CreateClient(clerk);
        using var otherClient = host.CreateClient(other);
        using var financeClient = host.CreateClient(finance);
        var a = (await CreateAgreementAsync(host, "P-A")).GetProperty("id").GetInt64();
        var b = (await CreateAgreementAsync(host, "P-B", cycle: "quarter")).GetProperty("id").GetInt64();
        await PayAsync(clerkClient, a, 30000, "R-0012");
        await PayAsync(clerkClient, a, 30000, "R-0014");
        await PayAsync(otherClient, b, 90000, "R-0013");

        var own = await OperatorTestKit.GetJsonAsync(clerkClient, "api/reports/cash?date=2026-01-31");
        var mine = Assert.Single(own.GetProperty("operators").EnumerateArray());
        Assert.Equal("clerk-a", mine.GetProperty("operatorId").GetString());
        Assert.Equal(60000, mine.GetProperty("cash").GetProperty("totalFen").GetInt64());
        Assert.Equal(60000, mine.GetProperty("cashInHandFen").GetInt64());
        Assert.Equal(["R-0013"], mine.GetProperty("receipts").GetProperty("missing").EnumerateArray().Select(m => m.GetString()));

        var forbidden = await clerkClient.GetAsync("api/reports/cash?date=2026-01-31&operator=clerk-b");
        await ApiTestHost.AssertProblemAsync(forbidden, 403, ProblemTypes.Forbidden);

        var all = await OperatorTestKit.GetJsonAsync(financeClient, "api/reports/cash?date=2026-01-31");
        Assert.Equal(["clerk-a", "clerk-b"], all.GetProperty("operators").EnumerateArray().Select(o => o.GetProperty("operatorId").GetString()));
        Assert.Equal(150000, all.GetProperty("totals").GetProperty("cash").GetProperty("totalFen").GetInt64());
        Assert.Empty(all.GetProperty("totals").GetProperty("receipts").GetProperty("missing").EnumerateArray()); // all three receipts together close the run

        // A shift that ends before the day does: nothing in it.
        var shift = await OperatorTestKit.GetJsonAsync(financeClient, "api/reports/cash?from=2026-01-31T00:00&to=2026-01-31T08:00");
        Assert.Empty(shift.GetProperty("operators").EnumerateArray());

        var csv = await financeClient.GetByteArrayAsync("api/reports/cash?date=2026-01-31&format=csv");
        Assert.Equal(Bom, csv[..3]);
        Assert.Contains("line,clerk-b,2026-01-31 10:00,cash-payment,cash,R-0013,900.00,P-B,", Encoding.UTF8.GetString(csv), StringComparison.Ordinal);
        var text = await financeClient.GetStringAsync("api/reports/cash?date=2026-01-31&format=text");
        Assert.Contains("cash in hand", text, StringComparison.Ordinal);
        Assert.Contains("1500.00", text, StringComparison.Ordinal);

        foreach (var bad in new[] { "date=31/01/2026", "date=0001-01-01", "from=0001-01-01T00:00&to=0001-01-02T00:00", "from=2026-01-31T08:00", "from=2026-02-02T00:00&to=2026-01-31T00:00", "date=2026-01-31&from=2026-01-31T00:00&to=2026-01-31T08:00", "format=pdf" })
        {
            await ApiTestHost.AssertProblemAsync(await financeClient.GetAsync("api/reports/cash?" + bad), 400, ProblemTypes.ValidationFailed);
        }
    }

    private static async Task PayAsync(HttpClient client, long agreement, long amount, string receipt)
    {
        var response = await PostWithKeyAsync(client, $"api/parking/agreements/{agreement}/payments", ApiTestHost.Json(new { amountFen = amount, method = "cash", receiptNumber = receipt }), "pay-" + receipt);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private static async Task<HttpResponseMessage> PostBytesAsync(ApiTestHost host, byte[] bytes, string contentType, string key)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return await PostWithKeyAsync(host.Client, "api/parking/bank-debit/results", content, key);
    }

    private static void SetPhone(ApiTestHost host, long agreement, string phone)
    {
        using var connection = host.Database.OpenConnection();
        using var update = connection.CreateCommand();
        update.CommandText = "UPDATE holders SET phone = $phone WHERE id = (SELECT holder_id FROM parking_agreements WHERE id = $a)";
        update.Parameters.AddWithValue("$phone", phone);
        update.Parameters.AddWithValue("$a", agreement);
        update.ExecuteNonQuery();
    }
}
