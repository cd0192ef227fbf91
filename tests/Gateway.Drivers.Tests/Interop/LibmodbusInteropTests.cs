using System.Runtime.Versioning;
using Gateway.Drivers.Channels;
using Gateway.Drivers.Modbus;

namespace Gateway.Drivers.Tests.Interop;

/// <summary>
/// Gateway's master against a libmodbus server (modbus_peer.c) over loopback TCP and over a
/// pseudo-terminal (libmodbus opens the slave side as its serial port, Gateway's master talks on
/// the master side): every function code libmodbus serves, exception replies, maximum sizes.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class LibmodbusInteropTests
{
    public static TheoryData<string> Transports => new() { "tcp", "pty" };

    [LinuxTheory]
    [MemberData(nameof(Transports))]
    public async Task Reads_EveryTable_MaximumSizes_MatchTheServer(string transport)
    {
        await using var peer = await LibmodbusServer.StartAsync(transport);
        var master = peer.Master;
        Assert.Equal(Enumerable.Range(0, 125).Select(InteropPeers.Holding), await master.ReadHoldingRegistersAsync(1, 0, 125));
        Assert.Equal(Enumerable.Range(1000, 125).Select(InteropPeers.Input), await master.ReadInputRegistersAsync(1, 1000, 125));
        Assert.Equal(Enumerable.Range(7, 2000).Select(InteropPeers.Coil), await master.ReadCoilsAsync(1, 7, 2000));
        Assert.Equal(Enumerable.Range(1999, 2000).Select(InteropPeers.Discrete), await master.ReadDiscreteInputsAsync(1, 1999, 2000));
        Assert.Equal(new[] { InteropPeers.Holding(3999) }, await master.ReadHoldingRegistersAsync(1, 3999, 1));
    }

    [LinuxTheory]
    [MemberData(nameof(Transports))]
    public async Task Writes_EveryFunction_MaximumSizes_ReadBack(string transport)
    {
        await using var peer = await LibmodbusServer.StartAsync(transport);
        var master = peer.Master;

        await master.WriteSingleRegisterAsync(1, 10, 0xA5A5);
        Assert.Equal(new ushort[] { 0xA5A5 }, await master.ReadHoldingRegistersAsync(1, 10, 1));

        await master.WriteSingleCoilAsync(1, 1, true);
        await master.WriteSingleCoilAsync(1, 0, false);
        Assert.Equal(new[] { false, true }, await master.ReadCoilsAsync(1, 0, 2));

        var registers = Enumerable.Range(0, 123).Select(i => (ushort)(60000 - i)).ToArray();
        await master.WriteMultipleRegistersAsync(1, 100, registers);
        Assert.Equal(registers, await master.ReadHoldingRegistersAsync(1, 100, 123));

        var coils = Enumerable.Range(0, 1968).Select(i => i % 5 == 1).ToArray();
        await master.WriteMultipleCoilsAsync(1, 2000, coils);
        Assert.Equal(coils, (await master.ReadCoilsAsync(1, 2000, 1968)).ToArray());

        var written = Enumerable.Range(0, 121).Select(i => (ushort)(i + 7)).ToArray();
        var read = await master.ReadWriteMultipleRegistersAsync(1, 500, 125, 500, written);
        Assert.Equal(written, read[..121]);
        Assert.Equal(Enumerable.Range(621, 4).Select(InteropPeers.Holding), read[121..]);
    }

    [LinuxTheory]
    [MemberData(nameof(Transports))]
    public async Task ExceptionReplies_DecodedWithCode(string transport)
    {
        await using var peer = await LibmodbusServer.StartAsync(transport);
        var address = await Assert.ThrowsAsync<ModbusExceptionReplyException>(() => peer.Master.ReadHoldingRegistersAsync(1, 3999, 2));
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, address.Code);
        var write = await Assert.ThrowsAsync<ModbusExceptionReplyException>(() => peer.Master.WriteMultipleCoilsAsync(1, 3990, new bool[20]));
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, write.Code);

        if (transport == "tcp")
        {
            // libmodbus 3.1.6 does not serve 43/14: its illegal-function reply must come back as such.
            var identification = await Assert.ThrowsAsync<ModbusExceptionReplyException>(() => peer.Master.ReadDeviceIdentificationAsync(1));
            Assert.Equal(ModbusExceptionCode.IllegalFunction, identification.Code);
            Assert.Equal(0x2B, identification.FunctionCode);
        }
        else
        {
            // Its RTU slave does not even know 43's length (it frames it as 4 bytes, fails the CRC
            // and stays silent), so over RTU the request can only time out.
            await Assert.ThrowsAsync<ModbusTimeoutException>(() => peer.Master.ReadDeviceIdentificationAsync(1));
        }

        // The connection is still usable after exceptions.
        Assert.Equal(new[] { InteropPeers.Holding(5) }, await peer.Master.ReadHoldingRegistersAsync(1, 5, 1));
    }

    [LinuxFact]
    public async Task Rtu_RequestForAnotherUnit_TimesOut_ThenUnitOneAnswers()
    {
        // Field note: libmodbus's RTU slave swallows the line for ~500 ms after a request for another
        // unit, so the master's retries (with back-off) must carry the next request through.
        var options = new ModbusMasterOptions { Timeout = TimeSpan.FromMilliseconds(700), Retries = 6, RetryDelay = TimeSpan.FromMilliseconds(100), MaxRetryDelay = TimeSpan.FromMilliseconds(400) };
        await using var peer = await LibmodbusServer.StartAsync("pty", options);
        await Assert.ThrowsAsync<ModbusTimeoutException>(() => peer.Master.ReadHoldingRegistersAsync(9, 0, 1));
        Assert.Equal(new[] { InteropPeers.Holding(2) }, await peer.Master.ReadHoldingRegistersAsync(1, 2, 1));
    }

    [LinuxFact]
    public async Task Tcp_ConcurrentCallers_OneConnection_AllAnswersRight()
    {
        await using var peer = await LibmodbusServer.StartAsync("tcp");
        var reads = Enumerable.Range(0, 64).Select(i => Task.Run(() => peer.Master.ReadHoldingRegistersAsync(1, (ushort)(i * 10), 10))).ToArray();
        var results = await Task.WhenAll(reads);
        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal(Enumerable.Range(i * 10, 10).Select(InteropPeers.Holding), results[i]);
        }
    }

    /// <summary>A running modbus_peer server and a Gateway master connected to it.</summary>
    private sealed class LibmodbusServer : IAsyncDisposable
    {
        private readonly ChildProcess _process;
        private readonly PseudoTerminal? _pty;
        private readonly TempFolder? _folder;

        private LibmodbusServer(ChildProcess process, IModbusMaster master, PseudoTerminal? pty, TempFolder? folder)
        {
            _process = process;
            Master = master;
            _pty = pty;
            _folder = folder;
        }

        public IModbusMaster Master { get; }

        public static async Task<LibmodbusServer> StartAsync(string transport, ModbusMasterOptions? options = null)
        {
            var peer = await InteropPeers.LibmodbusPeerAsync();
            options ??= new ModbusMasterOptions { Timeout = TimeSpan.FromSeconds(2), Retries = 0 };
            if (transport == "tcp")
            {
                var process = ChildProcess.Start(peer, ["server", "tcp", "0"]);
                var port = (await process.WaitForLineAsync(@"^listening (\d+)", TimeSpan.FromSeconds(30))).Groups[1].Value;
                return new LibmodbusServer(process, ModbusMaster.Create($"tcp://127.0.0.1:{port}", options), null, null);
            }

            var folder = new TempFolder("gateway-libmodbus");
            var pty = PseudoTerminal.Create(folder.Combine("ttyLM"));
            var rtu = ChildProcess.Start(peer, ["server", "rtu", pty.LinkPath!, "1"]);
            await rtu.WaitForLineAsync("^ready", TimeSpan.FromSeconds(30));
            return new LibmodbusServer(rtu, ModbusMaster.CreateRtu(pty, options, ownsChannel: false), pty, folder);
        }

        public async ValueTask DisposeAsync()
        {
            await Master.DisposeAsync();
            await _process.DisposeAsync();
            if (_pty is not null)
            {
                await _pty.DisposeAsync();
            }

            _folder?.Dispose();
        }
    }
}
