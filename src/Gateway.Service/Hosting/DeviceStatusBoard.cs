using System.Collections.Concurrent;
using Gateway.Service.Site;

namespace Gateway.Service.Hosting;

/// <summary>What Gateway currently knows of a device's health.</summary>
public enum DeviceState
{
    /// <summary>Configured, not yet contacted.</summary>
    Unknown,
    Connected,
    Degraded,
    Down,

    /// <summary>Gateway's own work for the device stopped on an unexpected error and is being restarted (the device itself may be fine).</summary>
    Faulted,
}

/// <summary>One device's health as shown on /health and over the API.</summary>
/// <param name="Id">The device id from configuration.</param>
/// <param name="Kind">Barrier (or door) controller, or encoder.</param>
/// <param name="Endpoint">Where it is reached.</param>
/// <param name="State">Connected, degraded, down, or unknown before first contact.</param>
/// <param name="LastError">The last error seen, kept after recovery.</param>
/// <param name="SinceUtc">When the state last changed.</param>
/// <param name="Drifted">A controller whose whitelist differs from the site's truth (being repaired).</param>
/// <param name="ClockSkewSeconds">A controller's clock minus UTC when last read (it is set when more than 1 s off).</param>
public sealed record DeviceStatus(string Id, DeviceKind Kind, string Endpoint, DeviceState State, string? LastError, DateTimeOffset? SinceUtc, bool Drifted = false, double? ClockSkewSeconds = null);

/// <summary>
/// The latest health of every configured device. Device workers report here; /health and the API
/// read from here. Thread-safe.
/// </summary>
public sealed class DeviceStatusBoard
{
    private readonly ConcurrentDictionary<string, DeviceStatus> _devices = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, (string Message, DateTimeOffset SinceUtc)> _faults = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _time;

    public DeviceStatusBoard(SiteDevices devices, TimeProvider time)
    {
        _time = time;
        foreach (var device in devices.All)
        {
            _devices[device.Id] = new DeviceStatus(device.Id, device.Kind, device.Endpoint, DeviceState.Unknown, null, null);
        }
    }

    /// <summary>Every device, by id; one whose work is faulted shows <see cref="DeviceState.Faulted"/> and the fault until it works again.</summary>
    public IReadOnlyList<DeviceStatus> Snapshot() => _devices.Values
        .Select(d => _faults.TryGetValue(d.Id, out var fault) ? d with { State = DeviceState.Faulted, LastError = fault.Message, SinceUtc = fault.SinceUtc } : d)
        .OrderBy(d => d.Id, StringComparer.Ordinal)
        .ToList();

    /// <summary>The work for <paramref name="deviceId"/> stopped on an unexpected error (the loop supervisor reports it); shown until <see cref="ClearFault"/>.</summary>
    public void Fault(string deviceId, string message)
    {
        if (!_devices.ContainsKey(deviceId))
        {
            throw new ArgumentException($"device '{deviceId}' is not configured", nameof(deviceId));
        }

        _faults.AddOrUpdate(deviceId, _ => (message, _time.GetUtcNow()), (_, old) => (message, old.SinceUtc));
    }

    /// <summary>The work for <paramref name="deviceId"/> runs again: its own state shows again.</summary>
    public void ClearFault(string deviceId) => _faults.TryRemove(deviceId, out _);

    /// <summary>Records a controller's whitelist drift and clock skew, as the sync engine last found them.</summary>
    public void ReportSync(string deviceId, bool drifted, double? clockSkewSeconds)
    {
        _devices.AddOrUpdate(
            deviceId,
            _ => throw new ArgumentException($"device '{deviceId}' is not configured", nameof(deviceId)),
            (_, old) => old with { Drifted = drifted, ClockSkewSeconds = clockSkewSeconds });
    }

    /// <summary>Records a new state; the time is kept only when the state changes.</summary>
    public void Report(string deviceId, DeviceState state, string? lastError = null)
    {
        _devices.AddOrUpdate(
            deviceId,
            _ => throw new ArgumentException($"device '{deviceId}' is not configured", nameof(deviceId)),
            (_, old) => old.State == state
                ? old with { LastError = lastError ?? old.LastError }
                : old with { State = state, LastError = lastError, SinceUtc = _time.GetUtcNow() });
    }
}
