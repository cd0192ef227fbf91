using System.Globalization;
using Gateway.Service.Domain;

namespace Gateway.Service.Console;

/// <summary>How the parking pages name billing cycles, payment methods and states, and what the rules would accept after a refusal.</summary>
public static class ParkingText
{
    public static string Cycle(this ConsoleText text, string wire) => text["parking.cycle." + wire];

    public static string Method(this ConsoleText text, string wire) => text["parking.method." + wire];

    public static string PaymentState(this ConsoleText text, string wire) => text["parking.payment-state." + wire];

    /// <summary>The amounts a refused payment could have been (the rules' <c>validAmountsFen</c>), as <c>¥900.00、¥1,800.00</c>; null when the refusal names none.</summary>
    public static string? ValidAmounts(Refusal refusal) =>
        refusal.Facts is { } facts && facts.TryGetValue("validAmountsFen", out var value) && value is IEnumerable<long> amounts && amounts.Any()
            ? string.Join(CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == "zh" ? "、" : ", ", amounts.Select(ConsoleFormat.Yuan))
            : null;
}
