using System.Globalization;
using Gateway.Service.Api;
using Gateway.Service.Cards;
using Gateway.Service.Domain;
using Gateway.Service.Hosting;

namespace Gateway.Service.Console;

/// <summary>What the card forms of the console share: reading a card number as typed, a suggested receipt reference, and what to do after a refusal.</summary>
public static class CardForms
{
    /// <summary>A card number as typed (digits only, 1 to <see cref="CardEndpoints.MaxCardNumber"/>), or null with the error in <paramref name="v"/>.</summary>
    public static long? Number(Validator v, string field, string? text)
    {
        var t = text?.Trim();
        if (string.IsNullOrEmpty(t))
        {
            v.Add(field, "is required", "required");
            return null;
        }

        if (t.Length > 8 || !t.All(char.IsAsciiDigit) || long.Parse(t, CultureInfo.InvariantCulture) is < 1 or > CardEndpoints.MaxCardNumber)
        {
            v.Add(field, $"must be a card number from 1 to {CardEndpoints.MaxCardNumber}", "card-number");
            return null;
        }

        return long.Parse(t, CultureInfo.InvariantCulture);
    }

    /// <summary>A reference for the signed hand-over receipt: <c>HO-YYYYMMDD-HOLDER</c> in the site's calendar (the clerk may write another).</summary>
    public static string SuggestedReceipt(HttpContext context, long holderId)
    {
        var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var zone = context.RequestServices.GetRequiredService<GatewayOptions>().SiteTimeZone;
        return string.Create(CultureInfo.InvariantCulture, $"HO-{TimeZoneInfo.ConvertTime(now, zone):yyyyMMdd}-{holderId}");
    }

    /// <summary>
    /// What to do after an issue or replacement was refused: after an encoder failure, put the card back
    /// and press the same button (the same attempt resumes); when no encoder can be used, check it; a card
    /// number not in stock, take another.
    /// </summary>
    public static string? NextStep(Refusal refusal, ConsoleText text, string buttonKey) => refusal.Kind switch
    {
        RefusalKind.DeviceFailed => text.Format("next.encoder-failed", text[buttonKey]),
        RefusalKind.Unavailable => text["next.encoder-unavailable"],
        RefusalKind.Conflict when refusal.Code == "issue-in-progress" => text["next.issue-open"],
        RefusalKind.Conflict when refusal.Code == "card-is-another" => text["next.card-is-another"],
        RefusalKind.InvalidState or RefusalKind.NotFound or RefusalKind.Conflict => text["next.other-card"],
        _ => null,
    };
}
