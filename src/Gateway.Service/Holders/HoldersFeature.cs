namespace Gateway.Service.Holders;

/// <summary>
/// Card holders: the workflow and <c>/api/holders</c>.
/// The composition root (<c>GatewayComposition</c>) calls <see cref="AddHolders"/> and <see cref="MapHolders"/>; nothing else registers this feature.
/// </summary>
public static class HoldersFeature
{
    public static IServiceCollection AddHolders(this IServiceCollection services)
    {
        services.AddSingleton<HolderWorkflow>();
        return services;
    }

    public static RouteGroupBuilder MapHolders(this RouteGroupBuilder api)
    {
        api.MapHolderEndpoints();
        return api;
    }
}
