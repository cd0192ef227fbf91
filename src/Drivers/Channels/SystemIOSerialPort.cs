using System.IO.Ports;

namespace Gateway.Drivers.Channels;

/// <summary>
/// A serial port through System.IO.Ports (<see cref="SerialDriver.SystemIOPorts"/>). Reads go through
/// <c>BaseStream.ReadAsync</c> with the caller's token, since it ignores <c>ReadTimeout</c> on Linux.
/// </summary>
internal sealed class SystemIOSerialPort : ISerialPortDriver
{
    private readonly SerialPort _port;

    private SystemIOSerialPort(SerialPort port)
    {
        _port = port;
    }

    /// <param name="endpoint">Port and line settings.</param>
    /// <param name="pty">A pseudo-terminal: opened 8N1 (see <see cref="SerialChannel.OpenAsync"/>).</param>
    public static SystemIOSerialPort Open(SerialEndpoint endpoint, bool pty)
    {
        var parity = pty ? Parity.None : endpoint.Parity switch
        {
            SerialParity.Odd => Parity.Odd,
            SerialParity.Even => Parity.Even,
            _ => Parity.None,
        };
        var port = new SerialPort(endpoint.PortName, endpoint.BaudRate, parity, pty ? 8 : endpoint.DataBits, endpoint.StopBits == 2 ? StopBits.Two : StopBits.One)
        {
            Handshake = Handshake.None,
        };
        try
        {
            port.Open();
            return new SystemIOSerialPort(port);
        }
        catch
        {
            port.Dispose();
            throw;
        }
    }

    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _port.BaseStream.ReadAsync(buffer, cancellationToken);

    public ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken) =>
        _port.BaseStream.WriteAsync(buffer, cancellationToken);

    public void DiscardInput() => _port.DiscardInBuffer();

    public void Dispose()
    {
        try
        {
            _port.Close();
        }
        finally
        {
            _port.Dispose();
        }
    }
}
