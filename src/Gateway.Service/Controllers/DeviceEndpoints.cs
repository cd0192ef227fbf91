using Gateway.Service.Api;
using Gateway.Service.Hosting;
using Gateway.Service.Site;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Controllers;

/// <summary><c>/api/devices</c>: every configured device's health, and for controllers what the sync engine knows.</summary>
public static class DeviceEndpoints
{
    /// <summary>One device as listed. Controller fields are null for an encoder.</summary>
    public sealed record DeviceResponse(
        string Id,
        string Kind,
        string Endpoint,
        int? Unit,
        string? Zone,
        string State,
        bool Drifted,
        double? ClockSkewSeconds,
        string? LastError,
        DateTimeOffset? Since,
        DateTimeOffset? LastContact,
        string? BootId,
        int? WhitelistCount,
        int? ExpectedCount,
        long? AppliedSequence,
        long? OutboxSequence,
        long? Behind,
        long? PendingChanges,
        long? EventsCollected,
        int? ConsecutiveFailures,
        DateTimeOffset? NextAttempt);

    public static void MapDeviceEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/devices", ([FromServices] DeviceStatusBoard board, [FromServices] SyncEngine engine) =>
            TypedResults.Ok(new { items = List(board, engine) }))
            .RequireAuthorization(GatewayPolicies.ReadOperational)
            .WithTags("Devices")
            .WithName("ListDevices")
            .WithSummary("Every configured device: state, drift, clock skew, last error, sync progress");

        api.MapGet("/devices/{id}", (string id, [FromServices] DeviceStatusBoard board, [FromServices] SyncEngine engine) =>
            List(board, engine).FirstOrDefault(d => string.Equals(d.Id, id, StringComparison.OrdinalIgnoreCase)) is { } device
                ? Results.Ok(device)
                : ApiProblems.NotFound($"device '{id}'"))
            .RequireAuthorization(GatewayPolicies.ReadOperational)
            .WithTags("Devices")
            .WithName("GetDevice")
            .WithSummary("One device's health");

        api.MapPost("/devices/{id}/check", (string id, [FromServices] SyncEngine engine) =>
            engine.RequestCheck(id)
                ? Results.Accepted($"/api/devices/{id}", new { id, check = "requested" })
                : ApiProblems.NotFound($"controller '{id}'"))
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithTags("Devices")
            .WithName("CheckDevice")
            .WithSummary("Compare a controller's count and digest now, repairing differences");
    }

    /// <summary>Every configured device with what the sync engine knows of it (the API's list and the console's gates page).</summary>
    public static List<DeviceResponse> List(DeviceStatusBoard board, SyncEngine engine)
    {
        var health = engine.Health().ToDictionary(h => h.Id, StringComparer.OrdinalIgnoreCase);
        var outbox = engine.OutboxSequence;
        return board.Snapshot().Select(d =>
        {
            var h = health.GetValueOrDefault(d.Id);
            return new DeviceResponse(
                d.Id,
                d.Kind.ToString().ToLowerInvariant(),
                d.Endpoint,
                d.Kind == DeviceKind.Uhppote ? null : h?.Unit,
                h?.Zone,
                d.State.ToString().ToLowerInvariant(),
                d.Drifted,
                d.ClockSkewSeconds,
                d.LastError,
                d.SinceUtc,
                h?.LastContactUtc,
                h?.BootId is { } boot ? boot.ToString("X8", System.Globalization.CultureInfo.InvariantCulture) : null,
                h?.WhitelistCount,
                h?.ExpectedCount,
                h?.AppliedSequence,
                h is null ? null : outbox,
                h is null ? null : Math.Max(0, outbox - h.AppliedSequence),
                h?.PendingChanges,
                h?.EventsCollected,
                h?.ConsecutiveFailures,
                h?.NextAttemptUtc);
        }).ToList();
    }
}
