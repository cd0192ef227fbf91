using System.Globalization;
using Gateway.Service.Api;

namespace Gateway.Service.Cash;

/// <summary>
/// The window of a cash report as a person gives it (API query or console form), shared by both: a site
/// day (<c>yyyy-MM-dd</c>, default today at the site) or a shift's from and to (ISO 8601 with an offset or
/// Z, or site-local time without one: <c>2026-03-02T08:00</c>; to is excluded).
/// </summary>
public static class CashInput
{
    /// <summary>[start, end) of the report, or defaults with the errors in <paramref name="v"/>.</summary>
    public static (DateTimeOffset Start, DateTimeOffset End) Window(Validator v, CashWorkflow cash, DateTimeOffset now, string? date, string? from, string? to)
    {
        DateTimeOffset start = default, end = default;
        if (from is not null || to is not null)
        {
            if (date is not null)
            {
                v.Add("date", "give a date or a shift's from and to, not both", "date-or-shift");
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
            var day = cash.Calendar.DateOf(now);
            if (date is not null && (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day) || day.Year is < MinYear or > MaxYear))
            {
                // Checked before the day's window is computed: a date that failed to parse (0001-01-01) or lies at the calendar's ends has no local midnight in UTC.
                v.Add("date", $"must be a site date yyyy-MM-dd from {MinYear} to {MaxYear}", "site-date");
            }
            else
            {
                (start, end) = cash.Day(day);
            }
        }

        return (start, end);
    }

    public const int MinYear = 2000;
    public const int MaxYear = 2199;

    private static DateTimeOffset? Instant(Validator v, string field, string? text, CashWorkflow cash)
    {
        if (text is null)
        {
            v.Add(field, "is required for a shift (with the other end)", "required");
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

            v.Add(field, $"{text} does not exist in {cash.Calendar.TimeZone.Id} (the clocks skip it); give the time after the change", "skipped-time");
            return null;
        }

        v.Add(field, $"must be a time from {MinYear} to {MaxYear}: 2026-03-02T08:00 (site time) or ISO 8601 with an offset", "shift-time");
        return null;
    }
}
