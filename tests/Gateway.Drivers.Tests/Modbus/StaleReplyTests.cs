using Gateway.Drivers.Modbus;
using Gateway.Drivers.Modbus.Codec;

namespace Gateway.Drivers.Tests.Modbus;

/// <summary>
/// RTU has no transaction id: a reply that belongs to an earlier exchange looks exactly like the answer
/// to a new request of the same unit, function and length. The master must never take one.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class StaleReplyTests
{
    public static TheoryData<string> RtuTransports => new() { "pty", "pty-ports", "rtu+tcp" };

    public static TheoryData<string> PtyTransports => new() { "pty", "pty-ports" };

    [LinuxTheory]
    [MemberData(nameof(RtuTransports))]
    public async Task LateReplyToATimedOutRequest_IsNeverTakenAsTheAnswerToTheNext(string transport)
    {
        // The late wait is set well past the moment the test releases the late reply, so that reply surely
        // comes inside it however loaded the machine is; the default (one Timeout) is the same rule with a
        // shorter window.
        var options = new ModbusMasterOptions { Timeout = TimeSpan.FromMilliseconds(500), Retries = 0, LateReplyWait = TimeSpan.FromSeconds(10) };
        await using var h = await ModbusHarness.StartAsync(transport, options);
        h.Unit1.SetHolding(0, 0x1111);
        Assert.Equal(new ushort[] { 0x1111 }, await h.Master.ReadHoldingRegistersAsync(1, 0, 1));

        // The slave reads the register at once but holds its answer until the master has given up: a
        // fixed delay (say 800 ms against the 500 ms timeout) is not enough on a starved thread pool,
        // where the master's timeout timer can run after a reply that came in time for it.
        var sentBefore = h.Slave.Statistics.FramesSent;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Unit1.InjectFault(new ModbusFault(ModbusFaultKind.Hold, Until: release.Task));
        await Assert.ThrowsAsync<ModbusTimeoutException>(() => h.Master.ReadHoldingRegistersAsync(1, 0, 1));
        h.Unit1.SetHolding(0, 0x2222);

        // The late 0x1111 goes out now, as the master starts the same request again: it has the same
        // unit, function and length as that request's answer.
        release.SetResult();
        Assert.Equal(new ushort[] { 0x2222 }, await h.Master.ReadHoldingRegistersAsync(1, 0, 1));

        // Both replies went out (the late one did come), and the master asked once more, not twice.
        Assert.Equal(sentBefore + 2, h.Slave.Statistics.FramesSent);
        Assert.Equal(3, h.Slave.Statistics.FramesReceived);
    }

    [LinuxTheory]
    [MemberData(nameof(PtyTransports))]
    public async Task PortHoldsAStaleReplyWhenOpened_ItIsNotTheAnswer(string transport)
    {
        await using var h = await ModbusHarness.StartAsync(transport);
        h.Unit1.SetHolding(0, 0x2222);

        // Before the master opens the port, a complete answer to "read holding register 0 of unit 1"
        // (0x1111) waits in it, as a slave cut off by a previous master's exit leaves it.
        var stale = new byte[7];
        ModbusRtuCodec.Encode(stale, 1, [0x03, 0x02, 0x11, 0x11]);
        await h.Pty!.WriteAsync(stale, CancellationToken.None);

        Assert.Equal(new ushort[] { 0x2222 }, await h.Master.ReadHoldingRegistersAsync(1, 0, 1));
        Assert.Equal(1, h.Slave.Statistics.FramesReceived);
    }

    [Fact]
    public void Options_NegativeLateReplyWait_Refused()
    {
        var options = new ModbusMasterOptions { LateReplyWait = TimeSpan.FromMilliseconds(-1) };
        Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
    }
}
