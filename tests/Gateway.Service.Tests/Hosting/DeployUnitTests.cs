using Gateway.Service.Hosting;

namespace Gateway.Service.Tests.Hosting;

/// <summary>deploy/gateway.service keeps the exit-code contract of docs/operations.md (70 restarts, 1 does not) and keeps what it writes to the service account.</summary>
public sealed class DeployUnitTests
{
    [Fact]
    public void SystemdUnit_ExitCode70Restarted_ExitCode1NotRestarted()
    {
        var service = Section(File.ReadAllLines(Path.Combine(RepoPaths.Root, "deploy", "gateway.service")), "Service");

        // on-failure restarts after any non-zero exit code, a crash or a kill by signal, except what is prevented.
        Assert.Contains(service["Restart"], new[] { "on-failure", "always" });
        var prevented = service.GetValueOrDefault("RestartPreventExitStatus", string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("1", prevented);
        Assert.DoesNotContain(LoopSupervisor.ExitCodeUnrecoverable.ToString(System.Globalization.CultureInfo.InvariantCulture), prevented);
        var success = service.GetValueOrDefault("SuccessExitStatus", string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain(LoopSupervisor.ExitCodeUnrecoverable.ToString(System.Globalization.CultureInfo.InvariantCulture), success);
    }

    [Fact]
    public void SystemdUnit_ServiceAccountOnly_UmaskLeavesOthersNothingAndDataFolderInstalledOwnerOnly()
    {
        var service = Section(File.ReadAllLines(Path.Combine(RepoPaths.Root, "deploy", "gateway.service")), "Service");

        // Group and others get no bit of what the service creates (logs, audit heads, backups elsewhere).
        Assert.True(service.TryGetValue("UMask", out var umask), "deploy/gateway.service sets no UMask");
        Assert.Equal(0x3F, Convert.ToInt32(umask, 8) & 0x3F); // 077 in octal

        // README's install line creates the data folder for the service account only.
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        Assert.Contains("install -d -m 700 -o gateway -g gateway /var/lib/gateway", readme, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Section(string[] lines, string name)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var inside = false;
        foreach (var line in lines.Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            if (line.StartsWith('['))
            {
                inside = line == $"[{name}]";
            }
            else if (inside && line.Split('=', 2) is [var key, var value])
            {
                values[key.Trim()] = value.Trim();
            }
        }

        return values;
    }
}
