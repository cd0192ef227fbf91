using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace Gateway.Browser.Tests;

/// <summary>
/// A site for the console's browser tests: the built service run as a real process on its own data
/// folder, with a simulated PN532 encoder (a blank card on it) on a pseudo-terminal and a simulated
/// building-3 door controller over Modbus TCP, both <c>gateway-sim</c> processes the test controls
/// through their control APIs. Set-up goes through the API as the first admin, who signs in with the
/// one-time password the service writes to its data folder and changes it, as an installer would (no
/// bootstrap token), and gives itself the front-desk role for the set-up; people then use the console.
/// </summary>
public sealed class ConsoleSite : IAsyncDisposable
{
    /// <summary>The bound on every wait: generous, it catches hangs and never judges speed.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly TempFolder _folder;
    private readonly HttpClient _api;
    private readonly HttpClient _control = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The first admin's password once the test has changed the one-time one.</summary>
    public const string AdminPassword = "Garden-keeper-2026!";

    private ConsoleSite(TempFolder folder, ChildProcess service, ChildProcess encoder, BarrierSimulatorProcess door, string url, string token, Uri encoderControl)
    {
        _folder = folder;
        Service = service;
        Encoder = encoder;
        Door = door;
        Url = url;
        EncoderControl = encoderControl;
        _api = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromSeconds(60) };
        _api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public ChildProcess Service { get; }

    public ChildProcess Encoder { get; }

    /// <summary>The simulated controllers: the building-3 door (zone building-3, unit 1) and the car park's barrier (zone car-park, unit 2), on one Modbus TCP endpoint.</summary>
    public BarrierSimulatorProcess Door { get; }

    /// <summary>The console's address, e.g. http://127.0.0.1:PORT.</summary>
    public string Url { get; }

    public Uri EncoderControl { get; }

    public string DataFolder => _folder.Combine("data");

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static async Task<ConsoleSite> StartAsync()
    {
        var folder = new TempFolder("gateway-console");
        ChildProcess? encoder = null;
        BarrierSimulatorProcess? door = null;
        ChildProcess? service = null;
        try
        {
            var keyFile = folder.Combine("card.key");
            await File.WriteAllTextAsync(keyFile, "1:" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)) + "\n");
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var tty = folder.Combine("tty-encoder");
            encoder = ChildProcess.StartDotnet(RepoPaths.Simulator, ["encoder", "--pty", tty, "--card", "1k", "--control", "http://127.0.0.1:0"]);
            var encoderControl = new Uri((await encoder.WaitForLineAsync(@"^control (\S+)", Bound)).Groups[1].Value.TrimEnd('/') + "/");
            await encoder.WaitForLineAsync("^ready$", Bound);
            door = await BarrierSimulatorProcess.StartAsync("--listen", "tcp://127.0.0.1:0", "--units", "1-2");

