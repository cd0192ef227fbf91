using System.Text.Json;
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

    /// <summary>
    /// Posts <paramref name="fields"/> to <paramref name="path"/> from <paramref name="page"/> as a forged form would: with the
    /// antiforgery token of the page it is on, so that only the operator's roles can refuse it.
    /// </summary>
    protected static async Task<JsonElement> ForgedPostAsync(IPage page, string path, params (string Name, string Value)[] fields)
    {
        var answer = await page.EvaluateAsync<JsonElement>("""
            async ([path, fields]) => {
                const body = new FormData();
                body.append('__form', document.querySelector('input[name=__form]').value);
                for (const [name, value] of fields) body.append(name, value);
                const r = await fetch(path, { method: 'POST', body });
                return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
            }
            """, new object[] { path, fields.Select(f => new[] { f.Name, f.Value }).ToArray() });
        return answer;
    }

    /// <summary>Checks that a forged post was refused by role: 403 with the API's forbidden problem.</summary>
    protected static void AssertForbidden(JsonElement answer)
    {
        Assert.Equal(403, answer.GetProperty("status").GetInt32());
        Assert.StartsWith("application/problem+json", answer.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal("urn:gateway:problem:forbidden", JsonDocument.Parse(answer.GetProperty("body").GetString()!).RootElement.GetProperty("type").GetString());
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
