using System.Net;
using System.Runtime.Versioning;
using Gateway.Drivers.Channels;
using Gateway.Drivers.Modbus;

namespace Gateway.Drivers.Tests.Modbus;

/// <summary>The master survives its peer going away: a restarted TCP server, a pty that vanishes and comes back.</summary>
[SupportedOSPlatform("linux")]
public sealed class ReconnectTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ServerRestarts_NextRequestReconnects(bool rtuFraming)
    {
        var model = new ModbusMemoryModel(10);
        model.SetHolding(0, 11);
        var units = new Dictionary<byte, IModbusDataModel> { [1] = model };
        var first = ModbusSlave.StartTcp(units, new IPEndPoint(IPAddress.Loopback, 0), rtuFraming: rtuFraming);
        var port = first.Port!.Value;
        await using var master = ModbusMaster.Create($"{(rtuFraming ? "rtu+tcp" : "tcp")}://127.0.0.1:{port}", new ModbusMasterOptions { Retries = 3, RetryDelay = TimeSpan.FromMilliseconds(20), Timeout = TimeSpan.FromSeconds(2) });
        Assert.Equal(new ushort[] { 11 }, await master.ReadHoldingRegistersAsync(1, 0, 1));

        await first.DisposeAsync();
        model.SetHolding(0, 22);
        await using var second = ModbusSlave.StartTcp(units, new IPEndPoint(IPAddress.Loopback, port), rtuFraming: rtuFraming);
        Assert.Equal(new ushort[] { 22 }, await master.ReadHoldingRegistersAsync(1, 0, 1));
        Assert.Equal(1, second.ConnectedClients);
    }

    [Fact]
    public async Task ServerGone_NoRetries_ThrowsConnectionException_WithEndpointAndUnit()
    {
        var slave = ModbusSlave.StartTcp(new Dictionary<byte, IModbusDataModel> { [1] = new ModbusMemoryModel(10) }, new IPEndPoint(IPAddress.Loopback, 0));
        var endpoint = $"tcp://127.0.0.1:{slave.Port}";
        await slave.DisposeAsync();
        await using var master = ModbusMaster.Create(endpoint, new ModbusMasterOptions { Retries = 0 });
        var error = await Assert.ThrowsAsync<ModbusConnectionException>(() => master.ReadCoilsAsync(4, 0, 1));
        Assert.Equal(endpoint, error.Device);
        Assert.Equal(4, error.Unit);
        Assert.IsType<DeviceConnectionException>(error, exactMatch: false);
    }

    [LinuxFact]
    public async Task SerialPortMissing_ThrowsConnectionException_NamingTheDevice()
    {
        using var folder = new TempFolder("gateway-missing");
        var path = folder.Combine("ttyNowhere");
        await using var master = ModbusMaster.Create($"serial://{path}", new ModbusMasterOptions { Retries = 0 });
        var error = await Assert.ThrowsAsync<ModbusConnectionException>(() => master.ReadHoldingRegistersAsync(2, 0, 1));
        Assert.Contains($"cannot open {path}: no such device", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, error.Unit);
    }

    [LinuxFact]
    public async Task PtyVanishesAndReturns_MasterReopensThePort()
    {
        using var folder = new TempFolder("gateway-reopen");
        var link = folder.Combine("ttyGone");
        var model = new ModbusMemoryModel(10);
        model.SetHolding(0, 5);
        var units = new Dictionary<byte, IModbusDataModel> { [1] = model };
        var options = new ModbusMasterOptions { Timeout = TimeSpan.FromMilliseconds(500), Retries = 0 };
        await using var master = ModbusMaster.Create($"serial://{link}", options);

        var pty = PseudoTerminal.Create(link);
        var slave = ModbusSlave.StartRtu(units, pty);
        Assert.Equal(new ushort[] { 5 }, await master.ReadHoldingRegistersAsync(1, 0, 1));
        await slave.DisposeAsync();
        await pty.DisposeAsync();

        // The device is gone: the request fails as a lost port (or, if the loss is only seen as
        // silence, as a timeout), never hangs.
        var error = await Assert.ThrowsAnyAsync<DeviceException>(() => master.ReadHoldingRegistersAsync(1, 0, 1));
        Assert.True(error is ModbusConnectionException or ModbusTimeoutException, error.GetType().Name);

        await using var again = PseudoTerminal.Create(link);
        await using var slave2 = ModbusSlave.StartRtu(units, again);
        model.SetHolding(0, 6);
        ushort[]? value = null;
        for (var attempt = 0; attempt < 10 && value is null; attempt++)
        {
            try
            {
                value = await master.ReadHoldingRegistersAsync(1, 0, 1);
            }
            catch (DeviceException) when (attempt < 9)
            {
                // The first attempt may still see the old, dead port before it re-opens.
            }
        }

        Assert.Equal(new ushort[] { 6 }, value);
    }
}
