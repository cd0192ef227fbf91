namespace Gateway.Service.Alarms;

/// <summary>
/// Alarms: the store, their notification (through the notification outbox) and <c>/api/alarms</c>.
/// The composition root (<c>GatewayComposition</c>) calls <see cref="AddAlarms"/> and <see cref="MapAlarms"/>; nothing else registers this feature.
/// </summary>
public static class AlarmsFeature
{
    public static IServiceCollection AddAlarms(this IServiceCollection services)
    {
        services.AddSingleton<AlarmStore>();
        services.AddSingleton<IAlarmNotifier, NotificationOutboxAlarmNotifier>();
        return services;
    }

    public static RouteGroupBuilder MapAlarms(this RouteGroupBuilder api)
    {
        api.MapAlarmEndpoints();
        return api;
    }
}
