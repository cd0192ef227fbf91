using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Gateway.Browser.Tests;

/// <summary>
/// The gates page in a real browser, in Chinese: the devices and their health, a lost card denied at the
/// simulated door appearing in the recent events without reloading the page, its blocked-card alarm
/// acknowledged with a note, and the events filtered by decision; the car park's lane opened from the desk
/// with a reason, its event naming who and why, while finance, without the right, is refused the page and a
/// forged opening post.
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
        await Site.IssueAsync(600001, holder.GetProperty("id").GetInt64());
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
        // The car park's lane opened from the desk: a reason is required, then the lane opens once and its event says who and why.
        await page.GotoAsync("/gates");
        await page.Locator("tr[data-device='carpark']").GetByRole(AriaRole.Link, new() { Name = "开闸/开门" }).ClickAsync();
        await Expect(page.Locator("h1")).ToContainTextAsync("carpark");
        await page.GetByLabel("原因").FillAsync(" ");
        await page.GetByRole(AriaRole.Button, new() { Name = "开闸/开门" }).ClickAsync();
        await Expect(page.Locator("#reason-error")).ToBeVisibleAsync();
        Assert.Equal(0, (await Site.GetAsync("api/gate-openings")).GetProperty("items").GetArrayLength());
        const string reason = "访客未带卡，已电话向住户核实";
        await page.GetByLabel("原因").FillAsync(reason);
        await page.GetByRole(AriaRole.Button, new() { Name = "开闸/开门" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/gates\\?controller=carpark$"));
        await Expect(page.Locator(".notice")).ToContainTextAsync("已开启 carpark 的第 1 道");
        var opened = page.Locator("#events tr[data-decision='granted']", new() { HasText = reason });
        await Expect(opened).ToContainTextAsync("远程开闸 · 王芳", new() { Timeout = 60_000 });
        await Expect(opened).ToContainTextAsync("carpark");
        await ConsoleBrowser.ScreenshotAsync(page, "gates-lane-opened");
        var opening = (await Site.GetAsync("api/gate-openings")).GetProperty("items").EnumerateArray().Single();
        Assert.Equal(("carpark", 1, "desk", reason, "opened"), (opening.GetProperty("controllerId").GetString(), opening.GetProperty("lane").GetInt32(), opening.GetProperty("operatorId").GetString(), opening.GetProperty("reason").GetString(), opening.GetProperty("outcome").GetString()));
        var audited = (await Site.GetAsync("api/audit?action=gate.open")).GetProperty("items").EnumerateArray().Single();
        Assert.Equal(("desk", reason), (audited.GetProperty("operatorId").GetString(), audited.GetProperty("details").GetProperty("reason").GetString()));

        // Finance may not open lanes: no gates page, and a forged post (with a valid form token from its own page) opens nothing.
        await Site.ReadyOperatorAsync("finance", "孙丽", Password, "finance");
        var finance = await SignedInAsync("finance", "gates-finance-refused");
        await Expect(finance.GetByRole(AriaRole.Link, new() { Name = "门禁道闸", Exact = true })).ToHaveCountAsync(0);
        Assert.Equal(403, (await finance.GotoAsync("/gates/carpark/open"))!.Status);
        await finance.GotoAsync("/");
        AssertForbidden(await ForgedPostAsync(finance, "/gates/carpark/open", ("IdempotencyKey", "forged-opening-1"), ("lane", "1"), ("reason", "forged")));
        Assert.Single((await Site.GetAsync("api/gate-openings")).GetProperty("items").EnumerateArray());
    }
}
