using System.CommandLine;
using System.Diagnostics;
using System.Globalization;

namespace Gateway.Simulators;

/// <summary>
/// <c>--parent-pid PID</c>: a simulator that a supervisor (the service's <c>--demo</c>) starts ends when
/// that process is gone, however it ended. A SIGKILL of the supervisor runs none of its clean-up, so the
/// child has to notice by itself; it then stops as on SIGTERM (state saved, ports closed, exit 0).
/// </summary>
public sealed class ParentWatch : IAsyncDisposable
{
    /// <summary>How often the parent is looked for.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _lifetime;
    private readonly CancellationTokenSource _stopWatching = new();
    private readonly Task _loop;

    private ParentWatch(int? parentPid, CancellationToken cancellationToken)
    {
        _lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _loop = parentPid is { } pid ? WatchAsync(pid, ParentOfThisProcess() == pid, _stopWatching.Token) : Task.CompletedTask;
    }

    /// <summary>Cancelled when the caller's token is, or when the watched process is gone.</summary>
    public CancellationToken Token => _lifetime.Token;

    /// <summary>True once the watched process was found gone.</summary>
    public bool ParentGone { get; private set; }

    public static Option<int?> CreateOption() => new("--parent-pid")
    {
        Description = "Exit (as on SIGTERM) when the process with this id exits; a supervisor passes its own id so that no simulator outlives it, even after a SIGKILL",
    };

    /// <summary>Starts watching <paramref name="parentPid"/> (null: nothing to watch, the token follows <paramref name="cancellationToken"/> only).</summary>
    /// <exception cref="ArgumentException">No process has that id.</exception>
    public static ParentWatch Start(int? parentPid, CancellationToken cancellationToken)
    {
        if (parentPid is { } pid && !IsRunning(pid))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--parent-pid {pid}: no such process"));
        }

        return new ParentWatch(parentPid, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopWatching.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopped watching, as asked.
        }

        _stopWatching.Dispose();
        _lifetime.Dispose();
    }

    private async Task WatchAsync(int pid, bool isParent, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            // A dead parent's children are re-parented at once, while its pid may linger as a zombie
            // (or be reused): the parent id of this process is the reliable sign on Linux.
            var gone = isParent ? ParentOfThisProcess() != pid : !IsRunning(pid);
            if (gone)
            {
                ParentGone = true;
                await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"gateway-sim: parent process {pid} is gone; stopping"));
                await _lifetime.CancelAsync();
                return;
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The parent's pid from /proc/self/stat on Linux (field 4, after the parenthesised name); null elsewhere.</summary>
    private static int? ParentOfThisProcess()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
