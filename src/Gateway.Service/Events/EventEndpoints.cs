using System.Globalization;
using Gateway.Drivers.Barriers;
using Gateway.Service.Api;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Events;

/// <summary><c>/api/events</c>: the entry/exit events collected from the controllers.</summary>
public static class EventEndpoints
{
    private static readonly string[] Decisions = ["granted", "denied"];
    private static readonly string[] Reasons = ["none", "unknown", "expired", "not-yet-valid", "blocked", "anti-passback", "no-privilege", "door-normally-closed", "time-profile", "denied", "remote-open"];

    public static void MapEventEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/events", async (
            [FromQuery] long? card,
            [FromQuery] string? uid,
            [FromQuery] long? holder,
            [FromQuery] string? plate,
            [FromQuery] string? controller,
            [FromQuery] string? decision,
            [FromQuery] string? reason,
            [FromQuery] string? from,
            [FromQuery] string? to,
            [FromQuery] int? limit,
            [FromQuery] long? after,
            [FromServices] EventStore events,
            CancellationToken cancellationToken) =>
        {
            var v = new Validator();
            var page = v.Page(limit, after);
            v.Range("card", card, 1, 99_999_999, required: false);
            v.Range("holder", holder, 1, long.MaxValue, required: false);
            v.OneOf("decision", decision, Decisions, required: false);
            v.OneOf("reason", reason, Reasons, required: false);
            string? uidText = null;
            if (uid is not null)
            {
                if (CardUid.TryParse(uid, out var parsed))
                {
                    uidText = parsed.ToString();
                }
                else
                {
                    v.Add("uid", "must be 8 or 14 hex digits");
                }
            }

            var fromUtc = Instant(v, "from", from);
            var toUtc = Instant(v, "to", to);
            if (!v.IsValid)
            {
                return v.ToProblem();
            }

            var filter = new EventFilter(card, uidText, holder, plate, controller, decision, reason, fromUtc, toUtc);
            return Results.Ok(await events.ListAsync(filter, page, cancellationToken));
        })
            .RequireAuthorization(GatewayPolicies.ReadOperational)
            .WithTags("Events")
            .WithName("ListEvents")
            .WithSummary("Events collected from the controllers, filtered by card, UID, holder, plate, controller, decision, reason and time [from, to)");
    }

    private static DateTimeOffset? Instant(Validator v, string field, string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            return value;
        }

        v.Add(field, "must be an ISO 8601 instant, e.g. 2026-03-01T16:00:00Z");
        return null;
    }
}
