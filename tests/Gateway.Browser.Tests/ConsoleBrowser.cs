using Microsoft.Playwright;

namespace Gateway.Browser.Tests;

/// <summary>A browser test that needs Debian's chromium at <see cref="ConsoleBrowser.ChromiumPath"/>; without it the test is skipped and says why.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux: the simulated encoder runs on a pseudo-terminal";
        }
        else if (!File.Exists(ConsoleBrowser.ChromiumPath))
        {
            Skip = $"needs chromium at {ConsoleBrowser.ChromiumPath} (test.sh installs Debian's chromium and fonts-noto-cjk)";
        }
    }
}

/// <summary>
/// Playwright driving Debian's chromium, launched by its path (Playwright's own browser download is not
/// used), headless, with the flags that keep it off the network. Each test gets a fresh context (no
/// cookies) and saves a screenshot of the page it ends on under <see cref="ArtifactFolder"/>.
/// </summary>
public sealed class ConsoleBrowser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    /// <summary>Where screenshots go: <c>artifacts/browser</c> under the repository (CI keeps it; git ignores it).</summary>
    public static string ArtifactFolder => Path.Combine(RepoPaths.Root, "artifacts", "browser");

    public static async Task<ConsoleBrowser> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                // As root (CI) chromium needs --no-sandbox; the rest keep it from calling out of this closed network.
                Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
            return new ConsoleBrowser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A fresh page at A4-ish desktop size, in a context of its own, with Chinese as the browser's language.</summary>
    public async Task<IPage> NewPageAsync(string baseUrl)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl,
            Locale = "zh-CN",
            TimezoneId = "Asia/Shanghai",
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>Saves a full-page screenshot as <c>artifacts/browser/NAME.png</c>; returns its path.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ArtifactFolder);
        var path = Path.Combine(ArtifactFolder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
