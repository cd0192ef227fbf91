using Gateway.Service.Domain.Cards;

namespace Gateway.Service.Domain.Zones;

/// <summary>How finely a controller keeps a card's validity.</summary>
public enum ValidityGrain
{
    /// <summary>Instants (the gateway-barrier profile keeps UTC seconds).</summary>
    Seconds,

    /// <summary>Whole local days, from-date to to-date inclusive (UHPPOTE boards).</summary>
    Days,
}

/// <summary>A controller, the zone it serves (from <c>Gateway:Devices:N:Zone</c>), and how finely it keeps validity (from its family).</summary>
public sealed record ZonedController(string ControllerId, string Zone, ValidityGrain Grain = ValidityGrain.Seconds);

/// <summary>
/// Which controllers serve which zone, and which controllers a card belongs on. Zone names:
/// <c>car-park</c>, <c>common</c> (doors every resident passes) and <c>building-X</c> (the doors of
/// building X, matching a holder's building); other names may be configured but no card kind reaches them.
/// </summary>
public sealed class ZoneMap
{
    public const string CarPark = "car-park";
    public const string Common = "common";
    public const string BuildingPrefix = "building-";

    private readonly IReadOnlyList<ZonedController> _controllers;

    public ZoneMap(IEnumerable<ZonedController> controllers)
    {
        _controllers = controllers.OrderBy(c => c.ControllerId, StringComparer.Ordinal).ToList();
    }

    public IReadOnlyList<ZonedController> Controllers => _controllers;

    /// <summary>The zone of a holder's building.</summary>
    public static string BuildingZone(string building) => BuildingPrefix + building;

    /// <summary>The zones a card of <paramref name="kind"/> held by a resident of <paramref name="building"/> needs.</summary>
    public static IReadOnlyList<string> ZonesFor(CardKind kind, string building) => kind switch
    {
        CardKind.Access => [BuildingZone(building), Common],
        CardKind.Parking => [CarPark],
        CardKind.Both => [BuildingZone(building), Common, CarPark],
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>
    /// The controllers whose whitelist must hold a card of <paramref name="kind"/> whose holder lives in
    /// <paramref name="building"/> (the sync engine's "where"; zone names compare case-insensitively).
    /// </summary>
    public IReadOnlyList<ZonedController> ControllersFor(CardKind kind, string building)
    {
        var zones = ZonesFor(kind, building);
        return _controllers.Where(c => zones.Contains(c.Zone, StringComparer.OrdinalIgnoreCase)).ToList();
    }
}
