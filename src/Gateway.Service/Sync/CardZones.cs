namespace Gateway.Service.Sync;

/// <summary>
/// The zones a stored card belongs to, from its kind as stored (<c>access</c>, <c>parking</c>,
/// <c>both</c>) and its holder's building (DESIGN.md "Zones"): access → the building's doors and the
/// common doors; parking → the car park; both → all three.
/// </summary>
public static class CardZones
{
    public const string Common = "common";
    public const string BuildingPrefix = "building-";

    public static IReadOnlyList<string> For(string kind, string building) => kind switch
    {
        "access" => [BuildingPrefix + building, Common],
        "parking" => [DesiredWhitelist.CarParkZone],
        "both" => [BuildingPrefix + building, Common, DesiredWhitelist.CarParkZone],
        _ => [],
    };
}
