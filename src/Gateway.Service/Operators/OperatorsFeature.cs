using Gateway.Service.Api;
using Gateway.Service.Site;

namespace Gateway.Service.Operators;

/// <summary>
/// Operators (<c>Gateway:Operators:*</c>, <c>Gateway:BootstrapToken</c>): sign-in, tokens, the bootstrap token and
/// its retirement, the first admin and the security checks at start, and <c>/api/login</c>, <c>/api/operators</c>,
/// <c>/api/roles</c>, <c>/api/notifications</c>.
/// The composition root (<c>GatewayComposition</c>) calls <see cref="AddOperators"/> and <see cref="MapOperators"/>; nothing else registers this feature.
/// </summary>
public static class OperatorsFeature
{
    public static IServiceCollection AddOperators(this IServiceCollection services, SecurityOptions options, Secret? bootstrapToken)
    {
        services.AddSingleton(options);
        services.AddSingleton<BootstrapRetirement>();
        // The bootstrap token, then the operators' own tokens.
        services.AddSingleton(sp => new BootstrapTokenAuthenticator(bootstrapToken, sp.GetRequiredService<BootstrapRetirement>()));
        services.AddSingleton<IOperatorAuthenticator>(sp => sp.GetRequiredService<BootstrapTokenAuthenticator>());
        services.AddSingleton<OperatorStore>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<SignInWorkflow>();
        services.AddSingleton<IOperatorAuthenticator, OperatorTokenAuthenticator>();
        // Loads the audit key: before any other start-up work that writes the audit log.
        services.AddSingleton<SecurityStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<SecurityStartup>());
        // After the audit key is loaded: the pass may purge tokens, which is audited.
        services.AddHostedService<SecurityHousekeeping>();
        return services;
    }

    public static RouteGroupBuilder MapOperators(this RouteGroupBuilder api)
    {
        api.MapOperatorEndpoints();
        return api;
    }
}
