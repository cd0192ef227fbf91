using System.Net;
using Gateway.Service.Api;
using Gateway.Service.Tests.Operators;

namespace Gateway.Service.Tests.Api;

/// <summary>
/// <c>/health</c> answers anyone whether the service is ready, and nothing more; the site id, device
/// endpoints and their last errors need a token whose roles read devices (front-desk, admin).
/// </summary>
public sealed class HealthTests
{
    private static readonly Dictionary<string, string?> OneDevice = new()
    {
        ["Gateway:Devices:0:Id"] = "gate-1",
        ["Gateway:Devices:0:Kind"] = "barrier",
        ["Gateway:Devices:0:Endpoint"] = "tcp://127.0.0.1:1502",
        ["Gateway:Devices:0:Zone"] = "car-park",
    };

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-token-of-this-site-0123456789abcdef")]
    public async Task Health_WithoutAValidToken_AnswersOnlyReadiness(string? token)
    {
        await using var host = await ApiTestHost.StartAsync(configuration: OneDevice);
        using var client = host.CreateClient(token);
        using var response = await client.GetAsync(new Uri("health", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ready"}""", text);
    }

    [Theory]
    [InlineData(GatewayRoles.Finance, false)]
    [InlineData(GatewayRoles.ParkingAuthorizer, false)]
    [InlineData(GatewayRoles.FrontDesk, true)]
    public async Task Health_OperatorToken_DetailOnlyForRolesThatReadDevices(string role, bool detailed)
    {
        await using var host = await ApiTestHost.StartAsync(configuration: OneDevice);
        using var client = host.CreateClient(await OperatorTestKit.ReadyOperatorAsync(host, "only-" + role, role));
        using var response = await client.GetAsync(new Uri("health", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(detailed, text.Contains("127.0.0.1:1502", StringComparison.Ordinal));
        Assert.Equal(detailed, text.Contains("api-test", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Health_AdminToken_ShowsSiteStorageAndDevices()
    {
        await using var host = await ApiTestHost.StartAsync(configuration: OneDevice);
        using var response = await host.Client.GetAsync(new Uri("health", UriKind.Relative));
        var body = await ApiTestHost.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ready", body.GetProperty("status").GetString());
        Assert.Equal("api-test", body.GetProperty("siteId").GetString());
        Assert.Equal("open", body.GetProperty("storage").GetProperty("state").GetString());
        var device = Assert.Single(body.GetProperty("devices").EnumerateArray());
        Assert.Equal("tcp://127.0.0.1:1502", device.GetProperty("endpoint").GetString());
    }
}
