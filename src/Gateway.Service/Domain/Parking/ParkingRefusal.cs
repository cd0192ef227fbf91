namespace Gateway.Service.Domain.Parking;

/// <summary>
/// Why a parking rule refused an operation. <see cref="Code"/> is stable (the API's problem type ends
/// with it); <see cref="Detail"/> is for people.
/// </summary>
public sealed record ParkingRefusal(string Code, string Detail)
{
    /// <summary>The amounts nearest to the refused one that the rule would accept, in fen (empty when none).</summary>
    public IReadOnlyList<long> ValidAmountsFen { get; init; } = [];

    public static ParkingRefusal AmountNotPositive(long amountFen) =>
        new("amount-not-positive", $"the amount must be a positive number of fen, not {amountFen}");

    public static ParkingRefusal FeeNotPositive(long feeFen) =>
        new("fee-not-positive", $"the monthly fee must be a positive number of fen, not {feeFen}");

    public static ParkingRefusal NotWholeCycles(long amountFen, long feeFen, BillingCycle cycle, IReadOnlyList<long> valid)
    {
        var cycleFen = feeFen * cycle.Months();
        var cycles = cycle == BillingCycle.Month ? "months" : cycle == BillingCycle.Quarter ? "quarters" : "half-years";
        return new("not-whole-cycles", $"{Money.Yuan(amountFen)} yuan does not buy whole {cycles} at {Money.Yuan(feeFen)} yuan a month (a {cycle.ToWire()} is {Money.Yuan(cycleFen)} yuan) and this site does not allow proration; {Accepted(valid, cycleFen, cycle)}")
        {
            ValidAmountsFen = valid,
        };
    }

    public static ParkingRefusal BuysNothing(long amountFen, long feeFen, long oneDayFen) =>
        new("buys-nothing", $"{Money.Yuan(amountFen)} yuan does not buy one whole day at {Money.Yuan(feeFen)} yuan a month; the least accepted is {Money.Yuan(oneDayFen)} yuan (one day)")
        {
            ValidAmountsFen = [oneDayFen],
        };

    public static ParkingRefusal TooLong(int months, long mostFen) =>
        new("too-long", $"one payment may buy at most {PeriodPricing.MaxMonths} months, this one buys {months}; the most accepted is {Money.Yuan(mostFen)} yuan")
        {
            ValidAmountsFen = [mostFen],
        };

    private static string Accepted(IReadOnlyList<long> valid, long cycleFen, BillingCycle cycle)
    {
        var named = string.Join(" or ", valid.Select(v => $"{Money.Yuan(v)} yuan ({v / cycleFen} {cycle.ToWire()}{(v / cycleFen == 1 ? string.Empty : "s")})"));
        var most = PeriodPricing.MaxMonths / cycle.Months() * cycleFen;
        return $"accepted: {named}, or another multiple of {Money.Yuan(cycleFen)} yuan up to {Money.Yuan(most)} yuan";
    }

    public static ParkingRefusal AlreadyGranted(long paymentId) =>
        new("already-granted", $"payment {paymentId} has already been granted");

    public static ParkingRefusal NotGranted(long paymentId) =>
        new("not-granted", $"payment {paymentId} has no granted period");
}
