using System.Globalization;
using System.Text.Json;

namespace Gateway.EndToEnd.Tests;

/// <summary>
/// The card fee and deposit through gatewayctl against the demo with a fee schedule (real processes: the
/// service, its simulated encoder and controllers, gatewayctl): the issue is refused without the receipt-book
/// number of the money taken, charged with it, and the deposit is refunded when the card is handed back.
/// </summary>
public sealed class DeskMoneyTests : IDisposable
{
    private readonly TempFolder _folder = new("gateway-e2e-desk-money");

    [LinuxFact]
    public async Task CardFeeAndDeposit_TakenAtIssueWithTheirReceipt_RefundedAtHandBack()
    {
        await using var site = await DemoSite.StartAsync(_folder.Path, "--Gateway:CardFees:CardFen=2000", "--Gateway:CardFees:DepositFen=5000");
        await site.CtlAsync("cards", "receive", "300001", "300002");
        using var holder = JsonDocument.Parse(await site.CtlAsync("holders", "add", "--name", "Qian Mei", "--unit", "3-1-0303", "--json"));
        var holderId = holder.RootElement.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture);
        await DemoControl.PlaceBlankCardAsync(site.EncoderControl);

        // Money is charged: no receipt-book number, no card (refused before the encoder is touched).
        var (code, _, stderr) = await site.TryCtlAsync("cards", "issue", "300001", "--holder", holderId, "--kind", "access", "--receipt", "H-1");
        Assert.NotEqual(0, code);
        Assert.Contains("feeReceiptNumber", stderr, StringComparison.Ordinal);
        using (var stock = JsonDocument.Parse(await site.CtlAsync("cards", "show", "300001", "--json")))
        {
            Assert.Equal("in-stock", stock.RootElement.GetProperty("state").GetString());
        }

        string[] issue = ["cards", "issue", "300001", "--holder", holderId, "--kind", "access", "--receipt", "H-1", "--fee-receipt", "F-0001"];
        await DemoControl.RunResumingAsync(RepoPaths.Cli, issue, site.Environment, "gatewayctl " + string.Join(' ', issue));
        using (var charged = JsonDocument.Parse(await site.CtlAsync("cards", "charges", "300001", "--json")))
        {
            var items = charged.RootElement.GetProperty("charges").EnumerateArray().Select(c => (c.GetProperty("kind").GetString(), c.GetProperty("amountFen").GetInt64(), c.GetProperty("receiptNumber").GetString())).ToList();
            Assert.Equal([("card-fee", 2000L, "F-0001"), ("deposit", 5000L, "F-0001")], items);
            Assert.Equal(5000, charged.RootElement.GetProperty("depositHeldFen").GetInt64());
        }

        // The table for people: amounts in yuan.
        var table = await site.CtlAsync("cards", "charges", "300001");
        Assert.Contains("50.00", table, StringComparison.Ordinal);
        Assert.Contains("deposit held: 50.00", table, StringComparison.Ordinal);

        // Move-out: revoked, then handed back. The deposit is paid back only with the receipt of the refund.
        await site.CtlAsync("cards", "revoke", "300001", "--reason", "moved-out");
        (code, _, stderr) = await site.TryCtlAsync("cards", "return", "300001");
        Assert.NotEqual(0, code);
        Assert.Contains("refundReceiptNumber", stderr, StringComparison.Ordinal);

        var returned = await site.CtlAsync("cards", "return", "300001", "--refund-receipt", "F-0002");
        Assert.Contains("deposit refunded: 50.00 yuan, receipt F-0002", returned, StringComparison.Ordinal);
        using (var after = JsonDocument.Parse(await site.CtlAsync("cards", "charges", "300001", "--json")))
        {
            var refund = after.RootElement.GetProperty("charges").EnumerateArray().Last();
            Assert.Equal(("deposit-refund", "F-0002"), (refund.GetProperty("kind").GetString(), refund.GetProperty("receiptNumber").GetString()));
            Assert.Equal(5000, Math.Abs(refund.GetProperty("amountFen").GetInt64()));
            var held = after.RootElement.GetProperty("depositHeldFen");
            Assert.True(held.ValueKind == JsonValueKind.Null || held.GetInt64() == 0, $"deposit still held: {held}");
        }

        // A second hand-back is refused by the card's state: the deposit is never paid twice.
        (code, _, _) = await site.TryCtlAsync("cards", "return", "300001", "--refund-receipt", "F-0003");
        Assert.NotEqual(0, code);
    }

    public void Dispose() => _folder.Dispose();
}
