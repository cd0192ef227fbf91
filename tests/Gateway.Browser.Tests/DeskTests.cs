using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Gateway.Browser.Tests;

/// <summary>
/// The front desk's day in a real browser (Debian's chromium through Playwright) against the built service
/// with simulated devices, in Chinese: signing in with a one-time password, a move-in from finding the
/// holder to the card granted at a simulated door, a lost card replaced (with a failed encoder step resumed)
/// and a move-out, and a clerk's forged post to an admin page. Forms are filled through their labels and
/// the keyboard; each test ends with a screenshot in artifacts/browser.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DeskTests : ConsoleTest
{
    [BrowserFact]
    public async Task SignIn_OneTimePassword_WrongThenRightThenForcedChange_LandsHome()
    {
        await Site.CreateOperatorAsync("desk", "王芳", "one-time-password-1", "front-desk");
        var page = await NewPageAsync("sign-in-and-password-change");

        await page.GotoAsync("/");
        Assert.EndsWith("/sign-in?returnUrl=%2F", page.Url, StringComparison.Ordinal);
        Assert.Equal("zh-CN", await page.Locator("html").GetAttributeAsync("lang"));

        // By keyboard: the name field has the focus; Tab to the password, Enter to send.
        await page.Keyboard.TypeAsync("desk");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync("not-the-password");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator(".errors")).ToContainTextAsync("用户名或密码不正确");

        await page.GetByLabel("用户名").FillAsync("desk");
        await page.GetByLabel("密码").FillAsync("one-time-password-1");
        await page.GetByRole(AriaRole.Button, new() { Name = "登录", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/password"));
        await Expect(page.Locator(".warning")).ToContainTextAsync("一次性密码");

        // Every other page leads back here until the password is changed.
        await page.GotoAsync("/holders");
        Assert.Contains("/password", page.Url, StringComparison.Ordinal);

        await page.GetByLabel("当前密码").FillAsync("one-time-password-1");
        await page.GetByLabel("新密码", new() { Exact = true }).FillAsync(Password);
        await page.GetByLabel("再次输入新密码").FillAsync(Password + "x");
        await page.GetByRole(AriaRole.Button, new() { Name = "保存新密码" }).ClickAsync();
        await Expect(page.Locator("#confirmPassword-error")).ToContainTextAsync("两次输入的新密码不一致");

        await page.GetByLabel("当前密码").FillAsync("one-time-password-1");
        await page.GetByLabel("新密码", new() { Exact = true }).FillAsync(Password);
        await page.GetByLabel("再次输入新密码").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "保存新密码" }).ClickAsync();
        await page.WaitForURLAsync(new Regex(@"/$"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("您好，王芳");
        await Expect(page.Locator(".notice")).ToContainTextAsync("密码已修改");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "入住发卡", Exact = true })).ToBeVisibleAsync();

        var session = (await page.Context.CookiesAsync()).Single(c => c.Name == "gateway.session");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);

    }

    [BrowserFact]
    public async Task MoveIn_FromFindingTheHolder_CardIssuedOnTheEncoderAndGrantedAtTheDoor()
    {
        await Site.ReadyOperatorAsync("desk", "王芳", Password, "front-desk");
        var page = await SignedInAsync("desk", "move-in-second-posted-twice");

        // Card stock, then a holder: bad input is answered on the form and nothing is saved.
        await page.GotoAsync("/cards/stock");
        await page.GetByLabel("起始卡号").FillAsync("100001");
        await page.GetByLabel("结束卡号").FillAsync("100010");
        await page.GetByRole(AriaRole.Button, new() { Name = "入库", Exact = true }).ClickAsync();
        await Expect(page.Locator(".notice")).ToContainTextAsync("已入库 10 张卡");

        await page.GotoAsync("/holders/new");
        await page.GetByLabel("姓名").FillAsync("李伟");
        await page.GetByLabel("楼栋").FillAsync("3");
        await page.GetByLabel("单元").FillAsync("2");
        await page.GetByLabel("房间").FillAsync("1201");
        await page.GetByLabel("电话").FillAsync("call me");
        await page.GetByLabel("证件号码").FillAsync("11010119900307451X");
        await page.GetByRole(AriaRole.Button, new() { Name = "保存" }).ClickAsync();
        await Expect(page.Locator("#phone-error")).ToContainTextAsync("请填写电话号码");
        Assert.Equal(0, (await Site.GetAsync("api/holders")).GetProperty("items").GetArrayLength());

        await page.GetByLabel("电话").FillAsync("138 0013 8000");
        await page.GetByLabel("证件号码").FillAsync("11010119900307451X");
        await page.GetByRole(AriaRole.Button, new() { Name = "保存" }).ClickAsync();
        await Expect(page.Locator(".notice")).ToContainTextAsync("已登记住户 李伟");
        await Expect(page.Locator("main")).ToContainTextAsync("****451X");
        Assert.DoesNotContain("11010119900307451X", await page.ContentAsync(), StringComparison.Ordinal);

        // Move-in: find the holder by the phone number, choose, see the blank card on the encoder.
        await page.GetByRole(AriaRole.Link, new() { Name = "入住发卡", Exact = true }).ClickAsync();
        await page.GetByLabel("查找住户").FillAsync("13800138000");
        await page.GetByLabel("查找住户").PressAsync("Enter");
        await page.GetByRole(AriaRole.Link, new() { Name = "为 李伟 发卡" }).ClickAsync();
        await Expect(page.GetByLabel("卡号")).ToHaveValueAsync("100001");
        var state = page.Locator(".encoder-state");
        await Expect(state).ToHaveAttributeAsync("data-status", "blank");

        // The state is live: no card, then two cards, then the blank alone again.
        var blank = (await Site.EncoderCardsAsync()).EnumerateArray().Single(c => c.GetProperty("inField").GetBoolean()).GetProperty("uid").GetString()!;
        await Site.ClearEncoderAsync();
        await Expect(state).ToHaveAttributeAsync("data-status", "no-card");
        await Expect(state).ToContainTextAsync("读卡器上没有卡");
        await Site.PlaceCardAsync(blank);
        var second = await Site.PlaceBlankCardAsync();
        await Expect(state).ToHaveAttributeAsync("data-status", "multiple-cards");
        await Expect(state).ToContainTextAsync("请只留一张");
        await Site.ClearEncoderAsync();
        await Site.PlaceCardAsync(blank);
        await Expect(state).ToHaveAttributeAsync("data-status", "blank");

        await page.GetByLabel("门禁及停车").CheckAsync();
        await page.GetByLabel("房门钥匙").CheckAsync();
        await page.GetByLabel("住户手册").CheckAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "move-in");
        await page.GetByRole(AriaRole.Button, new() { Name = "写卡并发放" }).ClickAsync();

        await page.WaitForURLAsync(new Regex("/cards/100001/receipt"));
        await Expect(page.Locator(".notice")).ToContainTextAsync("卡 100001 已发放给 李伟");
        var receipt = page.Locator(".receipt");
        await Expect(receipt.Locator("h1")).ToHaveTextAsync("门禁卡交接单");
        await Expect(receipt).ToContainTextAsync("阳光花园");
        await Expect(receipt).ToContainTextAsync("3-2-1201");
        await Expect(receipt).ToContainTextAsync("☑ 房门钥匙");
        await Expect(receipt).ToContainTextAsync("☐ 入住礼品");
        await ConsoleBrowser.ScreenshotAsync(page, "move-in-receipt");

        var card = await Site.GetAsync("api/cards/100001");
        Assert.Equal("issued", card.GetProperty("state").GetString());
        Assert.Equal("both", card.GetProperty("kind").GetString());
        Assert.Equal(blank, card.GetProperty("uid").GetString());
        Assert.Equal("granted", await Site.PresentAtDoorUntilAsync(blank, "granted"));

        // A second move-in posted twice at once with the same form (a double click) issues one card.
        var holder = await Site.PostAsync("api/holders", new { name = "张敏", building = "3", unit = "1", room = "0502" });
        await Site.ClearEncoderAsync();
        await Site.PlaceCardAsync(second);
        await page.GotoAsync($"/move-in?holder={holder.GetProperty("id").GetInt64()}");
        await Expect(page.GetByLabel("卡号")).ToHaveValueAsync("100002");
        var landed = await page.EvaluateAsync<string[]>("""
            async () => {
                const form = document.getElementById('move-in-form');
                const send = () => fetch(form.action, { method: 'POST', body: new FormData(form) }).then(r => r.url);
                return await Promise.all([send(), send()]);
            }
            """);
        Assert.All(landed, url => Assert.EndsWith("/cards/100002/receipt", url, StringComparison.Ordinal));
        var issued = await Site.GetAsync($"api/cards?holder={holder.GetProperty("id").GetInt64()}");
        var only = Assert.Single(issued.GetProperty("items").EnumerateArray());
        Assert.Equal(1, only.GetProperty("issueCount").GetInt32());
        Assert.Equal("in-stock", (await Site.GetAsync("api/cards/100003")).GetProperty("state").GetString());
    }

    [BrowserFact]
    public async Task LostCard_ReplacedAfterAFailedEncoderStep_ThenMovedOut()
    {
        await Site.ReadyOperatorAsync("desk", "王芳", Password, "front-desk");
        await Site.PostAsync("api/cards/stock", new { from = 200001, to = 200010 });
        var holder = await Site.PostAsync("api/holders", new { name = "陈静", building = "3", unit = "2", room = "0801" });
        var holderId = holder.GetProperty("id").GetInt64();
        var oldUid = (await Site.EncoderCardsAsync()).EnumerateArray().Single(c => c.GetProperty("inField").GetBoolean()).GetProperty("uid").GetString()!;
        await Site.IssueAsync(200001, holderId);
        Assert.Equal("granted", await Site.PresentAtDoorUntilAsync(oldUid, "granted"));

        var page = await SignedInAsync("desk", "lost-card-replaced-and-moved-out");
        await page.GotoAsync($"/holders/{holderId}");
        await page.GetByRole(AriaRole.Link, new() { Name = "挂失", Exact = true }).ClickAsync();
        await page.GetByLabel("备注").FillAsync("在小区门口丢失");
        await page.GetByRole(AriaRole.Button, new() { Name = "挂失", Exact = true }).ClickAsync();
        await Expect(page.Locator(".notice")).ToContainTextAsync("卡 200001 已挂失");
        Assert.Equal("denied", await Site.PresentAtDoorUntilAsync(oldUid, "denied"));

        // Replace: the new card is not on the encoder yet, so the write fails and the page says what to do.
        await page.GetByRole(AriaRole.Link, new() { Name = "补卡", Exact = true }).ClickAsync();
        await Expect(page.GetByLabel("新卡卡号")).ToHaveValueAsync("200002");
        await Site.ClearEncoderAsync();
        await Expect(page.Locator(".encoder-state")).ToHaveAttributeAsync("data-status", "no-card");
        var key = await page.Locator("input[name=IdempotencyKey]").InputValueAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "写新卡并补发" }).ClickAsync();
        await Expect(page.Locator(".errors")).ToContainTextAsync("读卡器未能完成操作");
        await Expect(page.Locator(".next-step")).ToContainTextAsync("再次点击「写新卡并补发」");
        Assert.Equal(key, await page.Locator("input[name=IdempotencyKey]").InputValueAsync());
        Assert.Equal("lost", (await Site.GetAsync("api/cards/200001")).GetProperty("state").GetString());
        Assert.Equal("in-stock", (await Site.GetAsync("api/cards/200002")).GetProperty("state").GetString());

        var newUid = await Site.PlaceBlankCardAsync();
        await Expect(page.Locator(".encoder-state")).ToHaveAttributeAsync("data-status", "blank");
        await page.GetByRole(AriaRole.Button, new() { Name = "写新卡并补发" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/cards/200002/receipt"));
        await Expect(page.Locator(".receipt")).ToContainTextAsync("200001");

        var old = await Site.GetAsync("api/cards/200001");
        Assert.Equal("lost", old.GetProperty("state").GetString());
        Assert.Equal(200002, old.GetProperty("replacedBy").GetInt64());
        Assert.Equal("issued", (await Site.GetAsync("api/cards/200002")).GetProperty("state").GetString());
        Assert.Equal("granted", await Site.PresentAtDoorUntilAsync(newUid, "granted"));

        // Move-out: revoked, handed back, and refused at the door.
        await page.GotoAsync("/cards/200002");
        await page.GetByRole(AriaRole.Link, new() { Name = "注销（迁出）" }).ClickAsync();
        await Expect(page.GetByLabel("迁出")).ToBeCheckedAsync();
        await Expect(page.GetByLabel("住户已交回这张卡")).ToBeCheckedAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "注销（迁出）" }).ClickAsync();
        await Expect(page.Locator(".notice")).ToContainTextAsync("卡 200002 已注销（已退回）");
        Assert.Equal("returned", (await Site.GetAsync("api/cards/200002")).GetProperty("state").GetString());
        Assert.Equal("denied", await Site.PresentAtDoorUntilAsync(newUid, "denied"));
    }

    [BrowserFact]
    public async Task Language_EnglishChosenByTheOperator_KeptAtTheNextSignIn()
    {
        await Site.ReadyOperatorAsync("desk", "王芳", Password, "front-desk");
        await Site.PostAsync("api/cards/stock", new { from = 300001, to = 300005 });
        var holder = await Site.PostAsync("api/holders", new { name = "刘洋", building = "3", unit = "1", room = "1502", phone = "13900139000" });
        var page = await SignedInAsync("desk", "move-in-english");
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "zh-CN");

        await page.GetByRole(AriaRole.Button, new() { Name = "English", Exact = true }).ClickAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Hello, 王芳");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();

        // A new browser knows nothing of the choice: Chinese until the operator signs in, then English.
        page = await NewPageAsync("move-in-english");
        await page.GotoAsync("/sign-in");
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "zh-CN");
        await page.GetByLabel("用户名").FillAsync("desk");
        await page.GetByLabel("密码").FillAsync(Password);
        await page.GetByLabel("密码").PressAsync("Enter");
        await page.WaitForURLAsync(new Regex(@"/$"));
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");

        await page.GotoAsync($"/move-in?holder={holder.GetProperty("id").GetInt64()}");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Move-in card");
        await Expect(page.GetByLabel("Card number")).ToHaveValueAsync("300001");
        await Expect(page.Locator(".encoder-state")).ToHaveAttributeAsync("data-status", "blank");
        await Expect(page.Locator("main")).ToContainTextAsync("刘洋");
    }

    [BrowserFact]
    public async Task Clerk_AdminPage_HiddenDeniedAndForgedPostRefusedWithTheApiProblem()
    {
        await Site.ReadyOperatorAsync("desk", "王芳", Password, "front-desk");
        var page = await SignedInAsync("desk", "clerk-forged-admin-post");

        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "操作员" })).ToHaveCountAsync(0);
        var denied = await page.GotoAsync("/admin/operators");
        Assert.Equal(403, denied!.Status);
        await Expect(page.Locator("h1")).ToHaveTextAsync("没有权限");

        // A forged post with the clerk's own valid antiforgery token: refused by role, as the API refuses it.
        await page.GotoAsync("/holders/new");
        AssertForbidden(await ForgedPostAsync(page, "/admin/operators", ("username", "mallory"), ("displayName", "Mallory"), ("roles", "admin")));
        var operators = await Site.GetAsync("api/operators");
        Assert.DoesNotContain(operators.GetProperty("items").EnumerateArray(), o => o.GetProperty("id").GetString() == "mallory");
    }
}

/// <summary>Browser tests run one at a time: each starts a service, two simulators and chromium on a 2-core machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserCollection
{
    public const string Name = "browser";
}
