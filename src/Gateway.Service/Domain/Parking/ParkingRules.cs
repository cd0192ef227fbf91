namespace Gateway.Service.Domain.Parking;

/// <summary>
/// The site's parking settings (configuration <c>Gateway:Parking:*</c> and <c>Gateway:SiteTimeZone</c>):
/// the zone in which periods start and end at local midnight, the grace days added to the end written
/// to controllers, and whether a payment may buy part of a billing cycle.
/// </summary>
public sealed record ParkingRules(TimeZoneInfo TimeZone, int GraceDays, bool ProrationAllowed)
{
    /// <summary>Most grace days a site may configure.</summary>
    public const int MaxGraceDays = 31;

    public SiteCalendar Calendar { get; } = new(TimeZone);
}
