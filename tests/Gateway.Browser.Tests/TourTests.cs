using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Gateway.Browser.Tests;

/// <summary>
/// Every main page of the console on a site with a little of everything (a holder with an access card, a
/// visitor's card and a parking agreement with a payment), seen by one operator holding every role, first in
/// Chinese and then in English: each page opens (200), and in English its navigation, headings, column
/// heads, labels and buttons hold no Chinese (what the operator's language should have translated; names and
/// plates are data and stay). Each page leaves a screenshot, <c>zh-NAME.png</c> and <c>en-NAME.png</c>.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class TourTests : ConsoleTest
{
    [BrowserFact]
    public async Task EveryMainPage_InChineseThenInEnglish_TranslatedAndScreenshot()
    {
        await Site.ReadyOperatorAsync("chief", "周敏", Password, "admin", "front-desk", "parking-authorizer", "finance");
        await Site.PostAsync("api/cards/stock", new { from = 800001, to = 800010 });
        var holder = await Site.PostAsync("api/holders", new { name = "钱程", building = "3", unit = "2", room = "0601", phone = "13600136000" });
        var holderId = holder.GetProperty("id").GetInt64();
        await Site.IssueAsync(800001, holderId);
        await Site.ClearEncoderAsync();
        await Site.PlaceBlankCardAsync();
        await Site.PostAsync("api/cards/800002/issue-temporary", new { purpose = "visitor", holderId, kind = "access", days = 2, bearer = "陈先生", handOver = new { items = new[] { "card" }, receiptReference = "R-800002" } }, "tour-visitor");
        await Site.ClearEncoderAsync();
        await Site.PlaceBlankCardAsync();
        await Site.IssueAsync(800003, holderId, "parking");
        var agreement = (await Site.PostAsync("api/parking/agreements", new { agreementNumber = "P-2026-080", holderId, cardNumber = 800003, plate = "沪C80808", space = "B1-080", monthlyFeeFen = 30000, billingCycle = "month", paymentMethod = "cash", signedCopyRef = "档案柜C-8" })).GetProperty("id").GetInt64();
        await Site.PostAsync($"api/parking/agreements/{agreement}/payments", new { amountFen = 30000, method = "cash", receiptNumber = "R-0801" }, "tour-payment");

        (string Name, string Path)[] pages =
        [
            ("home", "/"),
            ("holders-search", "/holders?q=%E9%92%B1"),
            ("holder", $"/holders/{holderId}"),
            ("move-in", $"/move-in?holder={holderId}"),
            ("card", "/cards/800001"),
            ("card-stock", "/cards/stock"),
            ("encoder", "/encoder"),
            ("gates", "/gates"),
            ("parking", "/parking"),
            ("parking-agreement", $"/parking/{agreement}"),
            ("parking-payments", "/parking/payments"),
            ("parking-expiring", "/parking/expiring"),
            ("parking-overdue", "/parking/overdue"),
            ("parking-bank-debit", "/parking/bank-debit"),
            ("cash-report", "/reports/cash"),
            ("inventory", "/inventory"),
            ("admin-audit", "/admin/audit"),
            ("admin-backups", "/admin/backups"),
            ("admin-operators", "/admin/operators"),
            ("admin-temporary-cards", "/admin/temporary-cards"),
            ("password", "/password"),
        ];

        var page = await SignedInAsync("chief", "tour");
        foreach (var (name, path) in pages)
        {
            Assert.Equal((path, 200), (path, (await page.GotoAsync(path))!.Status));
            await Expect(page.Locator("h1")).ToHaveTextAsync(Han());
            await ConsoleBrowser.ScreenshotAsync(page, "zh-" + name);
        }

        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Button, new() { Name = "English", Exact = true }).ClickAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        foreach (var (name, path) in pages)
        {
            Assert.Equal((path, 200), (path, (await page.GotoAsync(path))!.Status));
            var interface_ = await page.Locator("nav, main h2, main th, main label, main button, main legend, main caption").AllInnerTextsAsync();
            var untranslated = interface_.Where(t => Han().IsMatch(t)).ToList();
            Assert.True(untranslated.Count == 0, $"{path} in English still shows: {string.Join(" | ", untranslated)}");
            await ConsoleBrowser.ScreenshotAsync(page, "en-" + name);
        }
    }

    [GeneratedRegex("[\u4E00-\u9FFF]")]
    private static partial Regex Han();
}
