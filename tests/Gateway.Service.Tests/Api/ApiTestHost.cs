using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Service.Api;
using Gateway.Service.Hosting;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Tests.Api;

/// <summary>
/// The service's real API wiring in process, listening on 127.0.0.1 with a free port (real HTTP),
/// on a real SQLite file in a temp folder. Tests may add services (test doubles below the API) and
/// endpoints.
/// </summary>
public sealed class ApiTestHost : IAsyncDisposable
{
    public const string AdminToken = "test-bootstrap-token-0123456789abcdef0123456789";

    private readonly WebApplication _app;
    private readonly TempFolder _folder;

    private ApiTestHost(WebApplication app, TempFolder folder, Uri baseAddress)
    {
        _app = app;
        _folder = folder;
        BaseAddress = baseAddress;
        Client = CreateClient(AdminToken);
    }

    public Uri BaseAddress { get; }

    /// <summary>A client authenticated with the bootstrap admin token.</summary>
    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public GatewayDatabase Database => _app.Services.GetRequiredService<GatewayDatabase>();

    /// <summary>The data folder (database, audit key, initial admin password).</summary>
    public string DataFolder => _folder.Path;

    public static async Task<ApiTestHost> StartAsync(
        Action<IServiceCollection>? services = null,
        Action<WebApplication>? endpoints = null,
        IDictionary<string, string?>? configuration = null,
        TimeProvider? time = null)
    {
        var folder = new TempFolder("gateway-api");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:DataFolder"] = folder.Path,
            ["Gateway:SiteId"] = "api-test",
            ["Gateway:BootstrapToken"] = AdminToken,
            ["Gateway:Http:Port"] = "0",
            // The production default (600,000) costs a noticeable fraction of a second per hash on CI.
            ["Gateway:Operators:PasswordIterations"] = "1000",
        };
        foreach (var (key, value) in configuration ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        if (!GatewayOptions.TryLoad(builder.Configuration, out var options, out var error))
        {
            throw new InvalidOperationException(error);
        }

        builder.WebHost.ConfigureKestrel(k =>
        {
            // The service's own listener setup (HTTPS when a certificate is configured), on a free port.
            options.Http.Listen(k);
            k.Limits.MaxRequestBodySize = ApiComposition.MaxRequestBodyBytes;
        });
        builder.Services.AddSingleton(time ?? TimeProvider.System);
        builder.Services.AddGateway(options);
        services?.Invoke(builder.Services);

        var app = builder.Build();
        app.Services.GetRequiredService<GatewayDatabase>().Initialize(options.SiteId, Migrator.Discover(typeof(GatewayDatabase).Assembly));
        app.UseGateway();
        endpoints?.Invoke(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new ApiTestHost(app, folder, new Uri(address + "/"));
    }

    public HttpClient CreateClient(string? token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>Rows in a table, read straight from the file.</summary>
    public long Count(string table)
    {
        using var connection = Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Row counts of every table, to prove a refused request changed nothing.</summary>
    public IReadOnlyDictionary<string, long> Snapshot()
    {
        using var connection = Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'idempotency_requests' ORDER BY name";
        var tables = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        return tables.ToDictionary(t => t, Count);
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Asserts a problem response with the given status and type; returns its body.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, int status, string type)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(text);
        var body = document.RootElement.Clone();
        Assert.Equal(type, body.GetProperty("type").GetString());
        Assert.Equal(status, body.GetProperty("status").GetInt32());
        return body;
    }

    public static HttpContent Json(object body) => JsonContent.Create(body);

    public static HttpContent RawJson(string text) => new StringContent(text, System.Text.Encoding.UTF8, "application/json");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
