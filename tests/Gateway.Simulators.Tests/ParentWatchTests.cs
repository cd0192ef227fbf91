using System.Globalization;

namespace Gateway.Simulators.Tests;

/// <summary><c>--parent-pid</c>: a simulator outlives neither its parent nor the process it was told to watch.</summary>
public sealed class ParentWatchTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly TempFolder _folder = new("gateway-sim-parent");

    [LinuxFact]
    public async Task Barrier_ParentKilled_SimulatorStopsByItself()
    {
        // sh starts the simulator in the background, tells its pid and waits: the simulator's parent is sh.
        var script = $"dotnet '{RepoPaths.Simulator}' barrier --listen tcp://127.0.0.1:0 --state '{_folder.Combine("state.json")}' --parent-pid $$ & echo \"child $!\"; wait";
        await using var shell = ChildProcess.Start("sh", ["-c", script]);
        var child = int.Parse((await shell.WaitForLineAsync(@"^child (\d+)", Bound)).Groups[1].Value, CultureInfo.InvariantCulture);
        try
        {
            await shell.WaitForLineAsync("^ready$", Bound);
            Assert.True(ProcessTable.IsAlive(child));

            shell.Signal(9);

            await ProcessTable.UntilGoneAsync(child, Bound);
            // It stopped as on SIGTERM: the state was saved on the way out.
            Assert.True(File.Exists(_folder.Combine("state.json")));
        }
        finally
        {
            ProcessTable.Kill(child);
        }
    }

    [LinuxFact]
    public async Task Encoder_WatchedProcessExits_SimulatorExitsZero()
    {
        await using var watched = ChildProcess.Start("sleep", ["600"]);
        await using var sim = ChildProcess.StartDotnet(RepoPaths.Simulator, ["encoder", "--pty", _folder.Combine("tty0"), "--parent-pid", watched.Id.ToString(CultureInfo.InvariantCulture)]);
        await sim.WaitForLineAsync("^ready$", Bound);

        watched.Signal(9);

        Assert.Equal(0, await sim.WaitForExitAsync(Bound));
        Assert.Contains($"parent process {watched.Id} is gone", sim.StandardError, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task Barrier_NoSuchParent_RefusedAtStart()
    {
        var (code, _, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Simulator, ["barrier", "--listen", "tcp://127.0.0.1:0", "--parent-pid", "2147483646"], Bound);

        Assert.NotEqual(0, code);
        Assert.Contains("--parent-pid 2147483646: no such process", stderr, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();
}
