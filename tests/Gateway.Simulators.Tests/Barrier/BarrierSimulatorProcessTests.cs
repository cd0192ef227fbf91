using System.Diagnostics;
using System.Text.Json;

namespace Gateway.Simulators.Tests.Barrier;

/// <summary><c>gateway-sim barrier</c> and <c>gateway-sim present</c> as real processes.</summary>
public sealed class BarrierSimulatorProcessTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [LinuxFact]
    public async Task Present_EveryCase_ControlApiAnswersTheDecision()
    {
        await using var sim = await BarrierSimulatorProcess.StartAsync("--listen", "tcp://127.0.0.1:0");
        var now = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await sim.PutAsync("units/1/clock", new { seconds = now });
        await sim.PutAsync("units/1/whitelist/01010101", new { validFrom = now - 60, validTo = now + 3600 });
        await sim.PutAsync("units/1/whitelist/02020202", new { validFrom = now - 60, validTo = now + 3600, blocked = true });
        await sim.PutAsync("units/1/whitelist/03030303", new { validFrom = now - 3600, validTo = now - 60 });
        await sim.PutAsync("units/1/whitelist/04040404040404", new { validFrom = now + 3600, validTo = now + 7200 });

        async Task<(string Decision, string Reason)> PresentAsync(int lane, string uid)
        {
            var answer = await sim.PostAsync("units/1/present", new { lane, uid });
            return (answer.GetProperty("decision").GetString()!, answer.GetProperty("reason").GetString()!);
        }

        Assert.Equal(("granted", "none"), await PresentAsync(1, "01010101"));
        Assert.Equal(("denied", "anti-passback"), await PresentAsync(1, "01010101"));
        Assert.Equal(("granted", "none"), await PresentAsync(2, "01010101"));
        Assert.Equal(("denied", "blocked"), await PresentAsync(1, "02020202"));
        Assert.Equal(("denied", "expired"), await PresentAsync(1, "03030303"));
        Assert.Equal(("denied", "not-yet-valid"), await PresentAsync(1, "04040404040404"));
        Assert.Equal(("denied", "unknown"), await PresentAsync(1, "05050505"));
        var state = await sim.GetAsync("units/1");
        Assert.Equal(7u, state.GetProperty("lastSequence").GetUInt32());

        // The lookup answers the same decision without logging an event.
        var blocked = (await sim.GetAsync("whitelist/02020202"))[0];
        Assert.Equal((1, true, true, "denied", "blocked"), (blocked.GetProperty("unit").GetInt32(), blocked.GetProperty("held").GetBoolean(), blocked.GetProperty("blocked").GetBoolean(), blocked.GetProperty("decision").GetString(), blocked.GetProperty("reason").GetString()));
        var unknown = (await sim.GetAsync("whitelist/05050505"))[0];
        Assert.Equal((false, "unknown"), (unknown.GetProperty("held").GetBoolean(), unknown.GetProperty("reason").GetString()));
        Assert.Equal(7u, (await sim.GetAsync("units/1")).GetProperty("lastSequence").GetUInt32());
    }

    [LinuxFact]
    public async Task PresentCommand_KnownCard_PrintsGrantedAndUnknownCardDenied()
    {
        await using var sim = await BarrierSimulatorProcess.StartAsync("--listen", "tcp://127.0.0.1:0", "--units", "2-3");
        await sim.PutAsync("units/3/clock", new { seconds = 1_000_000u });
        await sim.PutAsync("units/3/whitelist/0A0B0C0D", new { validFrom = 0u, validTo = 2_000_000u });
        var control = sim.ControlUrl.ToString().TrimEnd('/');

        var granted = await ChildProcess.RunDotnetAsync(RepoPaths.Simulator, ["present", "--control", control, "--unit", "3", "--lane", "1", "--uid", "0A0B0C0D"], Wait);
        var denied = await ChildProcess.RunDotnetAsync(RepoPaths.Simulator, ["present", "--control", control, "--unit", "2", "--lane", "2", "--uid", "0A0B0C0D"], Wait);
        var noUnit = await ChildProcess.RunDotnetAsync(RepoPaths.Simulator, ["present", "--control", control, "--unit", "9", "--lane", "1", "--uid", "0A0B0C0D"], Wait);

        Assert.Equal(0, granted.ExitCode);
        Assert.StartsWith("granted", granted.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(0, denied.ExitCode);
        Assert.StartsWith("denied unknown", denied.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("exit", denied.StandardOutput, StringComparison.Ordinal);
        Assert.NotEqual(0, noUnit.ExitCode);
        Assert.Contains("unit 9", noUnit.StandardError, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task Mbpoll_OverTcp_ReadsTheIdentificationBlock()
    {
        await using var sim = await BarrierSimulatorProcess.StartAsync("--listen", "tcp://127.0.0.1:0", "--units", "7");

        // mbpoll addresses are 1-based: -r 1 is holding register 0.
        var output = await MbpollAsync("-m", "tcp", "-a", "7", "-r", "1", "-c", "5", "-t", "4:hex", "-1", "-p", sim.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "127.0.0.1");

        Assert.Contains("[1]: \t0x4742", output, StringComparison.Ordinal);
        Assert.Contains("[2]: \t0x0102", output, StringComparison.Ordinal);
        Assert.Contains("[4]: \t0x4E20", output, StringComparison.Ordinal); // capacity 20,000, low word
        Assert.Contains("[5]: \t0x0002", output, StringComparison.Ordinal); // lanes
    }

    [LinuxFact]
    public async Task Mbpoll_OverThePty_ReadsTheIdentificationBlock()
    {
        using var folder = new TempFolder("gateway-barrier");
        await using var sim = await BarrierSimulatorProcess.StartAsync("--pty", folder.Combine("ttyBarrier"));

        var output = await MbpollAsync("-m", "rtu", "-b", "19200", "-P", "none", "-a", "1", "-r", "1", "-c", "2", "-t", "4:hex", "-1", sim.ModbusEndpoint);

        Assert.Contains("[1]: \t0x4742", output, StringComparison.Ordinal);
        Assert.Contains("[2]: \t0x0102", output, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task Barrier_StateFile_WhitelistAndEventsSurviveARestartWithANewBootId()
    {
        using var folder = new TempFolder("gateway-barrier");
        var state = folder.Combine("barrier.json");
        uint bootId;
        await using (var first = await BarrierSimulatorProcess.StartAsync("--listen", "tcp://127.0.0.1:0", "--state", state))
        {
            await first.PutAsync("units/1/whitelist/0A0B0C0D", new { validFrom = 0u, validTo = 2_000_000u });
            await first.PostAsync("units/1/flood", new { count = 3 });
            bootId = (await first.GetAsync("units/1")).GetProperty("bootId").GetUInt32();
            Assert.Equal(0, await first.StopAsync());
        }

        await using var second = await BarrierSimulatorProcess.StartAsync("--listen", "tcp://127.0.0.1:0", "--state", state);
        var unit = await second.GetAsync("units/1");

        Assert.Equal(1, unit.GetProperty("whitelistCount").GetInt32());
        Assert.Equal(3u, unit.GetProperty("lastSequence").GetUInt32());
        Assert.NotEqual(bootId, unit.GetProperty("bootId").GetUInt32());
    }

    [LinuxFact]
    public async Task Barrier_Volatile_RebootThroughControlApiLosesTheWhitelist()
    {
        await using var sim = await BarrierSimulatorProcess.StartAsync("--listen", "tcp://127.0.0.1:0");
        await sim.PutAsync("units/1/whitelist/0A0B0C0D", new { validFrom = 0u, validTo = 2_000_000u });
        await sim.PutAsync("units/1/clock", new { seconds = 1_000_000u });

        var after = await sim.PostAsync("units/1/reboot");

        Assert.Equal(0, after.GetProperty("whitelistCount").GetInt32());
        Assert.True(after.GetProperty("clock").GetUInt32() < 3600);
    }

    [LinuxFact]
    public async Task Whitelist_TwoRecords_ListedInProfileOrderWithTheirWindows()
    {
        await using var sim = await BarrierSimulatorProcess.StartAsync("--listen", "tcp://127.0.0.1:0");
        await sim.PutAsync("units/1/whitelist/04AABBCCDDEEFF", new { validFrom = 10u, validTo = 20u, blocked = true });
        await sim.PutAsync("units/1/whitelist/0A0B0C0D", new { validFrom = 0u, validTo = 2_000_000u });

        var list = await sim.GetAsync("units/1/whitelist");

        Assert.Equal(2, list.GetArrayLength());
        Assert.Equal("0A0B0C0D", list[0].GetProperty("uid").GetString());
        Assert.Equal(2_000_000u, list[0].GetProperty("validTo").GetUInt32());
        Assert.False(list[0].GetProperty("blocked").GetBoolean());
        Assert.Equal("04AABBCCDDEEFF", list[1].GetProperty("uid").GetString());
        Assert.Equal(10u, list[1].GetProperty("validFrom").GetUInt32());
        Assert.True(list[1].GetProperty("blocked").GetBoolean());
    }

    [LinuxFact]
    public async Task Faults_ClearedAfterManyDrops_ControllerAnswersAgain()
    {
        await using var sim = await BarrierSimulatorProcess.StartAsync("--listen", "tcp://127.0.0.1:0");
        await sim.PostAsync("units/1/faults", new { kind = "drop", count = 100_000 });

        var cleared = await sim.DeleteAsync("units/1/faults");

        Assert.Equal(100_000, cleared.GetProperty("cleared").GetInt32());
        var output = await MbpollAsync("-m", "tcp", "-a", "1", "-r", "1", "-c", "1", "-t", "4:hex", "-1", "-p", sim.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "127.0.0.1");
        Assert.Contains("[1]: \t0x4742", output, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task Flood_WithoutCount_OverflowsTheRing()
    {
        await using var sim = await BarrierSimulatorProcess.StartAsync("--listen", "tcp://127.0.0.1:0", "--event-capacity", "50");

        var state = await sim.PostAsync("units/1/flood", new { });

        Assert.Equal(1u, state.GetProperty("overflow").GetUInt32());
    }

    [LinuxFact]
    public async Task Statistics_AfterAModbusRead_CountsBytesAndFrames()
    {
        await using var sim = await BarrierSimulatorProcess.StartAsync("--listen", "tcp://127.0.0.1:0");
        await MbpollAsync("-m", "tcp", "-a", "1", "-r", "1", "-c", "10", "-1", "-p", sim.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "127.0.0.1");

        var statistics = await sim.GetAsync("statistics");

        Assert.Equal(1, statistics.GetProperty("framesReceived").GetInt64());
        Assert.Equal(12, statistics.GetProperty("bytesReceived").GetInt64()); // MBAP 7 + PDU 5
        Assert.Equal(29, statistics.GetProperty("bytesSent").GetInt64());     // MBAP 7 + 2 + 20
    }

    [Fact]
    public async Task Barrier_ListenAndPtyBoth_RefusedWithOneLine()
    {
        var (code, _, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Simulator, ["barrier", "--listen", "tcp://127.0.0.1:0", "--pty", "/tmp/x"], Wait);

        Assert.Equal(2, code);
        Assert.Contains("exactly one of --listen", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Barrier_ControlNotOnLoopback_Refused()
    {
        var (code, _, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Simulator, ["barrier", "--listen", "tcp://127.0.0.1:0", "--control", "http://0.0.0.0:0"], Wait);

        Assert.Equal(1, code);
        Assert.Contains("loopback", stderr, StringComparison.Ordinal);
    }

    private static async Task<string> MbpollAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("mbpoll") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("mbpoll did not start (test.sh installs it)");
        using var timeout = new CancellationTokenSource(Wait);
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"mbpoll exited {process.ExitCode}: {await error}{await output}");
        return await output;
    }
}