            service = ChildProcess.StartDotnet(
                RepoPaths.Service,
                [
                    $"--Gateway:DataFolder={folder.Combine("data")}",
                    "--Gateway:SiteId=console-test",
                    "--Gateway:Http:Port=0",
                    $"--Gateway:CardKeys:KeyFile={keyFile}",
                    "--Gateway:Console:SiteName=阳光花园",
                    "--Gateway:Console:SiteAddress=上海市浦东新区示例路 88 号",
                    // The production default (600,000) costs a noticeable fraction of a second per hash on CI.
                    "--Gateway:Operators:PasswordIterations=1000",
                    "--Gateway:Devices:0:Id=door-b3",
                    "--Gateway:Devices:0:Kind=barrier",
                    $"--Gateway:Devices:0:Endpoint={door.ModbusEndpoint}",
                    "--Gateway:Devices:0:Zone=building-3",
                    "--Gateway:Devices:1:Id=desk",
                    "--Gateway:Devices:1:Kind=encoder",
                    $"--Gateway:Devices:1:Endpoint={tty}",
                    "--Gateway:Devices:2:Id=carpark",
                    "--Gateway:Devices:2:Kind=barrier",
                    $"--Gateway:Devices:2:Endpoint={door.ModbusEndpoint}",
                    "--Gateway:Devices:2:Unit=2",
                    "--Gateway:Devices:2:Zone=car-park",
                    // A site's usual grace: the car park's controller holds the paid end plus 3 days.
                    "--Gateway:Parking:GraceDays=3",
                ],
                workingDirectory: folder.Path);
            var url = (await service.WaitForLineAsync(@"HTTP (http://[0-9.]+:\d+)", Bound)).Groups[1].Value;
            var token = await FirstAdminTokenAsync(url, Path.Combine(folder.Combine("data"), "initial-admin-password.txt"));
            return new ConsoleSite(folder, service, encoder, door, url, token, encoderControl);
        }
        catch
        {
            if (service is not null)
            {
                await service.DisposeAsync();
            }

            if (door is not null)
            {
                await door.DisposeAsync();
            }

            if (encoder is not null)
            {
                await encoder.DisposeAsync();
            }

            folder.Dispose();
            throw;
        }
    }

    /// <summary>Signs the first admin in with the one-time password from the data folder, changes it to <see cref="AdminPassword"/>, and returns a token.</summary>
    private static async Task<string> FirstAdminTokenAsync(string url, string passwordFile)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromSeconds(60) };
        var oneTime = (await File.ReadAllTextAsync(passwordFile)).Trim();
        var token = await LoginAsync(http, "admin", oneTime);
        using (var change = new HttpRequestMessage(HttpMethod.Post, "api/me/password") { Content = JsonContent.Create(new { currentPassword = oneTime, newPassword = AdminPassword }, options: Json) })
        {
            change.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var changed = await http.SendAsync(change);
            Assert.True(changed.IsSuccessStatusCode, $"changing the first admin's password: {await changed.Content.ReadAsStringAsync()}");
        }

        // The site's installer also works the desk (card stock, holders) for the tests' set-up.
        var ready = await LoginAsync(http, "admin", AdminPassword);
        using (var roles = new HttpRequestMessage(HttpMethod.Patch, "api/operators/admin") { Content = JsonContent.Create(new { roles = new[] { "admin", "front-desk" } }, options: Json) })
        {
            roles.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ready);
            using var changed = await http.SendAsync(roles);
            Assert.True(changed.IsSuccessStatusCode, $"giving the first admin the front-desk role: {await changed.Content.ReadAsStringAsync()}");
        }

        return ready;
    }

    private static async Task<string> LoginAsync(HttpClient http, string username, string password)
    {
        using var login = await http.PostAsJsonAsync("api/login", new { username, password }, Json);
        var text = await login.Content.ReadAsStringAsync();
        Assert.True(login.IsSuccessStatusCode, $"login of {username}: {(int)login.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>Creates an operator with <paramref name="roles"/> and a one-time password (as an admin would).</summary>
    public async Task CreateOperatorAsync(string username, string displayName, string oneTimePassword, params string[] roles)
    {
        using var response = await _api.PostAsJsonAsync("api/operators", new { username, displayName, roles, password = oneTimePassword }, Json);
        Assert.True(response.IsSuccessStatusCode, $"creating operator {username}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>An operator ready to work: created, and its one-time password already changed to <paramref name="password"/> (through the API).</summary>
    public async Task ReadyOperatorAsync(string username, string displayName, string password, params string[] roles)
    {
        const string oneTime = "one-time-password-1";
        await CreateOperatorAsync(username, displayName, oneTime, roles);
        using var http = new HttpClient { BaseAddress = _api.BaseAddress };
        var token = await LoginAsync(http, username, oneTime);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var change = await http.PostAsJsonAsync("api/me/password", new { currentPassword = oneTime, newPassword = password }, Json);
        Assert.True(change.IsSuccessStatusCode, $"changing {username}'s password: {await change.Content.ReadAsStringAsync()}");
    }

    /// <summary>GET on the API as the admin.</summary>
    public async Task<JsonElement> GetAsync(string path) => JsonDocument.Parse(await _api.GetStringAsync(new Uri(path, UriKind.Relative))).RootElement.Clone();

    /// <summary>POST on the API as the admin (with an Idempotency-Key when given); fails the test on an error status.</summary>
    public async Task<JsonElement> PostAsync(string path, object body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = JsonContent.Create(body, options: Json) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await _api.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Issues card <paramref name="number"/> to a holder on the blank card lying on the encoder, as the desk does through the API (handed over: the card, receipt R-NUMBER).</summary>
    public Task<JsonElement> IssueAsync(long number, long holderId, string kind = "access") =>
        PostAsync($"api/cards/{number}/issue", new { holderId, kind, handOver = new { items = new[] { "card" }, receiptReference = $"R-{number}" } }, $"issue-{number}");

    /// <summary>The cards on or known to the simulated encoder (<c>GET /cards</c> of its control API).</summary>
    public async Task<JsonElement> EncoderCardsAsync() => JsonDocument.Parse(await _control.GetStringAsync(new Uri(EncoderControl, "cards"))).RootElement.Clone();

    /// <summary>Takes every card off the encoder.</summary>
    public async Task ClearEncoderAsync() => (await _control.PostAsync(new Uri(EncoderControl, "field/clear"), null)).EnsureSuccessStatusCode();

    /// <summary>Puts a new blank card on the encoder (beside any card already there); returns its UID.</summary>
    public async Task<string> PlaceBlankCardAsync()
    {
        using var response = await _control.PostAsJsonAsync(new Uri(EncoderControl, "cards"), new { type = "1k" }, Json);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("uid").GetString()!;
    }

    /// <summary>Puts a known card back on the encoder.</summary>
    public async Task PlaceCardAsync(string uid) => (await _control.PostAsync(new Uri(EncoderControl, $"cards/{uid}/place"), null)).EnsureSuccessStatusCode();

    /// <summary>Presents <paramref name="uid"/> at the door until the controller says <paramref name="expected"/> (the sync engine may still be on its way).</summary>
    public Task<string> PresentAtDoorUntilAsync(string uid, string expected) => PresentUntilAsync(1, uid, expected);

    /// <summary>Presents <paramref name="uid"/> at the car park's barrier until it says <paramref name="expected"/>.</summary>
    public Task<string> PresentAtCarParkUntilAsync(string uid, string expected) => PresentUntilAsync(2, uid, expected);

    /// <summary>Presents <paramref name="uid"/> once at the car park's barrier: its decision now.</summary>
    public async Task<string> PresentAtCarParkAsync(string uid) =>
        (await Door.PostAsync("units/2/present", new { lane = 1, uid })).GetProperty("decision").GetString()!.ToLowerInvariant();

    private async Task<string> PresentUntilAsync(int unit, string uid, string expected)
    {
        var deadline = DateTimeOffset.UtcNow + Bound;
        string decision;
        do
        {
            var reply = await Door.PostAsync($"units/{unit}/present", new { lane = 1, uid });
            decision = reply.GetProperty("decision").GetString()!.ToLowerInvariant();
            if (decision == expected || DateTimeOffset.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(300);
        }
        while (true);
        return decision;
    }

    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        _control.Dispose();
        await Service.DisposeAsync();
        await Door.DisposeAsync();
        await Encoder.DisposeAsync();
        _folder.Dispose();
    }

    public static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
