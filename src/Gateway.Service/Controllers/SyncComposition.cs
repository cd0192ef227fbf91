using Gateway.Service.Alarms;
using Gateway.Service.Events;

namespace Gateway.Service.Controllers;

/// <summary>
/// Registers the sync engine and the event and alarm stores (called by <c>ApiComposition.AddGatewayApi</c>, so
/// the endpoints resolve everywhere). The engine runs only where <see cref="RunGatewaySync"/> is called
/// too (the service's Program): in-process API test hosts do not talk to devices.
/// </summary>
public static class SyncComposition
{
    public static IServiceCollection AddGatewaySync(this IServiceCollection services)
    {
        services.AddSingleton<ISyncStore, SqliteSyncStore>();
        services.AddSingleton<EventStore>();
        services.AddSingleton<AlarmStore>();
        services.AddSingleton<IAlarmNotifier, NotificationOutboxAlarmNotifier>();
        services.AddSingleton<Hosting.ServiceExit>();
        services.AddSingleton<Hosting.LoopSupervisor>();
        services.AddSingleton<SyncEngine>();
        return services;
    }

    /// <summary>Runs the sync engine as a hosted service.</summary>
    public static IServiceCollection RunGatewaySync(this IServiceCollection services) =>
        services.AddHostedService(sp => sp.GetRequiredService<SyncEngine>());
}
