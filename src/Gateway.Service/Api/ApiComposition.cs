using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Service.Api;

/// <summary>
/// What the HTTP API shares, whatever the feature: JSON conventions, problem details, the bearer
/// authentication scheme and the role policies, the write path, idempotency, OpenAPI and <c>/api/me</c>.
/// Features are registered and mapped by the composition root (<c>GatewayComposition</c>), not here.
/// </summary>
public static class ApiComposition
{
    /// <summary>The response header naming the site's time zone (IANA id) on every answer.</summary>
    public const string SiteTimeZoneHeader = "Gateway-Site-Time-Zone";

    /// <summary>Largest request body accepted (bank files included); larger → 413 payload-too-large.</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    public static IServiceCollection AddGatewayApi(this IServiceCollection services)
    {
        services.Configure<JsonOptions>(o => Configure(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            var status = problem.Status ?? context.HttpContext.Response.StatusCode;
            if (problem.Type is null || !problem.Type.StartsWith(ProblemTypes.Prefix, StringComparison.Ordinal))
            {
                problem.Type = ProblemTypes.ForStatus(status);
            }
        });

        services.AddSingleton<UnitOfWorkFactory>();
        services.AddSingleton<IdempotencyStore>();
        services.AddSingleton<RejectedTokenLog>();
        services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        services.AddAuthorization(GatewayPolicies.Register);
        services.AddOpenApi("v1");
        return services;
    }

    /// <summary>The JSON conventions of the API: camelCase, enums as kebab-case strings, strict numbers, unknown fields refused.</summary>
    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
    }

    /// <summary>Every answer names the site's zone, so clients show instants (sent in UTC) as the site's local time (gatewayctl does).</summary>
    public static void UseSiteTimeZoneHeader(this WebApplication app, TimeZoneInfo siteTimeZone)
    {
        var id = siteTimeZone.Id;
        app.Use((context, next) =>
        {
            context.Response.Headers[SiteTimeZoneHeader] = id;
            return next(context);
        });
    }

    /// <summary>The health endpoint, the OpenAPI document and <c>/api/me</c>; returns the <c>/api</c> group the features map into.</summary>
    public static RouteGroupBuilder MapGatewayApi(this WebApplication app)
    {
        app.MapHealthEndpoints();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();

        var api = app.MapGroup("/api");
        api.MapGet("/me", (HttpContext context) =>
        {
            var user = context.User;
            return TypedResults.Ok(new WhoAmI(
                user.ToActor().OperatorId,
                user.ToActor().DisplayName,
                user.FindAll(System.Security.Claims.ClaimTypes.Role).Select(c => c.Value).ToList()));
        })
            .RequireAuthorization(GatewayPolicies.Authenticated)
            .WithName("WhoAmI")
            .WithSummary("The operator behind the bearer token and its roles");
        return api;
    }

    public sealed record WhoAmI(string OperatorId, string DisplayName, IReadOnlyList<string> Roles);
}
