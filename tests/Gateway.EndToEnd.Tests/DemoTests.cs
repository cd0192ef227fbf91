using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Gateway.EndToEnd.Tests;

/// <summary>The service run with --demo as a real process: simulators started as its children, synced, stopped with it.</summary>
public sealed class DemoTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private readonly TempFolder _folder = new("gateway-demo");

    [LinuxFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Demo_Started_ControllersConnectedAndChildrenStoppedOnSigterm()
    {
        await using var service = ChildProcess.StartDotnet(RepoPaths.Service, ["--demo", "--Gateway:Http:Port=0"], workingDirectory: _folder.Path);
        var url = (await service.WaitForLineAsync(@"HTTP (http://[0-9.]+:\d+)", Bound)).Groups[1].Value;
        var children = ChildPids(service.Id);
        Assert.Equal(4, children.Count);

        // No bootstrap token: one named operator per role, each password printed and kept owner-only in its file, usable at once.
        // First among the notes, the console's address and the desk clerk's sign-in, the same password as desk.password.
        var console = await service.WaitForLineAsync(@"^console: (http://[0-9.]+:\d+)/ +sign in as desk with the password (\S+) +\(also in (\S+)\)$", Bound);
        Assert.Equal(url, console.Groups[1].Value);
        Assert.Equal(_folder.Combine("data", "demo", "desk.password"), console.Groups[3].Value);
        using var http = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromSeconds(30) };
        string? deskToken = null;
        foreach (var (id, role) in new[] { ("desk", "front-desk"), ("authorizer", "parking-authorizer"), ("finance", "finance"), ("admin", "admin") })
        {
            var printed = (await service.WaitForLineAsync($@"^  {id}\s+{role}\s+password (\S+)$", Bound)).Groups[1].Value;
            var file = _folder.Combine("data", "demo", id + ".password");
            Assert.Equal(printed, (await File.ReadAllTextAsync(file)).Trim());
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            using var login = await http.PostAsync(new Uri("api/login", UriKind.Relative), System.Net.Http.Json.JsonContent.Create(new { username = id, password = printed }));
            using var body = JsonDocument.Parse(await login.Content.ReadAsStringAsync());
            Assert.True(login.IsSuccessStatusCode, body.RootElement.GetRawText());
            Assert.False(body.RootElement.GetProperty("passwordChangeRequired").GetBoolean());
            Assert.Equal([role], body.RootElement.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
            deskToken = id == "desk" ? body.RootElement.GetProperty("token").GetString() : deskToken;
            Assert.True(id != "desk" || printed == console.Groups[2].Value, $"the console line gives desk {console.Groups[2].Value}, the operators' list {printed}");
        }

        foreach (var secret in new[] { "card.key", "audit.key" })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_folder.Combine("data", "demo", secret)));
        }

        // The data folders and the database: the owner's only, from their creation.
        foreach (var folder in new[] { _folder.Combine("data"), _folder.Combine("data", "demo"), _folder.Combine("data", "demo", "logs") })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_folder.Combine("data", "demo", "gateway.db")));
        Assert.False(File.Exists(_folder.Combine("data", "demo", "admin.token")));
        Assert.False(File.Exists(_folder.Combine("data", "demo", "initial-admin-password.txt")));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", deskToken);
        var deadline = DateTimeOffset.UtcNow + Bound;
        while (true)
        {
            using var devices = JsonDocument.Parse(await http.GetStringAsync(new Uri("api/devices", UriKind.Relative)));
            var controllers = devices.RootElement.GetProperty("items").EnumerateArray().Where(d => d.GetProperty("kind").GetString() is "barrier" or "uhppote").ToList();
            Assert.Equal(["carpark-in", "carpark-out", "door-b3", "gate-common"], controllers.Select(d => d.GetProperty("id").GetString()).Order());
            if (controllers.All(d => d.GetProperty("state").GetString() == "connected"))
            {
                Assert.Equal(["car-park", "car-park", "building-3", "common"], controllers.Select(d => d.GetProperty("zone").GetString()));
                Assert.Equal(["barrier", "barrier", "barrier", "uhppote"], controllers.Select(d => d.GetProperty("kind").GetString()));
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

    [LinuxFact]
    public async Task Demo_Walkthrough_IssuedCardGrantedAtDoorAndBoardLostCardDeniedAtEveryControllerWithAlarm()
    {
        await using var site = await DemoSite.StartAsync(_folder.Path);
        await site.CtlAsync("holders", "add", "--name", "Li Wei", "--unit", "3-2-1201");
        await site.CtlAsync("cards", "receive", "100001", "100010");
        await site.CtlAsync("cards", "issue", "100001", "--holder", "1", "--kind", "both", "--receipt", "R-1");
        using var card = JsonDocument.Parse(await site.CtlAsync("cards", "show", "100001", "--json"));
        var uid = card.RootElement.GetProperty("uid").GetString()!;

        // The issue reached the door through the outbox: the card opens it (move-in issuance, then granted at the door).
        await DemoSite.UntilDecisionAsync(site.DoorControl, 1, uid, "granted");
        // ... and the estate gate's UHPPOTE board: one card record for both its doors.
        await site.UntilGateDecisionAsync(uid, 1, "granted");
        await site.UntilGateDecisionAsync(uid, 2, "granted");
        await DemoSite.UntilAsync(async () => (await site.CtlAsync("events", "--controller", "gate-common", "--card", "100001", "--decision", "granted")).Contains(uid, StringComparison.Ordinal), "the board's granted swipe was not collected and mapped back to card 100001");
        await DemoSite.UntilAsync(async () => (await site.CtlAsync("events", "--uid", uid, "--decision", "granted")).Contains("100001", StringComparison.Ordinal), "the granted event was not collected");

        await site.CtlAsync("cards", "lost", "100001");
        await DemoSite.UntilDecisionAsync(site.DoorControl, 1, uid, "denied blocked");
        // No paid period: the car park never held the card as valid; now it holds it blocked on both units.
        await DemoSite.UntilDecisionAsync(site.CarParkControl, 1, uid, "denied blocked");
        await DemoSite.UntilDecisionAsync(site.CarParkControl, 2, uid, "denied blocked");
        // A board keeps no blocked list: the lost card's record is deleted and the board no longer knows it.
        await site.UntilGateDecisionAsync(uid, 1, "denied unknown");
        await DemoSite.UntilAsync(async () => (await site.CtlAsync("alarms", "--kind", "blocked-card", "--json")).Contains("presented at gate-common", StringComparison.Ordinal), "no blocked-card alarm from the board");
        await DemoSite.UntilAsync(async () => (await site.CtlAsync("alarms", "--kind", "blocked-card", "--json")).Contains(uid, StringComparison.Ordinal), "no blocked-card alarm");
        await site.StopAsync();
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
