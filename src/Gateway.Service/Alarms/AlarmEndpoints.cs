using Gateway.Service.Api;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Alarms;

/// <summary><c>/api/alarms</c>: alarms raised by the sync engine; an operator acknowledges them.</summary>
public static class AlarmEndpoints
{
    private static readonly string[] States = ["open", "acknowledged", "all"];

    /// <summary>The body of an acknowledgement.</summary>
    public sealed record AcknowledgeRequest(string? Note);

    public static void MapAlarmEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/alarms", async (
            [FromQuery] string? state,
            [FromQuery] string? kind,
            [FromQuery] string? device,
            [FromQuery] int? limit,
            [FromQuery] long? after,
            [FromServices] AlarmStore alarms,
            CancellationToken cancellationToken) =>
        {
            var v = new Validator();
            var page = v.Page(limit, after);
            var s = v.OneOf("state", state ?? "open", States);
            AlarmKind? k = null;
            if (kind is not null)
            {
                if (AlarmStore.TryParse(kind, out var parsed))
                {
                    k = parsed;
                }
                else
                {
                    v.Add("kind", "must be one of: buffer-overflow, device-down, drift, clock-skew, blocked-card, service-fault");
                }
            }

            if (!v.IsValid)
            {
                return v.ToProblem();
            }

            bool? open = s switch { "open" => true, "acknowledged" => false, _ => null };
            return Results.Ok(await alarms.ListAsync(open, k, device, page, cancellationToken));
        })
            .RequireAuthorization(GatewayPolicies.ReadOperational)
            .WithTags("Alarms")
            .WithName("ListAlarms")
            .WithSummary("Alarms: open (default), acknowledged or all; by kind and device");

        api.MapPost("/alarms/{id:long}/acknowledge", async (long id, AcknowledgeRequest? body, HttpContext context, [FromServices] AlarmStore alarms, CancellationToken cancellationToken) =>
        {
            var v = new Validator();
            var note = v.Text("note", body?.Note, 500, required: false);
            if (!v.IsValid)
            {
                return v.ToProblem();
            }

            var result = await alarms.AcknowledgeAsync(id, context.User.ToActor(), note, cancellationToken);
            return result switch
            {
                null => ApiProblems.NotFound($"alarm {id}"),
                var (alarm, _) => Results.Ok(alarm),
            };
        })
            .RequireAuthorization(GatewayPolicies.AlarmsAndGates)
            .WithTags("Alarms")
            .WithName("AcknowledgeAlarm")
            .WithSummary("Acknowledge an alarm (front desk or admin); acknowledging twice changes nothing");
    }
}
