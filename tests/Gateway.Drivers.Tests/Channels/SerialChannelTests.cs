using System.Runtime.Versioning;
using Gateway.Drivers.Channels;

namespace Gateway.Drivers.Tests.Channels;

/// <summary>The serial channel on a real pseudo-terminal, through each of its drivers.</summary>
[SupportedOSPlatform("linux")]
public sealed class SerialChannelTests : IDisposable
{
    private readonly TempFolder _folder = new("gateway-serial");

    [LinuxTheory]
    [InlineData(SerialDriver.Termios)]
    [InlineData(SerialDriver.SystemIOPorts)]
    public async Task OpenAsync_SamePtyWithEvenParityAgainAfterAClose_OpensAndCarriesBytes(SerialDriver driver)
    {
        var link = _folder.Combine("ttyBus");
        await using var pty = PseudoTerminal.Create(link);
        var endpoint = new SerialEndpoint(link, 19200, SerialParity.Even);

        // A first client (say a service later killed), then a second one on the unchanged line.
        await using (var first = new SerialChannel(endpoint, driver))
        {
            await first.OpenAsync(CancellationToken.None);
        }

        await using var second = new SerialChannel(endpoint, driver);
        await second.OpenAsync(CancellationToken.None);
        await second.WriteAsync(new byte[] { 0x01, 0x03, 0xFF }, CancellationToken.None);
        Assert.Equal(new byte[] { 0x01, 0x03, 0xFF }, await pty.ReadExactlyAsync(3));
    }

    [LinuxTheory]
    [InlineData(SerialDriver.Termios)]
    [InlineData(SerialDriver.SystemIOPorts)]
    public async Task Bytes_EveryValueBothWays_Unaltered(SerialDriver driver)
    {
        var link = _folder.Combine("ttyAll");
        await using var pty = PseudoTerminal.Create(link);
        await using var channel = new SerialChannel(new SerialEndpoint(link, 115200, SerialParity.None), driver);
        await channel.OpenAsync(CancellationToken.None);

        // CR, LF, XON/XOFF and ^C included: a cooked line discipline would eat or translate them.
        var all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        await channel.WriteAsync(all, CancellationToken.None);
        Assert.Equal(all, await pty.ReadExactlyAsync(all.Length));
        await pty.WriteAsync(all, CancellationToken.None);
        Assert.Equal(all, await channel.ReadExactlyAsync(all.Length));
    }

    [LinuxTheory]
    [InlineData(SerialDriver.Termios)]
    [InlineData(SerialDriver.SystemIOPorts)]
    public async Task ReadAsync_NothingComes_HonoursTheTokenAndStaysOpen(SerialDriver driver)
    {
        var link = _folder.Combine("ttyQuiet");
        await using var pty = PseudoTerminal.Create(link);
        await using var channel = new SerialChannel(new SerialEndpoint(link), driver);
        await channel.OpenAsync(CancellationToken.None);

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await channel.ReadAsync(new byte[8], cts.Token));
        Assert.True(channel.IsConnected);

        await pty.WriteAsync(new byte[] { 0x42 }, CancellationToken.None);
        Assert.Equal(new byte[] { 0x42 }, await channel.ReadExactlyAsync(1));
    }

    [LinuxFact]
    public async Task DiscardInput_Termios_DropsWhatWaits_KeepsWhatComesAfter()
    {
        var link = _folder.Combine("ttyDiscard");
        await using var pty = PseudoTerminal.Create(link);
        await using var channel = new SerialChannel(new SerialEndpoint(link), SerialDriver.Termios);
        await channel.OpenAsync(CancellationToken.None);

        await pty.WriteAsync(new byte[] { 1, 2, 3 }, CancellationToken.None);
        await Eventually.UntilAsync(() => channel.BytesAvailable >= 3, "the three bytes to reach the port");
        channel.DiscardInput();
        Assert.Equal(0, channel.BytesAvailable);
        await pty.WriteAsync(new byte[] { 9 }, CancellationToken.None);
        Assert.Equal(new byte[] { 9 }, await channel.ReadExactlyAsync(1));
    }

    [LinuxFact]
    public async Task Termios_OpenButIdle_TakesNothingMeantForAnotherClientOfThePort()
    {
        // Two programs on one pseudo-terminal (the service's idle encoder and gatewayctl, say): the
        // idle one must not swallow the bytes the other is waiting for.
        var link = _folder.Combine("ttyShared");
        await using var pty = PseudoTerminal.Create(link);
        await using var idle = new SerialChannel(new SerialEndpoint(link), SerialDriver.Termios);
        await idle.OpenAsync(CancellationToken.None);
        using var pending = new CancellationTokenSource();
        var idleRead = idle.ReadAsync(new byte[8], pending.Token).AsTask();
        await pending.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => idleRead);

        await using var busy = new SerialChannel(new SerialEndpoint(link), SerialDriver.Termios);
        await busy.OpenAsync(CancellationToken.None);
        var payload = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        await pty.WriteAsync(payload, CancellationToken.None);

        Assert.Equal(payload, await busy.ReadExactlyAsync(payload.Length));
    }

    [LinuxFact]
    public async Task Termios_FarSideGone_ReadFailsAtOnceAsConnectionLost()
    {
        var link = _folder.Combine("ttyGone");
        var pty = PseudoTerminal.Create(link);
        await using var channel = new SerialChannel(new SerialEndpoint(link), SerialDriver.Termios);
        await channel.OpenAsync(CancellationToken.None);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var reading = channel.ReadAsync(new byte[8], bound.Token).AsTask();

        await pty.DisposeAsync();

        await Assert.ThrowsAsync<DeviceConnectionException>(() => reading);
        Assert.False(channel.IsConnected);
    }

    [Theory]
    [InlineData(19200, SerialDriver.Termios)]
    [InlineData(115200, SerialDriver.Termios)]
    [InlineData(14400, SerialDriver.SystemIOPorts)]
    public void Driver_Auto_TermiosOnLinuxForEveryRateTermiosNames(int baud, SerialDriver onLinux)
    {
        var channel = new SerialChannel(new SerialEndpoint("/dev/ttyUSB9", baud));
        Assert.Equal(OperatingSystem.IsLinux() ? onLinux : SerialDriver.SystemIOPorts, channel.Driver);
    }

    [LinuxFact]
    public async Task OpenAsync_NoSuchDevice_DeviceConnectionExceptionNamingIt()
    {
        await using var channel = new SerialChannel(new SerialEndpoint(_folder.Combine("ttyNone")), SerialDriver.Termios);
        var ex = await Assert.ThrowsAsync<DeviceConnectionException>(async () => await channel.OpenAsync(CancellationToken.None));
        Assert.Contains("no such device", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/dev/pts/3", true)]
    [InlineData("/dev/ttyUSB0", false)]
    [InlineData("/dev/ttyS1", false)]
    [InlineData(null, false)]
    public void IsPseudoTerminal_Device_TellsPtySlaves(string? device, bool expected) =>
        Assert.Equal(expected, SerialChannel.IsPseudoTerminal(device));

    public void Dispose() => _folder.Dispose();
}
