using Gateway.Service.Domain.Controllers;
using Gateway.Service.Domain.Zones;
using Gateway.Service.Site;

namespace Gateway.Service.Api;

/// <summary><c>/api/zones</c>: the zones of this site and the controllers that serve them (from configuration).</summary>
public static class ZoneEndpoints
{
    public sealed record ZoneResponse(string Zone, IReadOnlyList<string> Controllers);

    /// <summary>Registers the zone map and the boards' numbering, both read from the configured devices.</summary>
    public static IServiceCollection AddZones(this IServiceCollection services, SiteDevices devices)
    {
        services.AddSingleton(FromDevices(devices));
        services.AddSingleton(BoardNumberingFrom(devices));
        return services;
    }

    public static void MapZoneEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/zones", (ZoneMap zones) => TypedResults.Ok(new
        {
            items = zones.Controllers
                .GroupBy(c => c.Zone, StringComparer.OrdinalIgnoreCase)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new ZoneResponse(g.Key, g.Select(c => c.ControllerId).ToList()))
                .ToList(),
        }))
            .RequireAuthorization(GatewayPolicies.ReadOperational)
            .WithTags("Zones")
            .WithName("ListZones")
            .WithSummary("Zones and the controllers serving each");
    }

    /// <summary>
    /// The zone map of the configured controllers: a barrier or door controller in its zone, a UHPPOTE board in
    /// each of its doors' zones. A board keeps whole local days (inclusive from/to dates), a barrier UTC seconds.
    /// </summary>
    public static ZoneMap FromDevices(SiteDevices devices) =>
        new(devices.All.Where(d => d.IsController).SelectMany(d => d.Zones.Select(z => new ZonedController(d.Id, z, GrainOf(d.Kind)))));

    /// <summary>The UHPPOTE boards' doors, their zones and reader formats: what the issue desk checks a blank's board numbers against.</summary>
    public static BoardNumbering BoardNumberingFrom(SiteDevices devices) =>
        new(devices.All.Where(d => d.Board is not null).SelectMany(d => d.Board!.Doors.Select(door => new BoardDoor(d.Id, door.Door, door.Zone, door.Format))));

    /// <summary>How finely a controller of <paramref name="kind"/> keeps a card's validity.</summary>
    public static ValidityGrain GrainOf(DeviceKind kind) => kind == DeviceKind.Uhppote ? ValidityGrain.Days : ValidityGrain.Seconds;
}
