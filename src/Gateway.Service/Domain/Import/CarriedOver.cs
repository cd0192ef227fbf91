using Gateway.Service.Domain.Parking;

namespace Gateway.Service.Domain.Import;

/// <summary>A paid stretch carried over from the previous system: its whole months and days from its start, and its value at the agreement's fee.</summary>
public readonly record struct CarriedPeriod(int Months, int Days, long ValueFen);

/// <summary>
/// An imported agreement's paid-until date becomes one period [start, end) at the head of a new chain,
/// laid out as the period rules lay out a grant (months by calendar from the start's day, then days), so
/// that a later payment extends it exactly as it would extend a period bought at the desk. Its value is
/// the fee of those months plus the days at the daily rate (<see cref="PeriodPricing.OneDayFen"/>), at
/// least 1 fen: a figure for the record, not money taken at this desk (the payment is flagged carried over
/// and left out of cash reports).
/// </summary>
public static class CarriedOver
{
    public static CarriedPeriod Of(DateOnly start, DateOnly end, long monthlyFeeFen)
    {
        if (end <= start)
        {
            throw new ArgumentOutOfRangeException(nameof(end), end, "the end must follow the start");
        }

        var months = 0;
        while (SiteCalendar.AddMonthsAnchored(start, months + 1, start.Day) <= end)
        {
            months++;
        }

        var days = end.DayNumber - SiteCalendar.AddMonthsAnchored(start, months, start.Day).DayNumber;
        var value = (monthlyFeeFen * months) + (PeriodPricing.OneDayFen(monthlyFeeFen) * days);
        return new CarriedPeriod(months, days, Math.Max(1, value));
    }
}
