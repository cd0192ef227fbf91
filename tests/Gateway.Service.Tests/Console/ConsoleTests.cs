using System.Net;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Gateway.Service.Api;
using Gateway.Service.Console;
using Gateway.Service.Tests.Api;

namespace Gateway.Service.Tests.Console;

/// <summary>
/// The console's wiring in process, over real HTTP on a real SQLite file: its strings in both languages,
/// how a request without a session is treated (sign-in page, not the API's 401; the bootstrap token is
/// no way in), the data-protection keys kept owner-only in the data folder. The pages at work are
/// tested in a real browser in Gateway.Browser.Tests.
/// </summary>
public sealed partial class ConsoleTests
{
    private static readonly string ConsoleFolder = Path.Combine(RepoPaths.Root, "src", "Gateway.Service", "Console");

    [Fact]
    public void Resources_ChineseAndEnglish_HoldTheSameKeysNoneEmpty()
    {
        var chinese = Keys("ConsoleStrings.resx");
        var english = Keys("ConsoleStrings.en.resx");

        Assert.True(chinese.Count > 100, $"only {chinese.Count} Chinese strings were read");
        Assert.Empty(chinese.Keys.Except(english.Keys).Order());
        Assert.Empty(english.Keys.Except(chinese.Keys).Order());
        Assert.Empty(chinese.Where(p => string.IsNullOrWhiteSpace(p.Value)).Select(p => p.Key));
        Assert.Empty(english.Where(p => string.IsNullOrWhiteSpace(p.Value)).Select(p => p.Key));

        // The default (neutral) file is the Chinese one: every value of it that is a sentence holds Han characters.
        Assert.Contains(chinese.Values, v => v.Any(c => c is >= '\u4e00' and <= '\u9fff'));
        Assert.DoesNotContain(english.Values, v => v.Any(c => c is >= '\u4e00' and <= '\u9fff') && !v.Contains("中文", StringComparison.Ordinal));
    }

    [Fact]
    public void Pages_EveryKeyTheyName_IsInTheResources()
    {
        var keys = Keys("ConsoleStrings.resx");
        var used = Directory.EnumerateFiles(ConsoleFolder, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".cshtml", StringComparison.Ordinal))
            .SelectMany(f => UsedKey().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Key: m.Groups["key"].Value)))
            .ToList();

        Assert.True(used.Count > 100, $"only {used.Count} uses of strings were found: the pattern no longer matches the pages");
        Assert.Empty(used.Where(u => !keys.ContainsKey(u.Key)).Select(u => $"{u.File}: {u.Key}").Distinct());
    }

    [Fact]
    public async Task Pages_EachNamesItsPolicy_OnlySignInLanguageAndStatusAreAnonymous()
    {
        await using var host = await ApiTestHost.StartAsync();
        var pages = host.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Select(e => (Path: "/" + e.RoutePattern.RawText!.Trim('/'), Endpoint: e))
            .Where(p => !ConsolePaths.IsApi(new PathString(p.Path)))
            .ToDictionary(
                p => p.Path,
                p => p.Endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is not null
                    ? "anonymous"
                    : string.Join(" + ", p.Endpoint.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>().Select(a => a.Policy ?? "(none)").Distinct()));

        Assert.True(pages.Count >= 20, string.Join(", ", pages.Keys));
        Assert.Equal(["/language", "/sign-in", "/status/{code:int}"], pages.Where(p => p.Value == "anonymous").Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Empty(pages.Where(p => p.Value.Length == 0 || p.Value.Contains("(none)", StringComparison.Ordinal) || p.Value.Contains('+')).Select(p => $"{p.Key}: {p.Value}"));
        Assert.Equal(GatewayPolicies.FrontDesk, pages["/move-in"]);
        Assert.Equal(GatewayPolicies.FrontDesk, pages["/cards/{number:long}/replace"]);
        Assert.Equal(GatewayPolicies.Admin, pages["/admin/operators"]);
    }

    [Fact]
    public async Task Console_NoSession_GoesToSignInInChinese_BearerTokenIsNoWayIn()
    {
        await using var host = await ApiTestHost.StartAsync();
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };

        using var home = await http.GetAsync(new Uri("/holders", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        Assert.Equal("/sign-in?returnUrl=%2Fholders", home.Headers.Location!.PathAndQuery);

        // The bootstrap token holds every role on the API, and nothing in the console.
        using var bearer = new HttpRequestMessage(HttpMethod.Get, "/holders");
        bearer.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiTestHost.AdminToken);
        using var refused = await http.SendAsync(bearer);
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        using var api = await host.Client.GetAsync(new Uri("/api/holders", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);

        using var signIn = await http.GetAsync(new Uri("/sign-in", UriKind.Relative));
        var html = await signIn.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Contains("<html lang=\"zh-CN\">", html, StringComparison.Ordinal);
        Assert.Contains("用户名", html, StringComparison.Ordinal);
        Assert.Contains($"name=\"{ConsoleComposition.AntiforgeryField}\"", html, StringComparison.Ordinal);

        // A form post without the antiforgery token is refused and signs nobody in.
        using var forged = await http.PostAsync(new Uri("/sign-in", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string> { ["Username"] = "admin", ["Password"] = "x" }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("<html lang=\"zh-CN\">", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(forged.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith(ConsoleAuth.CookieName, StringComparison.Ordinal)));
    }

    [LinuxFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Console_DataProtectionKeys_OwnerOnlyInTheDataFolder()
    {
        await using var host = await ApiTestHost.StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        (await http.GetAsync(new Uri("/sign-in", UriKind.Relative))).EnsureSuccessStatusCode();

        var folder = Path.Combine(host.DataFolder, OwnerOnlyXmlRepository.FolderName);
        var files = Directory.GetFiles(folder, "*.xml");
        Assert.NotEmpty(files);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.All(files, f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
    }

    private static Dictionary<string, string> Keys(string file) =>
        XDocument.Load(Path.Combine(ConsoleFolder, file)).Root!.Elements("data")
            .ToDictionary(d => (string)d.Attribute("name")!, d => (string?)d.Element("value") ?? string.Empty, StringComparer.Ordinal);

    [GeneratedRegex("""Text(?:\.Format\(|\[)"(?<key>[a-z0-9.-]+)"[\],]""")]
    private static partial Regex UsedKey();
}
