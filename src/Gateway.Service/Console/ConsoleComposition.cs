using Gateway.Service.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace Gateway.Service.Console;

/// <summary>
/// Wires the web console (docs/console.md): Razor Pages under <c>Console/Pages</c> served at <c>/</c>
/// beside the API, the cookie session, antiforgery, data-protection keys in the data folder, the
/// request language, and the few static files (stylesheet, htmx) embedded in the assembly.
/// The composition root (<c>GatewayComposition</c>) calls these, so the service and the test hosts serve the same console.
/// </summary>
public static class ConsoleComposition
{
    /// <summary>The hidden antiforgery field of every console form.</summary>
    public const string AntiforgeryField = "__form";

    public static void AddGatewayConsole(this IServiceCollection services)
    {
        services.AddRazorPages(o =>
            {
                o.RootDirectory = "/Console/Pages";
                o.Conventions.AddPageRoute("/Holders/Edit", "holders/new");
            })
            .AddMvcOptions(o => o.SuppressImplicitRequiredAttributeForNonNullableReferenceTypes = true)
            // The pages live in this assembly, whichever assembly the host started from (the service, or a test host).
            .ConfigureApplicationPartManager(parts =>
            {
                var console = typeof(ConsoleComposition).Assembly;
                if (!parts.ApplicationParts.Any(p => p is Microsoft.AspNetCore.Mvc.ApplicationParts.AssemblyPart a && a.Assembly == console))
                {
                    foreach (var part in Microsoft.AspNetCore.Mvc.ApplicationParts.ApplicationPartFactory.GetApplicationPartFactory(console).GetApplicationParts(console))
                    {
                        parts.ApplicationParts.Add(part);
                    }
                }
            })
            .AddCookieTempDataProvider(o =>
            {
                o.Cookie.Name = "gateway.notice";
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            });
        services.AddAntiforgery(o =>
        {
            o.FormFieldName = AntiforgeryField;
            o.Cookie.Name = "gateway.form";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });

        // One key ring in the data folder, owner-only: a restart neither signs anyone out nor breaks a form in progress.
        services.AddDataProtection().SetApplicationName("gateway-console");
        services.AddOptions<KeyManagementOptions>().Configure<GatewayOptions>((o, gateway) =>
            o.XmlRepository = new OwnerOnlyXmlRepository(Path.Combine(gateway.DataFolder, OwnerOnlyXmlRepository.FolderName)));

        // Chinese is written as is, not as &#x...; entities (smaller pages, readable source).
        services.Configure<Microsoft.Extensions.WebEncoders.WebEncoderOptions>(o =>
            o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        services.AddSingleton<ConsoleText>();
        services.AddSingleton<ConsolePreferences>();
        services.AddSingleton<ConsoleForms>();
        services.AddConsoleSessions();
    }

    /// <summary>The console's static files at <c>/assets/...</c>, before authentication (they hold nothing secret).</summary>
    public static void UseConsoleAssets(this WebApplication app)
    {
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".txt"] = "text/plain; charset=utf-8";
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new EmbeddedFileProvider(typeof(ConsoleComposition).Assembly, "Gateway.Service.Console.Assets"),
            RequestPath = "/assets",
            ContentTypeProvider = types,
            OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "public, max-age=3600",
        });
    }

    /// <summary>
    /// Maps every page for GET and POST only. Each page names its policy (<c>[Authorize(Policy = …)]</c>)
    /// for both, so what a role may see and what it may post are checked by the same rule.
    /// </summary>
    public static void MapGatewayConsole(this WebApplication app) =>
        app.MapRazorPages().WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Post]));
}
