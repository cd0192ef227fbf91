using System.Net;
using System.Text.Json;
using Gateway.Service.Api;
using Gateway.Service.Cards.Encoders;

namespace Gateway.Service.Tests.Api;

/// <summary>Card fees and deposits through /api on a real SQLite file: the schedule, issue and replacement with the receipt, hand-back with the refund, the card's charges and the cash report.</summary>
public sealed class CardFeesApiTests
{
    private static readonly Dictionary<string, string?> Fees = new()
    {
        ["Gateway:CardFees:CardFen"] = "2000",
        ["Gateway:CardFees:ReplacementFen"] = "5000",
        ["Gateway:CardFees:DepositFen"] = "10000",
    };

    [Fact]
    public async Task FeesAndDeposit_IssueReplaceHandBack_ChargesListedWithNames_AndInTheCashReport()
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder(), extra: Fees);
        var schedule = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/card-fees", UriKind.Relative)));
        Assert.Equal((2000, 5000, 10000), (schedule.GetProperty("cardFen").GetInt64(), schedule.GetProperty("replacementFen").GetInt64(), schedule.GetProperty("depositFen").GetInt64()));
        var holder = (await FrontDeskHost.CreateHolderAsync(host.Client, name: "李伟")).GetProperty("id").GetInt64();
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100003);

        // Without the receipt of the money taken: refused, nothing written, the card still in stock.
        var before = host.Snapshot();
        using (var noReceipt = await FrontDeskHost.PostAsync(host.Client, "api/cards/100001/issue", new { holderId = holder, kind = "parking", handOver = FrontDeskHost.HandOver() }, "k-1"))
        {
            var problem = await ApiTestHost.AssertProblemAsync(noReceipt, 400, ProblemTypes.ValidationFailed);
            Assert.True(problem.GetProperty("errors").TryGetProperty("feeReceiptNumber", out _), problem.GetRawText());
        }

        Assert.Equal(before, host.Snapshot());

        using (var issued = await FrontDeskHost.PostAsync(host.Client, "api/cards/100001/issue", new { holderId = holder, kind = "parking", handOver = FrontDeskHost.HandOver(), feeReceiptNumber = "R-0001" }, "k-2"))
        {
            Assert.True(issued.StatusCode == HttpStatusCode.Created, await issued.Content.ReadAsStringAsync());
        }

        using (var lost = await FrontDeskHost.PostAsync(host.Client, "api/cards/100001/report-lost", new { note = "lost in the car park" }))
        {
            Assert.True(lost.IsSuccessStatusCode, await lost.Content.ReadAsStringAsync());
        }

        using (var replaced = await FrontDeskHost.PostAsync(host.Client, "api/cards/100001/replace", new { newCardNumber = 100002, reason = "lost", handOver = FrontDeskHost.HandOver("card"), feeReceiptNumber = "R-0002" }, "k-3"))
        {
            Assert.True(replaced.StatusCode == HttpStatusCode.Created, await replaced.Content.ReadAsStringAsync());
        }

        var held = await ChargesAsync(host, 100002);
        Assert.Equal(10000, held.GetProperty("depositHeldFen").GetInt64()); // the deposit followed the replacement
        var fee = Assert.Single(held.GetProperty("charges").EnumerateArray());
        Assert.Equal(("replacement-fee", 5000L, "R-0002", "李伟"), (fee.GetProperty("kind").GetString(), fee.GetProperty("amountFen").GetInt64(), fee.GetProperty("receiptNumber").GetString(), fee.GetProperty("holderName").GetString()));

        // Moved out: revoked, handed back with the refund's receipt; a second hand-back refunds nothing.
        using (var revoked = await FrontDeskHost.PostAsync(host.Client, "api/cards/100002/revoke", new { reason = "moved-out" }))
        {
            Assert.True(revoked.IsSuccessStatusCode, await revoked.Content.ReadAsStringAsync());
        }

        using (var back = await FrontDeskHost.PostAsync(host.Client, "api/cards/100002/return", new { note = "moved out", refundReceiptNumber = "R-0003" }))
        {
            Assert.Equal("returned", (await ApiTestHost.ReadJsonAsync(back)).GetProperty("state").GetString());
        }

        await ApiTestHost.AssertProblemAsync(await FrontDeskHost.PostAsync(host.Client, "api/cards/100002/return", new { refundReceiptNumber = "R-0004" }), 409, ProblemTypes.InvalidTransition);
        var refunded = await ChargesAsync(host, 100002);
        Assert.Equal(JsonValueKind.Null, refunded.GetProperty("depositHeldFen").ValueKind);
        Assert.Equal(["replacement-fee:5000", "deposit-refund:10000"], refunded.GetProperty("charges").EnumerateArray().Select(c => $"{c.GetProperty("kind").GetString()}:{c.GetProperty("amountFen").GetInt64()}"));

        // The day's cash: card fee 20.00 + replacement 50.00, deposit 100.00 taken and refunded.
        var report = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/reports/cash", UriKind.Relative)));
        var totals = report.GetProperty("totals");
        Assert.Equal(7000, totals.GetProperty("cardFees").GetProperty("totalFen").GetInt64());
        Assert.Equal(10000, totals.GetProperty("deposits").GetProperty("totalFen").GetInt64());
        Assert.Equal(-10000, totals.GetProperty("refunds").GetProperty("totalFen").GetInt64());
        Assert.Equal(7000, totals.GetProperty("cashInHandFen").GetInt64());
        Assert.Equal(("R-0001", "R-0003"), (totals.GetProperty("receipts").GetProperty("first").GetString(), totals.GetProperty("receipts").GetProperty("last").GetString()));
    }

    private static async Task<JsonElement> ChargesAsync(ApiTestHost host, long number) =>
        await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri($"api/cards/{number}/charges", UriKind.Relative)));
}
