using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Gateway.Browser.Tests;

/// <summary>
/// Parking in a real browser, in Chinese: the desk records an agreement and a payment (an amount the rules
/// refuse answered with the amounts they accept) and prints its receipt; the clerk has no grant button and a
/// forged grant post is refused by role; the authorizer sees the period and the validity the controllers will
/// receive, confirms, and the simulated car-park barrier then grants the card.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ParkingTests : ConsoleTest
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    [BrowserFact]
    public async Task Agreement_PaymentByTheDesk_GrantedByTheAuthorizer_CarParkGrantsTheCard()
    {
        await Site.ReadyOperatorAsync("desk", "王芳", Password, "front-desk");
        await Site.ReadyOperatorAsync("authorizer", "周强", Password, "parking-authorizer");
        await Site.PostAsync("api/cards/stock", new { from = 400001, to = 400005 });
        var holder = await Site.PostAsync("api/holders", new { name = "赵磊", building = "3", unit = "1", room = "0301", phone = "13700137000" });
        var holderId = holder.GetProperty("id").GetInt64();
        var uid = (await Site.EncoderCardsAsync()).EnumerateArray().Single(c => c.GetProperty("inField").GetBoolean()).GetProperty("uid").GetString()!;
        await Site.IssueAsync(400001, holderId, "parking");

        // The desk: a new agreement from the holder's page.
        var desk = await SignedInAsync("desk", "parking-desk");
        await desk.GotoAsync($"/holders/{holderId}");
        await desk.GetByRole(AriaRole.Link, new() { Name = "新建停车协议" }).ClickAsync();
        await desk.GetByLabel("协议编号").FillAsync("P-2026-001");
        await Expect(desk.GetByLabel("卡号")).ToHaveValueAsync("400001");
        await desk.GetByLabel("车牌").FillAsync("沪a12345");
        await desk.GetByLabel("车位").FillAsync("B1-018");
        await desk.GetByLabel("月费（元）").FillAsync("300");
        await desk.GetByLabel("签字协议存档号").FillAsync("档案柜A-12");
        await desk.GetByRole(AriaRole.Button, new() { Name = "保存协议" }).ClickAsync();
        await Expect(desk.Locator(".notice")).ToContainTextAsync("已为 赵磊 登记停车协议 P-2026-001");
        await Expect(desk.Locator("main")).ToContainTextAsync("沪A12345");
        var agreementId = long.Parse(new Regex(@"/parking/(\d+)$").Match(desk.Url).Groups[1].Value, CultureInfo.InvariantCulture);

        // Found by the holder's name.
        await desk.GotoAsync("/parking?q=" + Uri.EscapeDataString("赵"));
        await Expect(desk.GetByRole(AriaRole.Link, new() { Name = "P-2026-001" })).ToBeVisibleAsync();
        await desk.GetByRole(AriaRole.Link, new() { Name = "P-2026-001" }).ClickAsync();

        // A payment the rules cannot grant is refused with the amounts they accept; the right one is recorded.
        await desk.GetByRole(AriaRole.Link, new() { Name = "登记缴费" }).ClickAsync();
        await Expect(desk.GetByLabel("金额（元）")).ToHaveValueAsync("300.00");
        await desk.GetByLabel("金额（元）").FillAsync("250");
        await desk.GetByLabel("收据编号").FillAsync("R-0001");
        await desk.GetByRole(AriaRole.Button, new() { Name = "登记缴费" }).ClickAsync();
        await Expect(desk.Locator(".errors")).ToContainTextAsync("金额不是整数个计费周期");
        await Expect(desk.Locator(".next-step")).ToContainTextAsync("¥300.00");
        Assert.Equal(0, (await Site.GetAsync($"api/parking/payments?agreementId={agreementId}")).GetProperty("items").GetArrayLength());
        await desk.GetByLabel("金额（元）").FillAsync("300");
        await desk.GetByRole(AriaRole.Button, new() { Name = "登记缴费" }).ClickAsync();
        await Expect(desk.Locator(".notice")).ToContainTextAsync("已登记缴费 ¥300.00（收据 R-0001）");
        var payment = Assert.Single((await Site.GetAsync($"api/parking/payments?agreementId={agreementId}")).GetProperty("items").EnumerateArray());
        var paymentId = payment.GetProperty("id").GetInt64();
        Assert.Equal("recorded", payment.GetProperty("state").GetString());

        // The clerk has no grant button, the grant page is closed to them, and a forged grant post is refused by role.
        await Expect(desk.Locator($"tr[data-payment='{paymentId}']")).ToContainTextAsync("待授权");
        await Expect(desk.GetByRole(AriaRole.Link, new() { Name = "授权", Exact = true })).ToHaveCountAsync(0);
        await Expect(desk.GetByRole(AriaRole.Link, new() { Name = "冲正", Exact = true })).ToHaveCountAsync(0);
        AssertForbidden(await ForgedPostAsync(desk, $"/parking/payments/{paymentId}/grant", ("IdempotencyKey", "forged-grant-1"), ("start", "2026-01-01"), ("end", "2026-02-01")));
        Assert.Equal("recorded", (await Site.GetAsync($"api/parking/payments/{paymentId}")).GetProperty("state").GetString());
        Assert.Equal(403, (await desk.GotoAsync($"/parking/payments/{paymentId}/grant"))!.Status);

        // The payer's receipt, in Chinese with the amount in capital numerals.
        await desk.GotoAsync($"/parking/payments/{paymentId}/receipt");
        var receipt = desk.Locator(".receipt");
        await Expect(receipt.Locator("h1")).ToHaveTextAsync("停车费收据");
        await Expect(receipt).ToContainTextAsync("阳光花园");
        await Expect(receipt).ToContainTextAsync("叁佰元整");
        await Expect(receipt).ToContainTextAsync("待停车授权员授权");
        await ConsoleBrowser.ScreenshotAsync(desk, "parking-receipt");
        Assert.Equal("denied", await Site.PresentAtCarParkAsync(uid));

        // The authorizer: the queue, the period and the controllers' validity before confirming.
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Shanghai).DateTime);
        var end = today.AddMonths(1);
        var authorizer = await SignedInAsync("authorizer", "parking-grant");
        await authorizer.GetByRole(AriaRole.Link, new() { Name = "待授权缴费" }).First.ClickAsync();
        await authorizer.Locator($"tr[data-payment='{paymentId}']").GetByRole(AriaRole.Link, new() { Name = "授权", Exact = true }).ClickAsync();
        await Expect(authorizer.Locator("h1")).ToHaveTextAsync("停车授权");
        await Expect(authorizer.Locator("#grant-period")).ToHaveTextAsync($"{today:yyyy-MM-dd} 00:00 – {end:yyyy-MM-dd} 00:00");
        await Expect(authorizer.Locator("#grant-validity")).ToHaveTextAsync($"{today:yyyy-MM-dd} 00:00 – {end.AddDays(3):yyyy-MM-dd} 00:00");
        await Expect(authorizer.Locator(".grant-preview")).ToContainTextAsync("宽限期 3 天");
        Assert.Equal("recorded", (await Site.GetAsync($"api/parking/payments/{paymentId}")).GetProperty("state").GetString());
        await ConsoleBrowser.ScreenshotAsync(authorizer, "parking-grant-preview");
        await authorizer.GetByRole(AriaRole.Button, new() { Name = "确认授权" }).ClickAsync();
        await authorizer.WaitForURLAsync(new Regex($"/parking/{agreementId}$"));
        await Expect(authorizer.Locator(".notice")).ToContainTextAsync($"缴费 {paymentId} 已授权");
        await Expect(authorizer.Locator("#validity")).ToContainTextAsync($"{end.AddDays(3):yyyy-MM-dd} 00:00");

        var granted = await Site.GetAsync($"api/parking/payments/{paymentId}");
        Assert.Equal("granted", granted.GetProperty("state").GetString());
        Assert.Equal(end.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), granted.GetProperty("period").GetProperty("end").GetString());
        Assert.Equal("granted", await Site.PresentAtCarParkUntilAsync(uid, "granted"));

        // Bank debit: a bank-debit agreement's request exported, the bank's result file (GB18030, as banks write it) imported once.
        await Site.ClearEncoderAsync();
        await Site.PlaceBlankCardAsync();
        await Site.IssueAsync(400002, holderId, "parking");
        await Site.PostAsync("api/parking/agreements", new { agreementNumber = "B-2026-001", holderId, cardNumber = 400002, plate = "沪C11111", space = "B1-019", monthlyFeeFen = 30000, billingCycle = "month", paymentMethod = "bank-debit", signedCopyRef = "档案柜A-13", bankAccountName = "赵磊", bankAccountNumber = "6222020200112233445" });
        await authorizer.GotoAsync("/parking/bank-debit");
        var download = await authorizer.RunAndWaitForDownloadAsync(() => authorizer.GetByRole(AriaRole.Button, new() { Name = "下载扣款文件" }).ClickAsync());
        var exported = await File.ReadAllTextAsync(await download.PathAsync());
        Assert.Contains($"B-2026-001,300.00,{today:yyyy-MM}-01,沪C11111,赵磊,6222020200112233445", exported, StringComparison.Ordinal);

        System.Text.Encoding.RegisterProvider(System.Text.CodePagesEncodingProvider.Instance);
        var results = System.Text.Encoding.GetEncoding(54936).GetBytes($"agreement_number,amount,date,status,reason\nB-2026-001,300.00,{today:yyyy-MM-dd},ok\nB-9999,300.00,{today:yyyy-MM-dd},failed,余额不足\n");
        var file = new FilePayload { Name = "回盘.csv", MimeType = "text/csv", Buffer = results };
        await authorizer.GetByLabel("银行回盘文件（CSV）").SetInputFilesAsync(file);
        await authorizer.GetByRole(AriaRole.Button, new() { Name = "导入扣款结果" }).ClickAsync();
        var report = authorizer.Locator("#import-report");
        await Expect(report).ToContainTextAsync("按 gb18030 读取（自动识别）");
        await Expect(report.Locator("tr[data-line='2']")).ToHaveAttributeAsync("data-outcome", "granted");
        await Expect(report.Locator("tr[data-line='3']")).ToHaveAttributeAsync("data-outcome", "unmatched");
        await ConsoleBrowser.ScreenshotAsync(authorizer, "parking-bank-debit");
        await authorizer.GetByLabel("银行回盘文件（CSV）").SetInputFilesAsync(file);
        await authorizer.GetByRole(AriaRole.Button, new() { Name = "导入扣款结果" }).ClickAsync();
        await Expect(report).ToContainTextAsync("没有任何改动");
        await Expect(report.Locator("tr[data-line='2']")).ToHaveAttributeAsync("data-outcome", "duplicate");
        var bank = (await Site.GetAsync("api/parking/agreements?agreementNumber=B-2026-001")).GetProperty("items")[0];
        var bankPayments = (await Site.GetAsync($"api/parking/payments?agreementId={bank.GetProperty("id").GetInt64()}")).GetProperty("items");
        Assert.Equal("granted", Assert.Single(bankPayments.EnumerateArray()).GetProperty("state").GetString());

        // The same agreement in English, for an authorizer who reads it so.
        await authorizer.GotoAsync($"/parking/{agreementId}");
        await authorizer.GetByRole(AriaRole.Button, new() { Name = "English", Exact = true }).ClickAsync();
        await Expect(authorizer.Locator("h1")).ToContainTextAsync("Parking agreement P-2026-001");
        await Expect(authorizer.Locator($"tr[data-payment='{paymentId}']")).ToContainTextAsync("granted");
        await Expect(authorizer.Locator("#validity")).ToContainTextAsync("Validity at the barriers");
        await ConsoleBrowser.ScreenshotAsync(authorizer, "parking-agreement-en");
    }
}
