using System.Net;
using System.Text.RegularExpressions;
using Gateway.Service.Api;
using Gateway.Service.Operators;
using Gateway.Service.Tests.Api;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Tests.Operators;

/// <summary>
/// DESIGN's role matrix enforced on every endpoint the API maps (read from the running app, so
/// endpoints added later are covered without editing this test): an operator holding one role is
/// refused (403) exactly where that role is not allowed, and reaches the endpoint elsewhere.
/// </summary>
public sealed partial class RoleMatrixTests
{
    /// <summary>DESIGN.md's role matrix, written out independently of the code's policy registrations.</summary>
    private static readonly Dictionary<string, string[]> Matrix = new()
    {
        [GatewayPolicies.FrontDesk] = [GatewayRoles.FrontDesk],
        [GatewayPolicies.ParkingAuthorizer] = [GatewayRoles.ParkingAuthorizer],
        [GatewayPolicies.Finance] = [GatewayRoles.Finance],
        [GatewayPolicies.Admin] = [GatewayRoles.Admin],
        [GatewayPolicies.ReadOperational] = [GatewayRoles.FrontDesk, GatewayRoles.Admin],
        [GatewayPolicies.ReadParking] = [GatewayRoles.FrontDesk, GatewayRoles.ParkingAuthorizer, GatewayRoles.Admin],
        [GatewayPolicies.ReadPayments] = [GatewayRoles.FrontDesk, GatewayRoles.ParkingAuthorizer, GatewayRoles.Finance, GatewayRoles.Admin],
        [GatewayPolicies.ReadAudit] = [GatewayRoles.Finance, GatewayRoles.Admin],
        [GatewayPolicies.ReadInventory] = [GatewayRoles.Finance, GatewayRoles.Admin],
        [GatewayPolicies.AlarmsAndGates] = [GatewayRoles.FrontDesk, GatewayRoles.Admin],
        // "finance: cash reports read; front-desk: its own shift's cash report" (the clerk's own shift is the workflow's to enforce).
        [GatewayPolicies.CashReports] = [GatewayRoles.FrontDesk, GatewayRoles.Finance, GatewayRoles.Admin],
        [GatewayPolicies.Authenticated] = [.. GatewayRoles.All],
    };

    /// <summary>Paths an operator with a one-time or expired password may still use.</summary>
    private static readonly HashSet<string> PasswordChangePaths = ["/api/me", "/api/me/password", "/api/logout"];

    [Fact]
    public async Task EveryEndpoint_EachRole_RefusedExactlyWhereTheMatrixSaysSo()
    {
        await using var host = await ApiTestHost.StartAsync();

        // Created with the bootstrap token, which retires once the admin below sets their own password.
        await OperatorTestKit.CreateAsync(host, "newcomer", [.. GatewayRoles.All]);
        var tokens = new Dictionary<string, string>();
        foreach (var role in GatewayRoles.All)
        {
            tokens[role] = await OperatorTestKit.ReadyOperatorAsync(host, "only-" + role, role);
        }

        var unchanged = await OperatorTestKit.TokenAsync(host, "newcomer", "one-time-password-1");

        var endpoints = Endpoints(host);
        Assert.Contains(endpoints, e => e.Path == "/api/operators" && e.Method == "POST");
        Assert.Contains(endpoints, e => e.Path == "/api/audit/verify");
        var failures = new List<string>();
        var checkedCount = 0;
        foreach (var endpoint in endpoints)
        {
            if (endpoint.Anonymous)
            {
                Assert.Equal("/api/login", endpoint.Path);
                continue;
            }

            if (endpoint.Policies.Count == 0 || endpoint.Policies.Any(p => !Matrix.ContainsKey(p)))
            {
                failures.Add($"{endpoint.Method} {endpoint.Path} names no policy of the role matrix ({string.Join(",", endpoint.Policies)})");
                continue;
            }

            var allowed = GatewayRoles.All.Where(r => endpoint.Policies.All(p => Matrix[p].Contains(r))).ToHashSet();
            foreach (var role in GatewayRoles.All)
            {
                // Logging out would spend the token this table needs; its policy is still checked below for refusals.
                if (allowed.Contains(role) && endpoint.Path == "/api/logout")
                {
                    continue;
                }

                var status = await SendAsync(host, tokens[role], endpoint);
                checkedCount++;
                if (allowed.Contains(role) ? status is 401 or 403 : status != 403)
                {
                    failures.Add($"{endpoint.Method} {endpoint.Path} as {role}: {status} (policy {string.Join(",", endpoint.Policies)})");
                }
            }

            if (!PasswordChangePaths.Contains(endpoint.Path))
            {
                var status = await SendAsync(host, unchanged, endpoint);
                if (status != 403)
                {
                    failures.Add($"{endpoint.Method} {endpoint.Path} with a one-time password: {status}, expected 403");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(checkedCount >= 40, $"only {checkedCount} role checks ran");
    }

    private static async Task<int> SendAsync(ApiTestHost host, string token, EndpointInfo endpoint)
    {
        using var client = host.CreateClient(token);
        using var request = new HttpRequestMessage(new HttpMethod(endpoint.Method), new Uri(endpoint.Path.TrimStart('/'), UriKind.Relative));
        if (endpoint.Method is "POST" or "PUT" or "PATCH")
        {
            request.Content = ApiTestHost.RawJson("{}");
        }

        using var response = await client.SendAsync(request);
        return (int)response.StatusCode;
    }

    private static List<EndpointInfo> Endpoints(ApiTestHost host)
    {
        var sources = host.Services.GetServices<EndpointDataSource>();
        var list = new List<EndpointInfo>();
        foreach (var endpoint in sources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>())
        {
            var raw = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            if (!raw.StartsWith("/api/", StringComparison.Ordinal))
            {
                continue;
            }

            var path = Parameter().Replace(raw.TrimEnd('/'), "1");
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().Distinct().ToList();
            var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            list.AddRange(methods.Select(m => new EndpointInfo(m, path, policies, anonymous)));
        }

        return list;
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Parameter();

    private sealed record EndpointInfo(string Method, string Path, IReadOnlyList<string> Policies, bool Anonymous);
}
