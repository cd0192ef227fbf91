using Gateway.Service.Domain.Parking;

namespace Gateway.Service.Tests.Domain.Parking;

public sealed class PeriodPricingTests
{
    [Theory]
    [InlineData(30000, 30000, BillingCycle.Month, 1)]
    [InlineData(90000, 30000, BillingCycle.Month, 3)]
    [InlineData(90000, 30000, BillingCycle.Quarter, 3)]
    [InlineData(180000, 30000, BillingCycle.Quarter, 6)]
    [InlineData(180000, 30000, BillingCycle.HalfYear, 6)]
    [InlineData(360000, 30000, BillingCycle.HalfYear, 12)]
    public void TryPrice_WholeCycles_BuysMonths(long amount, long fee, BillingCycle cycle, int months)
    {
        Assert.True(PeriodPricing.TryPrice(amount, fee, cycle, prorationAllowed: false, out var purchase, out _));
        Assert.Equal(new Purchase(months, 0), purchase);
    }

    [Theory]
    [InlineData(30000, 30000, BillingCycle.Quarter)] // one month of a quarterly agreement
    [InlineData(120000, 30000, BillingCycle.Quarter)] // four months
    [InlineData(30001, 30000, BillingCycle.Month)] // a fen too much
    [InlineData(29999, 30000, BillingCycle.Month)]
    [InlineData(150000, 30000, BillingCycle.HalfYear)]
    public void TryPrice_NotWholeCyclesWithoutProration_Refused(long amount, long fee, BillingCycle cycle)
    {
        Assert.False(PeriodPricing.TryPrice(amount, fee, cycle, prorationAllowed: false, out _, out var refusal));
        Assert.Equal("not-whole-cycles", refusal.Code);
    }

    [Theory]
    [InlineData(0, 30000, "amount-not-positive")]
    [InlineData(-30000, 30000, "amount-not-positive")]
    [InlineData(30000, 0, "fee-not-positive")]
    [InlineData(30000, -1, "fee-not-positive")]
    [InlineData(30000L * 121, 30000, "too-long")]
    [InlineData(long.MaxValue, 1, "too-long")]
    public void TryPrice_OutOfRange_Refused(long amount, long fee, string code)
    {
        Assert.False(PeriodPricing.TryPrice(amount, fee, BillingCycle.Month, prorationAllowed: true, out _, out var refusal));
        Assert.Equal(code, refusal.Code);
    }

    [Theory]
    // 36500 fen a month = 1200 fen a day exactly (36500 × 12 / 365).
    [InlineData(36500 + 1200, 36500, 1, 1)]
    [InlineData(36500 + 2399, 36500, 1, 1)] // rounded down
    [InlineData(36500 + 2400, 36500, 1, 2)]
    [InlineData(1199, 36500, 0, 0)]
    [InlineData(1200 * 30, 36500, 0, 30)]
    [InlineData(36500 * 4 + 1200 * 10, 36500, 4, 10)] // four months of a quarterly agreement and ten days
    // 30000 fen a month: a day costs 986.30… fen; 15000 fen buys 15 days (15000 × 365 / 360000 = 15.2).
    [InlineData(45000, 30000, 1, 15)]
    public void TryPrice_WithProration_RemainderBuysWholeDays(long amount, long fee, int months, int days)
    {
        var ok = PeriodPricing.TryPrice(amount, fee, BillingCycle.Quarter, prorationAllowed: true, out var purchase, out var refusal);
        if (months == 0 && days == 0)
        {
            Assert.False(ok);
            Assert.Equal("buys-nothing", refusal!.Code);
        }
        else
        {
            Assert.True(ok);
            Assert.Equal(new Purchase(months, days), purchase);
        }
    }

    [Theory]
    // The case: 800.00 yuan on a 300.00-a-month quarterly agreement; a quarter is 900.00.
    [InlineData(80000, 30000, BillingCycle.Quarter, new long[] { 90000 })]
    [InlineData(100000, 30000, BillingCycle.Quarter, new long[] { 90000, 180000 })]
    [InlineData(30001, 30000, BillingCycle.Month, new long[] { 30000, 60000 })]
    [InlineData(150000, 30000, BillingCycle.HalfYear, new long[] { 180000 })]
    // Just short of the 120-month limit: nothing above it is offered.
    [InlineData((30000L * 120) + 1, 30000, BillingCycle.Quarter, new long[] { 30000L * 120 })]
    public void TryPrice_NotWholeCycles_NamesTheNearestAmountsThatWouldBeAccepted(long amount, long fee, BillingCycle cycle, long[] valid)
    {
        Assert.False(PeriodPricing.TryPrice(amount, fee, cycle, prorationAllowed: false, out _, out var refusal));

        Assert.Equal(valid, refusal.ValidAmountsFen);
        foreach (var v in valid)
        {
            Assert.True(PeriodPricing.TryPrice(v, fee, cycle, prorationAllowed: false, out _, out _), $"{v} was named but is refused");
        }
    }

    [Fact]
    public void TryPrice_NotWholeCycles_DetailSaysItInYuan()
    {
        Assert.False(PeriodPricing.TryPrice(80000, 30000, BillingCycle.Quarter, prorationAllowed: false, out _, out var refusal));

        Assert.Equal(
            "800.00 yuan does not buy whole quarters at 300.00 yuan a month (a quarter is 900.00 yuan) and this site does not allow proration; accepted: 900.00 yuan (1 quarter), or another multiple of 900.00 yuan up to 36000.00 yuan",
            refusal.Detail);
    }

    [Theory]
    [InlineData(36500, 1200)] // exactly 1200 a day
    [InlineData(30000, 987)] // 986.30… a day: 986 fen buys nothing, 987 one day
    public void TryPrice_BuysNothing_NamesTheLeastAmountOfOneDay(long fee, long oneDay)
    {
        Assert.False(PeriodPricing.TryPrice(oneDay - 1, fee, BillingCycle.Month, prorationAllowed: true, out _, out var refusal));
        Assert.Equal("buys-nothing", refusal.Code);
        Assert.Equal([oneDay], refusal.ValidAmountsFen);
        Assert.True(PeriodPricing.TryPrice(oneDay, fee, BillingCycle.Month, prorationAllowed: true, out var purchase, out _));
        Assert.Equal(new Purchase(0, 1), purchase);
    }

    [Theory]
    [InlineData(true, BillingCycle.Quarter, 30000L * 120)]
    [InlineData(false, BillingCycle.Quarter, 30000L * 120)]
    [InlineData(false, BillingCycle.HalfYear, 30000L * 120)]
    public void TryPrice_TooLong_NamesTheMostAccepted(bool proration, BillingCycle cycle, long most)
    {
        Assert.False(PeriodPricing.TryPrice(30000L * 121, 30000, cycle, proration, out _, out var refusal));
        Assert.Equal("too-long", refusal.Code);
        Assert.Equal([most], refusal.ValidAmountsFen);
        Assert.True(PeriodPricing.TryPrice(most, 30000, cycle, proration, out _, out _));
    }
}
