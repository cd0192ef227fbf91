using Gateway.Service.Storage;

namespace Gateway.Service.Audit;

/// <summary>Where the audit log's key and its recorded heads live (<c>Gateway:AuditKeyFile</c>, <c>Gateway:AuditHeadFile</c>).</summary>
/// <param name="KeyFile">The audit key: the MAC key of the chain, created at first start.</param>
/// <param name="HeadFile">The append-only file of recorded chain heads.</param>
public sealed record AuditFiles(string KeyFile, string HeadFile);

/// <summary>
/// The audit log: its key, the chain written with every unit of work, the head recorder and <c>/api/audit</c>.
/// The composition root (<c>GatewayComposition</c>) calls <see cref="AddAudit"/> and <see cref="MapAudit"/>; nothing else registers this feature.
/// </summary>
public static class AuditFeature
{
    public static IServiceCollection AddAudit(this IServiceCollection services, AuditFiles files)
    {
        services.AddSingleton(files);
        services.AddSingleton(new AuditKey(files.KeyFile));
        services.AddSingleton<AuditLog>();
        services.AddSingleton<IUnitOfWorkObserver>(sp => sp.GetRequiredService<AuditLog>());
        services.AddSingleton<AuditHeadRecorder>();
        return services;
    }

    public static RouteGroupBuilder MapAudit(this RouteGroupBuilder api)
    {
        api.MapAuditEndpoints();
        return api;
    }
}
