namespace Gateway.Service.Gates;

/// <summary>
/// Opening gates by hand: the store, the workflow and <c>/api/devices/{id}/lanes/{lane}/open</c>, <c>/api/gate-openings</c>.
/// The composition root (<c>GatewayComposition</c>) calls <see cref="AddGates"/> and <see cref="MapGates"/>; nothing else registers this feature.
/// </summary>
public static class GatesFeature
{
    public static IServiceCollection AddGates(this IServiceCollection services)
    {
        services.AddSingleton<GateStore>();
        services.AddSingleton<GateWorkflow>();
        return services;
    }

    public static RouteGroupBuilder MapGates(this RouteGroupBuilder api)
    {
        api.MapGateEndpoints();
        return api;
    }
}
