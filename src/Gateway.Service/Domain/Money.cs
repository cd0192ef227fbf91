using System.Globalization;

namespace Gateway.Service.Domain;

/// <summary>Money is whole fen everywhere; people read yuan with two decimals.</summary>
public static class Money
{
    /// <summary>Fen as yuan with two decimals, exactly: <c>90000</c> → <c>900.00</c>, <c>-1550</c> → <c>-15.50</c>.</summary>
    public static string Yuan(long fen)
    {
        var magnitude = (decimal)fen / 100;
        return magnitude.ToString("0.00", CultureInfo.InvariantCulture);
    }
}
