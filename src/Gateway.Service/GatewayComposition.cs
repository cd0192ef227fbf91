using Gateway.Service.Alarms;
using Gateway.Service.Api;
using Gateway.Service.Audit;
using Gateway.Service.Backups;
using Gateway.Service.Cards;
using Gateway.Service.Cards.Encoders;
using Gateway.Service.Cash;
using Gateway.Service.Console;
using Gateway.Service.Controllers;
using Gateway.Service.Events;
using Gateway.Service.Gates;
using Gateway.Service.Holders;
using Gateway.Service.Hosting;
using Gateway.Service.Inventory;
using Gateway.Service.Notifications;
using Gateway.Service.Operators;
using Gateway.Service.Parking;
using Gateway.Service.SiteImport;
using Gateway.Service.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Service;

/// <summary>
/// The composition root: every feature of the service, registered and mapped in one place. Each feature
/// folder has one <c>XFeature</c> class with <c>AddX</c> (its services, given its own part of
/// <see cref="GatewayOptions"/>) and <c>MapX</c> (its endpoints under <c>/api</c>); this file calls them all.
/// The service's <c>Program</c>, the in-process test hosts and the benchmarks call the same two methods, so
/// tests exercise the real wiring. See docs/architecture.md.
/// </summary>
public static class GatewayComposition
{
    /// <summary>
    /// Registers the core, the API's plumbing, every feature and the console. Hosted services start in the
    /// order they are registered: the operators' start-up (which loads the audit key) first, then the
    /// notification dispatcher and the recovery of interrupted card issues; the sync engine after them all
    /// (<see cref="ControllersFeature.RunControllerSync"/>, called by Program only).
    /// </summary>
    public static IServiceCollection AddGateway(this IServiceCollection services, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // The core and the process.
        services.AddSingleton(options);
        services.AddSingleton(options.Site);
        services.AddSingleton(options.SiteDevices);
        services.AddSingleton(new Domain.Parking.SiteCalendar(options.SiteTimeZone));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(new GatewayDatabase(options.DatabasePath));
        services.AddSingleton<DeviceStatusBoard>();
        services.AddSingleton<ServiceExit>();
        services.AddSingleton<LoopSupervisor>();

        // What every endpoint shares, and the zones (from the configured devices).
        services.AddGatewayApi();
        services.AddZones(options.SiteDevices);

        // The features.
        services.AddAudit(new AuditFiles(options.Security.AuditKeyFile, options.Security.AuditHeadFile));
        services.AddOperators(options.Security, options.BootstrapToken);
        services.AddNotifications(options.Security.Notifications);
        services.AddBackups();
        services.AddInventory(options.Inventory);
        services.AddHolders();
        services.AddCards(CardEncoderOptions.From(options.Site, options.SiteDevices, options.CardKeys), options.CardFees);
        services.AddControllerSync(options.Sync, SyncEngine.RulesFrom(options.Parking, options.SiteTimeZone, options.Sync));
        services.AddEvents();
        services.AddAlarms();
        services.AddParking(options.Parking);
        services.AddCash();
        services.AddGates();
        services.AddSiteImport();

        // The web console beside the API.
        services.AddGatewayConsole();
        return services;
    }

    /// <summary>Adds the middleware (problems, status pages, auth, idempotency) and maps every endpoint, the console's pages included.</summary>
    public static void UseGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseConsoleAssets();
        app.UseSiteTimeZoneHeader(app.Services.GetRequiredService<GatewayOptions>().SiteTimeZone);
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

        var api = app.MapGatewayApi();
        api.MapHolders();
        api.MapCards();
        api.MapZoneEndpoints();
        api.MapOperators();
        api.MapAudit();
        api.MapBackups();
        api.MapInventory();
        api.MapControllerSync();
        api.MapEvents();
        api.MapAlarms();
        api.MapGates();
        api.MapParking();
        api.MapCash();
        api.MapSiteImport();

        app.MapGatewayConsole();
    }
}
