using Gateway.Service.Hosting;
using Gateway.Service.Storage;

namespace Gateway.Service.Api;

/// <summary><c>/health/live</c> (the process answers) and <c>/health</c> (readiness: storage open, each device's state).</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => Results.Ok(new { status = "alive" }))
            .AllowAnonymous()
            .WithName("Liveness");

        app.MapGet("/health", (GatewayDatabase database, DeviceStatusBoard devices, GatewayOptions options) =>
        {
            var ready = database.IsReady;
            var body = new HealthReport(
                ready ? "ready" : "not-ready",
                options.SiteId,
                new StorageHealth(ready ? "open" : "closed", database.SchemaVersion),
                devices.Snapshot().Select(d => new DeviceHealth(d.Id, d.Kind.ToString().ToLowerInvariant(), d.Endpoint, d.State.ToString().ToLowerInvariant(), d.LastError, d.SinceUtc, d.Drifted, d.ClockSkewSeconds)).ToList());
            return Results.Json(body, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        })
            .AllowAnonymous()
            .WithName("Readiness");

        return app;
    }

    public sealed record HealthReport(string Status, string SiteId, StorageHealth Storage, IReadOnlyList<DeviceHealth> Devices);

    public sealed record StorageHealth(string State, int SchemaVersion);

    public sealed record DeviceHealth(string Id, string Kind, string Endpoint, string State, string? LastError, DateTimeOffset? Since, bool Drifted, double? ClockSkewSeconds);
}
