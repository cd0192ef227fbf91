namespace Gateway.Service.Events;

/// <summary>
/// Controller events: the store and <c>/api/events</c>.
/// The composition root (<c>GatewayComposition</c>) calls <see cref="AddEvents"/> and <see cref="MapEvents"/>; nothing else registers this feature.
/// </summary>
public static class EventsFeature
{
    public static IServiceCollection AddEvents(this IServiceCollection services)
    {
        services.AddSingleton<EventStore>();
        return services;
    }

    public static RouteGroupBuilder MapEvents(this RouteGroupBuilder api)
    {
        api.MapEventEndpoints();
        return api;
    }
}
