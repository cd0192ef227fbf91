using System.Text.Json;

namespace Gateway.Cli.Tests;

/// <summary>One <c>gateway-sim uhppote</c> process holding boards 101-120, shared by the tests below (each test uses its own board).</summary>
public sealed class UhppoteSimulatorFixture : IAsyncLifetime
{
    public UhppoteSimulatorProcess Sim { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Sim = await UhppoteSimulatorProcess.StartAsync("--controllers", string.Join(',', Enumerable.Range(101, 20)));

    public async Task DisposeAsync() => await Sim.DisposeAsync();
}

/// <summary><c>gatewayctl uhppote ...</c> as a real process against the simulator as a real process, over UDP.</summary>
public sealed class UhppoteCommandTests : IClassFixture<UhppoteSimulatorFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly UhppoteSimulatorProcess _sim;

    public UhppoteCommandTests(UhppoteSimulatorFixture fixture)
    {
        _sim = fixture.Sim;
    }

    private string Endpoint => _sim.Endpoint;

    [Fact]
    public async Task GetController_Json_IsTheDecodedReply()
    {
        var stdout = await OkAsync("get-controller", Endpoint, "--controller", "101", "--json");
        Assert.Equal("""{"controller":101,"address":"127.0.0.1","netmask":"255.255.255.0","gateway":"0.0.0.0","macAddress":"00:66:00:00:00:65","version":"8.92","date":"2018-11-05"}""", stdout);
    }

    [Fact]
    public async Task SetTime_ThenGetTime_Json()
    {
        Assert.Equal("""{"controller":102,"time":"2021-05-28 13:51:30"}""", await OkAsync("set-time", Endpoint, "--controller", "102", "--time", "2021-05-28 13:51:30", "--json"));
        using var json = JsonDocument.Parse(await OkAsync("get-time", Endpoint, "--controller", "102", "--json"));
        Assert.Equal(102, json.RootElement.GetProperty("controller").GetInt32());
        Assert.StartsWith("2021-05-28 13:5", json.RootElement.GetProperty("time").GetString(), StringComparison.Ordinal);
        Assert.Equal("controller 102: 2021-05-28 13:5", (await OkAsync("get-time", Endpoint, "--controller", "102"))[..31]);
    }

    [Fact]
    public async Task PutCard_GetCard_GetCards_DeleteCard()
    {
        Assert.Equal("""{"controller":103,"card":8165538,"stored":true}""", await OkAsync("put-card", Endpoint, "--controller", "103", "8165538", "--from", "2023-01-01", "--to", "2023-12-31", "--doors", "1,4", "--pin", "7531", "--json"));
        Assert.Equal("stored 10058400    2024-01-01  2024-12-31  1:N 2:Y 3:N 4:N", await OkAsync("put-card", Endpoint, "--controller", "103", "10058400", "--from", "2024-01-01", "--to", "2024-12-31", "--doors", "2"));
        Assert.Equal(
            """{"controller":103,"card":8165538,"from":"2023-01-01","to":"2023-12-31","doors":{"1":true,"2":false,"3":false,"4":true},"pin":7531}""",
            await OkAsync("get-card", Endpoint, "--controller", "103", "8165538", "--json"));
        Assert.Equal("8165538     2023-01-01  2023-12-31  1:Y 2:N 3:N 4:Y  PIN 7531", await OkAsync("get-card", Endpoint, "--controller", "103", "8165538"));

        using (var all = JsonDocument.Parse(await OkAsync("get-cards", Endpoint, "--controller", "103", "--json")))
        {
            Assert.Equal(2, all.RootElement.GetProperty("count").GetInt32());
            Assert.Equal([8165538u, 10058400u], all.RootElement.GetProperty("cards").EnumerateArray().Select(c => c.GetProperty("card").GetUInt32()));
        }

        Assert.Equal("""{"controller":103,"card":8165538,"deleted":true}""", await OkAsync("delete-card", Endpoint, "--controller", "103", "8165538", "--json"));
        var (code, stdout, stderr) = await RunAsync("get-card", Endpoint, "--controller", "103", "8165538", "--json");
        Assert.Equal(3, code);
        Assert.Equal(string.Empty, stdout.Trim());
        Assert.Equal("gatewayctl: controller 103 holds no card 8165538", stderr.Trim());
        Assert.Equal("controller 103: 1 cards\n10058400    2024-01-01  2024-12-31  1:N 2:Y 3:N 4:N", await OkAsync("get-cards", Endpoint, "--controller", "103"));
    }

