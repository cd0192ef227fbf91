namespace Gateway.Service.Domain.Parking;

/// <summary>How often a parking agreement is paid: a payment must buy whole cycles unless the site allows proration.</summary>
public enum BillingCycle
{
    Month = 1,
    Quarter = 3,
    HalfYear = 6,
}

/// <summary>How a parking agreement is paid.</summary>
public enum PaymentMethod
{
    Cash,
    BankDebit,
}

public static class ParkingNames
{
    /// <summary>The number of months one cycle covers.</summary>
    public static int Months(this BillingCycle cycle) => (int)cycle;

    /// <summary>The API and CSV spelling: month, quarter, half-year.</summary>
    public static string ToWire(this BillingCycle cycle) => cycle switch
    {
        BillingCycle.Month => "month",
        BillingCycle.Quarter => "quarter",
        BillingCycle.HalfYear => "half-year",
        _ => throw new ArgumentOutOfRangeException(nameof(cycle), cycle, null),
    };

    public static bool TryParseCycle(string? text, out BillingCycle cycle)
    {
        switch (text)
        {
            case "month": cycle = BillingCycle.Month; return true;
            case "quarter": cycle = BillingCycle.Quarter; return true;
            case "half-year": cycle = BillingCycle.HalfYear; return true;
            default: cycle = default; return false;
        }
    }

    /// <summary>The API spelling: cash, bank-debit.</summary>
    public static string ToWire(this PaymentMethod method) => method switch
    {
        PaymentMethod.Cash => "cash",
        PaymentMethod.BankDebit => "bank-debit",
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, null),
    };

    public static bool TryParseMethod(string? text, out PaymentMethod method)
    {
        switch (text)
        {
            case "cash": method = PaymentMethod.Cash; return true;
            case "bank-debit": method = PaymentMethod.BankDebit; return true;
            default: method = default; return false;
        }
    }
}
