using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Gateway.Browser.Tests;

/// <summary>
/// The admin's pages in a real browser, in Chinese: the audit log with the day's changes, the chain verified
/// intact, an online backup taken and listed, a visitor's card in the temporary cards list with its days left;
/// finance reads the audit log but is offered no verification nor the temporary cards, and a forged
/// verification post is refused by role.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AdminTests : ConsoleTest
{
    [BrowserFact]
    public async Task AuditLogVerifiedIntact_BackupTaken_TemporaryCardListed_FinanceReadsButCannotVerify()
    {
        await Site.ReadyOperatorAsync("finance", "孙丽", Password, "finance");
        var holder = await Site.PostAsync("api/holders", new { name = "郑爽", building = "3", unit = "1", room = "1101" });

        // A visitor's card for three days (today and the next two), written on the simulated encoder at the desk.
        await Site.PostAsync("api/cards/stock", new { from = 700001, to = 700002 });
        await Site.PostAsync("api/cards/700001/issue-temporary", new { purpose = "visitor", holderId = holder.GetProperty("id").GetInt64(), kind = "access", days = 3, bearer = "陈先生", handOver = new { items = new[] { "card" }, receiptReference = "R-700001" } }, "visitor-card");

        var admin = await SignedInAsync("admin", "admin-audit-and-backup", ConsoleSite.AdminPassword);
        await admin.GetByRole(AriaRole.Link, new() { Name = "审计", Exact = true }).ClickAsync();
        await Expect(admin.Locator("table.audit")).ToContainTextAsync("holder.create");
        await admin.GetByLabel("操作", new() { Exact = true }).FillAsync("operator.*");
        await admin.GetByRole(AriaRole.Button, new() { Name = "显示" }).ClickAsync();
        await Expect(admin.Locator("table.audit")).ToContainTextAsync("operator.create");
        await Expect(admin.Locator("table.audit")).Not.ToContainTextAsync("holder.create");

        await admin.GetByRole(AriaRole.Link, new() { Name = "核对审计链" }).ClickAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "核对审计链" }).ClickAsync();
        await Expect(admin.Locator("#verify-result")).ToContainTextAsync("审计链完整");

        await admin.GetByRole(AriaRole.Link, new() { Name = "备份", Exact = true }).ClickAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "立即备份" }).ClickAsync();
        await Expect(admin.Locator("#backup-done")).ToContainTextAsync("完整性检查：ok");
        var backups = Directory.GetFiles(Path.Combine(Site.DataFolder, "backups"), "*.db");
        Assert.Single(backups);
        await Expect(admin.Locator("main table")).ToContainTextAsync(Path.GetFileName(backups[0]));
        await ConsoleBrowser.ScreenshotAsync(admin, "admin-backups");

        await admin.GetByRole(AriaRole.Link, new() { Name = "临时卡", Exact = true }).ClickAsync();
        await Expect(admin.Locator("h1")).ToHaveTextAsync("临时卡与访客卡");
        var visitor = admin.Locator("tr[data-card='700001']");
        await Expect(visitor).ToHaveAttributeAsync("data-status", "active");
        foreach (var text in new[] { "访客", "郑爽", "陈先生", "3 天", "有效" })
        {
            await Expect(visitor).ToContainTextAsync(text);
        }

        await ConsoleBrowser.ScreenshotAsync(admin, "admin-temporary-cards");
        await admin.Locator("#status").SelectOptionAsync("expired");
        await admin.GetByRole(AriaRole.Button, new() { Name = "显示" }).ClickAsync();
        await Expect(admin.Locator("main p[role=status]")).ToHaveTextAsync("没有符合条件的临时卡。");

        // Finance reads the log; verifying is the admin's, on the page and on a forged post alike.
        var finance = await SignedInAsync("finance", "finance-audit");
        await finance.GotoAsync("/admin/audit");
        await Expect(finance.Locator("table.audit")).ToContainTextAsync("backup");
        await Expect(finance.GetByRole(AriaRole.Link, new() { Name = "核对审计链" })).ToHaveCountAsync(0);
        Assert.Equal(403, (await finance.GotoAsync("/admin/audit/verify"))!.Status);
        await Expect(finance.GetByRole(AriaRole.Link, new() { Name = "临时卡", Exact = true })).ToHaveCountAsync(0);
        Assert.Equal(403, (await finance.GotoAsync("/admin/temporary-cards"))!.Status);
        await finance.GotoAsync("/admin/audit");
        AssertForbidden(await ForgedPostAsync(finance, "/admin/backups"));
        Assert.Single(Directory.GetFiles(Path.Combine(Site.DataFolder, "backups"), "*.db"));
        await finance.GotoAsync("/");
        await Expect(finance.Locator("h1")).ToHaveTextAsync(new Regex("孙丽"));
    }
}
