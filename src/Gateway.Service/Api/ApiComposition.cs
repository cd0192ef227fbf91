using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Service.Audit;
using Gateway.Service.Cards;
using Gateway.Service.Cards.Encoders;
using Gateway.Service.Console;
using Gateway.Service.Holders;
using Gateway.Service.Hosting;
using Gateway.Service.Operators;
using Gateway.Service.Parking;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Service.Api;

/// <summary>
/// Wires the HTTP API: JSON conventions, problem details, bearer authentication and the role
/// policies, the write path, idempotency, OpenAPI, and every endpoint group. The service's
/// <c>Program</c> and the in-process test hosts call the same two methods, so tests exercise the real wiring.
/// </summary>
public static class ApiComposition
{
    /// <summary>The response header naming the site's time zone (IANA id) on every answer.</summary>
    public const string SiteTimeZoneHeader = "Gateway-Site-Time-Zone";

    /// <summary>Largest request body accepted (bank files included); larger → 413 payload-too-large.</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    public static void AddGatewayApi(this IServiceCollection services)
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
        services.AddSingleton<BootstrapRetirement>();
        services.AddSingleton(sp => new BootstrapTokenAuthenticator(sp.GetRequiredService<GatewayOptions>().BootstrapToken, sp.GetRequiredService<BootstrapRetirement>()));
        services.AddSingleton<IOperatorAuthenticator>(sp => sp.GetRequiredService<BootstrapTokenAuthenticator>());
        services.AddSingleton<RejectedTokenLog>();
        services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        services.AddAuthorization(GatewayPolicies.Register);
        services.AddOpenApi("v1");

        // Front desk: zones from configuration, the PN532 encoder port with its SQLite write journal, issuing.
        services.AddSingleton(sp => ZoneEndpoints.FromOptions(sp.GetRequiredService<GatewayOptions>()));
        services.AddSingleton(sp => ZoneEndpoints.BoardNumberingFrom(sp.GetRequiredService<GatewayOptions>()));
        services.AddSingleton(sp => CardEncoderOptions.From(sp.GetRequiredService<GatewayOptions>().Site, sp.GetRequiredService<GatewayOptions>().SiteDevices, sp.GetRequiredService<GatewayOptions>().CardKeys));
        services.TryAddSingleton<Gateway.Drivers.CardEncoders.ICardWriteJournal, SqliteCardWriteJournal>();
        services.TryAddSingleton<ICardEncoderPort, DriverEncoderPort>();
        services.AddSingleton(sp => sp.GetRequiredService<GatewayOptions>().CardFees);
        services.AddSingleton<CardWorkflow>();
        services.AddSingleton<HolderWorkflow>();
        services.AddOperators();
        // After the audit key is loaded (AddOperators' start-up), before the sync engine and the API start.
        services.AddSingleton<IssueRecovery>();
        services.AddHostedService(sp => sp.GetRequiredService<IssueRecovery>());
        Controllers.SyncComposition.AddGatewaySync(services);
        services.AddSingleton(sp => sp.GetRequiredService<GatewayOptions>().Parking);
        services.AddSingleton<ParkingWorkflow>();
        services.AddSingleton<Cash.CashWorkflow>();
        services.AddSingleton<Gates.GateStore>();
        services.AddSingleton<Gates.GateWorkflow>();
        services.AddSingleton<SiteImport.ImportWorkflow>();
        services.AddGatewayConsole();
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

    /// <summary>Adds the middleware (problems, status pages, auth, idempotency) and maps every endpoint, the console's pages included.</summary>
    public static void UseGatewayApi(this WebApplication app)
    {
        app.UseConsoleAssets();
        // Every answer names the site's zone, so clients show instants (sent in UTC) as the site's local time (gatewayctl does).
        var siteTimeZone = app.Services.GetRequiredService<GatewayOptions>().SiteTimeZone.Id;
        app.Use((context, next) =>
        {
            context.Response.Headers[SiteTimeZoneHeader] = siteTimeZone;
            return next(context);
        });
        app.UseMiddleware<ProblemMiddleware>();
        // The API answers an empty error status with a problem; the console with a page in the operator's language.
        app.UseWhen(c => ConsolePaths.IsApi(c.Request.Path), api => api.UseStatusCodePages());
        app.UseWhen(c => ConsolePaths.IsConsole(c.Request.Path), console => console.UseStatusCodePagesWithReExecute("/status/{0}"));
        // Routing after the status pages, so a re-executed /status/{code} is routed to its (anonymous) page
        // instead of falling to the authenticated fallback policy (a refused form then showed the sign-in page).
        app.UseRouting();
        app.UseAuthentication();
        app.UseMiddleware<ConsoleCultureMiddleware>();
        app.UseMiddleware<PasswordChangeGate>();
        app.UseAuthorization();
        app.UseMiddleware<IdempotencyMiddleware>();

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

        // Feature groups register here, each naming its policy per endpoint.
        foreach (var map in EndpointGroups)
        {
            map(api);
        }

        app.MapGatewayConsole();
    }

    /// <summary>
    /// The feature endpoint groups mapped under <c>/api</c>. A feature adds its <c>MapXxxEndpoints</c>
    /// here (one line), so Program and the test hosts pick it up together.
    /// </summary>
    private static readonly List<Action<RouteGroupBuilder>> EndpointGroups =
    [
        HolderEndpoints.MapHolderEndpoints,
        CardEndpoints.MapCardEndpoints,
        ZoneEndpoints.MapZoneEndpoints,
        OperatorEndpoints.MapOperatorEndpoints,
        AuditEndpoints.MapAuditEndpoints,
        Backups.BackupEndpoints.MapBackupEndpoints,
        Inventory.InventoryEndpoints.MapInventoryEndpoints,
        Controllers.DeviceEndpoints.MapDeviceEndpoints,
        Events.EventEndpoints.MapEventEndpoints,
        Alarms.AlarmEndpoints.MapAlarmEndpoints,
        Gates.GateEndpoints.MapGateEndpoints,
        ParkingEndpoints.MapParkingEndpoints,
        Cash.CashEndpoints.MapCashEndpoints,
        SiteImport.ImportEndpoints.MapImportEndpoints,
    ];

    public sealed record WhoAmI(string OperatorId, string DisplayName, IReadOnlyList<string> Roles);
}
