using Gateway.Service.Api;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Gates;

/// <summary>
/// <c>POST /api/devices/{id}/lanes/{lane}/open</c> (a lane or door opened from the desk, with a reason) and
/// <c>/api/gate-openings</c> (who opened what, why, and the event the controller logged for it).
/// </summary>
public static class GateEndpoints
{
    /// <summary>The body of an opening.</summary>
    public sealed record OpenRequest(string? Reason);

    public static void MapGateEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/devices/{id}/lanes/{lane:int}/open", async (string id, int lane, OpenRequest? body, HttpContext context, [FromServices] GateWorkflow gates, CancellationToken cancellationToken) =>
        {
            var v = new Validator();
            v.Range("lane", lane, 1, 255);
            var reason = v.Text("reason", body?.Reason, GateWorkflow.MaxReasonLength);
            if (!v.IsValid)
            {
                return v.ToProblem();
            }

            var outcome = await gates.OpenAsync(context.User.ToActor(), id, lane, reason!, cancellationToken);
            return outcome.TryGetValue(out var opening, out var refusal) ? Results.Ok(opening) : refusal.ToProblem();
        })
            .RequireAuthorization(GatewayPolicies.AlarmsAndGates)
            .WithTags("Gates")
            .WithName("OpenLane")
            .WithSummary("Open a lane or door from the desk (front desk or admin), with a reason; audited, and the controller's event names the opening");

        api.MapGet("/gate-openings", async ([FromQuery] string? device, [FromQuery] int? limit, [FromQuery] long? after, [FromServices] GateWorkflow gates, CancellationToken cancellationToken) =>
        {
            var v = new Validator();
            var page = v.Page(limit, after);
            if (!v.IsValid)
            {
                return v.ToProblem();
            }

            return Results.Ok(await gates.ListAsync(device, page, cancellationToken));
        })
            .RequireAuthorization(GatewayPolicies.ReadOperational)
            .WithTags("Gates")
            .WithName("ListGateOpenings")
            .WithSummary("Lanes and doors opened from the desk: who, why, the outcome and the controller's event");

        api.MapGet("/gate-openings/{id:long}", async (long id, [FromServices] GateWorkflow gates, CancellationToken cancellationToken) =>
            await gates.GetAsync(id, cancellationToken) is { } opening ? Results.Ok(opening) : ApiProblems.NotFound($"gate opening {id}"))
            .RequireAuthorization(GatewayPolicies.ReadOperational)
            .WithTags("Gates")
            .WithName("GetGateOpening")
            .WithSummary("One opening from the desk");
    }
}
