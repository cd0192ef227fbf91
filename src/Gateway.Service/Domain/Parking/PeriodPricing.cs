namespace Gateway.Service.Domain.Parking;

/// <summary>What a payment buys: whole months and, where the site allows proration, whole days.</summary>
public readonly record struct Purchase(int Months, int Days);

/// <summary>The price rule: the amount divided by the monthly fee gives months.</summary>
public static class PeriodPricing
{
    /// <summary>Ten years: more from one payment is a typing error, not a prepayment.</summary>
    public const int MaxMonths = 120;

    /// <summary>
    /// Months = amount / monthly fee. Without proration the amount must be an exact number of whole
    /// billing cycles. With proration the months need not fill a cycle and the remainder buys whole
    /// days at fee × 12 / 365 a day, rounded down (fen left over buy nothing).
    /// </summary>
    public static bool TryPrice(long amountFen, long monthlyFeeFen, BillingCycle cycle, bool prorationAllowed, out Purchase purchase, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ParkingRefusal? refusal)
    {
        purchase = default;
        if (monthlyFeeFen <= 0)
        {
            refusal = ParkingRefusal.FeeNotPositive(monthlyFeeFen);
            return false;
        }

        if (amountFen <= 0)
        {
            refusal = ParkingRefusal.AmountNotPositive(amountFen);
            return false;
        }

        var wholeMonths = amountFen / monthlyFeeFen;
        var remainder = amountFen % monthlyFeeFen;
        if (wholeMonths > MaxMonths)
        {
            var mostMonths = prorationAllowed ? MaxMonths : MaxMonths / cycle.Months() * cycle.Months();
            refusal = ParkingRefusal.TooLong(wholeMonths > int.MaxValue ? int.MaxValue : (int)wholeMonths, mostMonths * monthlyFeeFen);
            return false;
        }

        var months = (int)wholeMonths;
        if (!prorationAllowed)
        {
            if (remainder != 0 || months % cycle.Months() != 0)
            {
                refusal = ParkingRefusal.NotWholeCycles(amountFen, monthlyFeeFen, cycle, NearestWholeCycles(amountFen, monthlyFeeFen, cycle));
                return false;
            }

            purchase = new Purchase(months, 0);
            refusal = null;
            return true;
        }

        // remainder / (fee × 12 / 365) = remainder × 365 / (fee × 12), in integers so that no rounding creeps in.
        var days = (int)((Int128)remainder * 365 / ((Int128)monthlyFeeFen * 12));
        if (months == 0 && days == 0)
        {
            refusal = ParkingRefusal.BuysNothing(amountFen, monthlyFeeFen, OneDayFen(monthlyFeeFen));
            return false;
        }

        purchase = new Purchase(months, days);
        refusal = null;
        return true;
    }

    /// <summary>
    /// The whole-cycle amounts nearest to <paramref name="amountFen"/>: the largest at or below it and
    /// the smallest above it, each of at least one cycle and at most <see cref="MaxMonths"/> months.
    /// </summary>
    public static IReadOnlyList<long> NearestWholeCycles(long amountFen, long monthlyFeeFen, BillingCycle cycle)
    {
        var cycleFen = monthlyFeeFen * cycle.Months();
        var mostCycles = MaxMonths / cycle.Months();
        var below = Math.Min(amountFen / cycleFen, mostCycles);
        var amounts = new List<long>(2);
        if (below >= 1)
        {
            amounts.Add(below * cycleFen);
        }

        if (amountFen / cycleFen < mostCycles)
        {
            amounts.Add(((amountFen / cycleFen) + 1) * cycleFen);
        }

        return amounts;
    }

    /// <summary>The least amount that buys one whole day under proration: ⌈fee × 12 ÷ 365⌉.</summary>
    public static long OneDayFen(long monthlyFeeFen) => (long)(((Int128)monthlyFeeFen * 12 + 364) / 365);
}
