using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Gateway.Service.Demo;

/// <summary>
/// <c>--demo</c>: starts simulated devices as child processes (<c>gateway-sim</c>, built with the service
/// by a build-only project reference) and gives the service the configuration that drives them: two
/// car-park barrier controllers on one pseudo-terminal bus at 19200 baud with line-rate emulation, a
/// building door controller over Modbus TCP, the estate gate's UHPPOTE board over UDP (two common doors),
/// and a PN532 encoder on a pseudo-terminal with a blank card.
/// Stops them on exit; each child also exits by itself when this process is gone (<c>--parent-pid</c>), so
/// a SIGKILL of the service leaves no simulator behind. Data lives in <c>data/demo</c>; the card key and the
/// demo operators' password files (<see cref="DemoOperators"/>) are created there, owner-only.
/// </summary>
public sealed partial class DemoSupervisor : IAsyncDisposable
{
    /// <summary>The serial number of the demo's UHPPOTE board (the one the uhppoted project's examples use).</summary>
    public const uint DemoBoardSerial = 405419896;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly List<Process> _children = [];
    private readonly List<string> _deviceNotes = [];
    private string? _consoleNote;

    private DemoSupervisor(string dataFolder)
    {
        DataFolder = dataFolder;
        Operators = new DemoOperators(dataFolder);
    }

    public string DataFolder { get; }

    /// <summary>The demo's named operators, created at the service's first start on this data folder.</summary>
    public DemoOperators Operators { get; }

    /// <summary>Configuration the service runs with (devices, data folder, card key).</summary>
    public Dictionary<string, string?> Configuration { get; } = [];

    /// <summary>Lines for the person at the terminal once the service has started: the console's address, the operators and their passwords, the control URLs of the simulators.</summary>
    public IEnumerable<string> Notes => (_consoleNote is null ? [] : new[] { _consoleNote }).Concat(Operators.Notes()).Concat(_deviceNotes);

    /// <summary>Starts the simulators; on failure nothing is left running.</summary>
    public static async Task<DemoSupervisor> StartAsync(string dataFolder, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("--demo creates pseudo-terminals and runs on Linux");
        }

