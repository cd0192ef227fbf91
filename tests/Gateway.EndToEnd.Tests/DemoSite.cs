using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Gateway.EndToEnd.Tests;

/// <summary>
/// The service started with <c>--demo</c> as a real process in a folder of its own, with the URLs it
/// printed (HTTP, the simulators' control APIs) and the programs a newcomer uses against it:
/// <c>gatewayctl</c> and <c>gateway-sim present</c>, each run as a real process.
/// </summary>
public sealed class DemoSite : ICtlSite, IAsyncDisposable
{
    /// <summary>The bound on every wait: generous, it catches hangs and never judges speed.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    private DemoSite(ChildProcess service, string folder, string url, string token, string doorControl, string carParkControl, string encoderControl, string gateControl)
    {
        GateControl = gateControl;
        Service = service;
        Folder = folder;
        Url = url;
        Token = token;
        DoorControl = doorControl;
        CarParkControl = carParkControl;
        EncoderControl = encoderControl;
    }

    public ChildProcess Service { get; }

    /// <summary>The working directory: the demo keeps its data in <c>data/demo</c> under it.</summary>
    public string Folder { get; }

    public string Url { get; }

    /// <summary>
    /// A token of operator <c>tester</c>, who holds every role: created by the demo's <c>admin</c> (whose
    /// password the demo printed) and signed in with its own password, as a site's admin would set one up.
    /// </summary>
    public string Token { get; }

    /// <summary>The control URL of the building-3 door controller (unit 1, Modbus TCP).</summary>
    public string DoorControl { get; }

    /// <summary>The control URL of the car-park bus (carpark-in unit 1, carpark-out unit 2).</summary>
    public string CarParkControl { get; }

    /// <summary>The control URL of the estate gate's simulated UHPPOTE board (doors 1 in and 2 out, common zone).</summary>
    public string GateControl { get; }

    /// <summary>The demo board's serial number.</summary>
    public const uint GateSerial = 405419896;

    /// <summary>The control URL of the PN532 encoder simulator.</summary>
    public string EncoderControl { get; }

    /// <summary>gatewayctl's environment: the demo's server and the token of an operator with every role.</summary>
    public IDictionary<string, string?> Environment => new Dictionary<string, string?>
    {
        ["GATEWAY_TOKEN"] = Token,
        ["GATEWAY_SERVER"] = Url,
        ["GATEWAY_CREDENTIALS"] = Path.Combine(Folder, "credentials.json"),
    };

    IDictionary<string, string?> ICtlSite.CtlEnvironment => Environment;

    /// <summary>Starts <c>gateway --demo --Gateway:Http:Port=0</c> (plus <paramref name="extra"/>) in <paramref name="folder"/> and waits for its notes.</summary>
    public static Task<DemoSite> StartAsync(string folder, params string[] extra) =>
        AttachAsync(ChildProcess.StartDotnet(RepoPaths.Service, ["--demo", "--Gateway:Http:Port=0", .. extra], workingDirectory: folder), folder, Bound);

    /// <summary>Starts <paramref name="program"/> with <paramref name="args"/> in <paramref name="folder"/> (a command line that starts the demo, such as README's first) and waits for its notes.</summary>
    /// <remarks>The first wait is longer: <c>dotnet run</c> builds the service and the simulators first.</remarks>
    public static Task<DemoSite> StartCommandAsync(string folder, string program, IEnumerable<string> args) =>
        AttachAsync(ChildProcess.Start(program, args, workingDirectory: folder), folder, TimeSpan.FromMinutes(6));

