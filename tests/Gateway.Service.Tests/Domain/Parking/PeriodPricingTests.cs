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
}
