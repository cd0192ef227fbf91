using Gateway.Service.Api;
using Gateway.Service.Domain;

namespace Gateway.Service.Cash;

/// <summary>
/// <c>GET /api/reports/cash</c>: the cash and shift report as JSON, CSV or printable text. Finance and
/// admin see every operator's money; a clerk (front desk only) their own shift. See docs/api.md.
/// </summary>
public static class CashEndpoints
{
    private static readonly string[] Formats = ["json", "csv", "text"];

    public static void MapCashEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/reports/cash", ReportAsync)
            .RequireAuthorization(GatewayPolicies.CashReports)
            .WithTags("Reports")
            .WithName("GetCashReport")
            .WithSummary("The desk's money of a day or a shift, per operator: cash, bank debits, card fees and deposits, refunds and reversals, receipts");
    }

    // Query: date (a site day, yyyy-MM-dd; default today at the site) or a shift's from and to (ISO 8601
    // with an offset or Z, or site-local time without one: 2026-03-02T08:00; to is excluded), operator, format.
    private static async Task<IResult> ReportAsync(HttpContext context, CashWorkflow cash, TimeProvider time, string? date, string? from, string? to, string? @operator, string? format, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var f = v.OneOf("format", format ?? "json", Formats);
        var who = v.Text("operator", @operator, 64, required: false);
        var (start, end) = CashInput.Window(v, cash, time.GetUtcNow(), date, from, to);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var user = context.User;
        var outcome = await cash.ReportAsync(user.ToActor(), user.FindAll(System.Security.Claims.ClaimTypes.Role).Select(c => c.Value), start, end, who, cancellationToken);
        if (!outcome.TryGetValue(out var report, out var refusal))
        {
            return refusal.ToProblem();
        }

        var name = $"cash-{TimeZoneInfo.ConvertTime(start, cash.Calendar.TimeZone):yyyy-MM-dd-HHmm}{(report.Operator is null ? string.Empty : "-" + report.Operator)}";
        return f switch
        {
            "csv" => CsvResults.Of(CashRendering.Csv(report, cash.Calendar), name + ".csv"),
            "text" => TypedResults.Text(CashRendering.Text(report, cash.Calendar), "text/plain; charset=utf-8"),
            _ => TypedResults.Ok(report),
        };
    }
}
