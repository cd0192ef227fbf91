using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Zones;

namespace Gateway.Service.Domain.Controllers;

/// <summary>A card's place on one controller: the controller, the UID it holds, and whether as blocked (presenting it raises an alarm).</summary>
public sealed record CardPlacement(string ControllerId, string CardUid, bool Blocked);

/// <summary>
/// Where one card belongs, as a pure function of its state, kind, UID and holder's building: on every
/// controller of its zones, as an entry or a blocked one as <see cref="DesiredEntries.StandingOf"/>
/// says (validity windows and retention are <see cref="DesiredEntries"/>'s); nowhere in any other state.
/// </summary>
public static class CardEntries
{
    public static IReadOnlyList<CardPlacement> Desired(CardState state, CardKind? kind, string? uid, string? building, ZoneMap zones)
    {
        var standing = DesiredEntries.StandingOf(state);
        if (kind is null || uid is null || building is null || standing == Standing.None)
        {
            return [];
        }

        return zones.ControllersFor(kind.Value, building).DistinctBy(c => c.ControllerId).Select(c => new CardPlacement(c.ControllerId, uid, standing == Standing.Blocked)).ToList();
    }
}
