using System.Net;
using Gateway.Drivers.Channels;
using Gateway.Drivers.Modbus;

namespace Gateway.Drivers.Tests.Modbus;

/// <summary>
/// Gateway's master against Gateway's slave engine over a real transport: loopback Modbus TCP,
/// RTU over loopback TCP, or RTU on a pseudo-terminal opened by the master as a serial port, through
/// the termios driver (pty, the default on Linux) or System.IO.Ports (pty-ports, Windows' default).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class ModbusHarness : IAsyncDisposable
{
    private readonly TempFolder? _folder;
    private readonly PseudoTerminal? _pty;

    private ModbusHarness(string transport, Dictionary<byte, ModbusMemoryModel> units, ModbusSlave slave, IModbusMaster master, string endpoint, TempFolder? folder, PseudoTerminal? pty)
    {
        Transport = transport;
        Units = units;
        Slave = slave;
        Master = master;
        Endpoint = endpoint;
        _folder = folder;
        _pty = pty;
    }

    public static TheoryData<string> Transports => new() { "tcp", "rtu+tcp", "pty", "pty-ports" };

    public string Transport { get; }

    public Dictionary<byte, ModbusMemoryModel> Units { get; }

    public ModbusSlave Slave { get; }

    public IModbusMaster Master { get; }

    public string Endpoint { get; }

    public ModbusMemoryModel Unit1 => Units[1];

    /// <summary>The pseudo-terminal the slave serves (pty transports only): what a test writes to it arrives at the master's port.</summary>
    public PseudoTerminal? Pty => _pty;

    public static async Task<ModbusHarness> StartAsync(string transport, ModbusMasterOptions? masterOptions = null, ModbusSlaveOptions? slaveOptions = null, byte[]? units = null)
    {
        var models = (units ?? [1]).ToDictionary(u => u, _ => new ModbusMemoryModel(4000));
        var served = models.ToDictionary(p => p.Key, p => (IModbusDataModel)p.Value);
        masterOptions ??= new ModbusMasterOptions { Timeout = TimeSpan.FromSeconds(2), Retries = 0 };
        switch (transport)
        {
            case "tcp":
            case "rtu+tcp":
            {
                var slave = ModbusSlave.StartTcp(served, new IPEndPoint(IPAddress.Loopback, 0), slaveOptions, rtuFraming: transport == "rtu+tcp");
                var endpoint = $"{transport}://127.0.0.1:{slave.Port}";
                return new ModbusHarness(transport, models, slave, ModbusMaster.Create(endpoint, masterOptions), endpoint, null, null);
            }

            case "pty":
            case "pty-ports":
            {
                var folder = new TempFolder("gateway-modbus");
                var link = folder.Combine("ttyMB");
                var pty = PseudoTerminal.Create(link);
                var slave = ModbusSlave.StartRtu(served, pty, slaveOptions);
                var endpoint = $"serial://{link}?baud=19200";
                var master = transport == "pty"
                    ? ModbusMaster.Create(endpoint, masterOptions)
                    : ModbusMaster.CreateRtu(new SerialChannel(new SerialEndpoint(link), SerialDriver.SystemIOPorts), masterOptions);
                return new ModbusHarness(transport, models, slave, master, endpoint, folder, pty);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(transport), transport, "tcp, rtu+tcp, pty or pty-ports");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Master.DisposeAsync();
        await Slave.DisposeAsync();
        if (_pty is not null)
        {
            await _pty.DisposeAsync();
        }

        _folder?.Dispose();
    }
}
