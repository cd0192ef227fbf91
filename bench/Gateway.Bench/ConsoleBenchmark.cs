using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Gateway.Bench;

/// <summary>
/// console: the console's search and list pages (holders, cards, parking agreements, controller events)
/// over a site-sized file database, served by the service's real wiring on 127.0.0.1 (port 0) to an
/// operator signed in through the sign-in form. Each figure is the time of one HTTP GET from sending the
/// request to the last byte of the rendered page read, one request at a time on a kept-alive connection:
/// the session check, the page's queries, the Razor rendering and the loopback transfer; no browser.
/// </summary>
public static class ConsoleBenchmark
{
    private const string Token = BenchService.Token;
    private const string Password = "Quiet-garden-2026!";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The site's size and how many GETs each page case gets (after its warm-up).</summary>
    public sealed record Settings(int Holders, int Events, int Requests);

    public static Settings Full { get; } = new(20_000, 200_000, 200);

    public static Settings Smoke { get; } = new(200, 2_000, 3);

    /// <summary>Overrides from <c>--holders=N --events=N --requests=N</c>.</summary>
    public static Settings WithArguments(Settings settings, IEnumerable<string> args)
    {
        foreach (var (name, value) in BenchArguments.Counts(args))
        {
            settings = name switch
            {
                "--holders" => settings with { Holders = Math.Max(10, Math.Min(value, 200_000)) },
                "--events" => settings with { Events = Math.Min(value, 5_000_000) },
                "--requests" => settings with { Requests = Math.Min(value, 10_000) },
                _ => settings,
            };
        }

        return settings;
    }

    public static async Task RunAsync(Settings settings, TextWriter output)
    {
        var folder = Directory.CreateTempSubdirectory("gateway-bench-console");
        try
        {
            await RunInAsync(folder.FullName, settings, output);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (Environment.GetEnvironmentVariable("GATEWAY_BENCH_KEEP") == "1")
            {
                // To read the queries' plans on the seeded file afterwards.
                output.WriteLine($"console: database kept in {folder.FullName}");
            }
            else
            {
                folder.Delete(recursive: true);
            }
        }
    }

