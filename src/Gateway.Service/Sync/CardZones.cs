using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Zones;

namespace Gateway.Service.Sync;

/// <summary>
/// The zones of a stored card: its kind as stored (<c>access</c>, <c>parking</c>, <c>both</c>) and its
/// holder's building, through the front office's zone rule (<see cref="ZoneMap.ZonesFor"/>).
/// </summary>
public static class CardZones
{
    public static IReadOnlyList<string> For(string kind, string building) =>
        Wire.TryParse<CardKind>(kind, out var parsed) ? ZoneMap.ZonesFor(parsed, building) : [];
}
