using Gateway.Service.Hosting;
using Gateway.Service.Site;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Api;

/// <summary>
/// <c>/health/live</c> (the process answers) and <c>/health</c> (readiness). Without a token, or with one
/// whose roles do not read devices, <c>/health</c> says only ready or not: a load balancer needs no more,
/// and device endpoints, their last errors and the site id tell a stranger on the network where to look.
/// With a token of the <c>read-operational</c> policy (front-desk, admin) it adds storage, every device's state
/// and every supervised loop's (docs/operations.md).
/// </summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => Results.Ok(new { status = "alive" }))
            .AllowAnonymous()
            .WithName("Liveness");

        app.MapGet("/health", async (HttpContext context, IAuthorizationService authorization, GatewayDatabase database, DeviceStatusBoard devices, LoopSupervisor loops, SiteOptions site) =>
        {
            var ready = database.IsReady;
            var status = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            var readiness = ready ? "ready" : "not-ready";
            if (!(await authorization.AuthorizeAsync(context.User, GatewayPolicies.ReadOperational)).Succeeded)
            {
                return Results.Json(new Readiness(readiness), statusCode: status);
            }

            var body = new HealthReport(
                readiness,
                site.SiteId,
                new StorageHealth(ready ? "open" : "closed", database.SchemaVersion),
                devices.Snapshot().Select(d => new DeviceHealth(d.Id, d.Kind.ToString().ToLowerInvariant(), d.Endpoint, d.State.ToString().ToLowerInvariant(), d.LastError, d.SinceUtc, d.Drifted, d.ClockSkewSeconds)).ToList(),
                loops.Snapshot());
            return Results.Json(body, statusCode: status);
        })
            .AllowAnonymous()
            .WithName("Readiness");

        return app;
    }

    /// <summary>What <c>/health</c> tells a caller without a token that reads devices.</summary>
    public sealed record Readiness(string Status);

    /// <summary>Readiness, storage, each device, and each of the service's supervised loops (running, restarting after an error, stopped).</summary>
    public sealed record HealthReport(string Status, string SiteId, StorageHealth Storage, IReadOnlyList<DeviceHealth> Devices, IReadOnlyList<LoopStatus> Loops);

    public sealed record StorageHealth(string State, int SchemaVersion);

    public sealed record DeviceHealth(string Id, string Kind, string Endpoint, string State, string? LastError, DateTimeOffset? Since, bool Drifted, double? ClockSkewSeconds);
}
