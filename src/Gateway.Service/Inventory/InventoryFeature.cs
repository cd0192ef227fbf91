namespace Gateway.Service.Inventory;

/// <summary>
/// The monthly smart-card inventory (<c>Gateway:Inventory:*</c>), its audit heads and <c>/api/inventory</c>.
/// The composition root (<c>GatewayComposition</c>) calls <see cref="AddInventory"/> and <see cref="MapInventory"/>; nothing else registers this feature.
/// </summary>
public static class InventoryFeature
{
    public static IServiceCollection AddInventory(this IServiceCollection services, InventoryOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<InventoryWorkflow>();
        services.AddSingleton<Audit.IAuditHeadSource, InventoryAuditHeads>();
        return services;
    }

    public static RouteGroupBuilder MapInventory(this RouteGroupBuilder api)
    {
        api.MapInventoryEndpoints();
        return api;
    }
}
