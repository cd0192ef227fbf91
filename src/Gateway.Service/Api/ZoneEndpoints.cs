using Gateway.Service.Domain.Zones;
using Gateway.Service.Hosting;
using Gateway.Service.Site;

namespace Gateway.Service.Api;

/// <summary><c>/api/zones</c>: the zones of this site and the controllers that serve them (from configuration).</summary>
public static class ZoneEndpoints
{
    public sealed record ZoneResponse(string Zone, IReadOnlyList<string> Controllers);

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

    /// <summary>The zone map of the configured controllers: a barrier or door controller in its zone, a UHPPOTE board in each of its doors' zones.</summary>
    public static ZoneMap FromOptions(GatewayOptions options) =>
        new(options.Devices.Where(d => d.IsController).SelectMany(d => d.Zones.Select(z => new ZonedController(d.Id, z))));
}
