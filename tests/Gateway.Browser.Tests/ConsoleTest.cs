using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Gateway.Browser.Tests;

/// <summary>
/// What every browser test shares: a <see cref="ConsoleSite"/> and chromium started for the test, a fresh
/// page per person, signing in through the form, and the screenshot of the page the test ends on
/// (artifacts/browser/NAME.png), passed or failed.
/// </summary>
public abstract class ConsoleTest : IAsyncLifetime
{
    /// <summary>The password every operator of these tests works with once ready.</summary>
    protected const string Password = "Sunny-garden-2026!";

    private IPage? _page;
    private string _test = "test";

    protected ConsoleSite Site { get; private set; } = null!;

    protected ConsoleBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ConsoleBrowser.ChromiumPath) || !OperatingSystem.IsLinux())
        {
            return;
        }

        Site = await ConsoleSite.StartAsync();
        Browser = await ConsoleBrowser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (_page is not null)
        {
            // The page each test ends on, passed or failed.
            await ConsoleBrowser.ScreenshotAsync(_page, _test);
        }

        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        if (Site is not null)
        {
            await Site.DisposeAsync();
        }
    }

    protected static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    /// <summary>A fresh page; the test's last screenshot (artifacts/browser/<paramref name="test"/>.png) is taken of it.</summary>
    protected async Task<IPage> NewPageAsync(string test)
    {
        _test = test;
        return _page = await Browser.NewPageAsync(Site.Url);
    }

    /// <summary>A fresh page signed in as <paramref name="username"/> (with <see cref="Password"/> unless another is given), on the start page.</summary>
    protected async Task<IPage> SignedInAsync(string username, string test, string password = Password)
    {
        var page = await NewPageAsync(test);
        await page.GotoAsync("/sign-in");
        await page.GetByLabel("用户名").FillAsync(username);
        await page.GetByLabel("密码").FillAsync(password);
        await page.GetByLabel("密码").PressAsync("Enter");
        await page.WaitForURLAsync(new Regex(@"/$"));
        return page;
    }
}
