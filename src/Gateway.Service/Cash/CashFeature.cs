namespace Gateway.Service.Cash;

/// <summary>
/// The desk's money: payments, receipts and the cash report (<c>/api/reports/cash</c>).
/// The composition root (<c>GatewayComposition</c>) calls <see cref="AddCash"/> and <see cref="MapCash"/>; nothing else registers this feature.
/// </summary>
public static class CashFeature
{
    public static IServiceCollection AddCash(this IServiceCollection services)
    {
        services.AddSingleton<CashWorkflow>();
        return services;
    }

    public static RouteGroupBuilder MapCash(this RouteGroupBuilder api)
    {
        api.MapCashEndpoints();
        return api;
    }
}
