using System.Globalization;
using Gateway.Service.Domain.Cards;

namespace Gateway.Service.Cards;

/// <summary>
/// The site's card fee schedule (section <c>Gateway:CardFees</c>): <c>CardFen</c>, <c>ReplacementFen</c>
/// and <c>DepositFen</c>, whole fen from 0 (not charged, the default) to 1,000,000 (10,000.00 yuan).
/// Read and validated at start; see docs/api.md (card fees and deposits).
/// </summary>
public static class CardFeeOptions
{
    public static bool TryLoad(IConfigurationSection gateway, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CardFeeSchedule? schedule, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        schedule = null;
        var amounts = new long[3];
        string[] keys = ["CardFen", "ReplacementFen", "DepositFen"];
        for (var i = 0; i < keys.Length; i++)
        {
            var text = gateway[$"CardFees:{keys[i]}"] ?? "0";
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out amounts[i]) || amounts[i] > CardFeeSchedule.MaxFen)
            {
                error = $"{Site.SiteOptions.Section}:CardFees:{keys[i]}: '{text}' is not a whole number of fen from 0 to {CardFeeSchedule.MaxFen} (2000 = 20.00 yuan)";
                return false;
            }
        }

        schedule = new CardFeeSchedule(amounts[0], amounts[1], amounts[2]);
        error = null;
        return true;
    }
}
