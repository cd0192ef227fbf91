using System.Globalization;
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
        DateTimeOffset start = default, end = default;
        if (from is not null || to is not null)
        {
            if (date is not null)
            {
                v.Add("date", "give a date or a shift's from and to, not both");
            }

            var s = Instant(v, "from", from, cash);
            var e = Instant(v, "to", to, cash);
            if (s is not null && e is not null)
            {
                (start, end) = (s.Value, e.Value);
            }
        }
        else
        {
            var day = cash.Calendar.DateOf(time.GetUtcNow());
            if (date is not null && (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day) || day.Year is < MinYear or > MaxYear))
            {
                // Checked before the day's window is computed: a date that failed to parse (0001-01-01) or lies at the calendar's ends has no local midnight in UTC.
                v.Add("date", $"must be a site date yyyy-MM-dd from {MinYear} to {MaxYear}");
            }
            else
            {
                (start, end) = cash.Day(day);
            }
        }

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

    private const int MinYear = 2000;
    private const int MaxYear = 2199;

    private static DateTimeOffset? Instant(Validator v, string field, string? text, CashWorkflow cash)
    {
        if (text is null)
        {
            v.Add(field, "is required for a shift (with the other end)");
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant)
            && instant.Year is >= MinYear and <= MaxYear
            && (text.EndsWith('Z') || text.EndsWith("z", StringComparison.Ordinal) || System.Text.RegularExpressions.Regex.IsMatch(text, "[+-][0-9]{2}:?[0-9]{2}$")))
        {
            return instant;
        }

        // No offset: the site's local time, as the clerk reads the clock on the wall.
        if (DateTime.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
            && local.Year is >= MinYear and <= MaxYear)
        {
            if (!cash.Calendar.TimeZone.IsInvalidTime(local))
            {
                return new DateTimeOffset(local, cash.Calendar.TimeZone.GetUtcOffset(local));
            }

            v.Add(field, $"{text} does not exist in {cash.Calendar.TimeZone.Id} (the clocks skip it); give the time after the change");
            return null;
        }

        v.Add(field, $"must be a time from {MinYear} to {MaxYear}: 2026-03-02T08:00 (site time) or ISO 8601 with an offset");
        return null;
    }
}
