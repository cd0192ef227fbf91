using System.IO.Ports;
using System.Runtime.Versioning;
using Gateway.Drivers.Channels;
using Gateway.Drivers.Modbus;
using Gateway.Drivers.Modbus.Codec;

namespace Gateway.Drivers.Tests.Modbus;

/// <summary>The slave engine on a pseudo-terminal, driven with raw bytes from a serial-port client.</summary>
[SupportedOSPlatform("linux")]
public sealed class RtuSlaveTests : IAsyncLifetime
{
    private readonly TempFolder _folder = new("gateway-rtu");
    private readonly Dictionary<byte, ModbusMemoryModel> _units = new() { [1] = new ModbusMemoryModel(200), [2] = new ModbusMemoryModel(200) };
    private PseudoTerminal _pty = null!;
    private ModbusSlave _slave = null!;
    private SerialPort _port = null!;

    public Task InitializeAsync()
    {
        var link = _folder.Combine("ttyRTU");
        _pty = PseudoTerminal.Create(link);
        _slave = ModbusSlave.StartRtu(_units.ToDictionary(p => p.Key, p => (IModbusDataModel)p.Value), _pty, new ModbusSlaveOptions { ResyncSilence = TimeSpan.FromMilliseconds(20) });
        _port = new SerialPort(link, 19200, Parity.Even, 8, StopBits.One);
        _port.Open();
        _units[1].SetHolding(0, 0x1234);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _port.Dispose();
        await _slave.DisposeAsync();
        await _pty.DisposeAsync();
        _folder.Dispose();
    }

    [LinuxFact]
    public async Task RequestForOtherUnit_NoReply_AndNextFrameInSameBurstIsAnswered()
    {
        // A write-multiple for unit 9 (not served: its length comes from the byte count) and a read
        // for unit 1, back to back in one write: the slave must skip exactly the first frame.
        var other = Rtu(9, [0x10, 0x00, 0x00, 0x00, 0x02, 0x04, 0xAA, 0xBB, 0xCC, 0xDD]);
        var mine = Rtu(1, [0x03, 0x00, 0x00, 0x00, 0x01]);
        await _port.BaseStream.WriteAsync(other.Concat(mine).ToArray());
        var reply = await ReadFrameAsync(7);
        Assert.Equal(Rtu(1, [0x03, 0x02, 0x12, 0x34]), reply);
        Assert.Equal(2, _slave.Statistics.FramesReceived);
        Assert.Equal(1, _slave.Statistics.IgnoredFrames);
        Assert.Equal(1, _slave.Statistics.FramesSent);
    }

    [LinuxFact]
    public async Task Garbage_IsDropped_AfterSilence_NextRequestAnswered()
    {
        await _port.BaseStream.WriteAsync(new byte[] { 0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00 }); // CRC wrong
        await WaitUntilAsync(() => _slave.Statistics.CorruptFrames == 1);

        // Requests sent while the slave still waits for silence are part of the garbage; once the
        // line has been quiet for 20 ms, a request is answered.
        Assert.Equal(Rtu(1, [0x03, 0x02, 0x12, 0x34]), await RequestUntilAnsweredAsync(Rtu(1, [0x03, 0x00, 0x00, 0x00, 0x01]), 7));
    }

    [LinuxFact]
    public async Task UnknownFunction_WithValidCrc_AnsweredIllegalFunction()
    {
        await _port.BaseStream.WriteAsync(Rtu(2, [0x41, 0x01, 0x02]));
        Assert.Equal(Rtu(2, [0xC1, 0x01]), await ReadFrameAsync(5));
    }

    [LinuxFact]
    public async Task IncompleteFrame_DroppedAfterSilence()
    {
        await _port.BaseStream.WriteAsync(new byte[] { 0x01, 0x03, 0x00 });
        await WaitUntilAsync(() => _slave.Statistics.CorruptFrames == 1);
        await _port.BaseStream.WriteAsync(Rtu(1, [0x03, 0x00, 0x00, 0x00, 0x01]));
        Assert.Equal(Rtu(1, [0x03, 0x02, 0x12, 0x34]), await ReadFrameAsync(7));
    }

    [LinuxFact]
    public async Task SpecExample_ReadHoldingRegisters_AnsweredExactly()
    {
        // Modbus Application Protocol v1.1b3 section 6.3: read 3 registers from 107 (0x6B).
        _units[1].SetHolding(0x6B, 0x022B, 0x0000, 0x0064);
        await _port.BaseStream.WriteAsync(Rtu(1, [0x03, 0x00, 0x6B, 0x00, 0x03]));
        Assert.Equal(Rtu(1, [0x03, 0x06, 0x02, 0x2B, 0x00, 0x00, 0x00, 0x64]), await ReadFrameAsync(11));
    }

    [LinuxFact]
    public async Task WriteSingleCoil_InvalidValue_IllegalDataValue()
    {
        await _port.BaseStream.WriteAsync(Rtu(1, [0x05, 0x00, 0x01, 0x12, 0x34]));
        Assert.Equal(Rtu(1, [0x85, 0x03]), await ReadFrameAsync(5));
    }

    private static byte[] Rtu(byte unit, byte[] pdu)
    {
        var frame = new byte[pdu.Length + 3];
        ModbusRtuCodec.Encode(frame, unit, pdu);
        return frame;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(10, cts.Token);
        }
    }

    private async Task<byte[]> RequestUntilAnsweredAsync(byte[] request, int length)
    {
        for (var attempt = 0; ; attempt++)
        {
            await _port.BaseStream.WriteAsync(request);
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            var buffer = new byte[length];
            try
            {
                await _port.BaseStream.ReadExactlyAsync(buffer, cts.Token);
                return buffer;
            }
            catch (OperationCanceledException) when (attempt < 20)
            {
                _port.DiscardInBuffer();
            }
        }
    }

    private async Task<byte[]> ReadFrameAsync(int length)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[length];
        await _port.BaseStream.ReadExactlyAsync(buffer, cts.Token);
        return buffer;
    }
}
