namespace Gateway.Service.Backups;

/// <summary>
/// Online backups: the workflow and <c>/api/backups</c>.
/// The composition root (<c>GatewayComposition</c>) calls <see cref="AddBackups"/> and <see cref="MapBackups"/>; nothing else registers this feature.
/// </summary>
public static class BackupsFeature
{
    public static IServiceCollection AddBackups(this IServiceCollection services)
    {
        services.AddSingleton<BackupWorkflow>();
        return services;
    }

    public static RouteGroupBuilder MapBackups(this RouteGroupBuilder api)
    {
        api.MapBackupEndpoints();
        return api;
    }
}
