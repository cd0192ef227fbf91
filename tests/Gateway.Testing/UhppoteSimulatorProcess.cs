using System.Net;
using System.Text.Json;

namespace Gateway.Testing;

/// <summary>
/// <c>gateway-sim uhppote</c> run as a real process, with its UDP endpoint and control API found from
/// the lines it prints, and helpers to call the control API.
/// </summary>
public sealed class UhppoteSimulatorProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly ControlApiClient _control;

    private UhppoteSimulatorProcess(ChildProcess process, string endpoint, Uri control)
    {
        Process = process;
        Endpoint = endpoint;
        ControlUrl = control;
        _control = new ControlApiClient(control);
    }

    public ChildProcess Process { get; }

    /// <summary>udp://127.0.0.1:PORT.</summary>
    public string Endpoint { get; }

    /// <summary>The UDP endpoint as an address and port.</summary>
    public IPEndPoint IPEndPoint => IPEndPoint.Parse(Endpoint["udp://".Length..]);

    public Uri ControlUrl { get; }

    /// <summary>Starts <c>gateway-sim uhppote --listen udp://127.0.0.1:0 --control http://127.0.0.1:0</c> with <paramref name="arguments"/>.</summary>
    public static async Task<UhppoteSimulatorProcess> StartAsync(params string[] arguments)
    {
        var process = ChildProcess.StartDotnet(RepoPaths.Simulator, ["uhppote", "--listen", "udp://127.0.0.1:0", .. arguments, "--control", "http://127.0.0.1:0"]);
        try
        {
            await process.WaitForLineAsync("^ready$", StartTimeout);
            var udp = await process.WaitForLineAsync(@"^uhppote (\S+) controllers", StartTimeout);
            var control = await process.WaitForLineAsync(@"^control (\S+)", StartTimeout);
            return new UhppoteSimulatorProcess(process, udp.Groups[1].Value, new Uri(control.Groups[1].Value + "/"));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public Task<JsonElement> GetAsync(string path) => _control.GetAsync(path);

    public Task<JsonElement> PostAsync(string path, object? body = null) => _control.PostAsync(path, body);

    public Task<JsonElement> PutAsync(string path, object body) => _control.PutAsync(path, body);

    public Task<JsonElement> DeleteAsync(string path) => _control.DeleteAsync(path);

    /// <summary>Stops with SIGTERM and waits for a clean exit; returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        Process.Signal(15);
        return await Process.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        _control.Dispose();
        await Process.DisposeAsync();
    }
}
