namespace Gateway.Service.Domain.Parking;

/// <summary>
/// Why a parking rule refused an operation. <see cref="Code"/> is stable (the API's problem type ends
/// with it); <see cref="Detail"/> is for people.
/// </summary>
public sealed record ParkingRefusal(string Code, string Detail)
{
    public static ParkingRefusal AmountNotPositive(long amountFen) =>
        new("amount-not-positive", $"the amount must be a positive number of fen, not {amountFen}");

    public static ParkingRefusal FeeNotPositive(long feeFen) =>
        new("fee-not-positive", $"the monthly fee must be a positive number of fen, not {feeFen}");

    public static ParkingRefusal NotWholeCycles(long amountFen, long feeFen, BillingCycle cycle) =>
        new("not-whole-cycles", $"{amountFen} fen is not a whole number of {cycle.ToWire()} cycles at {feeFen} fen a month ({feeFen * cycle.Months()} fen a cycle), and this site does not allow proration");

    public static ParkingRefusal BuysNothing(long amountFen, long feeFen) =>
        new("buys-nothing", $"{amountFen} fen does not buy one whole day at {feeFen} fen a month");

    public static ParkingRefusal TooLong(int months) =>
        new("too-long", $"one payment may buy at most {PeriodPricing.MaxMonths} months, this one buys {months}");

    public static ParkingRefusal AlreadyGranted(long paymentId) =>
        new("already-granted", $"payment {paymentId} has already been granted");

    public static ParkingRefusal NotGranted(long paymentId) =>
        new("not-granted", $"payment {paymentId} has no granted period");
}
