namespace Gateway.EndToEnd.Tests;

/// <summary>The demo's simulators never outlive the service, even when it is killed with SIGKILL (no clean-up runs then).</summary>
[Collection(CrashCollection.Name)]
public sealed class DemoCrashTests : IDisposable
{
    private readonly TempFolder _folder = new("gateway-demo-kill");

    [LinuxFact]
    public async Task Demo_ServiceKilled_SimulatorChildrenExitByThemselves()
    {
        await using var site = await DemoSite.StartAsync(_folder.Path);
        var children = ProcessTable.Children(site.Service.Id);
        Assert.Equal(4, children.Count);
        try
        {
            site.Service.Signal(9);
            await site.Service.WaitForExitAsync(DemoSite.Bound);

            foreach (var pid in children)
            {
                await ProcessTable.UntilGoneAsync(pid, DemoSite.Bound);
            }
        }
        finally
        {
            children.ForEach(ProcessTable.Kill);
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
