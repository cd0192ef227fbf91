using Gateway.Service.Alarms;
using Gateway.Service.Events;

namespace Gateway.Service.Sync;

/// <summary>Registers the sync engine, the event and alarm stores (called by <c>ApiComposition.AddGatewayApi</c>).</summary>
public static class SyncComposition
{
    public static IServiceCollection AddGatewaySync(this IServiceCollection services)
    {
        services.AddSingleton<ISyncStore, SqliteSyncStore>();
        services.AddSingleton<EventStore>();
        services.AddSingleton<AlarmStore>();
        services.AddSingleton<SyncEngine>();
        services.AddHostedService(sp => sp.GetRequiredService<SyncEngine>());
        return services;
    }
}
