using System.Net;
using System.Runtime.Versioning;
using Gateway.Drivers.Channels;
using Gateway.Drivers.Modbus;

namespace Gateway.Drivers.Tests.Modbus;

/// <summary>The slave engine's own promises: many TCP clients, unit mapping, statistics, line-rate emulation, late replies.</summary>
[SupportedOSPlatform("linux")]
public sealed class SlaveEngineTests
{
    [Fact]
    public async Task Tcp_ManyClientsAtOnce_AllServed()
    {
        var model = new ModbusMemoryModel(100);
        for (var i = 0; i < 100; i++)
        {
            model.SetHolding(i, (ushort)(i * 11));
        }

        await using var slave = ModbusSlave.StartTcp(new Dictionary<byte, IModbusDataModel> { [1] = model }, new IPEndPoint(IPAddress.Loopback, 0));
        var masters = Enumerable.Range(0, 8).Select(_ => ModbusMaster.Create($"tcp://127.0.0.1:{slave.Port}")).ToArray();
        try
        {
            var work = masters.Select((master, m) => Task.Run(async () =>
            {
                for (var i = 0; i < 50; i++)
                {
                    var address = (ushort)((m * 7 + i) % 90);
                    var values = await master.ReadHoldingRegistersAsync(1, address, 10);
                    Assert.Equal(Enumerable.Range(address, 10).Select(a => (ushort)(a * 11)), values);
                }
            }));
            await Task.WhenAll(work);
            Assert.Equal(8, slave.ConnectedClients);
            Assert.Equal(400, slave.Statistics.FramesReceived);
            Assert.Equal(400, slave.Statistics.FramesSent);
            Assert.Equal(400 * 12, slave.Statistics.BytesReceived);
            Assert.Equal(400 * (9 + 20), slave.Statistics.BytesSent);
        }
        finally
        {
            foreach (var master in masters)
            {
                await master.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Tcp_Unit255_ReachesTheOnlyUnit_UnknownUnit_GatewayTargetFailed()
    {
        var model = new ModbusMemoryModel(10);
        model.SetHolding(0, 99);
        await using var slave = await ModbusSlave.StartAsync(new Dictionary<byte, IModbusDataModel> { [4] = model }, DeviceEndpoint.Parse("tcp://127.0.0.1:0"));
        Assert.StartsWith("tcp://127.0.0.1:", slave.Endpoint, StringComparison.Ordinal);
        await using var master = ModbusMaster.Create(slave.Endpoint, new ModbusMasterOptions { Retries = 0 });
        Assert.Equal(new ushort[] { 99 }, await master.ReadHoldingRegistersAsync(255, 0, 1));
        var error = await Assert.ThrowsAsync<ModbusExceptionReplyException>(() => master.ReadHoldingRegistersAsync(5, 0, 1));
        Assert.Equal(ModbusExceptionCode.GatewayTargetDeviceFailedToRespond, error.Code);
    }

    [Fact]
    public async Task Tcp_LateReplyToAnAbandonedRequest_IsDropped_NeverReturnedAsTheNextAnswer()
    {
        var model = new ModbusMemoryModel(10);
        model.SetHolding(0, 111, 222);
        await using var slave = ModbusSlave.StartTcp(new Dictionary<byte, IModbusDataModel> { [1] = model }, new IPEndPoint(IPAddress.Loopback, 0));
        await using var master = ModbusMaster.Create($"tcp://127.0.0.1:{slave.Port}", new ModbusMasterOptions { Timeout = TimeSpan.FromSeconds(10), Retries = 0 });

        // The first request is abandoned before its (delayed) reply; the engine serves the
        // connection in order, so that reply reaches the master just before the second answer,
        // with the same length and function but the old transaction id.
        Assert.Equal(new ushort[] { 111 }, await master.ReadHoldingRegistersAsync(1, 0, 1)); // connected and warm
        model.InjectFault(new ModbusFault(ModbusFaultKind.Delay, TimeSpan.FromMilliseconds(500)));
        using (var abandon = new CancellationTokenSource())
        {
            var first = master.ReadHoldingRegistersAsync(1, 0, 1, abandon.Token);
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (slave.Statistics.FramesReceived < 2)
            {
                await Task.Delay(5, bound.Token);
            }

            await abandon.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        }

        Assert.Equal(new ushort[] { 222 }, await master.ReadHoldingRegistersAsync(1, 1, 1));
        Assert.Equal(3, slave.Statistics.FramesSent);
    }

    [LinuxFact]
    public async Task Rtu_LineRateEmulation_AccountsEachExchange_AtElevenBitsAChar_PlusT35()
    {
        using var folder = new TempFolder("gateway-linerate");
        await using var pty = PseudoTerminal.Create(folder.Combine("ttyRate"));
        var model = new ModbusMemoryModel(200);
        await using var slave = ModbusSlave.StartRtu(new Dictionary<byte, IModbusDataModel> { [1] = model }, pty, new ModbusSlaveOptions { EmulatedBaudRate = 9600 });
        await using var master = ModbusMaster.Create($"serial://{pty.LinkPath}?baud=9600", new ModbusMasterOptions { Retries = 0, Timeout = TimeSpan.FromSeconds(5) });

        await master.ReadHoldingRegistersAsync(1, 0, 100); // 8-byte request, 205-byte reply
        await master.WriteSingleRegisterAsync(1, 0, 1); // 8 + 8

        var characters = 8 + 205 + 8 + 8;
        var t35 = 3.5 * 11 / 9600;
        var expected = TimeSpan.FromSeconds((characters * 11.0 / 9600) + (2 * t35));
        Assert.Equal(expected.TotalMilliseconds, slave.Statistics.EmulatedLineTime.TotalMilliseconds, 3);
        Assert.Equal(16, slave.Statistics.BytesReceived);
        Assert.Equal(213, slave.Statistics.BytesSent);
        Assert.Equal(2, slave.Statistics.FramesReceived);
        Assert.Equal(2, slave.Statistics.FramesSent);
    }

    [Fact]
    public async Task DeviceIdentification_LongerThanOnePdu_ArrivesInSeveralReplies()
    {
        var model = new ModbusMemoryModel(1)
        {
            DeviceIdentification = new Dictionary<byte, string> { [0] = new('V', 200), [1] = new('P', 200), [2] = new('R', 40) },
        };
        await using var slave = ModbusSlave.StartTcp(new Dictionary<byte, IModbusDataModel> { [1] = model }, new IPEndPoint(IPAddress.Loopback, 0));
        await using var master = ModbusMaster.Create($"tcp://127.0.0.1:{slave.Port}");
        var objects = await master.ReadDeviceIdentificationAsync(1);
        Assert.Equal(new('V', 200), objects[0]);
        Assert.Equal(new('P', 200), objects[1]);
        Assert.Equal(new('R', 40), objects[2]);
        Assert.Equal(2, slave.Statistics.FramesSent); // "more follows" after the first object
    }

    [LinuxFact]
    public async Task SerialEndpoint_SlaveOpensThePort_MasterOnTheOtherSideOfThePty()
    {
        // The slave engine as a device on a serial port (here the slave side of a pty, opened
        // through System.IO.Ports), Gateway's master on the pty's master side.
        using var folder = new TempFolder("gateway-serial-slave");
        await using var pty = PseudoTerminal.Create(folder.Combine("ttySerialSlave"));
        var model = new ModbusMemoryModel(10);
        model.SetHolding(3, 4242);
        await using var slave = await ModbusSlave.StartAsync(new Dictionary<byte, IModbusDataModel> { [9] = model }, DeviceEndpoint.Parse($"serial://{pty.LinkPath}?baud=38400&parity=none"));
        await using var master = ModbusMaster.CreateRtu(pty, new ModbusMasterOptions { Timeout = TimeSpan.FromSeconds(2), Retries = 2 }, ownsChannel: false);
        Assert.Equal(new ushort[] { 4242 }, await master.ReadHoldingRegistersAsync(9, 3, 1));
        await master.WriteMultipleRegistersAsync(9, 0, new ushort[] { 1, 2 });
        Assert.Equal(new ushort[] { 1, 2 }, model.GetHolding(0, 2));
    }

    [Fact]
    public void Start_UnitZeroOrNoUnits_Refused()
    {
        Assert.Throws<ArgumentException>(() => ModbusSlave.StartTcp(new Dictionary<byte, IModbusDataModel>(), new IPEndPoint(IPAddress.Loopback, 0)));
        Assert.Throws<ArgumentException>(() => ModbusSlave.StartTcp(new Dictionary<byte, IModbusDataModel> { [0] = new ModbusMemoryModel(1) }, new IPEndPoint(IPAddress.Loopback, 0)));
    }

    [Fact]
    public async Task Tcp_PortInUse_ThrowsConnectionException()
    {
        await using var first = ModbusSlave.StartTcp(new Dictionary<byte, IModbusDataModel> { [1] = new ModbusMemoryModel(1) }, new IPEndPoint(IPAddress.Loopback, 0));
        using var blocker = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        blocker.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        blocker.Listen();
        var port = ((IPEndPoint)blocker.LocalEndPoint!).Port;
        var error = Assert.Throws<DeviceConnectionException>(() => ModbusSlave.StartTcp(new Dictionary<byte, IModbusDataModel> { [1] = new ModbusMemoryModel(1) }, new IPEndPoint(IPAddress.Loopback, port)));
        Assert.Contains("cannot listen", error.Message, StringComparison.Ordinal);
    }
}
