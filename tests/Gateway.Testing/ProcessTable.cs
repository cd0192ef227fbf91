using System.Diagnostics;
using System.Globalization;

namespace Gateway.Testing;

/// <summary>
/// Processes seen through /proc (Linux): whether one still runs, its children, and a bounded wait for
/// it to be gone. A process whose parent died is re-parented and may stay a zombie for a while under
/// a container's init; a zombie runs no code, so it counts as gone here.
/// </summary>
public static class ProcessTable
{
    /// <summary>True while <paramref name="pid"/> exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X" or "x");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The ids of <paramref name="pid"/>'s children (each thread lists the children it started).</summary>
    public static List<int> Children(int pid) =>
        Directory.GetDirectories($"/proc/{pid}/task")
            .Select(task => Path.Combine(task, "children"))
            .Where(File.Exists)
            .SelectMany(path => File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(text => int.Parse(text, CultureInfo.InvariantCulture))
            .Distinct()
            .ToList();

    /// <summary>Waits until <paramref name="pid"/> is gone; after <paramref name="bound"/> kills it (so a failing test leaves nothing behind) and throws.</summary>
    public static async Task UntilGoneAsync(int pid, TimeSpan bound)
    {
        var deadline = DateTimeOffset.UtcNow + bound;
        while (IsAlive(pid))
        {
            if (DateTimeOffset.UtcNow >= deadline)
            {
                Kill(pid);
                throw new TimeoutException($"process {pid} still ran after {bound}; killed");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Kills <paramref name="pid"/> if it still runs (clean-up after a failed test).</summary>
    public static void Kill(int pid)
    {
        if (!IsAlive(pid))
        {
            return;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone meanwhile.
        }
    }
}