    private static async Task RunInAsync(string folder, Settings s, TextWriter output)
    {
        // The production default (600,000 iterations) would make the one sign-in slow, and nothing else.
        await using var service = BenchService.Create(folder, new Dictionary<string, string?> { ["Gateway:Operators:PasswordIterations"] = "1000" });
        var seedTime = Stopwatch.StartNew();
        var site = ConsoleSiteSeed.Write(service.Database, s.Holders, s.Events, service.Options.SiteTimeZone, DateTimeOffset.UtcNow);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"console: seeded {site.Holders} holders, {site.Cards} cards ({site.InStock} in stock), {site.Agreements} parking agreements with {site.Payments} payments, {site.Events} controller events over {ConsoleSiteSeed.EventDays} days in {seedTime.Elapsed.TotalSeconds:0.0} s ({service.FileMiB} MiB file)"));

        var address = await service.StartAsync();
        using var handler = new SocketsHttpHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(address + "/"), Timeout = TimeSpan.FromSeconds(60) };
        await SignInAsync(client, address);

        var cases = Cases(site);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"console: {cases.Count} page cases, {s.Requests} GETs each after {Math.Min(20, s.Requests)} to warm up; one request at a time; ms from request sent to page read"));
        output.WriteLine("console:   page case                                p50      p95      p99      max   rows  KiB");
        var all = new Stats();
        var worst = (Name: "", P95: 0.0);
        foreach (var (name, url, rows) in cases)
        {
            for (var i = 0; i < Math.Min(20, s.Requests); i++)
            {
                await GetAsync(client, url(i), rows);
            }

            var stats = new Stats();
            var bytes = 0;
            var shown = 0;
            for (var i = 0; i < s.Requests; i++)
            {
                var started = Stopwatch.GetTimestamp();
                (bytes, shown) = await GetAsync(client, url(i), rows);
                var elapsed = Stopwatch.GetTimestamp() - started;
                stats.AddTicks(elapsed);
                all.AddTicks(elapsed);
            }

            var p95 = stats.Percentile(95) / 1000;
            if (p95 > worst.P95)
            {
                worst = (name, p95);
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"console:   {name,-40} {stats.Percentile(50) / 1000,7:0.0} {p95,8:0.0} {stats.Percentile(99) / 1000,8:0.0} {stats.Percentile(100) / 1000,8:0.0} {shown,6} {bytes / 1024,4}"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"console: all pages p95 {all.Percentile(95) / 1000:0.0} ms, p99 {all.Percentile(99) / 1000:0.0} ms; slowest case by p95: {worst.Name} {worst.P95:0.0} ms"));
        await service.App.StopAsync();
    }

    /// <summary>The page cases: a name, the URL of the i-th request (spread over the site's data), and what counts as a row on the page.</summary>
    private static List<(string Name, Func<int, string> Url, Regex Rows)> Cases(ConsoleSiteSeed.Site site)
    {
        var tableRow = new Regex("<tr[^>]*>\\s*<td", RegexOptions.CultureInvariant);
        var eventRow = new Regex("<tr data-event=", RegexOptions.CultureInvariant);
        string Holder(int i) => site.HolderIds[(i * 7919) % site.HolderIds.Count].ToString(CultureInfo.InvariantCulture);
        string Card(int i) => site.IssuedCards[(i * 7919) % site.IssuedCards.Count].ToString(CultureInfo.InvariantCulture);
        string Agreement(int i) => site.AgreementIds[(i * 7919) % site.AgreementIds.Count].ToString(CultureInfo.InvariantCulture);
        string Plate(int i) => Uri.EscapeDataString(site.Plates[(i * 7919) % site.Plates.Count]);
        string PlateStart(int i) => Uri.EscapeDataString(site.Plates[(i * 7919) % site.Plates.Count][..4]);
        string Controller(int i) => site.Controllers[i % site.Controllers.Count];
        string FullName(int i) => Uri.EscapeDataString(site.Names[(i * 7919) % site.Names.Count]);
        string AgreementName(int i) => Uri.EscapeDataString(site.AgreementNames[(i * 7919) % site.AgreementNames.Count]);
        string Surname(int i) => Uri.EscapeDataString(ConsoleSiteSeed.Surnames[i % ConsoleSiteSeed.Surnames.Length]);
        string Unit(int i) => Uri.EscapeDataString(site.Units[(i * 7919) % site.Units.Count]);
        string Phone(int i) => site.Phones[(i * 7919) % site.Phones.Count];
        return
        [
            ("holders: search a surname (many match)", i => $"holders?q={Surname(i)}", tableRow),
            ("holders: search a full name", i => $"holders?q={FullName(i)}", tableRow),
            ("holders: search a unit 3-2-1201", i => $"holders?q={Unit(i)}", tableRow),
            ("holders: search a phone number", i => $"holders?q={Phone(i)}", tableRow),
            ("holders: search a plate", i => $"holders?q={Plate(i)}", tableRow),
            ("holders: search a card number", i => $"holders?q={Card(i)}", tableRow),
            ("holders: search, nothing matches", i => $"holders?q=nobody{i}", tableRow),
            ("holders: a holder and their cards", i => $"holders/{Holder(i)}", tableRow),
            ("cards: a card and its history", i => $"cards/{Card(i)}", tableRow),
            ("cards: stock", _ => "cards/stock", tableRow),
            ("agreements: active, first page", _ => "parking", tableRow),
            ("agreements: active, a later page", i => $"parking?after={site.AgreementIds[(i * 7919) % site.AgreementIds.Count]}", tableRow),
            ("agreements: all, search a plate", i => $"parking?state=all&q={Plate(i)}", tableRow),
            ("agreements: search a plate's start", i => $"parking?q={PlateStart(i)}", tableRow),
            ("agreements: search a holder's name", i => $"parking?q={AgreementName(i)}", tableRow),
            ("agreements: an agreement", i => $"parking/{Agreement(i)}", tableRow),
            ("agreements: expiring in 30 days", _ => "parking/expiring", tableRow),
            ("agreements: overdue", _ => "parking/overdue", tableRow),
            ("agreements: payments to grant", _ => "parking/payments", tableRow),
            ("events: gates page", _ => "gates", eventRow),
            ("events: newest (the 5 s refresh)", _ => "gates/events", eventRow),
            ("events: by card", i => $"gates/events?card={Card(i)}", eventRow),
            ("events: by holder", i => $"gates/events?holder={Holder(i)}", eventRow),
            ("events: by plate", i => $"gates/events?plate={Plate(i)}", eventRow),
            ("events: by controller", i => $"gates/events?controller={Controller(i)}", eventRow),
            ("events: denied", _ => "gates/events?decision=denied", eventRow),
            ("events: denied at a controller", i => $"gates/events?controller={Controller(i)}&decision=denied", eventRow),
        ];
    }

    private static async Task<(int Bytes, int Rows)> GetAsync(HttpClient client, string url, Regex rows)
    {
        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET /{url}: {(int)response.StatusCode} {response.Headers.Location}");
        }

        return (System.Text.Encoding.UTF8.GetByteCount(body), rows.Count(body));
    }

    private static async Task<string> SucceedsAsync(Task<HttpResponseMessage> sending)
    {
        using var response = await sending;
        var body = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? body : throw new InvalidOperationException($"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {body}");
    }

    /// <summary>An operator made through the API (admin, front desk, finance), its one-time password changed, then signed in through the console's form.</summary>
    private static async Task SignInAsync(HttpClient client, string address)
    {
        const string oneTime = "one-time-password-1";
        using (var api = new HttpClient { BaseAddress = new Uri(address + "/") })
        {
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            await SucceedsAsync(api.PostAsJsonAsync("api/operators", new { username = "operator1", displayName = "基准", roles = new[] { "admin", "front-desk", "finance" }, password = oneTime }, Json));
            api.DefaultRequestHeaders.Authorization = null;
            var login = await SucceedsAsync(api.PostAsJsonAsync("api/login", new { username = "operator1", password = oneTime }, Json));
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", JsonDocument.Parse(login).RootElement.GetProperty("token").GetString());
            await SucceedsAsync(api.PostAsJsonAsync("api/me/password", new { currentPassword = oneTime, newPassword = Password }, Json));
        }

        var form = await client.GetStringAsync("sign-in");
        var antiforgery = Regex.Match(form, "name=\"__form\" type=\"hidden\" value=\"([^\"]+)\"");
        if (!antiforgery.Success)
        {
            throw new InvalidOperationException("the sign-in page has no antiforgery field");
        }

        using var signIn = await client.PostAsync("sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__form"] = antiforgery.Groups[1].Value,
            ["username"] = "operator1",
            ["password"] = Password,
            ["returnUrl"] = "/",
        }));
        if (signIn.StatusCode != HttpStatusCode.Redirect || signIn.Headers.Location?.OriginalString != "/")
        {
            throw new InvalidOperationException($"console sign-in: {(int)signIn.StatusCode} {signIn.Headers.Location}");
        }
    }
}
