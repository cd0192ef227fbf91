namespace Gateway.Service.Parking;

/// <summary>
/// Parking agreements, payments and grants (<c>Gateway:Parking:*</c>) and <c>/api/parking</c>.
/// The composition root (<c>GatewayComposition</c>) calls <see cref="AddParking"/> and <see cref="MapParking"/>; nothing else registers this feature.
/// </summary>
public static class ParkingFeature
{
    public static IServiceCollection AddParking(this IServiceCollection services, Domain.Parking.ParkingRules rules)
    {
        services.AddSingleton(rules);
        services.AddSingleton<ParkingWorkflow>();
        return services;
    }

    public static RouteGroupBuilder MapParking(this RouteGroupBuilder api)
    {
        api.MapParkingEndpoints();
        return api;
    }
}