        Gateway.Shared.OwnerOnlyFile.CreateFolder(dataFolder);
        var demo = new DemoSupervisor(dataFolder);
        try
        {
            await demo.StartDevicesAsync(cancellationToken);
            return demo;
        }
        catch
        {
            await demo.DisposeAsync();
            throw;
        }
    }

    /// <summary>gateway-sim.dll beside this build: src/Simulators/bin/CONFIGURATION/TFM (GATEWAY_SIM overrides).</summary>
    public static string SimulatorPath()
    {
        if (Environment.GetEnvironmentVariable("GATEWAY_SIM") is { Length: > 0 } overridden)
        {
            return overridden;
        }

        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = baseDir.Name;
        var configuration = baseDir.Parent?.Name ?? "Debug";
        for (var dir = baseDir; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "Simulators", "bin", configuration, tfm, "gateway-sim.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("gateway-sim.dll was not found beside this build; build the solution (or set GATEWAY_SIM)");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var child in _children)
        {
            try
            {
                if (!child.HasExited)
                {
                    child.Kill(entireProcessTree: true);
                    await child.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
            {
                // Already gone, or not ours to wait for: nothing more to do.
            }
            finally
            {
                child.Dispose();
            }
        }

        _children.Clear();
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private async Task StartDevicesAsync(CancellationToken cancellationToken)
    {
        var sim = SimulatorPath();
        var carPark = await StartAsync(sim, ["barrier", "--pty", Path.Combine(DataFolder, "tty-carpark"), "--units", "1-2", "--baud", "19200", "--arm-time-ms", "500", "--control", "http://127.0.0.1:0"], cancellationToken);
        var door = await StartAsync(sim, ["barrier", "--listen", "tcp://127.0.0.1:0", "--units", "1", "--arm-time-ms", "500", "--control", "http://127.0.0.1:0"], cancellationToken);
        var encoder = await StartAsync(sim, ["encoder", "--pty", Path.Combine(DataFolder, "tty-encoder"), "--card", "1k", "--control", "http://127.0.0.1:0"], cancellationToken);
        var gate = await StartAsync(sim, ["uhppote", "--listen", "udp://127.0.0.1:0", "--controllers", DemoBoardSerial.ToString(CultureInfo.InvariantCulture), "--doors", "2", "--control", "http://127.0.0.1:0"], cancellationToken);

        var carParkPort = Path.Combine(DataFolder, "tty-carpark");
        var doorEndpoint = Match(door.Lines, @"^modbus (\S+)").Groups[1].Value;
        Device(0, "carpark-in", "barrier", $"serial://{carParkPort}?baud=19200&parity=even", 1, "car-park");
        Device(1, "carpark-out", "barrier", $"serial://{carParkPort}?baud=19200&parity=even", 2, "car-park");
        Device(2, "door-b3", "barrier", doorEndpoint, 1, "building-3");
        Device(3, "desk", "encoder", Path.Combine(DataFolder, "tty-encoder"), null, null);

        // The estate's main gate: a UHPPOTE board whose door 1 lets people in and door 2 out, both common doors.
        var gateEndpoint = Match(gate.Lines, @"^uhppote (\S+)").Groups[1].Value;
        Device(4, "gate-common", "uhppote", gateEndpoint, null, null);
        Configuration["Gateway:Devices:4:Controller"] = DemoBoardSerial.ToString(CultureInfo.InvariantCulture);
        Configuration["Gateway:Devices:4:Doors:1:Zone"] = "common";
        Configuration["Gateway:Devices:4:Doors:1:Direction"] = "in";
        Configuration["Gateway:Devices:4:Doors:2:Zone"] = "common";
        Configuration["Gateway:Devices:4:Doors:2:Direction"] = "out";

        var keyFile = Path.Combine(DataFolder, "card.key");
        if (!File.Exists(keyFile))
        {
            Gateway.Shared.OwnerOnlyFile.WriteText(keyFile, "1:" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)) + "\n");
        }

        Configuration["Gateway:DataFolder"] = DataFolder;
        Configuration["Gateway:SiteId"] = "demo";
        Configuration["Gateway:CardKeys:KeyFile"] = keyFile;
        Configuration["Gateway:Sync:EventIntervalMs"] = "1000";

        // A site's usual grace, so the demo's car park shows an entry valid to the paid end plus 3 days.
        Configuration["Gateway:Parking:GraceDays"] = "3";

        _deviceNotes.Add($"car park controllers carpark-in (unit 1) and carpark-out (unit 2): control {Match(carPark.Lines, @"^control (\S+)").Groups[1].Value}");
        _deviceNotes.Add($"building 3 door door-b3 (unit 1, {doorEndpoint}): control {Match(door.Lines, @"^control (\S+)").Groups[1].Value}");
        _deviceNotes.Add($"estate gate gate-common (UHPPOTE board {DemoBoardSerial}, doors 1 in and 2 out, {gateEndpoint}): control {Match(gate.Lines, @"^control (\S+)").Groups[1].Value}");
        _deviceNotes.Add($"encoder desk on {Path.Combine(DataFolder, "tty-encoder")}: control {Match(encoder.Lines, @"^control (\S+)").Groups[1].Value}");
        _deviceNotes.Add("walkthrough: README.md, \"The demo in five minutes\"");
    }

    /// <summary>
    /// After the service has started: the line that says where the console is and how the demo's front-desk
    /// clerk <c>desk</c> signs in, first among the notes.
    /// </summary>
    public void SetConsoleAddress(IEnumerable<string> urls)
    {
        var url = urls.FirstOrDefault() ?? "http://127.0.0.1:5080";
        _consoleNote = Operators.Password("desk") is { } password
            ? $"console: {url}/   sign in as desk with the password {password}   (also in {Operators.PasswordPath("desk")})"
            : $"console: {url}/   sign in as desk with the password you chose";
    }

    private void Device(int index, string id, string kind, string endpoint, int? unit, string? zone)
    {
        Configuration[$"Gateway:Devices:{index}:Id"] = id;
        Configuration[$"Gateway:Devices:{index}:Kind"] = kind;
        Configuration[$"Gateway:Devices:{index}:Endpoint"] = endpoint;
        if (unit is { } u)
        {
            Configuration[$"Gateway:Devices:{index}:Unit"] = u.ToString(CultureInfo.InvariantCulture);
        }

        if (zone is not null)
        {
            Configuration[$"Gateway:Devices:{index}:Zone"] = zone;
        }
    }

    private async Task<(Process Process, List<string> Lines)> StartAsync(string sim, string[] args, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(sim);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Nothing runs in this process after a SIGKILL: the child watches for this process itself and exits when it is gone.
        info.ArgumentList.Add("--parent-pid");
        info.ArgumentList.Add(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet could not be started");
        _children.Add(process);
        var lines = new List<string>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException($"gateway-sim {args[0]} exited before it was ready"));
                return;
            }

            lock (lines)
            {
                lines.Add(e.Data);
            }

            if (e.Data == "ready")
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                System.Console.Error.WriteLine($"gateway-sim {args[0]}: {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await ready.Task.WaitAsync(StartTimeout, cancellationToken);
        lock (lines)
        {
            return (process, [.. lines]);
        }
    }

    private static Match Match(List<string> lines, string pattern) =>
        lines.Select(l => Regex.Match(l, pattern)).FirstOrDefault(m => m.Success)
        ?? throw new InvalidOperationException($"gateway-sim did not print /{pattern}/");
}
