using System.Globalization;
using System.Text.Json;
using Gateway.Service.Api;

namespace Gateway.Service.Audit;

/// <summary>
/// <c>/api/audit</c>: list and filter (finance, admin), the chain head (finance, admin), verify (admin).
/// There is no endpoint that changes or deletes an audit row.
/// </summary>
public static class AuditEndpoints
{
    public static void MapAuditEndpoints(this RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit").WithTags("Audit");
        audit.MapGet("/", ListAsync)
            .RequireAuthorization(GatewayPolicies.ReadAudit)
            .WithName("ListAudit").WithSummary("Audit rows in order, filtered by action (operator.* for a family), subject, operator and time");
        audit.MapGet("/head", HeadAsync)
            .RequireAuthorization(GatewayPolicies.ReadAudit)
            .WithName("GetAuditHead").WithSummary("The chain head (last row id and MAC) to keep outside the site");
        audit.MapPost("/verify", VerifyAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("VerifyAudit").WithSummary("Verify the chain against the key, the recorded heads and an exported head");
    }

    public sealed record AuditItem(long Id, string AtUtc, string OperatorId, string OperatorName, string Action, string Subject, JsonElement Details, string Mac);

    public sealed record VerifyRequest(long? LastId, string? Mac);

    public sealed record VerifyResponse(bool Intact, long RowsChecked, AuditHead? Head, long? FirstBadRowId, string? Fault, string Detail);

    private static async Task<IResult> ListAsync(AuditLog log, string? action, string? subject, string? @operator, string? from, string? to, int? limit, long? after, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var page = v.Page(limit, after);
        var a = v.Text("action", action, 100, required: false);
        var s = v.Text("subject", subject, 200, required: false);
        var o = v.Text("operator", @operator, 100, required: false);
        var f = Instant(v, "from", from);
        var t = Instant(v, "to", to);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var rows = await log.ListAsync(new AuditQuery(a, s, o, f, t), page.After, page.Limit + 1, cancellationToken);
        var items = rows.Select(r =>
        {
            using var details = JsonDocument.Parse(r.Details);
            return new AuditItem(r.Id, r.AtUtc, r.OperatorId, r.OperatorName, r.Action, r.Subject, details.RootElement.Clone(), r.Mac);
        }).ToList();
        return TypedResults.Ok(page.ToPage(items, i => i.Id));
    }

    private static async Task<IResult> HeadAsync(AuditLog log, CancellationToken cancellationToken) =>
        TypedResults.Ok(await log.HeadAsync(cancellationToken));

    private static async Task<IResult> VerifyAsync(AuditLog log, VerifyRequest? body, CancellationToken cancellationToken)
    {
        var v = new Validator();
        AuditHead? head = null;
        if (body?.LastId is not null || body?.Mac is not null)
        {
            var id = v.Range("lastId", body.LastId, 0, long.MaxValue);
            var mac = v.Text("mac", body.Mac, 64);
            if (mac is not null && (mac.Length != 64 || !mac.All(Uri.IsHexDigit)))
            {
                v.Add("mac", "must be 64 hex characters");
            }

            if (v.IsValid)
            {
                head = new AuditHead(id!.Value, mac!.ToLowerInvariant());
            }
        }

        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var result = await log.VerifyAsync(head, cancellationToken);
        return TypedResults.Ok(new VerifyResponse(
            result.Intact,
            result.RowsChecked,
            result.Head,
            result.FirstBadRowId,
            result.Fault is { } fault ? fault.ToString().ToLowerInvariant() : null,
            result.Detail));
    }

    private static DateTimeOffset? Instant(Validator v, string field, string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            v.Add(field, "must be an ISO 8601 instant, e.g. 2026-03-01T00:00:00Z");
            return null;
        }

        return value;
    }
}
