using System.Globalization;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Site;

namespace Gateway.Service.Parking;

/// <summary>
/// The site's parking settings (section <c>Gateway:Parking</c>): grace days and proration. Read and
/// validated at start with the rest of the configuration; see docs/parking.md.
/// </summary>
public static class ParkingOptions
{
    /// <summary>Reads <c>Gateway:Parking:GraceDays</c> (0-31, default 0) and <c>Gateway:Parking:ProrationAllowed</c> (true|false, default false).</summary>
    public static bool TryLoad(IConfigurationSection gateway, TimeZoneInfo siteTimeZone, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ParkingRules? rules, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        rules = null;
        var graceText = gateway["Parking:GraceDays"] ?? "0";
        if (!int.TryParse(graceText, NumberStyles.None, CultureInfo.InvariantCulture, out var grace) || grace > ParkingRules.MaxGraceDays)
        {
            error = $"{SiteOptions.Section}:Parking:GraceDays: '{graceText}' is not a whole number of days from 0 to {ParkingRules.MaxGraceDays}";
            return false;
        }

        var prorationText = gateway["Parking:ProrationAllowed"] ?? "false";
        if (!bool.TryParse(prorationText, out var proration))
        {
            error = $"{SiteOptions.Section}:Parking:ProrationAllowed: '{prorationText}' is not true or false";
            return false;
        }

        rules = new ParkingRules(siteTimeZone, grace, proration);
        error = null;
        return true;
    }
}
