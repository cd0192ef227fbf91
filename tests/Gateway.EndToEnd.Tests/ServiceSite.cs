using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Gateway.EndToEnd.Tests;

/// <summary>
/// A site on disk — data folder, bootstrap token, card key — and the service run on it as a real
/// process with the devices the test names (simulators the test started itself, so that they and
/// their memory survive the service). It can be killed with SIGKILL and started again on the same data.
/// </summary>
public sealed class ServiceSite : ICtlSite, IAsyncDisposable
{
    private readonly List<string> _devices = [];
    private readonly List<string> _settings = [];
    private int _deviceCount;
    private HttpClient? _http;

    public ServiceSite(string folder)
    {
        Folder = folder;
        Token = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        KeyFile = Path.Combine(folder, "card.key");
        File.WriteAllText(KeyFile, "1:" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(KeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public string Folder { get; }

    public string DataFolder => Path.Combine(Folder, "data");

    public string DatabasePath => Path.Combine(DataFolder, "gateway.db");

    public string Token { get; }

    public string KeyFile { get; }

    /// <summary>The running service, or null between a stop and the next start.</summary>
    public ChildProcess? Service { get; private set; }

    /// <summary>The service's HTTP URL (a new port at every start).</summary>
    public string Url { get; private set; } = string.Empty;

    /// <summary>Adds a barrier controller (Gateway:Devices:N) for the next start.</summary>
    public void AddBarrier(string id, string endpoint, int unit, string zone) =>
        AddDevice(id, "barrier", endpoint, unit, zone);

    /// <summary>Adds a UHPPOTE board (kind <c>uhppote</c>, serial <paramref name="serial"/>) whose doors 1, 2, ... serve <paramref name="doors"/> (zone and direction), for the next start.</summary>
    public void AddBoard(string id, string endpoint, uint serial, params (string Zone, string Direction)[] doors)
    {
        var n = _deviceCount;
        AddDevice(id, "uhppote", endpoint, null, null);
        _devices.Add(string.Create(CultureInfo.InvariantCulture, $"--Gateway:Devices:{n}:Controller={serial}"));
        for (var door = 1; door <= doors.Length; door++)
        {
            _devices.Add(string.Create(CultureInfo.InvariantCulture, $"--Gateway:Devices:{n}:Doors:{door}:Zone={doors[door - 1].Zone}"));
            _devices.Add(string.Create(CultureInfo.InvariantCulture, $"--Gateway:Devices:{n}:Doors:{door}:Direction={doors[door - 1].Direction}"));
        }
    }

    /// <summary>Adds a PN532 encoder on <paramref name="port"/> for the next start.</summary>
    public void AddEncoder(string id, string port) => AddDevice(id, "encoder", port, null, null);

    /// <summary>Any other setting for the next start, e.g. <c>Gateway:Sync:EventIntervalMs=500</c>.</summary>
    public void Set(string key, string value) => _settings.Add($"--{key}={value}");

    /// <summary>Drops a setting given with <see cref="Set"/> for the next start.</summary>
    public void Unset(string key) => _settings.RemoveAll(s => s.StartsWith($"--{key}=", StringComparison.Ordinal));

    /// <summary>Starts the service on the site's data and waits until it serves HTTP.</summary>
    public async Task StartAsync()
    {
        Assert.Null(Service);
        var args = new List<string>
        {
            $"--Gateway:DataFolder={DataFolder}",
            "--Gateway:SiteId=e2e",
            "--Gateway:Http:Port=0",
            $"--Gateway:CardKeys:KeyFile={KeyFile}",
        };
        args.AddRange(_devices);
        args.AddRange(_settings);

        // The token goes through the environment, not the command line that any user can list.
        var service = ChildProcess.StartDotnet(RepoPaths.Service, args, workingDirectory: Folder, environment: new Dictionary<string, string?> { ["Gateway__BootstrapToken"] = Token });
        try
        {
            Url = (await service.WaitForLineAsync(@"HTTP (http://[0-9.]+:\d+)", DemoSite.Bound)).Groups[1].Value;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }

        Service = service;
        _http?.Dispose();
        _http = new HttpClient { BaseAddress = new Uri(Url + "/"), Timeout = TimeSpan.FromSeconds(60) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    /// <summary>SIGKILL: nothing in the service runs after it (no flush, no clean-up, no shutdown hooks).</summary>
    public async Task KillAsync()
    {
        var service = Service ?? throw new InvalidOperationException("not running");
        service.Signal(9);
        await service.WaitForExitAsync(DemoSite.Bound);
        await service.DisposeAsync();
        Service = null;
    }

    /// <summary>SIGTERM, and asserts a clean exit.</summary>
    public async Task StopAsync()
    {
        var service = Service ?? throw new InvalidOperationException("not running");
        service.Signal(15);
        Assert.Equal(0, await service.WaitForExitAsync(DemoSite.Bound));
        await service.DisposeAsync();
        Service = null;
    }

    /// <summary>gatewayctl's environment: this site's server and token.</summary>
    public IDictionary<string, string?> CtlEnvironment => new Dictionary<string, string?>
    {
        ["GATEWAY_TOKEN"] = Token,
        ["GATEWAY_SERVER"] = Url,
        ["GATEWAY_CREDENTIALS"] = Path.Combine(Folder, "credentials.json"),
    };

    /// <summary>Runs <c>gatewayctl args...</c>; fails the test on a non-zero exit. Returns standard output.</summary>
    public async Task<string> CtlAsync(params string[] args)
    {
        var (code, stdout, stderr) = await TryCtlAsync(args);
        Assert.True(code == 0, $"gatewayctl {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    public Task<(int ExitCode, string StandardOutput, string StandardError)> TryCtlAsync(params string[] args) =>
        ChildProcess.RunDotnetAsync(RepoPaths.Cli, args, DemoSite.Bound, environment: CtlEnvironment);

    /// <summary>Starts <c>gatewayctl args...</c> without waiting for it (a command the test interrupts).</summary>
    public ChildProcess StartCtl(params string[] args) => ChildProcess.StartDotnet(RepoPaths.Cli, args, environment: CtlEnvironment);

    /// <summary>GET on the service's API as the bootstrap admin.</summary>
    public async Task<JsonElement> GetAsync(string path)
    {
        var http = _http ?? throw new InvalidOperationException("not started");
        return JsonDocument.Parse(await http.GetStringAsync(new Uri(path, UriKind.Relative))).RootElement.Clone();
    }

    /// <summary>One controller as <c>GET /api/devices/{id}</c> reports it.</summary>
    public Task<JsonElement> DeviceAsync(string id) => GetAsync($"api/devices/{id}");

    public async ValueTask DisposeAsync()
    {
        if (Service is not null)
        {
            await Service.DisposeAsync();
            Service = null;
        }

        _http?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    private void AddDevice(string id, string kind, string endpoint, int? unit, string? zone)
    {
        var n = _deviceCount++;
        _devices.Add($"--Gateway:Devices:{n}:Id={id}");
        _devices.Add($"--Gateway:Devices:{n}:Kind={kind}");
        _devices.Add($"--Gateway:Devices:{n}:Endpoint={endpoint}");
        if (unit is { } u)
        {
            _devices.Add(string.Create(CultureInfo.InvariantCulture, $"--Gateway:Devices:{n}:Unit={u}"));
        }

        if (zone is not null)
        {
            _devices.Add($"--Gateway:Devices:{n}:Zone={zone}");
        }
    }
}
