namespace Gateway.Testing;

/// <summary>Finds the repository and the build outputs of its programs, for tests that start real processes.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Gateway.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"Gateway.sln not found above {AppContext.BaseDirectory}");
    });

    /// <summary>The repository root (the folder holding Gateway.sln).</summary>
    public static string Root => RootLazy.Value;

    /// <summary>Debug or Release: the configuration this test assembly was built in.</summary>
    public static string Configuration
    {
        get
        {
            var parts = AppContext.BaseDirectory.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
            var bin = Array.LastIndexOf(parts, "bin");
            return bin >= 0 && bin + 1 < parts.Length ? parts[bin + 1] : "Debug";
        }
    }

    /// <summary>The built dll of a program, e.g. <c>Program("src/Gateway.Service", "Gateway.Service")</c>.</summary>
    public static string Program(string projectFolder, string assemblyName)
    {
        var path = Path.Combine(Root, projectFolder, "bin", Configuration, "net10.0", assemblyName + ".dll");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} is not built; build the solution in {Configuration} first", path);
        }

        return path;
    }

    /// <summary>gateway service dll.</summary>
    public static string Service => Program(Path.Combine("src", "Gateway.Service"), "Gateway.Service");

    /// <summary>gatewayctl dll.</summary>
    public static string Cli => Program(Path.Combine("src", "Gateway.Cli"), "gatewayctl");

    /// <summary>gateway-sim dll.</summary>
    public static string Simulator => Program(Path.Combine("src", "Simulators"), "gateway-sim");
}
