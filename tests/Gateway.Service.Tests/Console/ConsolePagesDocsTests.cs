using System.Text.RegularExpressions;
using Gateway.Service.Console;
using Gateway.Service.Tests.Api;

namespace Gateway.Service.Tests.Console;

/// <summary>
/// docs/console.md's page table is the console's role table, as docs/api.md's is the API's
/// (RoleTableDocsTests): every console page the running service maps, with the policy its endpoint
/// names, must be the pages and policies that table lists, neither more nor fewer.
/// </summary>
public sealed partial class ConsolePagesDocsTests
{
    [Fact]
    public async Task EveryPage_PolicyInDocsConsoleMd_IsThePolicyTheRunningAppEnforces()
    {
        var documented = DocumentedPages(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "docs", "console.md")));
        await using var host = await ApiTestHost.StartAsync();

        var running = new List<string>();
        foreach (var endpoint in host.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>())
        {
            var pattern = "/" + endpoint.RoutePattern.RawText!.Trim('/');
            if (ConsolePaths.IsApi(new PathString(pattern)))
            {
                continue;
            }

            var policy = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is not null
                ? "anonymous"
                : string.Join(" + ", endpoint.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>().Select(a => a.Policy ?? "(no policy name)").Distinct());
            running.Add($"{Constraint().Replace(pattern, "{$1}")}: {policy}");
        }

        Assert.True(running.Count >= 20, string.Join(", ", running));
        Assert.Equal(documented.Order(StringComparer.Ordinal), running.Distinct().Order(StringComparer.Ordinal));
    }

    /// <summary>The rows of the table headed "page | policy": each page in backticks, and the policy (in backticks, or "anonymous").</summary>
    private static List<string> DocumentedPages(string markdown)
    {
        var pages = new List<string>();
        var inTable = false;
        foreach (var line in markdown.Split('\n').Select(l => l.Trim()))
        {
            var cells = line.StartsWith('|') && line.EndsWith('|') ? line[1..^1].Split('|').Select(c => c.Trim()).ToList() : [];
            if (cells is ["page", "policy", ..])
            {
                inTable = true;
                continue;
            }

            if (!inTable || cells.Count < 2 || cells[0].StartsWith("---", StringComparison.Ordinal))
            {
                inTable = inTable && cells.Count >= 2;
                continue;
            }

            var policy = cells[1].Trim('`');
            foreach (Match page in Quoted().Matches(cells[0]))
            {
                pages.Add($"{page.Groups[1].Value}: {policy}");
            }
        }

        Assert.True(pages.Count >= 20, $"only {pages.Count} pages read from docs/console.md's page table: has its format changed?");
        Assert.Equal(pages.Count, pages.Select(p => p[..p.LastIndexOf(": ", StringComparison.Ordinal)]).Distinct().Count());
        return pages;
    }

    /// <summary>A route parameter's constraint, which the docs leave out: {number:long} is {number}.</summary>
    [GeneratedRegex(@"\{(\w+):[^}]+\}")]
    private static partial Regex Constraint();

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Quoted();
}
