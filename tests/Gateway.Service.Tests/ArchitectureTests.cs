using System.Text.RegularExpressions;
using Gateway.Testing;

namespace Gateway.Service.Tests;

/// <summary>
/// The service's folders as layers (docs/architecture.md), read from its sources: which namespace of
/// <c>Gateway.Service</c> each file is in and which others it names (usings and qualified names).
/// A new arrow against the layers fails here with the file that draws it.
/// </summary>
public sealed partial class ArchitectureTests
{
    /// <summary>The core: plain rules and the storage seam, named by everything, naming nothing above them.</summary>
    private static readonly HashSet<string> Core = ["Domain", "Site", "Storage"];

    /// <summary>The shared plumbing of the doors and the process: HTTP helpers and hosting.</summary>
    private static readonly HashSet<string> Plumbing = ["Api", "Hosting"];

    /// <summary>
    /// The files of the plumbing that may name features: only the supervisor, which raises an alarm when a
    /// loop fails. Registration and the options of every feature live in the root (<see cref="CompositionRoot"/>).
    /// </summary>
    private static readonly HashSet<string> Composition =
    [
        "Hosting/LoopSupervisor.cs",
    ];

    /// <summary>The one file that registers and maps every feature.</summary>
    private const string CompositionRoot = "GatewayComposition.cs";

    /// <summary>
    /// Files besides the features' <c>XFeature.cs</c> that may register services: the root, Program (the demo's
    /// operators), the API's shared plumbing and zones, and the console's own wiring.
    /// </summary>
    private static readonly HashSet<string> RegistrationFiles =
    [
        CompositionRoot,
        "Program.cs",
        "Api/ApiComposition.cs",
        "Api/ZoneEndpoints.cs",
        "Console/ConsoleComposition.cs",
        "Console/ConsoleAuth.cs",
    ];

    /// <summary>Doors and the demo: they call the features; no feature calls them.</summary>
    private static readonly HashSet<string> Outermost = ["Console", "Demo"];

    private const string Root = "(root)";

