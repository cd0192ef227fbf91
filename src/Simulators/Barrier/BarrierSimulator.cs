using System.Net;
using Gateway.Drivers.Channels;
using Gateway.Drivers.Modbus;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Simulators.Barrier;

/// <summary>What <c>gateway-sim barrier</c> runs.</summary>
public sealed record BarrierSimulatorSettings
{
    /// <summary>Serve at this endpoint (tcp://, rtu+tcp://, serial://); or null with <see cref="PtyLink"/>.</summary>
    public DeviceEndpoint? Listen { get; init; }

    /// <summary>Create a pseudo-terminal and publish its slave side at this path; RTU is served on it.</summary>
    public string? PtyLink { get; init; }

    public IReadOnlyList<byte> Units { get; init; } = [1];

    /// <summary>Line-rate emulation: each exchange takes the time its bytes take at this baud rate. Null: none.</summary>
    public int? Baud { get; init; }

    /// <summary>Loopback URL of the control API (port 0: any free port); null: no control API.</summary>
    public Uri? ControlUrl { get; init; }

    /// <summary>The --state file: controllers are persistent and saved there. Null: volatile.</summary>
    public string? StatePath { get; init; }

    /// <summary>Settings of each controller (Persistent is set from <see cref="StatePath"/>).</summary>
    public SimulatedBarrierOptions Controller { get; init; } = new();
}

/// <summary>
/// A running barrier simulator: several controllers (unit ids) on one bus or listener, the Modbus
/// slave engine serving them, an optional loopback control API and an optional state file.
/// </summary>
public sealed class BarrierSimulator : IAsyncDisposable
{
    private static readonly TimeSpan SaveInterval = TimeSpan.FromMilliseconds(500);
    private readonly Dictionary<byte, SimulatedBarrierController> _units;
    private readonly BarrierSimulatorSettings _settings;
    private readonly CancellationTokenSource _stop = new();
    private ModbusSlave? _slave;
    private IByteChannel? _pty;
    private WebApplication? _control;
    private Task _saver = Task.CompletedTask;

    private BarrierSimulator(BarrierSimulatorSettings settings, Dictionary<byte, SimulatedBarrierController> units)
    {
        _settings = settings;
        _units = units;
    }

    public IReadOnlyDictionary<byte, SimulatedBarrierController> Units => _units;

    /// <summary>Where Modbus is served: the bound tcp:// or rtu+tcp:// endpoint, or the pty's link path.</summary>
    public string ModbusEndpoint { get; private set; } = string.Empty;

    /// <summary>The pty's slave device (/dev/pts/N) when serving on a pty.</summary>
    public string? PtyDevice { get; private set; }

    /// <summary>The bound control API URL, if any.</summary>
    public Uri? ControlUrl { get; private set; }

    public ModbusSlaveStatistics Statistics => _slave?.Statistics ?? throw new InvalidOperationException("not started");

    /// <summary>Starts everything; on failure nothing is left running.</summary>
    public static async Task<BarrierSimulator> StartAsync(BarrierSimulatorSettings settings, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if ((settings.Listen is null) == (settings.PtyLink is null))
        {
            throw new ArgumentException("give exactly one of a listen endpoint and a pty link path", nameof(settings));
        }

        if (settings.ControlUrl is { } url && !IsLoopback(url))
        {
            throw new ArgumentException($"the control API listens on loopback only (http://127.0.0.1:PORT), not {url}", nameof(settings));
        }

        var restored = settings.StatePath is { } path
            ? await BarrierStateFile.LoadAsync(path, cancellationToken)
            : new Dictionary<byte, BarrierControllerSnapshot>();
        var controllerOptions = settings.Controller with { Persistent = settings.StatePath is not null };
        var units = settings.Units.ToDictionary(
            u => u,
            u => new SimulatedBarrierController(controllerOptions, time, restored.TryGetValue(u, out var snapshot) ? snapshot : null));
        var simulator = new BarrierSimulator(settings, units);
        try
        {
            await simulator.StartServingAsync(cancellationToken);
            return simulator;
        }
        catch
        {
            await simulator.DisposeAsync();
            throw;
        }
    }

    /// <summary>The saved state now (for a state file), by unit.</summary>
    public IReadOnlyDictionary<byte, BarrierControllerSnapshot> Snapshot() =>
        _units.ToDictionary(u => u.Key, u => u.Value.Snapshot());

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_control is not null)
        {
            await _control.StopAsync(CancellationToken.None);
            await _control.DisposeAsync();
        }

        if (_slave is not null)
        {
            await _slave.DisposeAsync();
        }

        if (_pty is not null)
        {
            await _pty.DisposeAsync();
        }

        try
        {
            await _saver;
        }
        catch (OperationCanceledException)
        {
            // Stopping is what was asked.
        }

        if (_settings.StatePath is { } path)
        {
            await BarrierStateFile.SaveAsync(path, Snapshot(), CancellationToken.None);
        }

        _stop.Dispose();
    }

    private static bool IsLoopback(Uri url) =>
        url.Scheme == Uri.UriSchemeHttp && (url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address)));

    private async Task StartServingAsync(CancellationToken cancellationToken)
    {
        var models = _units.ToDictionary(u => u.Key, u => (IModbusDataModel)u.Value);
        var slaveOptions = new ModbusSlaveOptions { EmulatedBaudRate = _settings.Baud };
        if (_settings.PtyLink is { } link)
        {
            if (!OperatingSystem.IsLinux())
            {
                throw new PlatformNotSupportedException("pseudo-terminals are created on Linux only");
            }

            var pty = PseudoTerminal.Create(link);
            _pty = pty;
            PtyDevice = pty.SlavePath;
            _slave = ModbusSlave.StartRtu(models, _pty, slaveOptions, _settings.Baud);
            ModbusEndpoint = link;
        }
        else
        {
            _slave = await ModbusSlave.StartAsync(models, _settings.Listen!, slaveOptions, cancellationToken);
            ModbusEndpoint = _slave.Endpoint;
        }

        if (_settings.ControlUrl is { } url)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls(url.GetLeftPart(UriPartial.Authority));
            BarrierControlApi.AddServices(builder.Services);
            _control = builder.Build();
            BarrierControlApi.Map(_control, this);
            await _control.StartAsync(cancellationToken);
            var address = _control.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            ControlUrl = new Uri(address);
        }

        if (_settings.StatePath is { } path)
        {
            _saver = SaveLoopAsync(path, _stop.Token);
        }
    }

    private async Task SaveLoopAsync(string path, CancellationToken cancellationToken)
    {
        // Saving after every batch would rewrite the file hundreds of times in a full sync; twice a
        // second bounds what a crash of the simulator can lose.
        var saved = _units.Values.Sum(u => u.Revision);
        using var timer = new PeriodicTimer(SaveInterval);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var revision = _units.Values.Sum(u => u.Revision);
            if (revision != saved)
            {
                await BarrierStateFile.SaveAsync(path, Snapshot(), cancellationToken);
                saved = revision;
            }
        }
    }
}
