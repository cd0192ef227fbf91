using System.Reflection;
using Gateway.Service.Api;
using Gateway.Service.Controllers;
using Gateway.Service.Hosting;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Serilog;

namespace Gateway.Service;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // The bootstrap logger covers start-up until configuration is read (see serilog-extensions-hosting).
        Log.Logger = new LoggerConfiguration()
            .MinimumLevel.Information()
            .WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}")
            .CreateBootstrapLogger();

        Demo.DemoSupervisor? demo = null;
        try
        {
            if (args.Contains("--demo"))
            {
                args = [.. args.Where(a => a != "--demo")];
                demo = await Demo.DemoSupervisor.StartAsync(Path.GetFullPath(Path.Combine("data", "demo")), CancellationToken.None);
            }

            var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                Args = args,
                // appsettings.json lives beside the binary, whatever the working directory.
                ContentRootPath = AppContext.BaseDirectory,
            });

            if (demo is not null)
            {
                // The demo's devices and folder; the command line still wins (e.g. --Gateway:Http:Port=5081).
                builder.Configuration.Sources.Insert(builder.Configuration.Sources.Count - 1, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = demo.Configuration });
            }

            if (!GatewayOptions.TryLoad(builder.Configuration, out var options, out var error))
            {
                // An operator's mistake: one line, no stack trace.
                await System.Console.Error.WriteLineAsync($"gateway: configuration error: {error}");
                return 1;
            }

            using var instance = InstanceLock.TryAcquire(options.DataFolder);
            if (instance is null)
            {
                await System.Console.Error.WriteLineAsync($"gateway: another Gateway is running on data folder {options.DataFolder} ({InstanceLock.FileName} is locked); stop it first");
                return 1;
            }

            Gateway.Shared.OwnerOnlyFile.CreateFolder(options.LogFolder);
            builder.Host.UseSerilog((context, services, logger) => options.Logs.WriteTo(
                logger.ReadFrom.Configuration(context.Configuration).ReadFrom.Services(services),
                options.LogFolder));
            builder.Host.UseSystemd();
            builder.Host.UseWindowsService(o => o.ServiceName = "Gateway");
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                options.Http.Listen(kestrel);
                kestrel.Limits.MaxRequestBodySize = ApiComposition.MaxRequestBodyBytes;
            });

            // Every feature, in one place (GatewayComposition.cs).
            builder.Services.AddGateway(options);
            if (demo is not null)
            {
                // The demo's named operators take the place of the first admin (docs/operators.md, "First start").
                builder.Services.AddSingleton(demo.Operators);
            }

            builder.Services.RunControllerSync();

            var app = builder.Build();

            var database = app.Services.GetRequiredService<GatewayDatabase>();
            try
            {
                database.Initialize(options.SiteId, Migrator.Discover(), app.Services.GetRequiredService<TimeProvider>());
            }
            catch (MigrationException ex)
            {
                Log.Fatal("Storage could not be opened: {Reason}", ex.Message);
                return 1;
            }
            catch (Microsoft.Data.Sqlite.SqliteException ex)
            {
                Log.Fatal("Storage could not be opened at {DatabasePath}: {Reason}", options.DatabasePath, ex.Message);
                return 1;
            }

            app.UseGateway();
            foreach (var warning in options.Http.Warnings(DateTimeOffset.UtcNow))
            {
                Log.Warning("HTTP: {Warning}", warning);
            }

            await app.StartAsync();
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            Log.Information(
                "Gateway {Version} started: site {SiteId}, HTTP {Urls}, data {DataFolder}, schema version {SchemaVersion}, {DeviceCount} device(s)",
                typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
                options.SiteId,
                string.Join(", ", addresses),
                options.DataFolder,
                database.SchemaVersion,
                options.Devices.Count);

            demo?.SetConsoleAddress(addresses);
            foreach (var note in demo?.Notes ?? [])
            {
                System.Console.WriteLine(note);
            }

            await app.WaitForShutdownAsync();
            var exit = app.Services.GetRequiredService<ServiceExit>();
            if (exit.Code != 0)
            {
                // A supervised loop met what it cannot recover from; the service manager starts a fresh process.
                Log.Fatal("Gateway stopped with exit code {ExitCode}: {Reason}", exit.Code, exit.Reason);
                return exit.Code;
            }

            Log.Information("Gateway stopped");
            return 0;
        }
        catch (IOException ex) when (ex.InnerException is System.Net.Sockets.SocketException || ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            Log.Fatal("Gateway could not listen: {Reason}", ex.Message);
            return 1;
        }
        catch (Gateway.Service.Audit.AuditKeyException ex)
        {
            Log.Fatal("Gateway could not start: {Reason}", ex.Message);
            return 1;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.Fatal(ex, "Gateway failed");
            return 1;
        }
        finally
        {
            if (demo is not null)
            {
                await demo.DisposeAsync();
            }

            await Log.CloseAndFlushAsync();
        }
    }
}