    private static async Task<DemoSite> AttachAsync(ChildProcess service, string folder, TimeSpan startBound)
    {
        try
        {
            var url = (await service.WaitForLineAsync(@"HTTP (http://[0-9.]+:\d+)", startBound)).Groups[1].Value;
            var adminPassword = (await service.WaitForLineAsync(@"^  admin\s+admin\s+password (\S+)$", Bound)).Groups[1].Value;
            var token = await OperatorWithEveryRoleAsync(url, adminPassword);
            var carPark = (await service.WaitForLineAsync(@"^car park controllers .* control (\S+)", Bound)).Groups[1].Value;
            var door = (await service.WaitForLineAsync(@"^building 3 door .* control (\S+)", Bound)).Groups[1].Value;
            var gate = (await service.WaitForLineAsync(@"^estate gate gate-common .* control (\S+)", Bound)).Groups[1].Value;
            var encoder = (await service.WaitForLineAsync(@"^encoder .* control (\S+)", Bound)).Groups[1].Value;
            return new DemoSite(service, folder, url, token, door, carPark, encoder, gate);
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    /// <summary>Logs in as the demo's <c>admin</c>, creates <c>tester</c> with every role, signs in as tester and sets its password; returns tester's token.</summary>
    public static async Task<string> OperatorWithEveryRoleAsync(string url, string adminPassword)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromSeconds(60) };
        var admin = await LoginAsync(http, "admin", adminPassword);
        using (var create = new HttpRequestMessage(HttpMethod.Post, "api/operators"))
        {
            create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
            create.Content = JsonContent.Create(new { username = "tester", displayName = "Tester", roles = new[] { "front-desk", "parking-authorizer", "finance", "admin" }, password = "one-time-pw-for-t-1" });
            using var created = await http.SendAsync(create);
            Assert.True(created.IsSuccessStatusCode, $"creating the test operator: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        }

        var token = await LoginAsync(http, "tester", "one-time-pw-for-t-1");
        using var change = new HttpRequestMessage(HttpMethod.Post, "api/me/password");
        change.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        change.Content = JsonContent.Create(new { currentPassword = "one-time-pw-for-t-1", newPassword = "own-password-of-t-1" });
        using var changed = await http.SendAsync(change);
        Assert.True(changed.IsSuccessStatusCode, $"setting the test operator's password: {(int)changed.StatusCode} {await changed.Content.ReadAsStringAsync()}");
        return token;
    }

    private static async Task<string> LoginAsync(HttpClient http, string username, string password)
    {
        using var response = await http.PostAsync("api/login", JsonContent.Create(new { username, password }));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"login of {username}: {(int)response.StatusCode} {text}");
        using var body = JsonDocument.Parse(text);
        return body.RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>Runs <c>gatewayctl args...</c> against the demo; fails the test on a non-zero exit. Returns standard output.</summary>
    public async Task<string> CtlAsync(params string[] args)
    {
        var (code, stdout, stderr) = await TryCtlAsync(args);
        Assert.True(code == 0, $"gatewayctl {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    /// <summary>Runs <c>gatewayctl args...</c> against the demo and returns what it did.</summary>
    public Task<(int ExitCode, string StandardOutput, string StandardError)> TryCtlAsync(params string[] args) =>
        ChildProcess.RunDotnetAsync(RepoPaths.Cli, args, Bound, environment: Environment);

    /// <summary>Runs <c>gateway-sim present</c>: card <paramref name="uid"/> at lane 1 of unit <paramref name="unit"/> behind <paramref name="control"/>; returns the decision line.</summary>
    public static async Task<string> PresentAsync(string control, int unit, string uid, int lane = 1)
    {
        var (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(
            RepoPaths.Simulator,
            ["present", "--control", control, "--unit", unit.ToString(CultureInfo.InvariantCulture), "--lane", lane.ToString(CultureInfo.InvariantCulture), "--uid", uid],
            Bound);
        Assert.True(code == 0, $"gateway-sim present exited {code}: {stderr}");
        return stdout.Trim();
    }

    /// <summary>Runs <c>gateway-sim present</c> at door <paramref name="door"/> of the demo's UHPPOTE board; returns the decision line.</summary>
    public async Task<string> PresentAtGateAsync(string uid, int door = 1)
    {
        var (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(
            RepoPaths.Simulator,
            ["present", "--control", GateControl, "--controller", GateSerial.ToString(CultureInfo.InvariantCulture), "--door", door.ToString(CultureInfo.InvariantCulture), "--uid", uid],
            Bound);
        Assert.True(code == 0, $"gateway-sim present at the gate exited {code}: {stderr}");
        return stdout.Trim();
    }

    /// <summary>Polls the decision at a door of the demo's board until it starts with <paramref name="expected"/>.</summary>
    public Task UntilGateDecisionAsync(string uid, int door, string expected) =>
        UntilAsync(async () => (await PresentAtGateAsync(uid, door)).StartsWith(expected, StringComparison.Ordinal), $"{uid} at door {door} of the gate's board never said '{expected}'");

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> after <see cref="Bound"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow + Bound;
        while (!await condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, what);
            await Task.Delay(300);
        }
    }

    /// <summary>Polls the decision at a gate until it starts with <paramref name="expected"/>.</summary>
    public static Task UntilDecisionAsync(string control, int unit, string uid, string expected) =>
        UntilAsync(async () => (await PresentAsync(control, unit, uid)).StartsWith(expected, StringComparison.Ordinal), $"{uid} at unit {unit} of {control} never said '{expected}'");

    /// <summary>Stops the service with SIGTERM and asserts it exits 0.</summary>
    public async Task StopAsync()
    {
        Service.Signal(15);
        Assert.Equal(0, await Service.WaitForExitAsync(Bound));
    }

    public static string Field(string text, string pattern) => Regex.Match(text, pattern, RegexOptions.Multiline).Groups[1].Value;

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
