namespace Gateway.Service.SiteImport;

/// <summary>
/// Moving a site in from the previous system: the import workflow and <c>/api/imports</c>.
/// The composition root (<c>GatewayComposition</c>) calls <see cref="AddSiteImport"/> and <see cref="MapSiteImport"/>; nothing else registers this feature.
/// </summary>
public static class SiteImportFeature
{
    public static IServiceCollection AddSiteImport(this IServiceCollection services)
    {
        services.AddSingleton<ImportWorkflow>();
        return services;
    }

    public static RouteGroupBuilder MapSiteImport(this RouteGroupBuilder api)
    {
        api.MapImportEndpoints();
        return api;
    }
}
