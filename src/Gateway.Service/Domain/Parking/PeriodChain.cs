namespace Gateway.Service.Domain.Parking;

/// <summary>
/// One granted payment in an agreement's chain of periods: what it bought, and the start of the chain
/// it extends. This is what is stored; the dates follow from it (see <see cref="PeriodChain.Layout"/>).
/// </summary>
public sealed record PeriodEntry(long PaymentId, DateOnly ChainStart, int Months, int Days);

/// <summary>
/// A paid period in local dates, half-open: it covers <see cref="Start"/> up to but not including
/// <see cref="End"/>, each at local midnight.
/// </summary>
public sealed record PaidPeriod(long PaymentId, DateOnly ChainStart, int Months, int Days, DateOnly Start, DateOnly End)
{
    public PeriodEntry Entry => new(PaymentId, ChainStart, Months, Days);
}

/// <summary>What a grant did: the new period, and whether it extended the chain or started a new one.</summary>
public sealed record GrantResult(PaidPeriod Period, bool Extended);

/// <summary>What a reversal did: the period removed and the later periods of its chain as they now lie.</summary>
public sealed record ReversalResult(PaidPeriod Removed, IReadOnlyList<PaidPeriod> Moved, IReadOnlyList<PaidPeriod> Periods);

/// <summary>The interval a controller is given for a card: the current chain, with the site's grace added to its end.</summary>
public sealed record ControllerValidity(DateTimeOffset ValidFromUtc, DateTimeOffset ValidToUtc);

/// <summary>
/// The period rules (DESIGN.md "Time, money and periods"). An agreement's periods form chains: the
/// first grant starts a chain at today's local midnight; a later grant extends the last chain from
/// its end while that end is today or later or within grace, and otherwise starts a new chain today.
/// Within a chain, months are counted by calendar from the chain's start, whose day of month is the
/// anchor (clamped to each month's length, so never drifting), and prorated days follow the months.
/// </summary>
public static class PeriodChain
{
    /// <summary>The dates of every period, in grant order.</summary>
    public static IReadOnlyList<PaidPeriod> Layout(IEnumerable<PeriodEntry> entries)
    {
        var periods = new List<PaidPeriod>();
        DateOnly? chainStart = null;
        var months = 0;
        var days = 0;
        var end = default(DateOnly);
        foreach (var entry in entries)
        {
            if (chainStart != entry.ChainStart)
            {
                chainStart = entry.ChainStart;
                months = 0;
                days = 0;
                end = entry.ChainStart;
            }

            var start = end;
            months += entry.Months;
            days += entry.Days;
            end = SiteCalendar.AddMonthsAnchored(entry.ChainStart, months, entry.ChainStart.Day).AddDays(days);
            periods.Add(new PaidPeriod(entry.PaymentId, entry.ChainStart, entry.Months, entry.Days, start, end));
        }

        return periods;
    }

    /// <summary>
    /// Grants what <paramref name="purchase"/> bought to payment <paramref name="paymentId"/>.
    /// The period starts at the current end if that end is today or later, or if now is still within
    /// the grace after it; otherwise at today's local midnight, as a new chain (whose start becomes the anchor).
    /// </summary>
    public static bool TryGrant(IReadOnlyList<PeriodEntry> entries, long paymentId, Purchase purchase, DateTimeOffset now, ParkingRules rules, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GrantResult? result, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ParkingRefusal? refusal)
    {
        result = null;
        if (entries.Any(e => e.PaymentId == paymentId))
        {
            refusal = ParkingRefusal.AlreadyGranted(paymentId);
            return false;
        }

        var today = rules.Calendar.DateOf(now);
        var layout = Layout(entries);
        PeriodEntry entry;
        var extended = false;
        if (layout.Count > 0 && ExtendsFrom(layout[^1].End, today, now, rules))
        {
            entry = new PeriodEntry(paymentId, layout[^1].ChainStart, purchase.Months, purchase.Days);
            extended = true;
        }
        else
        {
            entry = new PeriodEntry(paymentId, today, purchase.Months, purchase.Days);
        }

        var period = Layout([.. entries, entry])[^1];
        result = new GrantResult(period, extended);
        refusal = null;
        return true;
    }

    /// <summary>True when a payment made at <paramref name="now"/> continues the chain that ends at <paramref name="end"/>.</summary>
    public static bool ExtendsFrom(DateOnly end, DateOnly today, DateTimeOffset now, ParkingRules rules) =>
        today <= end || now < rules.Calendar.StartOf(end.AddDays(rules.GraceDays));

    /// <summary>
    /// Removes payment <paramref name="paymentId"/>'s months from its chain: the later periods of
    /// that chain move earlier by what it had bought.
    /// </summary>
    public static bool TryReverse(IReadOnlyList<PeriodEntry> entries, long paymentId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ReversalResult? result, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ParkingRefusal? refusal)
    {
        result = null;
        var before = Layout(entries);
        var index = before.ToList().FindIndex(p => p.PaymentId == paymentId);
        if (index < 0)
        {
            refusal = ParkingRefusal.NotGranted(paymentId);
            return false;
        }

        var remaining = entries.Where(e => e.PaymentId != paymentId).ToList();
        var after = Layout(remaining);
        var beforeById = before.ToDictionary(p => p.PaymentId);
        var moved = after.Where(p => beforeById[p.PaymentId] != p).ToList();
        result = new ReversalResult(before[index], moved, after);
        refusal = null;
        return true;
    }

    /// <summary>
    /// What the controllers hold for the agreement's card: from the start of the last chain to its end
    /// plus the grace days, as UTC instants of local midnights. Null when nothing was granted.
    /// </summary>
    public static ControllerValidity? Validity(IReadOnlyList<PaidPeriod> periods, ParkingRules rules)
    {
        if (periods.Count == 0)
        {
            return null;
        }

        var last = periods[^1];
        return new ControllerValidity(rules.Calendar.StartOf(last.ChainStart), rules.Calendar.StartOf(last.End.AddDays(rules.GraceDays)));
    }
}
