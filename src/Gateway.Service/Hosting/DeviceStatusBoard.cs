using System.Collections.Concurrent;

namespace Gateway.Service.Hosting;

/// <summary>What Gateway currently knows of a device's health.</summary>
public enum DeviceState
{
    /// <summary>Configured, not yet contacted.</summary>
    Unknown,
    Connected,
    Degraded,
    Down,
}

/// <summary>One device's health as shown on /health and over the API.</summary>
public sealed record DeviceStatus(string Id, DeviceKind Kind, string Endpoint, DeviceState State, string? LastError, DateTimeOffset? SinceUtc);

/// <summary>
/// The latest health of every configured device. Device workers report here; /health and the API
/// read from here. Thread-safe.
/// </summary>
public sealed class DeviceStatusBoard
{
    private readonly ConcurrentDictionary<string, DeviceStatus> _devices = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _time;

    public DeviceStatusBoard(GatewayOptions options, TimeProvider time)
    {
        _time = time;
        foreach (var device in options.Devices)
        {
            _devices[device.Id] = new DeviceStatus(device.Id, device.Kind, device.Endpoint, DeviceState.Unknown, null, null);
        }
    }

    public IReadOnlyList<DeviceStatus> Snapshot() => _devices.Values.OrderBy(d => d.Id, StringComparer.Ordinal).ToList();

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
