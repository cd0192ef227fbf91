using Gateway.Service;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Bench;

/// <summary>
/// The service's real HTTP wiring (the API and the console, no sync engine running) in this process, on
/// 127.0.0.1 port 0, over a SQLite file in <c>folder</c>, its schema made: what the API and console
/// benchmarks measure. Seed through <see cref="Database"/>, then <see cref="StartAsync"/>.
/// </summary>
internal sealed class BenchService : IAsyncDisposable
{
    /// <summary>The bootstrap token the benchmarks call the API with.</summary>
    public const string Token = "bench-bootstrap-token-0123456789abcdef0123456789";

    private BenchService(WebApplication app, GatewayOptions options)
    {
        App = app;
        Options = options;
        Database = app.Services.GetRequiredService<GatewayDatabase>();
    }

    public WebApplication App { get; }

    public IServiceProvider Services => App.Services;

    public GatewayOptions Options { get; }

    public GatewayDatabase Database { get; }

    /// <summary>Builds the service on <paramref name="folder"/>, with <paramref name="settings"/> added to the configuration.</summary>
    public static BenchService Create(string folder, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        var configuration = new Dictionary<string, string?>
        {
            ["Gateway:DataFolder"] = folder,
            ["Gateway:SiteId"] = "bench",
            ["Gateway:BootstrapToken"] = Token,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        if (!GatewayOptions.TryLoad(builder.Configuration, out var options, out var error))
        {
            throw new InvalidOperationException(error);
        }

        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddGateway(options);
        var app = builder.Build();
        app.Services.GetRequiredService<GatewayDatabase>().Initialize(options.SiteId, Migrator.Discover(typeof(GatewayDatabase).Assembly));
        app.UseGateway();
        return new BenchService(app, options);
    }

    /// <summary>Starts listening; returns the address, e.g. http://127.0.0.1:PORT.</summary>
    public async Task<string> StartAsync()
    {
        await App.StartAsync();
        return App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
    }

    /// <summary>The database file's size in MiB.</summary>
    public long FileMiB => new FileInfo(Options.DatabasePath).Length / 1024 / 1024;

    public ValueTask DisposeAsync() => App.DisposeAsync();
}
