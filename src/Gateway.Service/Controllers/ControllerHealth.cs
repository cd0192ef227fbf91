using Gateway.Service.Hosting;

namespace Gateway.Service.Controllers;

/// <summary>What the sync engine knows of one controller now (the devices endpoint and <c>gatewayctl devices</c>).</summary>
public sealed record ControllerHealth(
    string Id,
    string Endpoint,
    int Unit,
    string Zone,
    DeviceState State,
    bool Drifted,
    double? ClockSkewSeconds,
    string? LastError,
    DateTimeOffset? LastContactUtc,
    uint? BootId,
    int? WhitelistCount,
    int ExpectedCount,
    long AppliedSequence,
    long PendingChanges,
    long EventsCollected,
    int ConsecutiveFailures,
    DateTimeOffset? NextAttemptUtc);
