using Gateway.Service.Site;

namespace Gateway.Service.Controllers;

/// <summary>
/// The controllers (<c>Gateway:Sync:*</c>): the sync engine over the configured devices, the store it reads the
/// card outbox from, the whitelist rules, and <c>/api/devices</c>. The engine is built wherever this is added
/// (the endpoints and the import call it) but runs only where <see cref="RunControllerSync"/> is called too: the
/// service's Program does; in-process API test hosts do not talk to devices.
/// The composition root (<c>GatewayComposition</c>) calls <see cref="AddControllerSync"/> and <see cref="MapControllerSync"/>
/// (named so, not <c>AddControllers</c>, which is ASP.NET Core MVC's); nothing else registers this feature.
/// </summary>
public static class ControllersFeature
{
    public static IServiceCollection AddControllerSync(this IServiceCollection services, SyncOptions sync, WhitelistRules rules)
    {
        services.AddSingleton(sync);
        services.AddSingleton(rules);
        services.AddSingleton<ISyncStore, SqliteSyncStore>();
        services.AddSingleton<SyncEngine>();
        return services;
    }

    /// <summary>Runs the sync engine as a hosted service.</summary>
    public static IServiceCollection RunControllerSync(this IServiceCollection services) =>
        services.AddHostedService(sp => sp.GetRequiredService<SyncEngine>());

    public static RouteGroupBuilder MapControllerSync(this RouteGroupBuilder api)
    {
        api.MapDeviceEndpoints();
        return api;
    }
}
