using Gateway.Service.Domain.Parking;

namespace Gateway.Service.Tests.Domain.Parking;

public sealed class SiteCalendarTests
{
    private static SiteCalendar Zone(string id) => new(TimeZoneInfo.FindSystemTimeZoneById(id));

    [Theory]
    [InlineData(2026, 1, 31, 31, 1, 2026, 2, 28)]
    [InlineData(2028, 1, 31, 31, 1, 2028, 2, 29)] // leap year
    [InlineData(2026, 2, 28, 31, 1, 2026, 3, 31)] // back to the anchor after a short month
    [InlineData(2026, 1, 31, 31, 2, 2026, 3, 31)]
    [InlineData(2026, 1, 31, 31, 3, 2026, 4, 30)]
    [InlineData(2026, 1, 30, 30, 1, 2026, 2, 28)]
    [InlineData(2026, 1, 29, 29, 1, 2026, 2, 28)]
    [InlineData(2028, 1, 29, 29, 1, 2028, 2, 29)]
    [InlineData(2026, 11, 30, 30, 3, 2027, 2, 28)] // across the year
    [InlineData(2026, 12, 31, 31, 6, 2027, 6, 30)]
    [InlineData(2026, 8, 31, 31, 6, 2027, 2, 28)]
    [InlineData(2027, 8, 31, 31, 6, 2028, 2, 29)]
    [InlineData(2026, 3, 15, 15, 12, 2027, 3, 15)]
    [InlineData(2026, 5, 1, 1, 0, 2026, 5, 1)]
    public void AddMonthsAnchored_ClampsToMonthLength_NeverDrifts(int y, int m, int d, int anchor, int months, int ey, int em, int ed)
    {
        Assert.Equal(new DateOnly(ey, em, ed), SiteCalendar.AddMonthsAnchored(new DateOnly(y, m, d), months, anchor));
    }

    [Fact]
    public void AddMonthsAnchored_TwelveSteps_From31January_EndsEachMonthOnItsLastDayOrThe31st()
    {
        var date = new DateOnly(2028, 1, 31);
        var ends = new List<DateOnly>();
        for (var i = 0; i < 12; i++)
        {
            date = SiteCalendar.AddMonthsAnchored(date, 1, 31);
            ends.Add(date);
        }

        Assert.Equal(
            [new(2028, 2, 29), new(2028, 3, 31), new(2028, 4, 30), new(2028, 5, 31), new(2028, 6, 30), new(2028, 7, 31), new(2028, 8, 31), new(2028, 9, 30), new(2028, 10, 31), new(2028, 11, 30), new(2028, 12, 31), new(2029, 1, 31)],
            ends);
    }

    [Fact]
    public void StartOf_Shanghai_IsPreviousDay16Utc()
    {
        Assert.Equal(new DateTimeOffset(2026, 2, 28, 16, 0, 0, TimeSpan.Zero), Zone("Asia/Shanghai").StartOf(new DateOnly(2026, 3, 1)));
    }

    [Fact]
    public void DateOf_Shanghai_Utc16IsNextLocalDay()
    {
        var shanghai = Zone("Asia/Shanghai");
        Assert.Equal(new DateOnly(2026, 3, 1), shanghai.DateOf(new DateTimeOffset(2026, 2, 28, 16, 0, 0, TimeSpan.Zero)));
        Assert.Equal(new DateOnly(2026, 2, 28), shanghai.DateOf(new DateTimeOffset(2026, 2, 28, 15, 59, 59, TimeSpan.Zero)));
    }

    [Fact]
    public void StartOf_BerlinAcrossSpringForward_MidnightsKeepLocalOffsets()
    {
        var berlin = Zone("Europe/Berlin");
        var march = berlin.StartOf(new DateOnly(2026, 3, 1));
        var april = berlin.StartOf(new DateOnly(2026, 4, 1));

        Assert.Equal(new DateTimeOffset(2026, 2, 28, 23, 0, 0, TimeSpan.Zero), march);
        Assert.Equal(new DateTimeOffset(2026, 3, 31, 22, 0, 0, TimeSpan.Zero), april);
        Assert.Equal(TimeSpan.FromDays(31) - TimeSpan.FromHours(1), april - march);
    }

    [Fact]
    public void StartOf_NewYorkAcrossFallBack_DayOfChangeLasts25Hours()
    {
        var newYork = Zone("America/New_York");
        var day = newYork.StartOf(new DateOnly(2026, 11, 1));
        var next = newYork.StartOf(new DateOnly(2026, 11, 2));

        Assert.Equal(new DateTimeOffset(2026, 11, 1, 4, 0, 0, TimeSpan.Zero), day);
        Assert.Equal(TimeSpan.FromHours(25), next - day);
    }

    [Fact]
    public void StartOf_HavanaSkippedMidnight_DayStartsWhenClocksJumpTo0100()
    {
        // Cuba springs forward at 00:00 (tzdata): 8 March 2026 has no 00:00-00:59 local.
        Assert.Equal(new DateTimeOffset(2026, 3, 8, 5, 0, 0, TimeSpan.Zero), Zone("America/Havana").StartOf(new DateOnly(2026, 3, 8)));
    }

    [Fact]
    public void StartOf_HavanaRepeatedMidnight_DayStartsAtTheFirstMidnight()
    {
        // Cuba falls back at 01:00 to 00:00: 1 November 2026 has midnight twice, first at UTC-4.
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 4, 0, 0, TimeSpan.Zero), Zone("America/Havana").StartOf(new DateOnly(2026, 11, 1)));
    }

    [Fact]
    public void DateOf_StartOf_RoundTripEveryDayOfTwoYears_InZonesWithAndWithoutDst()
    {
        foreach (var id in new[] { "Asia/Shanghai", "Europe/Berlin", "America/New_York", "America/Havana", "America/Santiago" })
        {
            var calendar = Zone(id);
            for (var date = new DateOnly(2026, 1, 1); date < new DateOnly(2028, 1, 1); date = date.AddDays(1))
            {
                var start = calendar.StartOf(date);
                Assert.Equal(date, calendar.DateOf(start));
                Assert.Equal(date.AddDays(-1), calendar.DateOf(start.AddTicks(-1)));
            }
        }
    }
}
