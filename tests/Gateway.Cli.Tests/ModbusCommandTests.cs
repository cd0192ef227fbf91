using System.Net;
using System.Runtime.Versioning;
using System.Text.Json;
using Gateway.Drivers.Channels;
using Gateway.Drivers.Modbus;

namespace Gateway.Cli.Tests;

/// <summary><c>gatewayctl modbus read|write</c> as a real process against Gateway's slave engine.</summary>
[SupportedOSPlatform("linux")]
public sealed class ModbusCommandTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly ModbusMemoryModel _unit = new(1000);
    private ModbusSlave _tcp = null!;
    private string _endpoint = null!;

    public Task InitializeAsync()
    {
        _tcp = ModbusSlave.StartTcp(new Dictionary<byte, IModbusDataModel> { [1] = _unit }, new IPEndPoint(IPAddress.Loopback, 0));
        _endpoint = $"tcp://127.0.0.1:{_tcp.Port}";
        _unit.SetHolding(0, 10, 20, 65535);
        _unit.SetCoils(4, true, false, true);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _tcp.DisposeAsync();

    [Fact]
    public async Task Read_Json_PrintsTheContractObject()
    {
        var (code, stdout, stderr) = await RunAsync("modbus", "read", _endpoint, "--unit", "1", "--table", "holding", "--address", "0", "--count", "3", "--json");
        Assert.True(code == 0, stderr);
        Assert.Equal("""{"unit":1,"table":"holding","address":0,"values":[10,20,65535]}""", stdout.Trim());
    }

    [Fact]
    public async Task Read_Coils_Json_ValuesAreBooleans()
    {
        var (code, stdout, stderr) = await RunAsync("modbus", "read", _endpoint, "--unit", "1", "--table", "coils", "--address", "4", "--count", "3", "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal("coils", json.RootElement.GetProperty("table").GetString());
        Assert.Equal([true, false, true], json.RootElement.GetProperty("values").EnumerateArray().Select(v => v.GetBoolean()));
    }

    [Fact]
    public async Task Write_Holding_ThenTheDeviceHoldsTheValues()
    {
        var (code, stdout, stderr) = await RunAsync("modbus", "write", _endpoint, "--unit", "1", "--table", "holding", "--address", "100", "--values", "1,0x00FF,65535");
        Assert.True(code == 0, stderr);
        Assert.Contains("wrote 3 holding at 100 on unit 1", stdout, StringComparison.Ordinal);
        Assert.Equal(new ushort[] { 1, 255, 65535 }, _unit.GetHolding(100, 3));
    }

    [Fact]
    public async Task Write_SingleCoil_Sets()
    {
        var (code, _, stderr) = await RunAsync("modbus", "write", _endpoint, "--unit", "1", "--table", "coils", "--address", "50", "--values", "on");
        Assert.True(code == 0, stderr);
        Assert.Equal(new[] { true }, _unit.GetCoils(50, 1));
    }

    [Fact]
    public async Task Read_ExceptionReply_OneStderrLine_NamingEndpointAndCause()
    {
        var (code, stdout, stderr) = await RunAsync("modbus", "read", _endpoint, "--unit", "1", "--table", "input", "--address", "999", "--count", "2");
        Assert.Equal(1, code);
        Assert.Equal(string.Empty, stdout.Trim());
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(_endpoint, line, StringComparison.Ordinal);
        Assert.Contains("illegal data address (2)", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_NothingListening_OneStderrLine_NamingEndpoint()
    {
        var port = FreePort();
        var (code, _, stderr) = await RunAsync("modbus", "read", $"tcp://127.0.0.1:{port}", "--unit", "1", "--table", "holding", "--address", "0", "--count", "1");
        Assert.Equal(1, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"tcp://127.0.0.1:{port}", line, StringComparison.Ordinal);
        Assert.Contains("cannot connect", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("modbus", "read", "ftp://x:1", "--unit", "1", "--table", "holding", "--address", "0", "--count", "1", "unknown scheme")]
    [InlineData("modbus", "read", "tcp://127.0.0.1", "--unit", "1", "--table", "holding", "--address", "0", "--count", "1", "no port")]
    [InlineData("modbus", "read", "ENDPOINT", "--unit", "1", "--table", "holding", "--address", "0", "--count", "126", "--count 126 is outside 1-125")]
    [InlineData("modbus", "read", "ENDPOINT", "--unit", "1", "--table", "coils", "--address", "0", "--count", "2001", "outside 1-2000")]
    [InlineData("modbus", "read", "ENDPOINT", "--unit", "1", "--table", "holding", "--address", "65535", "--count", "2", "runs past address 65535")]
    [InlineData("modbus", "read", "ENDPOINT", "--unit", "0", "--table", "holding", "--address", "0", "--count", "1", "--unit 0 is outside 1-255")]
    [InlineData("modbus", "read", "ENDPOINT", "--unit", "1", "--table", "bogus", "--address", "0", "--count", "1", "is not holding, input, coils or discrete")]
    [InlineData("modbus", "read", "ENDPOINT", "--unit", "1", "--table", "holding", "--address", "-1", "--count", "1", "outside 0-65535")]
    [InlineData("modbus", "write", "ENDPOINT", "--unit", "1", "--table", "input", "--address", "0", "--values", "1", "cannot be written")]
    [InlineData("modbus", "write", "ENDPOINT", "--unit", "1", "--table", "holding", "--address", "0", "--values", "1,70000", "'70000' is not a whole number from 0 to 65535")]
    [InlineData("modbus", "write", "ENDPOINT", "--unit", "1", "--table", "coils", "--address", "0", "--values", "1,2", "'2' is not 0, 1")]
    [InlineData("modbus", "write", "ENDPOINT", "--unit", "1", "--table", "holding", "--address", "0", "--values", "1,,2", "not a comma-separated list")]
    [InlineData("modbus", "write", "serial:///dev/null", "--unit", "248", "--table", "holding", "--address", "0", "--values", "1", "--unit 248 is outside 0-247")]
    public async Task BadInput_RefusedBeforeAnythingIsSent(params string[] argsAndMessage)
    {
        var args = argsAndMessage[..^1].Select(a => a == "ENDPOINT" ? _endpoint : a).ToArray();
        var (code, stdout, stderr) = await RunAsync(args);
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout.Trim());
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(argsAndMessage[^1], line, StringComparison.Ordinal);
        Assert.Equal(0, _tcp.Statistics.BytesReceived);
    }

    [Fact]
    public async Task Write_TooManyRegisters_Refused()
    {
        var values = string.Join(',', Enumerable.Repeat("1", 124));
        var (code, _, stderr) = await RunAsync("modbus", "write", _endpoint, "--unit", "1", "--table", "holding", "--address", "0", "--values", values);
        Assert.Equal(2, code);
        Assert.Contains("at most 123", stderr, StringComparison.Ordinal);
        Assert.Equal(0, _tcp.Statistics.BytesReceived);
    }

    [LinuxFact]
    public async Task ReadAndWrite_OverAPseudoTerminal_SerialEndpoint()
    {
        using var folder = new TempFolder("gatewayctl-modbus");
        var link = folder.Combine("ttyCTL");
        await using var pty = PseudoTerminal.Create(link);
        var model = new ModbusMemoryModel(10);
        await using var slave = ModbusSlave.StartRtu(new Dictionary<byte, IModbusDataModel> { [7] = model }, pty);
        var endpoint = $"serial://{link}?baud=9600&parity=none";

        var (writeCode, _, writeError) = await RunAsync("modbus", "write", endpoint, "--unit", "7", "--table", "holding", "--address", "2", "--values", "4660");
        Assert.True(writeCode == 0, writeError);
        var (code, stdout, stderr) = await RunAsync("modbus", "read", endpoint, "--unit", "7", "--table", "holding", "--address", "2", "--count", "1", "--json");
        Assert.True(code == 0, stderr);
        Assert.Equal("""{"unit":7,"table":"holding","address":2,"values":[4660]}""", stdout.Trim());
    }

    [Fact]
    public async Task Help_DescribesReadAndWrite()
    {
        var (code, stdout, _) = await RunAsync("modbus", "read", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--table", stdout, StringComparison.Ordinal);
    }

    private static Task<(int ExitCode, string StandardOutput, string StandardError)> RunAsync(params string[] args) =>
        ChildProcess.RunDotnetAsync(RepoPaths.Cli, args, Bound);

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
