namespace Gateway.Service.Domain.Parking;

/// <summary>
/// Calendar arithmetic in the site's time zone. Periods are counted in local dates; a local date
/// stands for the instant of its local midnight, which is what is stored (in UTC) and written to
/// controllers.
/// </summary>
public sealed class SiteCalendar(TimeZoneInfo timeZone)
{
    public TimeZoneInfo TimeZone { get; } = timeZone;

    /// <summary>The local date at <paramref name="instant"/>.</summary>
    public DateOnly DateOf(DateTimeOffset instant) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, TimeZone).DateTime);

    /// <summary>
    /// The instant at which <paramref name="date"/> begins locally. Where a daylight-saving change
    /// skips midnight (clocks jump from 00:00 to 01:00, as in some American zones), the day begins at
    /// the first local time that exists; where midnight occurs twice, at the first of the two.
    /// </summary>
    public DateTimeOffset StartOf(DateOnly date)
    {
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        if (TimeZone.IsAmbiguousTime(local))
        {
            var offset = TimeZone.GetAmbiguousTimeOffsets(local).Max();
            return new DateTimeOffset(local, offset).ToUniversalTime();
        }

        if (TimeZone.IsInvalidTime(local))
        {
            // A skipped hour: the first valid local minute is where the gap ends, and it equals the transition instant.
            var probe = local;
            while (TimeZone.IsInvalidTime(probe))
            {
                probe = probe.AddMinutes(1);
            }

            return new DateTimeOffset(probe, TimeZone.GetUtcOffset(probe)).ToUniversalTime();
        }

        return new DateTimeOffset(local, TimeZone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>
    /// Adds whole months by calendar, keeping the anchor day: the result is in the month
    /// <paramref name="months"/> after <paramref name="from"/>'s, on <paramref name="anchorDay"/> clamped
    /// to that month's length. From 31 January with anchor 31: 28 (or 29) February, then 31 March.
    /// </summary>
    public static DateOnly AddMonthsAnchored(DateOnly from, int months, int anchorDay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(anchorDay, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(anchorDay, 31);
        var monthIndex = (from.Year * 12) + (from.Month - 1) + months;
        var year = monthIndex / 12;
        var month = (monthIndex % 12) + 1;
        return new DateOnly(year, month, Math.Min(anchorDay, DateTime.DaysInMonth(year, month)));
    }
}