    [Fact]
    public void Domain_NamesNoOtherPartOfTheService_NorStorageOrHttp()
    {
        var files = Sources().Where(f => f.Namespace == "Domain").ToList();
        Assert.True(files.Count >= 20, $"only {files.Count} files read in Domain: has the tree moved?");
        var failures = files.SelectMany(f => f.Names.Where(n => n != "Domain").Select(n => $"{f.Path} names Gateway.Service.{n}"))
            .Concat(files.Where(f => HttpOrSql().IsMatch(f.Text)).Select(f => $"{f.Path} uses SQLite or ASP.NET Core"))
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Core_NamesOnlyTheCore()
    {
        var failures = Sources().Where(f => Core.Contains(f.Namespace))
            .SelectMany(f => f.Names.Where(n => !Core.Contains(n)).Select(n => $"{f.Path} ({f.Namespace}) names Gateway.Service.{n}"))
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Plumbing_NamesFeaturesOnlyInTheCompositionFiles()
    {
        var sources = Sources();
        foreach (var file in Composition)
        {
            Assert.True(sources.Any(f => f.Path == file), $"{file} is listed as composition but does not exist: update the list and docs/architecture.md");
        }

        var failures = sources.Where(f => Plumbing.Contains(f.Namespace) && !Composition.Contains(f.Path))
            .SelectMany(f => f.Names.Where(n => !Core.Contains(n) && !Plumbing.Contains(n)).Select(n => $"{f.Path} ({f.Namespace}) names the feature Gateway.Service.{n}"))
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void NoFeatureNamesTheConsoleTheDemoOrTheRoot()
    {
        var failures = Sources().Where(f => f.Namespace != Root && !Outermost.Contains(f.Namespace) && !Composition.Contains(f.Path))
            .SelectMany(f => f.Names.Where(n => Outermost.Contains(n) || n == Root).Select(n => $"{f.Path} ({f.Namespace}) names {n}"))
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Features_HaveNoCycles()
    {
        var sources = Sources();
        var features = sources.Select(f => f.Namespace).Where(IsFeature).ToHashSet();
        Assert.True(features.Count >= 12, $"only {features.Count} feature namespaces found: has the tree moved?");
        var edges = features.ToDictionary(f => f, _ => new Dictionary<string, List<string>>());
        foreach (var file in sources.Where(f => IsFeature(f.Namespace)))
        {
            foreach (var name in file.Names.Where(IsFeature))
            {
                if (!edges[file.Namespace].TryGetValue(name, out var by))
                {
                    edges[file.Namespace][name] = by = [];
                }

                by.Add(file.Path);
            }
        }

        var cycles = StronglyConnected(edges.ToDictionary(e => e.Key, e => (IReadOnlyCollection<string>)e.Value.Keys)).Where(c => c.Count > 1).ToList();
        var described = cycles.Select(c => string.Join("; ", c.SelectMany(a => edges[a].Where(e => c.Contains(e.Key)).Select(e => $"{a} -> {e.Key} ({string.Join(", ", e.Value)})"))));
        Assert.True(cycles.Count == 0, "features that name each other: " + string.Join("\n", described));
    }

    [Fact]
    public void EveryFeature_HasOneRegistrationEntry_CalledByTheCompositionRoot()
    {
        var sources = Sources();
        var root = sources.Single(f => f.Path == CompositionRoot).Text;
        var failures = new List<string>();
        foreach (var feature in sources.Select(f => f.Namespace).Where(IsFeature).Distinct().Order(StringComparer.Ordinal))
        {
            var path = $"{feature}/{feature}Feature.cs";
            var entry = sources.SingleOrDefault(f => f.Path == path);
            if (entry is null)
            {
                failures.Add($"the feature {feature} has no {path} (AddX/MapX, called by {CompositionRoot})");
                continue;
            }

            var adds = AddMethod().Matches(entry.Text).Select(m => m.Groups[1].Value).ToList();
            if (adds.Count == 0)
            {
                failures.Add($"{path} declares no Add method");
            }

            failures.AddRange(adds.Where(a => !root.Contains($".{a}(", StringComparison.Ordinal)).Select(a => $"{CompositionRoot} does not call {a} ({path})"));
        }

        failures.AddRange(sources
            .Where(f => !f.Path.EndsWith("Feature.cs", StringComparison.Ordinal) && !RegistrationFiles.Contains(f.Path) && Registration().IsMatch(StripComments(f.Text)))
            .Select(f => $"{f.Path} registers services: that belongs in its feature's XFeature.cs"));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void OnlyTheRootAndTheDoorsTakeTheWholeOptions()
    {
        // A feature takes its own options (registered by the root from its section), never GatewayOptions.
        var failures = Sources().Where(f => f.Namespace != Root && !Outermost.Contains(f.Namespace) && WholeOptions().IsMatch(StripComments(f.Text)))
            .Select(f => $"{f.Path} ({f.Namespace}) takes GatewayOptions: give it its own options instead")
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Workflows_KnowNothingOfHttp()
    {
        var workflows = Sources().Where(f => Path.GetFileName(f.Path).Contains("Workflow", StringComparison.Ordinal)).ToList();
        Assert.True(workflows.Count >= 5, $"only {workflows.Count} workflow files found");
        var failures = workflows.Where(f => Http().IsMatch(f.Text)).Select(f => $"{f.Path} uses HTTP types").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void StronglyConnected_FindsACycleAndLeavesAChainAlone()
    {
        // The check itself must be able to fail.
        var graph = new Dictionary<string, IReadOnlyCollection<string>> { ["A"] = ["B"], ["B"] = ["C"], ["C"] = ["A"], ["D"] = ["A"] };
        var components = StronglyConnected(graph);
        Assert.Contains(components, c => c.Count == 3 && c.Contains("A") && c.Contains("B") && c.Contains("C"));
        Assert.Contains(components, c => c.Count == 1 && c.Contains("D"));
    }

    private static bool IsFeature(string ns) => ns != Root && !Core.Contains(ns) && !Plumbing.Contains(ns) && !Outermost.Contains(ns);

    private sealed record SourceFile(string Path, string Namespace, IReadOnlySet<string> Names, string Text);

    private static List<SourceFile> Sources()
    {
        var root = System.IO.Path.Combine(RepoPaths.Root, "src", "Gateway.Service");
        var files = new List<SourceFile>();
        foreach (var path in Directory.EnumerateFiles(root, "*.*", SearchOption.AllDirectories))
        {
            var relative = System.IO.Path.GetRelativePath(root, path).Replace('\\', '/');
            if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal)
                || !(relative.EndsWith(".cs", StringComparison.Ordinal) || relative.EndsWith(".cshtml", StringComparison.Ordinal)))
            {
                continue;
            }

            var text = File.ReadAllText(path);
            var declared = NamespaceDeclaration().Match(text);
            // Razor views declare no namespace: they belong to their top folder.
            var ns = declared.Success ? (declared.Groups[1].Success ? declared.Groups[1].Value : Root)
                : relative.Contains('/', StringComparison.Ordinal) ? relative[..relative.IndexOf('/', StringComparison.Ordinal)] : Root;
            var names = NamespaceReference().Matches(StripComments(text)).Select(m => m.Groups[1].Value).Where(n => n != ns).ToHashSet();
            files.Add(new SourceFile(relative, ns, names, text));
        }

        // Only namespaces count (a qualified type of the root namespace is not a part of its own).
        var known = files.Select(f => f.Namespace).ToHashSet();
        return files.Select(f => f with { Names = f.Names.Where(known.Contains).ToHashSet() }).ToList();
    }

    // Comments and doc comments mention other parts freely (a <see cref> is a reference, but an
    // unqualified one needs a using, which is counted).
    private static string StripComments(string text) => LineComment().Replace(text, string.Empty);

    /// <summary>Tarjan's strongly connected components.</summary>
    private static List<HashSet<string>> StronglyConnected(IReadOnlyDictionary<string, IReadOnlyCollection<string>> graph)
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var result = new List<HashSet<string>>();
        var next = 0;

        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in graph.TryGetValue(v, out var outs) ? outs : [])
            {
                if (!index.ContainsKey(w))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w))
                {
                    low[v] = Math.Min(low[v], index[w]);
                }
            }

            if (low[v] == index[v])
            {
                var component = new HashSet<string>();
                string w;
                do
                {
                    w = stack.Pop();
                    onStack.Remove(w);
                    component.Add(w);
                }
                while (w != v);
                result.Add(component);
            }
        }

        foreach (var v in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (!index.ContainsKey(v))
            {
                Visit(v);
            }
        }

        return result;
    }

    [GeneratedRegex(@"^\s*namespace\s+Gateway\.Service(?:\.(\w+))?", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"\bGateway\.Service\.(\w+)")]
    private static partial Regex NamespaceReference();

    [GeneratedRegex(@"//.*$", RegexOptions.Multiline)]
    private static partial Regex LineComment();

    [GeneratedRegex(@"public static IServiceCollection (Add\w+)\(this IServiceCollection")]
    private static partial Regex AddMethod();

    [GeneratedRegex(@"\bservices\.(?:Add|TryAdd)\w*", RegexOptions.IgnoreCase)]
    private static partial Regex Registration();

    [GeneratedRegex(@"\bGatewayOptions\b")]
    private static partial Regex WholeOptions();

    [GeneratedRegex(@"Microsoft\.Data\.Sqlite|Microsoft\.AspNetCore|\bHttpContext\b|\bIResult\b")]
    private static partial Regex HttpOrSql();

    [GeneratedRegex(@"Microsoft\.AspNetCore|\bHttpContext\b|\bIResult\b|\bResults\.")]
    private static partial Regex Http();
}
