using System.IO.Ports;
using System.Runtime.Versioning;
using Gateway.Drivers.Channels;

namespace Gateway.Drivers.Tests.Channels;

[SupportedOSPlatform("linux")]
public sealed class PseudoTerminalTests : IDisposable
{
    private readonly TempFolder _folder = new("gateway-pty");

    [LinuxFact]
    public async Task Create_PublishesLink_ToSlaveDevice()
    {
        var link = _folder.Combine("dev", "ttyGW0");
        await using var pty = PseudoTerminal.Create(link);
        Assert.Equal(pty.SlavePath, new FileInfo(link).LinkTarget);
        Assert.StartsWith("/dev/pts/", pty.SlavePath, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task Bytes_FlowBothWays_Unaltered_ThroughSerialPortClient()
    {
        var link = _folder.Combine("ttyGW1");
        await using var pty = PseudoTerminal.Create(link);
        using var port = new SerialPort(link, 19200, Parity.Even, 8, StopBits.One);
        port.Open();

        // Every byte value, including CR, LF, XON/XOFF and ^C that a cooked line discipline would eat or translate.
        var all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        await port.BaseStream.WriteAsync(all);
        var received = await pty.ReadExactlyAsync(all.Length);
        Assert.Equal(all, received);

        await pty.WriteAsync(all, CancellationToken.None);
        var back = new byte[all.Length];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await port.BaseStream.ReadExactlyAsync(back, cts.Token);
        Assert.Equal(all, back);
    }

    [LinuxFact]
    public async Task Read_WithNoClientEverOpened_WaitsInsteadOfFailing_AndHonoursCancellation()
    {
        await using var pty = PseudoTerminal.Create(_folder.Combine("ttyGW2"));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var buffer = new byte[16];
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pty.ReadAsync(buffer, cts.Token));
        Assert.True(pty.IsConnected);
    }

    [LinuxFact]
    public async Task Read_AfterClientClosesAndReopens_StillWorks()
    {
        var link = _folder.Combine("ttyGW3");
        await using var pty = PseudoTerminal.Create(link);
        for (var round = 0; round < 3; round++)
        {
            using var port = new SerialPort(link, 9600);
            port.Open();
            await port.BaseStream.WriteAsync(new byte[] { (byte)round, 0x55 });
            var got = await pty.ReadExactlyAsync(2);
            Assert.Equal(new byte[] { (byte)round, 0x55 }, got);
            port.Close();
        }
    }

    [LinuxFact]
    public async Task DiscardInput_DropsBytesNotYetRead()
    {
        var link = _folder.Combine("ttyGW4");
        await using var pty = PseudoTerminal.Create(link);
        using var port = new SerialPort(link, 9600);
        port.Open();
        await port.BaseStream.WriteAsync(new byte[] { 1, 2, 3 });
        await Eventually.UntilAsync(() => pty.BytesAvailable >= 3, "the three bytes to reach the master side");
        pty.DiscardInput();
        await port.BaseStream.WriteAsync(new byte[] { 9 });
        var got = await pty.ReadExactlyAsync(1);
        Assert.Equal(new byte[] { 9 }, got);
    }

    [LinuxFact]
    public async Task Create_OverExistingLink_ReplacesIt_AndDisposeRemovesIt()
    {
        var link = _folder.Combine("ttyGW5");
        await using (var first = PseudoTerminal.Create(link))
        {
            await using var second = PseudoTerminal.Create(link);
            Assert.Equal(second.SlavePath, new FileInfo(link).LinkTarget);

            // The first pair no longer owns the link, so disposing it leaves the link alone.
            await first.DisposeAsync();
            Assert.Equal(second.SlavePath, new FileInfo(link).LinkTarget);
        }

        Assert.False(File.Exists(link) || new FileInfo(link).LinkTarget is not null);
    }

    public void Dispose() => _folder.Dispose();
}
