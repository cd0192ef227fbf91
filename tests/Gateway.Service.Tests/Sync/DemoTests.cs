using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Gateway.Service.Tests.Sync;

/// <summary>The service run with --demo as a real process: simulators started as its children, synced, stopped with it.</summary>
public sealed class DemoTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private readonly TempFolder _folder = new("gateway-demo");

    [LinuxFact]
    public async Task Demo_Started_ControllersConnectedAndChildrenStoppedOnSigterm()
    {
        await using var service = ChildProcess.StartDotnet(RepoPaths.Service, ["--demo", "--Gateway:Http:Port=0"], workingDirectory: _folder.Path);
        var url = (await service.WaitForLineAsync(@"HTTP (http://[0-9.]+:\d+)", Bound)).Groups[1].Value;
        var token = (await service.WaitForLineAsync(@"^demo admin token: ([0-9a-f]{64})", Bound)).Groups[1].Value;
        Assert.Equal(token, (await File.ReadAllTextAsync(_folder.Combine("data", "demo", "admin.token"))).Trim());
        var children = ChildPids(service.Id);
        Assert.Equal(3, children.Count);

        using var http = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var deadline = DateTimeOffset.UtcNow + Bound;
        while (true)
        {
            using var devices = JsonDocument.Parse(await http.GetStringAsync(new Uri("api/devices", UriKind.Relative)));
            var barriers = devices.RootElement.GetProperty("items").EnumerateArray().Where(d => d.GetProperty("kind").GetString() == "barrier").ToList();
            Assert.Equal(["carpark-in", "carpark-out", "door-b3"], barriers.Select(d => d.GetProperty("id").GetString()).Order());
            if (barriers.All(d => d.GetProperty("state").GetString() == "connected"))
            {
                Assert.Equal(["car-park", "car-park", "building-3"], barriers.Select(d => d.GetProperty("zone").GetString()));
                break;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, devices.RootElement.GetRawText());
            await Task.Delay(500);
        }

        service.Signal(15);
        Assert.Equal(0, await service.WaitForExitAsync(Bound));
        foreach (var pid in children)
        {
            Assert.False(IsRunning(pid), $"simulator {pid} still runs after the service stopped");
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    private static List<int> ChildPids(int parent)
    {
        // Each thread lists the children it started.
        return Directory.GetDirectories($"/proc/{parent}/task")
            .Select(task => Path.Combine(task, "children"))
            .Where(File.Exists)
            .SelectMany(path => File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(int.Parse)
            .Distinct()
            .ToList();
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
