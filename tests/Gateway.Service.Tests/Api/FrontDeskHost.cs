using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Service.Api;
using Gateway.Service.Cards;
using Gateway.Service.Cards.Encoders;

namespace Gateway.Service.Tests.Api;

/// <summary>An API host configured like a small site: one encoder, a car-park gate, building 3's door and a common door.</summary>
public static class FrontDeskHost
{
    public const string FinanceToken = "finance-only-token";
    public const string DeskToken = "front-desk-only-token";
    public const string AuthorizerToken = "parking-authorizer-only-token";

    public static Dictionary<string, string?> SiteConfiguration(bool withEncoder = true)
    {
        var config = new Dictionary<string, string?>
        {
            ["Gateway:Devices:0:Id"] = "gate-1",
            ["Gateway:Devices:0:Kind"] = "barrier",
            ["Gateway:Devices:0:Endpoint"] = "tcp://127.0.0.1:1502",
            ["Gateway:Devices:0:Zone"] = "car-park",
            ["Gateway:Devices:1:Id"] = "b3-door",
            ["Gateway:Devices:1:Kind"] = "barrier",
            ["Gateway:Devices:1:Endpoint"] = "tcp://127.0.0.1:1503",
            ["Gateway:Devices:1:Zone"] = "building-3",
            ["Gateway:Devices:2:Id"] = "lobby",
            ["Gateway:Devices:2:Kind"] = "barrier",
            ["Gateway:Devices:2:Endpoint"] = "tcp://127.0.0.1:1504",
            ["Gateway:Devices:2:Zone"] = "common",
        };
        if (withEncoder)
        {
            config["Gateway:Devices:3:Id"] = "desk";
            config["Gateway:Devices:3:Kind"] = "encoder";
            config["Gateway:Devices:3:Endpoint"] = "/dev/ttyUSB0";
        }

        return config;
    }

    /// <summary>Starts the host; <paramref name="encoder"/> null keeps the product's encoder port (the PN532 driver); <paramref name="time"/> null: the system clock.</summary>
    public static Task<ApiTestHost> StartAsync(FakeEncoder? encoder, bool withEncoderDevice = true, IDictionary<string, string?>? extra = null, TimeProvider? time = null) => ApiTestHost.StartAsync(
        services =>
        {
            services.AddSingleton<IOperatorAuthenticator>(new TokenAuthenticator(FinanceToken, new OperatorIdentity("fin-1", "Finance One", [GatewayRoles.Finance])));
            services.AddSingleton<IOperatorAuthenticator>(new TokenAuthenticator(DeskToken, new OperatorIdentity("desk-1", "Desk One", [GatewayRoles.FrontDesk])));
            services.AddSingleton<IOperatorAuthenticator>(new TokenAuthenticator(AuthorizerToken, new OperatorIdentity("auth-1", "Authorizer One", [GatewayRoles.ParkingAuthorizer])));
            if (encoder is not null)
            {
                services.AddSingleton<ICardEncoderPort>(encoder);
            }
        },
        configuration: Merge(SiteConfiguration(withEncoderDevice), extra),
        time: time);

    private static Dictionary<string, string?> Merge(Dictionary<string, string?> site, IDictionary<string, string?>? extra)
    {
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            site[key] = value;
        }

        return site;
    }

    public static async Task<JsonElement> CreateHolderAsync(HttpClient client, string name = "Li Wei", string building = "3", string unit = "2", string room = "1201", string? idNumber = null)
    {
        using var response = await client.PostAsJsonAsync(new Uri("api/holders", UriKind.Relative), new { name, building, unit, room, phone = "+86 138 0000 0000", idDocumentNumber = idNumber });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await ApiTestHost.ReadJsonAsync(response);
    }

    public static async Task ReceiveAsync(HttpClient client, long from, long to)
    {
        using var response = await client.PostAsJsonAsync(new Uri("api/cards/stock", UriKind.Relative), new { from, to, batch = "B-1" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public static object HandOver(params string[] items) => new { items = items.Length == 0 ? new[] { "card", "door-keys", "gift", "resident-handbook", "management-agreement" } : items, receiptReference = "R-2026-0001" };

    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, object? body, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = body is string raw ? ApiTestHost.RawJson(raw) : JsonContent.Create(body);
        }

        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation(IdempotencyMiddleware.HeaderName, key);
        }

        return await client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> IssueAsync(HttpClient client, long number, long holderId, string kind = "access", string? key = null) =>
        PostAsync(client, $"api/cards/{number}/issue", new { holderId, kind, handOver = HandOver() }, key ?? Guid.NewGuid().ToString());

    public static async Task<JsonElement> GetCardAsync(HttpClient client, long number) =>
        await ApiTestHost.ReadJsonAsync(await client.GetAsync(new Uri($"api/cards/{number}", UriKind.Relative)));

    private sealed class TokenAuthenticator(string token, OperatorIdentity identity) : IOperatorAuthenticator
    {
        public ValueTask<OperatorIdentity?> AuthenticateAsync(string presented, CancellationToken cancellationToken) =>
            ValueTask.FromResult(presented == token ? identity : null);
    }
}
