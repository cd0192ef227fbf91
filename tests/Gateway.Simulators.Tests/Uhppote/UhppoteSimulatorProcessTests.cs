using Gateway.Drivers.Uhppote;

namespace Gateway.Simulators.Tests.Uhppote;

/// <summary><c>gateway-sim uhppote</c> and <c>gateway-sim present --controller</c> as real processes, driven over real UDP.</summary>
public sealed class UhppoteSimulatorProcessTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private static readonly UhppoteControllerOptions Options = new() { Timeout = TimeSpan.FromSeconds(3), RetryInterval = TimeSpan.FromMilliseconds(500) };

    [LinuxFact]
    public async Task ControlApi_PresentByCardAndUid_DecisionsEventsAndCardTable()
    {
        await using var sim = await UhppoteSimulatorProcess.StartAsync("--controllers", "100,200", "--doors", "2");
        await using var board = new UhppoteController(sim.IPEndPoint, 200, Options);
        var today = DateOnly.FromDateTime(await board.SetTimeAsync(new DateTime(2025, 6, 15, 9, 30, 0)));
        await board.PutCardAsync(new UhppoteCard(10058400, today, today, DoorPermissions.Of([1])));
        await board.PutCardAsync(new UhppoteCard(777, today.AddDays(-9), today.AddDays(-1), DoorPermissions.Of([1, 2])));

        async Task<(bool Granted, string Explanation, uint Card)> PresentAsync(object body)
        {
            var answer = await sim.PostAsync("controllers/200/present", body);
            return (answer.GetProperty("granted").GetBoolean(), answer.GetProperty("explanation").GetString()!, answer.GetProperty("card").GetUInt32());
        }

        Assert.Equal((true, "granted", 10058400u), await PresentAsync(new { door = 1, card = 10058400 }));
        Assert.Equal((false, "expired", 777u), await PresentAsync(new { door = 2, card = 777 }));
        Assert.Equal((false, "unknown", 0x0464E420u), await PresentAsync(new { door = 1, uid = "0464E420" }));
        await sim.PutAsync("controllers/200/doors/1/reader", new { format = "w26" });
        Assert.Equal((true, "granted", 10058400u), await PresentAsync(new { door = 1, uid = "0464E420" }));
        Assert.Equal((false, "no-door-permission", 10058400u), await PresentAsync(new { door = 2, card = 10058400 }));

        var decision = await sim.GetAsync("controllers/200/doors/1/decision?card=10058400");
        Assert.True(decision.GetProperty("granted").GetBoolean());
        var events = await sim.GetAsync("controllers/200/events?from=1");
        Assert.Equal([1u, 2u, 3u, 4u, 5u], events.EnumerateArray().Select(e => e.GetProperty("index").GetUInt32()));
        Assert.StartsWith("2025-06-15 09:3", events[0].GetProperty("time").GetString(), StringComparison.Ordinal);
        var cards = await sim.GetAsync("controllers/200/cards");
        Assert.Equal([10058400u, 777u], cards.EnumerateArray().Select(c => c.GetProperty("card").GetUInt32()));
        Assert.Equal("2025-06-15", cards[0].GetProperty("to").GetString());
        Assert.Equal(0, (await sim.GetAsync("controllers/100")).GetProperty("cards").GetInt32());

        // The board's own log, read over UDP, holds the same events.
        var third = await board.GetEventAsync(3);
        Assert.Equal((0x0464E420u, false, UhppoteEventReason.DeniedNoPrivilege), (third.Event!.Card, third.Event.Granted, third.Event.Reason));

        var bad = await Assert.ThrowsAsync<HttpRequestException>(() => sim.PostAsync("controllers/200/present", new { door = 3, card = 1 }));
        Assert.Contains("doors 1-2", bad.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<HttpRequestException>(() => sim.PostAsync("controllers/300/present", new { door = 1, card = 1 }));
    }

    [LinuxFact]
    public async Task ControlApi_FaultsClockAndProcessingTime()
    {
        await using var sim = await UhppoteSimulatorProcess.StartAsync();
        await using var board = new UhppoteController(sim.IPEndPoint, 405419896, Options);

        await sim.PostAsync("controllers/405419896/faults", new { kind = "drop", count = 1 });
        await board.GetStatusAsync();
        var stats = await sim.GetAsync("statistics");
        Assert.Equal((1, 2), (stats.GetProperty("faulted").GetInt32(), stats.GetProperty("received").GetInt32()));

        await sim.PostAsync("controllers/405419896/faults", new { kind = "impostor", count = 100 });
        var ex = await Assert.ThrowsAsync<UhppoteWrongControllerException>(() => board.GetTimeAsync());
        Assert.Equal(405419897u, ex.Answered);
        Assert.True((await sim.GetAsync("controllers/405419896")).GetProperty("pendingFaults").GetInt32() > 0);
        Assert.True((await sim.DeleteAsync("controllers/405419896/faults")).GetProperty("cleared").GetInt32() > 0);
        await board.GetTimeAsync();

        await sim.PutAsync("controllers/405419896/clock", new { time = "2031-12-31 23:59:00" });
        Assert.InRange(await board.GetTimeAsync(), new DateTime(2031, 12, 31, 23, 59, 0), new DateTime(2031, 12, 31, 23, 59, 30));
        await sim.PutAsync("controllers/405419896/clock", new { advanceSeconds = 120 });
        Assert.Equal(2032, (await board.GetTimeAsync()).Year);

        var state = await sim.PutAsync("controllers/405419896/processing", new { ms = 25 });
        Assert.Equal(25.0, state.GetProperty("processingMs").GetDouble());
        var started = System.Diagnostics.Stopwatch.StartNew();
        await board.GetCardCountAsync();
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(24), $"answered in {started.Elapsed}");

        await Assert.ThrowsAsync<HttpRequestException>(() => sim.PostAsync("controllers/405419896/faults", new { kind = "explode" }));
    }

    [LinuxFact]
    public async Task StateFile_KeepsCardsEventsAndClockAcrossRestarts()
    {
        using var folder = new TempFolder("gateway-sim-uhppote");
        var state = folder.Combine("boards.json");
        DateTime clock;
        await using (var sim = await UhppoteSimulatorProcess.StartAsync("--state", state))
        {
            await using var board = new UhppoteController(sim.IPEndPoint, 405419896, Options);
            clock = await board.SetTimeAsync(new DateTime(2030, 1, 1, 8, 0, 0));
            await board.PutCardAsync(new UhppoteCard(1, new DateOnly(2030, 1, 1), new DateOnly(2030, 12, 31), DoorPermissions.Of([1])));
            await board.PutCardAsync(new UhppoteCard(2, new DateOnly(2030, 1, 1), new DateOnly(2030, 12, 31), DoorPermissions.Of([2])));
            Assert.True(await board.DeleteCardAsync(1));
            await sim.PostAsync("controllers/405419896/present", new { door = 2, card = 2 });
            await board.SetEventIndexAsync(1);
            Assert.Equal(0, await sim.StopAsync());
        }

        await using (var sim = await UhppoteSimulatorProcess.StartAsync("--state", state))
        {
            await using var board = new UhppoteController(sim.IPEndPoint, 405419896, Options);
            Assert.Equal(1, await board.GetCardCountAsync());
            Assert.Equal(UhppoteCardSlotKind.Deleted, (await board.GetCardByIndexAsync(1)).Kind);
            Assert.Equal(2u, (await board.GetCardAsync(2))!.Number);
            Assert.Equal(2u, (await board.GetEventAsync(1)).Event!.Card);
            Assert.Equal(1u, await board.GetEventIndexAsync());
            Assert.InRange(await board.GetTimeAsync() - clock, TimeSpan.Zero, TimeSpan.FromMinutes(2));
        }
    }

    [LinuxFact]
    public async Task PresentCommand_PrintsTheDecision()
    {
        await using var sim = await UhppoteSimulatorProcess.StartAsync("--controllers", "405419896", "--reader", "w26");
        await using var board = new UhppoteController(sim.IPEndPoint, 405419896, Options);
        var today = DateOnly.FromDateTime(await board.GetTimeAsync());
        await board.PutCardAsync(new UhppoteCard(10058400, today, today.AddDays(30), DoorPermissions.Of([1, 2])));
        var control = sim.ControlUrl.ToString().TrimEnd('/');

        var byUid = await ChildProcess.RunDotnetAsync(RepoPaths.Simulator, ["present", "--control", control, "--controller", "405419896", "--door", "2", "--uid", "0464E420"], Wait);
        var byCard = await ChildProcess.RunDotnetAsync(RepoPaths.Simulator, ["present", "--control", control, "--controller", "405419896", "--door", "3", "--card", "10058401"], Wait);
        var noBoard = await ChildProcess.RunDotnetAsync(RepoPaths.Simulator, ["present", "--control", control, "--controller", "1", "--door", "1", "--card", "5"], Wait);
        var both = await ChildProcess.RunDotnetAsync(RepoPaths.Simulator, ["present", "--control", control, "--controller", "405419896", "--uid", "0464E420", "--card", "5"], Wait);

        Assert.Equal((0, "granted (event 1, door 2, card 10058400)"), (byUid.ExitCode, byUid.StandardOutput.Trim()));
        Assert.Equal((0, "denied unknown (event 2, door 3, card 10058401)"), (byCard.ExitCode, byCard.StandardOutput.Trim()));
        Assert.Equal(1, noBoard.ExitCode);
        Assert.Equal("gateway-sim: controller 1 is not simulated here", noBoard.StandardError.Trim());
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("exactly one of --uid HEX and --card NUMBER", both.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--doors 3", "gateway-sim: --doors 3: a board has 1, 2 or 4 doors")]
    [InlineData("--controllers 7,7", "gateway-sim: --controllers: 7 appears twice")]
    [InlineData("--controllers 0", "gateway-sim: --controllers: '0' is not a serial number (1-4294967295)")]
    [InlineData("--reader w30", "gateway-sim: --reader 'w30' is not w34, w34-lsb, w26 or w26-lsb")]
    public async Task BadArguments_OneLineAndExit1(string arguments, string message)
    {
        var (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Simulator, ["uhppote", "--listen", "udp://127.0.0.1:0", .. arguments.Split(' ')], Wait);
        Assert.Equal(1, code);
        Assert.Equal(string.Empty, stdout.Trim());
        Assert.Equal(message, stderr.Trim());
    }

    [Fact]
    public async Task Listen_NotAnIPv4Udp_Refused()
    {
        var (code, _, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Simulator, ["uhppote", "--listen", "tcp://127.0.0.1:0"], Wait);
        Assert.Equal(1, code);
        Assert.Contains("--listen: 'tcp://127.0.0.1:0' is not a UHPPOTE endpoint", stderr, StringComparison.Ordinal);
    }
}
