using System.Net;
using System.Text.Json;
using Gateway.Service.Tests.Api;

namespace Gateway.Service.Tests.Operators;

/// <summary>Operator plumbing for API tests: create through the admin API, log in, change the one-time password.</summary>
internal static class OperatorTestKit
{
    public const string Password = "a-strong-password-1";

    public static async Task<HttpResponseMessage> LoginAsync(ApiTestHost host, string username, string password)
    {
        using var anonymous = host.CreateClient(null);
        return await anonymous.PostAsync(new Uri("api/login", UriKind.Relative), ApiTestHost.Json(new { username, password }));
    }

    public static async Task<string> TokenAsync(ApiTestHost host, string username, string password)
    {
        using var response = await LoginAsync(host, username, password);
        var body = await ApiTestHost.ReadJsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.GetRawText());
        return body.GetProperty("token").GetString()!;
    }

    public static async Task CreateAsync(ApiTestHost host, string username, string[] roles, string oneTimePassword = "one-time-password-1")
    {
        using var response = await host.Client.PostAsync(
            new Uri("api/operators", UriKind.Relative),
            ApiTestHost.Json(new { username, displayName = username, roles, password = oneTimePassword }));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    public static async Task<HttpResponseMessage> ChangePasswordAsync(ApiTestHost host, string token, string current, string next)
    {
        using var client = host.CreateClient(token);
        return await client.PostAsync(new Uri("api/me/password", UriKind.Relative), ApiTestHost.Json(new { currentPassword = current, newPassword = next }));
    }

    /// <summary>An operator with the given roles whose password is already changed; returns a working token.</summary>
    public static async Task<string> ReadyOperatorAsync(ApiTestHost host, string username, params string[] roles)
    {
        await CreateAsync(host, username, roles);
        var token = await TokenAsync(host, username, "one-time-password-1");
        using var changed = await ChangePasswordAsync(host, token, "one-time-password-1", Password);
        Assert.True(changed.StatusCode == HttpStatusCode.OK, await changed.Content.ReadAsStringAsync());
        return token;
    }

    public static async Task<JsonElement> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var body = await ApiTestHost.ReadJsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, body.GetRawText());
        return body;
    }
}
