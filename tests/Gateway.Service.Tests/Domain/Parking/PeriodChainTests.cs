using Gateway.Service.Domain.Parking;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Service.Tests.Domain.Parking;

public sealed class PeriodChainTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    private static ParkingRules Rules(int grace = 0, string zone = "Asia/Shanghai", bool proration = false) =>
        new(TimeZoneInfo.FindSystemTimeZoneById(zone), grace, proration);

    /// <summary>A fake clock at a local time of the zone.</summary>
    private static FakeTimeProvider ClockAt(int y, int m, int d, int hour = 10, TimeZoneInfo? zone = null)
    {
        zone ??= Shanghai;
        var local = new DateTime(y, m, d, hour, 0, 0, DateTimeKind.Unspecified);
        return new FakeTimeProvider(new DateTimeOffset(local, zone.GetUtcOffset(local)));
    }

    private static void SetLocal(FakeTimeProvider clock, int y, int m, int d, int hour = 10, TimeZoneInfo? zone = null)
    {
        zone ??= Shanghai;
        var local = new DateTime(y, m, d, hour, 0, 0, DateTimeKind.Unspecified);
        clock.SetUtcNow(new DateTimeOffset(local, zone.GetUtcOffset(local)));
    }

    private static GrantResult Grant(List<PeriodEntry> entries, long paymentId, int months, TimeProvider clock, ParkingRules rules, int days = 0)
    {
        Assert.True(PeriodChain.TryGrant(entries, paymentId, new Purchase(months, days), clock.GetUtcNow(), rules, out var result, out var refusal), refusal?.Detail);
        entries.Add(result.Period.Entry);
        return result;
    }

    private static DateOnly D(int y, int m, int d) => new(y, m, d);

    [Fact]
    public void TryGrant_FirstPayment_StartsAtTodaysLocalMidnight()
    {
        var clock = ClockAt(2026, 1, 31, hour: 10);
        var entries = new List<PeriodEntry>();

        var result = Grant(entries, 1, 1, clock, Rules());

        Assert.False(result.Extended);
        Assert.Equal(D(2026, 1, 31), result.Period.Start);
        Assert.Equal(D(2026, 2, 28), result.Period.End);
        Assert.Equal(new DateTimeOffset(2026, 1, 30, 16, 0, 0, TimeSpan.Zero), Rules().Calendar.StartOf(result.Period.Start));
    }

    [Fact]
    public void TryGrant_LateUtcEvening_UsesTheSiteDateNotTheUtcDate()
    {
        // 17:00 UTC on 31 January is 01:00 on 1 February in Shanghai.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 31, 17, 0, 0, TimeSpan.Zero));
        var result = Grant([], 1, 1, clock, Rules());
        Assert.Equal(D(2026, 2, 1), result.Period.Start);
        Assert.Equal(D(2026, 3, 1), result.Period.End);
    }

    [Fact]
    public void TryGrant_MonthlyChainFrom31January_FollowsAnchorWithoutDrifting()
    {
        var clock = ClockAt(2026, 1, 31);
        var entries = new List<PeriodEntry>();
        var ends = new List<DateOnly>();
        for (var i = 1; i <= 5; i++)
        {
            ends.Add(Grant(entries, i, 1, clock, Rules()).Period.End);
            clock.Advance(TimeSpan.FromDays(20)); // each payment made while the period runs
        }

        Assert.Equal([D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30), D(2026, 5, 31), D(2026, 6, 30)], ends);
        Assert.All(entries, e => Assert.Equal(D(2026, 1, 31), e.ChainStart));
    }

    [Fact]
    public void TryGrant_LeapYearAnchor29February_ClampsThenReturnsTo29()
    {
        var clock = ClockAt(2028, 2, 29);
        var entries = new List<PeriodEntry>();
        Assert.Equal(D(2029, 2, 28), Grant(entries, 1, 12, clock, Rules()).Period.End);
        Assert.Equal(D(2029, 3, 29), Grant(entries, 2, 1, clock, Rules()).Period.End);
    }

    [Fact]
    public void TryGrant_QuarterFrom30November_CrossesYearAndFebruary()
    {
        var clock = ClockAt(2026, 11, 30);
        var entries = new List<PeriodEntry>();
        Assert.Equal(D(2027, 2, 28), Grant(entries, 1, 3, clock, Rules()).Period.End);
        Assert.Equal(D(2027, 5, 30), Grant(entries, 2, 3, clock, Rules()).Period.End);
    }

    [Fact]
    public void TryGrant_WhileCurrentPeriodRuns_StartsAtCurrentEnd()
    {
        var clock = ClockAt(2026, 3, 10);
        var entries = new List<PeriodEntry>();
        Grant(entries, 1, 1, clock, Rules());
        SetLocal(clock, 2026, 4, 9, hour: 23);

        var result = Grant(entries, 2, 3, clock, Rules());

        Assert.True(result.Extended);
        Assert.Equal(D(2026, 4, 10), result.Period.Start);
        Assert.Equal(D(2026, 7, 10), result.Period.End);
    }

    [Fact]
    public void TryGrant_OnTheEndDayWithoutGrace_ContinuesTheChainKeepingTheAnchor()
    {
        var clock = ClockAt(2026, 1, 31);
        var entries = new List<PeriodEntry>();
        Grant(entries, 1, 1, clock, Rules());
        SetLocal(clock, 2026, 2, 28, hour: 15); // the period ended at midnight; no gap yet

        var result = Grant(entries, 2, 1, clock, Rules());

        Assert.True(result.Extended);
        Assert.Equal(D(2026, 2, 28), result.Period.Start);
        Assert.Equal(D(2026, 3, 31), result.Period.End); // anchor 31 kept, not 28
    }

    [Fact]
    public void TryGrant_DayAfterEndWithoutGrace_StartsNewChainToday()
    {
        var clock = ClockAt(2026, 1, 31);
        var entries = new List<PeriodEntry>();
        Grant(entries, 1, 1, clock, Rules());
        SetLocal(clock, 2026, 3, 1, hour: 0);

        var result = Grant(entries, 2, 1, clock, Rules());

        Assert.False(result.Extended);
        Assert.Equal(D(2026, 3, 1), result.Period.ChainStart);
        Assert.Equal(D(2026, 3, 1), result.Period.Start);
        Assert.Equal(D(2026, 4, 1), result.Period.End);
    }

    [Theory]
    [InlineData(3, 3, 23, true)]  // last day of grace (grace covers 1, 2, 3 March)
    [InlineData(3, 4, 0, false)]  // grace over at midnight of 4 March
    [InlineData(1, 1, 12, true)]
    [InlineData(1, 2, 1, false)]
    [InlineData(0, 1, 12, true)]  // the end day itself
    [InlineData(0, 2, 1, false)]
    public void TryGrant_WithinGrace_ExtendsFromOldEnd_AfterGrace_StartsToday(int graceDays, int payDay, int payHour, bool extends)
    {
        var rules = Rules(graceDays);
        var clock = ClockAt(2026, 2, 1);
        var entries = new List<PeriodEntry>();
        Grant(entries, 1, 1, clock, rules); // [1 Feb, 1 Mar)
        SetLocal(clock, 2026, 3, payDay, payHour);

        var result = Grant(entries, 2, 1, clock, rules);

        Assert.Equal(extends, result.Extended);
        if (extends)
        {
            Assert.Equal(D(2026, 3, 1), result.Period.Start);
            Assert.Equal(D(2026, 4, 1), result.Period.End);
        }
        else
        {
            Assert.Equal(D(2026, 3, payDay), result.Period.Start);
            Assert.Equal(D(2026, 4, payDay), result.Period.End);
        }
    }

    [Fact]
    public void TryGrant_NewChainAfterLapse_TakesItsOwnAnchor()
    {
        var clock = ClockAt(2026, 1, 31);
        var entries = new List<PeriodEntry>();
        Grant(entries, 1, 1, clock, Rules()); // ends 28 Feb
        SetLocal(clock, 2026, 3, 15);
        Grant(entries, 2, 1, clock, Rules());
        var third = Grant(entries, 3, 1, clock, Rules());

        Assert.Equal(D(2026, 4, 15), third.Period.Start);
        Assert.Equal(D(2026, 5, 15), third.Period.End);
        Assert.Equal([D(2026, 1, 31), D(2026, 3, 15), D(2026, 3, 15)], entries.Select(e => e.ChainStart));
    }

    [Fact]
    public void TryGrant_SamePaymentTwice_Refused()
    {
        var clock = ClockAt(2026, 1, 1);
        var entries = new List<PeriodEntry>();
        Grant(entries, 7, 1, clock, Rules());
        Assert.False(PeriodChain.TryGrant(entries, 7, new Purchase(1, 0), clock.GetUtcNow(), Rules(), out _, out var refusal));
        Assert.Equal("already-granted", refusal.Code);
    }

    [Fact]
    public void TryGrant_ProratedDays_FollowTheMonthsAndCarryInTheChain()
    {
        var clock = ClockAt(2026, 1, 31);
        var entries = new List<PeriodEntry>();
        var first = Grant(entries, 1, 1, clock, Rules(proration: true), days: 10);
        var second = Grant(entries, 2, 1, clock, Rules(proration: true));

        Assert.Equal(D(2026, 3, 10), first.Period.End); // 28 Feb + 10 days
        Assert.Equal(D(2026, 3, 10), second.Period.Start);
        Assert.Equal(D(2026, 4, 10), second.Period.End); // 31 Mar + 10 days
    }

    [Fact]
    public void TryReverse_MiddleOfChain_LaterPeriodsMoveEarlier()
    {
        var clock = ClockAt(2026, 1, 31);
        var entries = new List<PeriodEntry>();
        Grant(entries, 1, 1, clock, Rules());
        Grant(entries, 2, 3, clock, Rules());
        Grant(entries, 3, 1, clock, Rules()); // [31 Jan,28 Feb) [28 Feb,31 May) [31 May,30 Jun)

        Assert.True(PeriodChain.TryReverse(entries, 2, out var result, out _));

        Assert.Equal(D(2026, 2, 28), result.Removed.Start);
        Assert.Equal(D(2026, 5, 31), result.Removed.End);
        var moved = Assert.Single(result.Moved);
        Assert.Equal(3, moved.PaymentId);
        Assert.Equal(D(2026, 2, 28), moved.Start);
        Assert.Equal(D(2026, 3, 31), moved.End);
        Assert.Equal([1L, 3L], result.Periods.Select(p => p.PaymentId));
    }

    [Fact]
    public void TryReverse_FirstOfChain_NextPeriodStartsAtChainStart()
    {
        var clock = ClockAt(2026, 1, 31);
        var entries = new List<PeriodEntry>();
        Grant(entries, 1, 1, clock, Rules());
        Grant(entries, 2, 1, clock, Rules());

        Assert.True(PeriodChain.TryReverse(entries, 1, out var result, out _));

        var only = Assert.Single(result.Periods);
        Assert.Equal(D(2026, 1, 31), only.Start);
        Assert.Equal(D(2026, 2, 28), only.End);
    }

    [Fact]
    public void TryReverse_InEarlierChain_LeavesLaterChainInPlace()
    {
        var clock = ClockAt(2026, 1, 1);
        var entries = new List<PeriodEntry>();
        Grant(entries, 1, 1, clock, Rules());
        Grant(entries, 2, 1, clock, Rules()); // chain 1: [1 Jan, 1 Mar)
        SetLocal(clock, 2026, 6, 10);
        Grant(entries, 3, 1, clock, Rules()); // chain 2: [10 Jun, 10 Jul)

        Assert.True(PeriodChain.TryReverse(entries, 1, out var result, out _));

        Assert.Equal([2L], result.Moved.Select(p => p.PaymentId));
        Assert.Equal(D(2026, 6, 10), result.Periods[^1].Start);
        Assert.Equal(D(2026, 7, 10), result.Periods[^1].End);
    }

    [Fact]
    public void TryReverse_UnknownPayment_Refused()
    {
        Assert.False(PeriodChain.TryReverse([new PeriodEntry(1, D(2026, 1, 1), 1, 0)], 2, out _, out var refusal));
        Assert.Equal("not-granted", refusal.Code);
    }

    [Fact]
    public void TryGrant_AfterReversalOfLastPeriod_ExtendsFromTheEarlierEnd()
    {
        var clock = ClockAt(2026, 1, 31);
        var entries = new List<PeriodEntry>();
        Grant(entries, 1, 1, clock, Rules());
        Grant(entries, 2, 1, clock, Rules());
        Assert.True(PeriodChain.TryReverse(entries, 2, out var reversal, out _));
        entries = [.. reversal.Periods.Select(p => p.Entry)];

        var again = Grant(entries, 3, 1, clock, Rules());

        Assert.Equal(D(2026, 2, 28), again.Period.Start);
        Assert.Equal(D(2026, 3, 31), again.Period.End);
    }

    [Fact]
    public void Validity_BerlinAcrossDst_AddsGraceAtLocalMidnight()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var rules = Rules(2, "Europe/Berlin");
        var clock = ClockAt(2026, 3, 15, zone: berlin);
        var entries = new List<PeriodEntry>();
        Grant(entries, 1, 1, clock, rules); // [15 Mar, 15 Apr) across the 29 March change

        var validity = PeriodChain.Validity(PeriodChain.Layout(entries), rules);

        Assert.NotNull(validity);
        Assert.Equal(new DateTimeOffset(2026, 3, 14, 23, 0, 0, TimeSpan.Zero), validity.ValidFromUtc); // CET
        Assert.Equal(new DateTimeOffset(2026, 4, 16, 22, 0, 0, TimeSpan.Zero), validity.ValidToUtc); // 17 Apr 00:00 CEST
    }

    [Fact]
    public void TryGrant_NewYorkGraceEndsAtLocalMidnightAfterFallBack()
    {
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var rules = Rules(1, "America/New_York");
        var clock = ClockAt(2026, 10, 1, zone: newYork);
        var entries = new List<PeriodEntry>();
        Grant(entries, 1, 1, clock, rules); // [1 Oct, 1 Nov); grace covers 1 November (25 hours long)

        // 23:30 EST on 1 November = 04:30 UTC on 2 November: still within grace.
        clock.SetUtcNow(new DateTimeOffset(2026, 11, 2, 4, 30, 0, TimeSpan.Zero));
        Assert.True(PeriodChain.TryGrant(entries, 2, new Purchase(1, 0), clock.GetUtcNow(), rules, out var inGrace, out _));
        Assert.True(inGrace.Extended);

        // 00:00 EST on 2 November = 05:00 UTC: grace over.
        clock.SetUtcNow(new DateTimeOffset(2026, 11, 2, 5, 0, 0, TimeSpan.Zero));
        Assert.True(PeriodChain.TryGrant(entries, 2, new Purchase(1, 0), clock.GetUtcNow(), rules, out var late, out _));
        Assert.False(late.Extended);
        Assert.Equal(D(2026, 11, 2), late.Period.Start);
    }

    [Fact]
    public void Validity_ShanghaiWithGrace_IsLastChainPlusGraceDays()
    {
        var rules = Rules(3);
        var clock = ClockAt(2026, 1, 1);
        var entries = new List<PeriodEntry>();
        Grant(entries, 1, 1, clock, rules);
        SetLocal(clock, 2026, 5, 5);
        Grant(entries, 2, 1, clock, rules);

        var validity = PeriodChain.Validity(PeriodChain.Layout(entries), rules);

        Assert.NotNull(validity);
        Assert.Equal(new DateTimeOffset(2026, 5, 4, 16, 0, 0, TimeSpan.Zero), validity.ValidFromUtc);
        Assert.Equal(new DateTimeOffset(2026, 6, 7, 16, 0, 0, TimeSpan.Zero), validity.ValidToUtc);
        Assert.Null(PeriodChain.Validity([], rules));
    }

    [Fact]
    public void Layout_RandomChains_AreContiguousAndEndOnTheAnchor()
    {
        var random = new Random(20260131);
        for (var run = 0; run < 500; run++)
        {
            var start = new DateOnly(2024, 1, 1).AddDays(random.Next(0, 1500));
            var entries = Enumerable.Range(1, random.Next(1, 12))
                .Select(i => new PeriodEntry(i, start, random.Next(1, 7), 0))
                .ToList();
            var reversed = random.Next(1, entries.Count + 1);

            Assert.True(PeriodChain.TryReverse(entries, reversed, out var result, out _));

            var periods = result.Periods;
            Assert.Equal(start, periods.Count == 0 ? start : periods[0].Start);
            for (var i = 1; i < periods.Count; i++)
            {
                Assert.Equal(periods[i - 1].End, periods[i].Start);
            }

            var months = entries.Where(e => e.PaymentId != reversed).Sum(e => e.Months);
            var end = periods.Count == 0 ? start : periods[^1].End;
            Assert.Equal(SiteCalendar.AddMonthsAnchored(start, months, start.Day), end);
            Assert.Equal(Math.Min(start.Day, DateTime.DaysInMonth(end.Year, end.Month)), end.Day);
        }
    }
}
