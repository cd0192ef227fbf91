using System.Globalization;
using System.Text.RegularExpressions;

namespace Gateway.EndToEnd.Tests;

/// <summary>
/// The service started with <c>--demo</c> as a real process in a folder of its own, with the URLs it
/// printed (HTTP, the simulators' control APIs) and the programs a newcomer uses against it:
/// <c>gatewayctl</c> and <c>gateway-sim present</c>, each run as a real process.
/// </summary>
public sealed class DemoSite : IAsyncDisposable
{
    /// <summary>The bound on every wait: generous, it catches hangs and never judges speed.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    private DemoSite(ChildProcess service, string folder, string url, string token, string doorControl, string carParkControl, string encoderControl)
    {
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

    public string Token { get; }

    /// <summary>The control URL of the building-3 door controller (unit 1, Modbus TCP).</summary>
    public string DoorControl { get; }

    /// <summary>The control URL of the car-park bus (carpark-in unit 1, carpark-out unit 2).</summary>
    public string CarParkControl { get; }

    /// <summary>The control URL of the PN532 encoder simulator.</summary>
    public string EncoderControl { get; }

    /// <summary>gatewayctl's environment: the demo's server and admin token.</summary>
    public IDictionary<string, string?> Environment => new Dictionary<string, string?>
    {
        ["GATEWAY_TOKEN"] = Token,
        ["GATEWAY_SERVER"] = Url,
        ["GATEWAY_CREDENTIALS"] = Path.Combine(Folder, "credentials.json"),
    };

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
            var token = (await service.WaitForLineAsync(@"^demo admin token: ([0-9a-f]{64})", Bound)).Groups[1].Value;
            var carPark = (await service.WaitForLineAsync(@"^car park controllers .* control (\S+)", Bound)).Groups[1].Value;
            var door = (await service.WaitForLineAsync(@"^building 3 door .* control (\S+)", Bound)).Groups[1].Value;
            var encoder = (await service.WaitForLineAsync(@"^encoder .* control (\S+)", Bound)).Groups[1].Value;
            return new DemoSite(service, folder, url, token, door, carPark, encoder);
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
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
