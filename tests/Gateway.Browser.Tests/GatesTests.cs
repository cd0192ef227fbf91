using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Gateway.Browser.Tests;

/// <summary>
/// The gates page in a real browser, in Chinese: the devices and their health, a lost card denied at the
/// simulated door appearing in the recent events without reloading the page, its blocked-card alarm
/// acknowledged with a note, and the events filtered by decision.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class GatesTests : ConsoleTest
{
    [BrowserFact]
    public async Task LostCardDeniedAtTheDoor_EventAppearsByItself_AlarmAcknowledged()
    {
        await Site.ReadyOperatorAsync("desk", "王芳", Password, "front-desk");
        await Site.PostAsync("api/cards/stock", new { from = 600001, to = 600003 });
        var holder = await Site.PostAsync("api/holders", new { name = "吴昊", building = "3", unit = "1", room = "0901" });
        var uid = (await Site.EncoderCardsAsync()).EnumerateArray().Single(c => c.GetProperty("inField").GetBoolean()).GetProperty("uid").GetString()!;
        await Site.PostAsync("api/cards/600001/issue", new { holderId = holder.GetProperty("id").GetInt64(), kind = "access", handOver = new { items = new[] { "card" }, receiptReference = "R-600001" } }, "gates-card");
        Assert.Equal("granted", await Site.PresentAtDoorUntilAsync(uid, "granted"));

        var page = await SignedInAsync("desk", "gates-alarm-acknowledged");
        await page.GetByRole(AriaRole.Link, new() { Name = "门禁道闸", Exact = true }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("门禁与道闸");
        await Expect(page.Locator("tr[data-device='door-b3']")).ToContainTextAsync("building-3");
        await Expect(page.Locator("tr[data-device='carpark']")).ToContainTextAsync("car-park");
        await Expect(page.Locator("#events tr[data-decision='granted']").First).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Expect(page.Locator("#events tr[data-decision='denied']")).ToHaveCountAsync(0);

        // Lost, then presented: the denial shows up in the events by itself (the fragment refreshes), no reload.
        await Site.PostAsync("api/cards/600001/report-lost", new { note = "丢失" });
        Assert.Equal("denied", await Site.PresentAtDoorUntilAsync(uid, "denied"));
        var denied = page.Locator("#events tr[data-decision='denied']").First;
        await Expect(denied).ToContainTextAsync("已挂失/注销", new() { Timeout = 60_000 });
        await Expect(denied).ToContainTextAsync("600001");

        // The blocked-card alarm, acknowledged with a note.
        var alarm = page.Locator("table.alarms tr", new() { HasText = "挂失/注销卡刷卡" });
        var deadline = DateTimeOffset.UtcNow + ConsoleSite.Bound;
        while (await alarm.CountAsync() == 0 && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(500);
            await page.ReloadAsync();
        }

        await Expect(alarm).ToContainTextAsync("600001");
        await ConsoleBrowser.ScreenshotAsync(page, "gates");
        await alarm.GetByRole(AriaRole.Link, new() { Name = "确认告警" }).ClickAsync();
        await page.GetByLabel("备注").FillAsync("已联系住户，卡已挂失");
        await page.GetByRole(AriaRole.Button, new() { Name = "确认告警" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/gates$"));
        await Expect(page.Locator(".notice")).ToContainTextAsync("已确认");
        await Expect(page.Locator("table.alarms tr", new() { HasText = "挂失/注销卡刷卡" })).ToHaveCountAsync(0);
        var acknowledged = (await Site.GetAsync("api/alarms?state=acknowledged&kind=blocked-card")).GetProperty("items").EnumerateArray().Single();
        Assert.Equal("desk", acknowledged.GetProperty("acknowledgedBy").GetString());
        Assert.Equal("已联系住户，卡已挂失", acknowledged.GetProperty("note").GetString());

        // Filtered by decision: the granted passages only.
        await page.GotoAsync("/gates?decision=granted");
        await Expect(page.Locator("#events tr[data-decision='granted']").First).ToBeVisibleAsync();
        await Expect(page.Locator("#events tr[data-decision='denied']")).ToHaveCountAsync(0);
    }
}
