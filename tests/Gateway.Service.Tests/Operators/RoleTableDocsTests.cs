using System.Text.RegularExpressions;
using Gateway.Service.Api;
using Gateway.Service.Tests.Api;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;

namespace Gateway.Service.Tests.Operators;

/// <summary>
/// docs/api.md is the role table operators read: every route's policy there must be the policy the
/// running application enforces, read from its endpoint metadata, and every policy's roles there must be
/// the roles the application's policy requires. A policy changed on any route (or a route added without
/// documenting it, or documented without existing) fails this test.
/// </summary>
public sealed partial class RoleTableDocsTests
{
    private const string Anonymous = "anonymous";

    [Fact]
    public async Task EveryRoute_PolicyInDocsApiMd_IsThePolicyTheRunningAppEnforces()
    {
        var documented = DocumentedRoutes(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "docs", "api.md")));
        Assert.True(documented.Count >= 60, $"only {documented.Count} routes read from docs/api.md: has its table format changed?");
        await using var host = await ApiTestHost.StartAsync();
        var mapped = MappedRoutes(host);
        Assert.Contains(mapped, r => r.Method == "POST" && r.Pattern == "/api/alarms/{id:long}/acknowledge");

        var failures = new List<string>();
        foreach (var route in mapped)
        {
            var docs = documented.Where(d => d.Method == route.Method && route.Matches(d.Path)).ToList();
            if (docs.Count == 0)
            {
                failures.Add($"{route.Method} {route.Pattern} ({route.Policy}) is not in docs/api.md");
            }

            failures.AddRange(docs.Where(d => d.Policy != route.Policy).Select(d => $"{route.Method} {route.Pattern}: docs/api.md says {d.Policy}, the app enforces {route.Policy}"));
        }

        failures.AddRange(documented.Where(d => !mapped.Any(r => r.Method == d.Method && r.Matches(d.Path))).Select(d => $"docs/api.md lists {d.Method} {d.Path}, which the app does not map"));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task EveryPolicy_RolesInDocsApiMd_AreTheRolesTheAppRequires()
    {
        var documented = DocumentedPolicies(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "docs", "api.md")));
        await using var host = await ApiTestHost.StartAsync();
        var provider = host.Services.GetRequiredService<IAuthorizationPolicyProvider>();
        var used = MappedRoutes(host).Select(r => r.Policy).Where(p => p != Anonymous).ToHashSet();
        var failures = new List<string>();
        foreach (var name in used.Union(documented.Keys))
        {
            var policy = await provider.GetPolicyAsync(name);
            if (policy is null)
            {
                failures.Add($"docs/api.md documents policy {name}, which the app does not register");
                continue;
            }

            var roles = policy.Requirements.OfType<RolesAuthorizationRequirement>().SelectMany(r => r.AllowedRoles).Order(StringComparer.Ordinal).ToList();
            var actual = roles.Count == 0 && policy.Requirements.OfType<DenyAnonymousAuthorizationRequirement>().Any() ? "any operator" : string.Join(", ", roles);
            if (!documented.TryGetValue(name, out var written))
            {
                failures.Add($"policy {name} ({actual}) is used by a route but missing from docs/api.md's policy table");
            }
            else if (written != actual)
            {
                failures.Add($"policy {name}: docs/api.md says '{written}', the app requires '{actual}'");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>Rows of docs/api.md's endpoint tables: first cell one or more `METHOD /path`, second cell the policy.</summary>
    private static List<DocumentedRoute> DocumentedRoutes(string markdown)
    {
        var routes = new List<DocumentedRoute>();
        foreach (var line in markdown.Split('\n'))
        {
            var cells = Cells(line);
            if (cells.Count < 2)
            {
                continue;
            }

            var entries = RouteCell().Matches(cells[0]);
            if (entries.Count == 0)
            {
                continue;
            }

            foreach (Match entry in entries)
            {
                // A sample query string (`?days=N`) is not part of the route.
                var path = entry.Groups[2].Value.Split('?')[0].TrimEnd('/');
                routes.Add(new DocumentedRoute(entry.Groups[1].Value, path, cells[1].Trim().Trim('`')));
            }
        }

        return routes;
    }

    /// <summary>The policy table: `policy` | roles (comma-separated, or "any operator").</summary>
    private static Dictionary<string, string> DocumentedPolicies(string markdown)
    {
        var policies = new Dictionary<string, string>(StringComparer.Ordinal);
        var inTable = false;
        foreach (var line in markdown.Split('\n'))
        {
            var cells = Cells(line);
            if (cells.Count >= 3 && cells[0].Trim() == "policy" && cells[1].Trim() == "roles")
            {
                inTable = true;
                continue;
            }

            if (!inTable || cells.Count < 3 || cells[0].Trim().StartsWith("---", StringComparison.Ordinal))
            {
                inTable = inTable && cells.Count >= 3;
                continue;
            }

            var roles = cells[1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            policies[cells[0].Trim().Trim('`')] = roles is ["any operator"] ? "any operator" : string.Join(", ", roles.Order(StringComparer.Ordinal));
        }

        Assert.True(policies.Count >= 8, $"only {policies.Count} policies read from docs/api.md's policy table");
        return policies;
    }

    private static List<string> Cells(string line)
    {
        var trimmed = line.Trim();
        if (!trimmed.StartsWith('|') || !trimmed.EndsWith('|'))
        {
            return [];
        }

        return [.. trimmed[1..^1].Split('|')];
    }

    private static List<MappedRoute> MappedRoutes(ApiTestHost host)
    {
        var list = new List<MappedRoute>();
        foreach (var endpoint in host.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>())
        {
            var pattern = "/" + endpoint.RoutePattern.RawText!.Trim('/');
            if (!Gateway.Service.Console.ConsolePaths.IsApi(new PathString(pattern)))
            {
                // The console's pages: docs/console.md's page table, checked by ConsolePagesDocsTests.
                continue;
            }

            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy ?? "(no policy name)").Distinct().ToList();
            var policy = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null ? Anonymous
                : policies.Count == 1 ? policies[0]
                : policies.Count == 0 ? "(none: the fallback policy)" : string.Join(" + ", policies);
            list.AddRange(methods.Select(m => new MappedRoute(m, pattern, policy)));
        }

        return list;
    }

    [GeneratedRegex(@"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)`")]
    private static partial Regex RouteCell();

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Parameter();

    private sealed record DocumentedRoute(string Method, string Path, string Policy);

    private sealed record MappedRoute(string Method, string Pattern, string Policy)
    {
        /// <summary>A documented path matches when each route parameter stands for one path segment (docs write {id} or a sample value).</summary>
        public bool Matches(string documentedPath)
        {
            var regex = "^" + string.Join("[^/]+", Parameter().Split(Pattern.TrimEnd('/')).Select(Regex.Escape)) + "$";
            return Regex.IsMatch(documentedPath, regex, RegexOptions.CultureInvariant);
        }
    }
}
