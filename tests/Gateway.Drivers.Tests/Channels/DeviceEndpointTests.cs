using Gateway.Drivers.Channels;

namespace Gateway.Drivers.Tests.Channels;

public class DeviceEndpointTests
{
    [Theory]
    [InlineData("tcp://127.0.0.1:502", "127.0.0.1", 502, false)]
    [InlineData("rtu+tcp://10.0.0.5:4001", "10.0.0.5", 4001, true)]
    [InlineData("tcp://controller-3.site.local:1502", "controller-3.site.local", 1502, false)]
    [InlineData("tcp://[::1]:502", "::1", 502, false)]
    [InlineData("TCP://localhost:0", "localhost", 0, false)]
    public void Parse_TcpForms_YieldHostPortAndFraming(string text, string host, int port, bool rtu)
    {
        var endpoint = Assert.IsType<TcpEndpoint>(DeviceEndpoint.Parse(text));
        Assert.Equal(host, endpoint.Host);
        Assert.Equal(port, endpoint.Port);
        Assert.Equal(rtu, endpoint.RtuFraming);
    }

    [Fact]
    public void Parse_SerialWithSettings_ReadsEverySetting()
    {
        var endpoint = Assert.IsType<SerialEndpoint>(DeviceEndpoint.Parse("serial:///dev/ttyUSB0?baud=9600&parity=none&stop=2&data=8"));
        Assert.Equal("/dev/ttyUSB0", endpoint.PortName);
        Assert.Equal(9600, endpoint.BaudRate);
        Assert.Equal(SerialParity.None, endpoint.Parity);
        Assert.Equal(2, endpoint.StopBits);
        Assert.Equal(8, endpoint.DataBits);
    }

    [Fact]
    public void Parse_WindowsSerial_DefaultsToModbusSerialLine8E1()
    {
        var endpoint = Assert.IsType<SerialEndpoint>(DeviceEndpoint.Parse("serial://COM3?baud=9600"));
        Assert.Equal("COM3", endpoint.PortName);
        Assert.Equal(9600, endpoint.BaudRate);
        Assert.Equal(SerialParity.Even, endpoint.Parity);
        Assert.Equal(1, endpoint.StopBits);
    }

    [Theory]
    [InlineData("tcp://127.0.0.1:502")]
    [InlineData("rtu+tcp://[::1]:4001")]
    [InlineData("serial:///dev/ttyS1?baud=115200&parity=odd&stop=1&data=7")]
    public void ToString_RoundTripsThroughParse(string text)
    {
        var endpoint = DeviceEndpoint.Parse(text);
        Assert.Equal(endpoint, DeviceEndpoint.Parse(endpoint.ToString()));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("udp://1.2.3.4:502", "unknown scheme")]
    [InlineData("tcp://1.2.3.4", "no port")]
    [InlineData("tcp://1.2.3.4:70000", "invalid port")]
    [InlineData("tcp://1.2.3.4:-1", "invalid port")]
    [InlineData("tcp://:502", "no port")]
    [InlineData("tcp://[::1]502", "HOST:PORT")]
    [InlineData("serial://", "names no serial port")]
    [InlineData("serial:///dev/ttyUSB0?baud=12345", "baud")]
    [InlineData("serial:///dev/ttyUSB0?parity=mark", "parity")]
    [InlineData("serial:///dev/ttyUSB0?stop=3", "stop bits")]
    [InlineData("serial:///dev/ttyUSB0?speed=9600", "unknown setting")]
    public void TryParse_Malformed_FailsWithReason(string text, string reason)
    {
        Assert.False(DeviceEndpoint.TryParse(text, out var endpoint, out var error));
        Assert.Null(endpoint);
        Assert.Contains(reason, error, StringComparison.OrdinalIgnoreCase);
        Assert.Throws<FormatException>(() => DeviceEndpoint.Parse(text));
    }
}