    [Fact]
    public async Task GetCards_ImportFile_TheBoardsNumbersAsACardsFileToFillIn()
    {
        using var folder = new TempFolder("gatewayctl-board-cards");
        var path = folder.Combine("cards.csv");
        foreach (var number in new[] { "3735928559", "10058400" })
        {
            await OkAsync("put-card", Endpoint, "--controller", "112", number, "--from", "2024-01-01", "--to", "2099-12-31", "--doors", "1");
        }

        var (code, stdout, stderr) = await RunAsync("get-cards", Endpoint, "--controller", "112", "--import-file", path);

        Assert.Equal(0, code);
        Assert.StartsWith("controller 112: 2 cards", stdout, StringComparison.Ordinal);
        Assert.Equal($"2 card numbers written to {path}", stderr.Trim());
        var bytes = await File.ReadAllBytesAsync(path);
        Assert.Equal([0xEF, 0xBB, 0xBF], bytes[..3]);
        // Kind and holder are the site's to fill in; a 10-digit number is no Gateway card number.
        Assert.Equal("card_number,kind,holder_ref,board_number\r\n10058400,,,10058400\r\n,,,3735928559\r\n", System.Text.Encoding.UTF8.GetString(bytes[3..]));
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public async Task Events_GetEvent_NotYet_AndTheHostIndex()
    {
        await _sim.PutAsync("controllers/104/clock", new { time = "2025-03-01 08:00:00" });
        await _sim.PostAsync("controllers/104/present", new { door = 2, card = 4242, direction = "out" });
        using (var json = JsonDocument.Parse(await OkAsync("get-event", Endpoint, "--controller", "104", "1", "--json")))
        {
            var e = json.RootElement.GetProperty("event");
            Assert.Equal((1u, "found"), (json.RootElement.GetProperty("index").GetUInt32(), json.RootElement.GetProperty("status").GetString()));
            Assert.Equal(("swipe", false, 2, "out", 4242u, 6, "denied-no-privilege"), (e.GetProperty("type").GetString(), e.GetProperty("granted").GetBoolean(), e.GetProperty("door").GetInt32(), e.GetProperty("direction").GetString(), e.GetProperty("card").GetUInt32(), e.GetProperty("reason").GetInt32(), e.GetProperty("reasonText").GetString()));
            Assert.StartsWith("2025-03-01 08:0", e.GetProperty("timestamp").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal("""{"controller":104,"index":99,"status":"not-yet","event":null}""", await OkAsync("get-event", Endpoint, "--controller", "104", "99", "--json"));
        Assert.Equal("""{"controller":104,"index":1,"changed":true}""", await OkAsync("set-event-index", Endpoint, "--controller", "104", "1", "--json"));
        Assert.Equal("""{"controller":104,"index":1}""", await OkAsync("get-event-index", Endpoint, "--controller", "104", "--json"));
    }

    [Fact]
    public async Task OpenDoor_ThenStatusShowsTheLockReleasedAndTheEvent()
    {
        Assert.Equal("""{"controller":105,"door":2,"opened":true}""", await OkAsync("open-door", Endpoint, "--controller", "105", "2", "--json"));
        using var json = JsonDocument.Parse(await OkAsync("get-status", Endpoint, "--controller", "105", "--json"));
        var root = json.RootElement;
        Assert.True(root.GetProperty("doors").GetProperty("2").GetProperty("unlocked").GetBoolean());
        Assert.False(root.GetProperty("doors").GetProperty("1").GetProperty("unlocked").GetBoolean());
        Assert.Equal(("door", 44, "remote-open-door"), (root.GetProperty("event").GetProperty("type").GetString(), root.GetProperty("event").GetProperty("reason").GetInt32(), root.GetProperty("event").GetProperty("reasonText").GetString()));
        Assert.Contains("door 2: closed, unlocked", await OkAsync("get-status", Endpoint, "--controller", "105"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DoorControl_ListenerAndSpecialEvents()
    {
        Assert.Equal("""{"controller":106,"door":3,"mode":"controlled","delay":3}""", await OkAsync("get-door-control", Endpoint, "--controller", "106", "3", "--json"));
        Assert.Equal("""{"controller":106,"door":3,"mode":"normally-closed","delay":9}""", await OkAsync("set-door-control", Endpoint, "--controller", "106", "3", "--mode", "normally-closed", "--delay", "9", "--json"));
        Assert.Equal("""{"controller":106,"listener":"0.0.0.0:0","interval":0}""", await OkAsync("get-listener", Endpoint, "--controller", "106", "--json"));
        Assert.Equal("controller 106: listener 192.168.1.100:60001", await OkAsync("set-listener", Endpoint, "--controller", "106", "192.168.1.100:60001", "--interval", "15"));
        Assert.Equal("""{"controller":106,"listener":"192.168.1.100:60001","interval":15}""", await OkAsync("get-listener", Endpoint, "--controller", "106", "--json"));
        Assert.Equal("""{"controller":106,"recordSpecialEvents":true}""", await OkAsync("record-special-events", Endpoint, "--controller", "106", "on", "--json"));
        Assert.True((await _sim.GetAsync("controllers/106")).GetProperty("recordSpecialEvents").GetBoolean());
    }

    [Fact]
    public async Task Find_ListsEveryBoardThatAnswers()
    {
        using var json = JsonDocument.Parse(await OkAsync("find", "--broadcast", Endpoint["udp://".Length..], "--wait-ms", "700", "--json"));
        Assert.Equal(Enumerable.Range(101, 20).Select(n => (uint)n), json.RootElement.GetProperty("controllers").EnumerateArray().Select(c => c.GetProperty("controller").GetUInt32()));
    }

    [Fact]
    public async Task NoReply_OneLineNamingTheBoard_Exit1()
    {
        var (code, stdout, stderr) = await RunAsync("get-time", Endpoint, "--controller", "999", "--timeout-ms", "500");
        Assert.Equal(1, code);
        Assert.Equal(string.Empty, stdout.Trim());
        Assert.Equal($"gatewayctl: {Endpoint}#999: no answer within 500 ms", stderr.Trim());
    }

    [Fact]
    public async Task ReplyFromAnotherBoard_OneLineNamingBoth_Exit1()
    {
        await _sim.PostAsync("controllers/110/faults", new { kind = "impostor", count = 20 });
        var (code, _, stderr) = await RunAsync("get-cards", Endpoint, "--controller", "110", "--timeout-ms", "600");
        await _sim.DeleteAsync("controllers/110/faults"); // the other tests share this board's neighbours
        Assert.Equal(1, code);
        Assert.Equal($"gatewayctl: {Endpoint}#110: no reply from controller 110 within 600 ms; controller 111 answered instead (check the serial number)", stderr.Trim());
    }

    [Theory]
    [InlineData("put-card ENDPOINT --controller 107 5 --from 2024-02-30 --to 2024-12-31 --doors 1", "--from '2024-02-30' is not a date YYYY-MM-DD")]
    [InlineData("put-card ENDPOINT --controller 107 5 --from 2024-03-01 --to 2024-02-28 --doors 1", "to-date 2024-02-28 is before from-date 2024-03-01")]
    [InlineData("put-card ENDPOINT --controller 107 5 --from 2024-03-01 --to 2024-04-01 --doors 1,5", "door '5' is not 1-4")]
    [InlineData("put-card ENDPOINT --controller 107 5 --from 2024-03-01 --to 2024-04-01 --doors 1 --pin 1000000", "PIN 1000000 is above 999999")]
    [InlineData("put-card ENDPOINT --controller 107 16777215 --from 2024-03-01 --to 2024-04-01 --doors 1", "card '16777215' is not a card number a board can hold")]
    [InlineData("set-time ENDPOINT --controller 107 --time 2100-01-01_00:00:00", "is not a time \"YYYY-MM-DD HH:MM:SS\" in 2000-2099")]
    [InlineData("get-time udp://127.0.0.1 --controller 0", "--controller '0' is not a serial number")]
    [InlineData("get-time tcp://127.0.0.1:60000 --controller 7", "is not a UHPPOTE endpoint")]
    [InlineData("get-time udp://127.0.0.1:70000 --controller 7", "has an invalid port '70000'")]
    [InlineData("open-door ENDPOINT --controller 107 0", "door '0' is not 1-4")]
    [InlineData("set-door-control ENDPOINT --controller 107 1 --mode open", "--mode 'open' is not controlled, normally-open or normally-closed")]
    [InlineData("set-listener ENDPOINT --controller 107 localhost:60001", "listener 'localhost:60001' is not an IPv4 ADDR:PORT")]
    public async Task BadInput_RefusedBeforeAnythingIsSent_Exit2(string command, string message)
    {
        var received = (await _sim.GetAsync("statistics")).GetProperty("received").GetInt64();
        var args = command.Split(' ').Select(a => a == "ENDPOINT" ? Endpoint : a.Replace('_', ' ')).ToArray();
        var (code, stdout, stderr) = await RunAsync(args);
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout.Trim());
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(message, line, StringComparison.Ordinal);
        Assert.Equal(received, (await _sim.GetAsync("statistics")).GetProperty("received").GetInt64());
    }

    [Fact]
    public async Task Help_ListsTheCommands()
    {
        var (code, stdout, _) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["uhppote", "--help"], Bound);
        Assert.Equal(0, code);
        foreach (var command in new[] { "find", "get-controller", "get-time", "set-time", "get-status", "get-cards", "get-card", "put-card", "delete-card", "get-event", "get-event-index", "open-door" })
        {
            Assert.Contains(command, stdout, StringComparison.Ordinal);
        }
    }

    private static Task<(int ExitCode, string StandardOutput, string StandardError)> RunAsync(params string[] args) =>
        ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["uhppote", .. args], Bound);

    private static async Task<string> OkAsync(params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(args);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        return stdout.Trim();
    }
}
