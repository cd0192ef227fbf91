using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.Testing;

/// <summary>
/// <c>gateway-sim barrier</c> run as a real process, with its Modbus endpoint and control API found
/// from the lines it prints, and helpers to call the control API.
/// </summary>
public sealed class BarrierSimulatorProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly HttpClient _http;

    private BarrierSimulatorProcess(ChildProcess process, string modbusEndpoint, string? ptyDevice, Uri control)
    {
        Process = process;
        ModbusEndpoint = modbusEndpoint;
        PtyDevice = ptyDevice;
        ControlUrl = control;
        _http = new HttpClient { BaseAddress = control, Timeout = TimeSpan.FromSeconds(30) };
    }

    public ChildProcess Process { get; }

    /// <summary>tcp://127.0.0.1:PORT, rtu+tcp://127.0.0.1:PORT, or the pty's link path.</summary>
    public string ModbusEndpoint { get; }

    /// <summary>/dev/pts/N when serving on a pty.</summary>
    public string? PtyDevice { get; }

    public Uri ControlUrl { get; }

    /// <summary>Starts the simulator with <paramref name="arguments"/> (after <c>barrier</c>) and a control API on a free port.</summary>
    public static async Task<BarrierSimulatorProcess> StartAsync(params string[] arguments)
    {
        var process = ChildProcess.StartDotnet(RepoPaths.Simulator, ["barrier", .. arguments, "--control", "http://127.0.0.1:0"]);
        try
        {
            await process.WaitForLineAsync("^ready$", StartTimeout);
            var modbus = await process.WaitForLineAsync(@"^modbus (\S+)(?: units \S+)?(?: pty (\S+))?", StartTimeout);
            var control = await process.WaitForLineAsync(@"^control (\S+)", StartTimeout);
            return new BarrierSimulatorProcess(
                process,
                modbus.Groups[1].Value,
                modbus.Groups[2].Success ? modbus.Groups[2].Value : null,
                new Uri(control.Groups[1].Value + "/"));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>The port of a tcp:// or rtu+tcp:// endpoint.</summary>
    public int Port => int.Parse(ModbusEndpoint[(ModbusEndpoint.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);

    public Task<JsonElement> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);

    public Task<JsonElement> PostAsync(string path, object? body = null) => SendAsync(HttpMethod.Post, path, body);

    public Task<JsonElement> PutAsync(string path, object body) => SendAsync(HttpMethod.Put, path, body);

    public Task<JsonElement> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path, null);

    /// <summary>Stops with SIGTERM and waits for a clean exit; returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        Process.Signal(15);
        return await Process.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Process.DisposeAsync();
    }

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(path.TrimStart('/'), UriKind.Relative));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType());
        }

        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{method} {path}: {(int)response.StatusCode} {text}");
        }

        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
