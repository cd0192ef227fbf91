using Gateway.Drivers.Modbus;

namespace Gateway.Drivers.Tests.Modbus;

/// <summary>Gateway's master against Gateway's slave engine, every function code, over every transport.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MasterSlaveTests
{
    public static TheoryData<string> Transports => ModbusHarness.Transports;

    [LinuxTheory]
    [MemberData(nameof(Transports))]
    public async Task EveryFunctionCode_RoundTrips(string transport)
    {
        await using var h = await ModbusHarness.StartAsync(transport);
        var unit = h.Unit1;
        unit.SetHolding(10, 1, 2, 0xFFFF);
        unit.SetInput(20, 7, 8);
        unit.SetCoils(5, true, false, true);
        unit.SetDiscreteInputs(7, false, true);
        unit.DeviceIdentification = new Dictionary<byte, string> { [0] = "Gateway", [1] = "SIM-1", [2] = "1.2" };

        Assert.Equal(new ushort[] { 1, 2, 0xFFFF }, await h.Master.ReadHoldingRegistersAsync(1, 10, 3));
        Assert.Equal(new ushort[] { 7, 8 }, await h.Master.ReadInputRegistersAsync(1, 20, 2));
        Assert.Equal(new[] { true, false, true }, await h.Master.ReadCoilsAsync(1, 5, 3));
        Assert.Equal(new[] { false, true }, await h.Master.ReadDiscreteInputsAsync(1, 7, 2));

        await h.Master.WriteSingleCoilAsync(1, 100, true);
        await h.Master.WriteSingleRegisterAsync(1, 101, 0xBEEF);
        await h.Master.WriteMultipleCoilsAsync(1, 200, new[] { true, true, false, true, false, false, false, false, true });
        await h.Master.WriteMultipleRegistersAsync(1, 300, new ushort[] { 9, 8, 7 });
        Assert.Equal(new[] { true }, unit.GetCoils(100, 1));
        Assert.Equal(new ushort[] { 0xBEEF }, unit.GetHolding(101, 1));
        Assert.Equal(new[] { true, true, false, true, false, false, false, false, true }, unit.GetCoils(200, 9));
        Assert.Equal(new ushort[] { 9, 8, 7 }, unit.GetHolding(300, 3));

        // Function 23 writes first, then reads (the overlap shows the order).
        var read = await h.Master.ReadWriteMultipleRegistersAsync(1, 300, 4, 302, new ushort[] { 70, 60 });
        Assert.Equal(new ushort[] { 9, 8, 70, 60 }, read);

        var id = await h.Master.ReadDeviceIdentificationAsync(1);
        Assert.Equal("Gateway", id[0]);
        Assert.Equal("SIM-1", id[1]);
        Assert.Equal("1.2", id[2]);
    }

    [LinuxTheory]
    [MemberData(nameof(Transports))]
    public async Task MaximumSizes_RoundTrip(string transport)
    {
        await using var h = await ModbusHarness.StartAsync(transport);
        var registers = Enumerable.Range(0, 123).Select(i => (ushort)(i * 517)).ToArray();
        var coils = Enumerable.Range(0, 1968).Select(i => i % 3 == 0).ToArray();

        await h.Master.WriteMultipleRegistersAsync(1, 0, registers);
        await h.Master.WriteMultipleCoilsAsync(1, 0, coils);
        Assert.Equal(registers, (await h.Master.ReadHoldingRegistersAsync(1, 0, 125))[..123]);
        Assert.Equal(coils, (await h.Master.ReadCoilsAsync(1, 0, 2000))[..1968]);
        Assert.Equal(2000, (await h.Master.ReadDiscreteInputsAsync(1, 0, 2000)).Length);
        var read = await h.Master.ReadWriteMultipleRegistersAsync(1, 500, 125, 500, registers[..121]);
        Assert.Equal(registers[..121], read[..121]);
    }

    [LinuxTheory]
    [MemberData(nameof(Transports))]
    public async Task BeyondTheLimits_RefusedBeforeSending(string transport)
    {
        await using var h = await ModbusHarness.StartAsync(transport);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => h.Master.ReadHoldingRegistersAsync(1, 0, 126));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => h.Master.ReadInputRegistersAsync(1, 0, 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => h.Master.ReadCoilsAsync(1, 0, 2001));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => h.Master.ReadDiscreteInputsAsync(1, 65535, 2));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => h.Master.WriteMultipleRegistersAsync(1, 0, new ushort[124]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => h.Master.WriteMultipleCoilsAsync(1, 0, new bool[1969]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => h.Master.ReadWriteMultipleRegistersAsync(1, 0, 1, 0, new ushort[122]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => h.Master.ReadHoldingRegistersAsync(0, 0, 1));
        Assert.Equal(0, h.Slave.Statistics.BytesReceived);
    }

    [LinuxTheory]
    [MemberData(nameof(Transports))]
    public async Task ReadBeyondTable_ThrowsIllegalDataAddress_WithEndpointAndUnit(string transport)
    {
        await using var h = await ModbusHarness.StartAsync(transport);
        var error = await Assert.ThrowsAsync<ModbusExceptionReplyException>(() => h.Master.ReadHoldingRegistersAsync(1, 3999, 2));
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, error.Code);
        Assert.Equal(1, error.Unit);
        Assert.Equal(3, error.FunctionCode);
        Assert.Equal(h.Master.Endpoint, error.Device);
        Assert.Contains("illegal data address (2)", error.Message, StringComparison.Ordinal);

        var noId = await Assert.ThrowsAsync<ModbusExceptionReplyException>(() => h.Master.ReadDeviceIdentificationAsync(1));
        Assert.Equal(ModbusExceptionCode.IllegalFunction, noId.Code);
        Assert.Equal(2, h.Slave.Statistics.ExceptionsSent);
    }

    [LinuxTheory]
    [MemberData(nameof(Transports))]
    public async Task DroppedReply_TimesOut_ThenRetrySucceeds(string transport)
    {
        var options = new ModbusMasterOptions { Timeout = TimeSpan.FromMilliseconds(1500), Retries = 1, RetryDelay = TimeSpan.FromMilliseconds(10) };
        await using var h = await ModbusHarness.StartAsync(transport, options);
        h.Unit1.SetHolding(0, 42);
        h.Unit1.InjectFault(new ModbusFault(ModbusFaultKind.Drop));
        Assert.Equal(new ushort[] { 42 }, await h.Master.ReadHoldingRegistersAsync(1, 0, 1));
        Assert.Equal(2, h.Slave.Statistics.FramesReceived);
        Assert.Equal(1, h.Slave.Statistics.FramesSent);
    }

    [LinuxTheory]
    [MemberData(nameof(Transports))]
    public async Task DroppedReply_NoRetries_ThrowsTimeout_WithEndpointAndUnit(string transport)
    {
        var options = new ModbusMasterOptions { Timeout = TimeSpan.FromMilliseconds(200), Retries = 0 };
        await using var h = await ModbusHarness.StartAsync(transport, options);
        h.Unit1.InjectFault(new ModbusFault(ModbusFaultKind.Drop));
        var error = await Assert.ThrowsAsync<ModbusTimeoutException>(() => h.Master.ReadHoldingRegistersAsync(1, 0, 1));
        Assert.Equal(1, error.Unit);
        Assert.Equal(h.Master.Endpoint, error.Device);
        Assert.Equal(TimeSpan.FromMilliseconds(200), error.Timeout);
        Assert.Contains("unit 1: no answer within 200 ms", error.Message, StringComparison.Ordinal);
    }

    [LinuxTheory]
    [MemberData(nameof(Transports))]
    public async Task CorruptReply_RetriedOnce_ThenSucceeds(string transport)
    {
        var options = new ModbusMasterOptions { Timeout = TimeSpan.FromSeconds(2), Retries = 1, RetryDelay = TimeSpan.Zero };
        await using var h = await ModbusHarness.StartAsync(transport, options);
        h.Unit1.SetHolding(3, 33);
        h.Unit1.InjectFault(new ModbusFault(ModbusFaultKind.CorruptChecksum));
        Assert.Equal(new ushort[] { 33 }, await h.Master.ReadHoldingRegistersAsync(1, 3, 1));
        Assert.Equal(2, h.Slave.Statistics.FramesSent);
    }

    [LinuxTheory]
    [MemberData(nameof(Transports))]
    public async Task CorruptReply_NoRetries_ThrowsCorruptFrame(string transport)
    {
        await using var h = await ModbusHarness.StartAsync(transport);
        h.Unit1.InjectFault(new ModbusFault(ModbusFaultKind.CorruptChecksum));
        var error = await Assert.ThrowsAsync<ModbusCorruptFrameException>(() => h.Master.ReadHoldingRegistersAsync(1, 3, 1));
        Assert.Equal((byte)1, error.Unit);
        Assert.Equal(h.Master.Endpoint, error.Device);

        // The master recovers for the next request.
        h.Unit1.SetHolding(3, 5);
        Assert.Equal(new ushort[] { 5 }, await h.Master.ReadHoldingRegistersAsync(1, 3, 1));
    }

    [LinuxTheory]
    [MemberData(nameof(Transports))]
    public async Task BusyReply_IsAnExceptionReply_NotRetried(string transport)
    {
        var options = new ModbusMasterOptions { Retries = 3, RetryDelay = TimeSpan.Zero };
        await using var h = await ModbusHarness.StartAsync(transport, options);
        h.Unit1.InjectFault(new ModbusFault(ModbusFaultKind.Busy));
        var error = await Assert.ThrowsAsync<ModbusExceptionReplyException>(() => h.Master.WriteSingleRegisterAsync(1, 0, 9));
        Assert.Equal(ModbusExceptionCode.ServerDeviceBusy, error.Code);
        Assert.Equal(1, h.Slave.Statistics.FramesReceived);
        Assert.Equal(new ushort[] { 0 }, h.Unit1.GetHolding(0, 1));
    }

    [LinuxTheory]
    [MemberData(nameof(Transports))]
    public async Task CallerCancels_ThrowsOperationCanceled_NotTimeout(string transport)
    {
        var options = new ModbusMasterOptions { Timeout = TimeSpan.FromSeconds(30), Retries = 3 };
        await using var h = await ModbusHarness.StartAsync(transport, options);
        h.Unit1.InjectFault(new ModbusFault(ModbusFaultKind.Drop));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Master.ReadHoldingRegistersAsync(1, 0, 1, cts.Token));
        Assert.True(cts.IsCancellationRequested);
    }

    [LinuxTheory]
    [MemberData(nameof(Transports))]
    public async Task ConcurrentCallers_AreQueued_EachGetsItsOwnAnswer(string transport)
    {
        await using var h = await ModbusHarness.StartAsync(transport);
        for (var i = 0; i < 32; i++)
        {
            h.Unit1.SetHolding(i, (ushort)(1000 + i));
        }

        var reads = Enumerable.Range(0, 32).Select(i => Task.Run(() => h.Master.ReadHoldingRegistersAsync(1, (ushort)i, 1))).ToArray();
        var results = await Task.WhenAll(reads);
        for (var i = 0; i < 32; i++)
        {
            Assert.Equal((ushort)(1000 + i), results[i][0]);
        }
    }

    [LinuxTheory]
    [MemberData(nameof(Transports))]
    public async Task Broadcast_AppliesToEveryUnit_WithoutReply(string transport)
    {
        var options = new ModbusMasterOptions { BroadcastTurnaround = TimeSpan.FromMilliseconds(20), Retries = 0 };
        await using var h = await ModbusHarness.StartAsync(transport, options, units: [1, 2, 3]);
        await h.Master.WriteSingleRegisterAsync(0, 7, 77);
        await h.Master.WriteMultipleCoilsAsync(0, 1, new[] { true, true });

        // The next unicast request is answered after the broadcasts, so they have been applied.
        Assert.Equal(new ushort[] { 77 }, await h.Master.ReadHoldingRegistersAsync(2, 7, 1));
        foreach (var unit in h.Units.Values)
        {
            Assert.Equal(new ushort[] { 77 }, unit.GetHolding(7, 1));
            Assert.Equal(new[] { true, true }, unit.GetCoils(1, 2));
        }

        Assert.Equal(1, h.Slave.Statistics.FramesSent);
    }
}
