using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Gateway.Browser.Tests;

/// <summary>
/// Finance's month in a real browser, in Chinese: the cash report of the day with a payment taken at the
/// desk (a clerk sees none of another operator's money), and the monthly card inventory opened, counted,
/// refused at sign-off while a variance is unexplained, explained, signed off, read-only afterwards, and
/// printed as the 智能卡月度盘点表.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class FinanceTests : ConsoleTest
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    [BrowserFact]
    public async Task CashReportOfTheDay_ThenTheMonthsInventoryCountedExplainedSignedOffAndPrinted()
    {
        await Site.ReadyOperatorAsync("finance", "孙丽", Password, "finance");
        await Site.ReadyOperatorAsync("desk", "王芳", Password, "front-desk");
        await Site.PostAsync("api/cards/stock", new { from = 500001, to = 500003 });
        var holder = await Site.PostAsync("api/holders", new { name = "钱程", building = "3", unit = "2", room = "0601" });
        var holderId = holder.GetProperty("id").GetInt64();
        await Site.IssueAsync(500001, holderId, "parking");
        var agreement = await Site.PostAsync("api/parking/agreements", new { agreementNumber = "P-2026-050", holderId, cardNumber = 500001, plate = "沪B54321", space = "B2-007", monthlyFeeFen = 30000, billingCycle = "month", paymentMethod = "cash", signedCopyRef = "档案柜B-3" });
        await Site.PostAsync($"api/parking/agreements/{agreement.GetProperty("id").GetInt64()}/payments", new { amountFen = 30000, method = "cash", receiptNumber = "R-0101" }, "finance-payment");

        // The day's cash report: the admin's payment counted, cash in hand, the receipt.
        var finance = await SignedInAsync("finance", "finance-inventory");
        await finance.GetByRole(AriaRole.Link, new() { Name = "现金及班次报表" }).ClickAsync();
        var cash = finance.Locator("table.cash");
        await Expect(cash.Locator("tr", new() { HasText = "现金缴费" })).ToContainTextAsync("¥300.00");
        await Expect(cash.Locator("tr.cash-in-hand")).ToContainTextAsync("¥300.00");
        await Expect(finance.Locator("main")).ToContainTextAsync("R-0101");
        await ConsoleBrowser.ScreenshotAsync(finance, "finance-cash-report");

        // A clerk's report is their own shift: none of the admin's money.
        var desk = await SignedInAsync("desk", "finance-clerk-cash");
        await desk.GotoAsync("/reports/cash?operator=admin");
        await Expect(desk.Locator("main")).ToContainTextAsync("前台只能查看本人班次的款项");
        await Expect(desk.Locator("main")).ToContainTextAsync("该时段没有收付款");
        Assert.DoesNotContain("R-0101", await desk.Locator("main").InnerTextAsync(), StringComparison.Ordinal);

        // The inventory of last month: opened, counted with one register variance.
        var now = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Shanghai);
        var month = new DateOnly(now.Year, now.Month, 1).AddMonths(-1).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        finance = await SignedInAsync("finance", "finance-inventory");
        await finance.GetByRole(AriaRole.Link, new() { Name = "盘点", Exact = true }).ClickAsync();
        await finance.GetByRole(AriaRole.Link, new() { Name = "开始月度盘点" }).ClickAsync();
        await Expect(finance.GetByLabel("月份")).ToHaveValueAsync(month);
        await finance.GetByRole(AriaRole.Button, new() { Name = "开始月度盘点" }).ClickAsync();
        await finance.WaitForURLAsync(new Regex($"/inventory/{month}/count$"));
        await Expect(finance.Locator(".notice")).ToContainTextAsync($"已开始 {month} 的盘点");

        foreach (var state in new[] { "库存", "已发放", "已挂失", "已注销", "已损坏", "已报废", "已退回" })
        {
            await finance.GetByLabel($"「{state}」的登记册数量").FillAsync(state == "库存" ? "1" : "0");
        }

        foreach (var state in new[] { "库存", "已损坏", "已退回" })
        {
            await finance.GetByLabel($"「{state}」的实盘数量").FillAsync("0");
        }

        await Expect(finance.GetByLabel("「已发放」的实盘数量")).ToHaveCountAsync(0);
        await finance.GetByRole(AriaRole.Button, new() { Name = "保存", Exact = true }).ClickAsync();
        await Expect(finance.Locator(".notice")).ToContainTextAsync("7 行有修改");
        await Expect(finance.Locator("tr[data-state='in-stock']")).ToContainTextAsync("1");
        await finance.GetByRole(AriaRole.Button, new() { Name = "签字确认" }).ClickAsync();
        await Expect(finance.Locator(".errors")).ToContainTextAsync("尚不能签字");
        await Expect(finance.Locator("ul.missing")).ToHaveTextAsync("「库存」：差异未说明");
        Assert.Equal("open", (await Site.GetAsync($"api/inventory/{month}")).GetProperty("state").GetString());

        await finance.GetByLabel("「库存」的差异说明").FillAsync("登记册多记一张，已更正");
        await finance.GetByRole(AriaRole.Button, new() { Name = "保存", Exact = true }).ClickAsync();
        await Expect(finance.Locator(".notice")).ToContainTextAsync("1 行有修改");
        await ConsoleBrowser.ScreenshotAsync(finance, "finance-inventory-count");
        await finance.GetByRole(AriaRole.Button, new() { Name = "签字确认" }).ClickAsync();
        await finance.WaitForURLAsync(new Regex($"/inventory/{month}$"));
        await Expect(finance.Locator(".notice")).ToContainTextAsync($"{month} 盘点已签字确认");
        await Expect(finance.Locator("h1")).ToContainTextAsync("已签字");
        var signed = await Site.GetAsync($"api/inventory/{month}");
        Assert.Equal("signed-off", signed.GetProperty("state").GetString());
        Assert.Equal("finance", signed.GetProperty("signedOffBy").GetString());

        // Signed: the counting page leads to the read-only report, and the sheet prints it.
        await finance.GotoAsync($"/inventory/{month}/count");
        Assert.EndsWith($"/inventory/{month}", finance.Url, StringComparison.Ordinal);
        await Expect(finance.Locator("input[name^=register-]")).ToHaveCountAsync(0);
        await finance.GetByRole(AriaRole.Link, new() { Name = "打印盘点表" }).ClickAsync();
        var sheet = finance.Locator(".receipt");
        await Expect(sheet.Locator("h1")).ToHaveTextAsync("智能卡月度盘点表");
        await Expect(sheet).ToContainTextAsync("阳光花园");
        await Expect(sheet).ToContainTextAsync("登记册多记一张，已更正");
        await Expect(sheet).ToContainTextAsync("系统签字确认：finance");
        await Expect(sheet).ToContainTextAsync("财务负责人签字");
    }
}
