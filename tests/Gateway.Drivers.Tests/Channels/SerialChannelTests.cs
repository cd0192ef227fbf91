using System.Runtime.Versioning;
using Gateway.Drivers.Channels;

namespace Gateway.Drivers.Tests.Channels;

[SupportedOSPlatform("linux")]
public sealed class SerialChannelTests : IDisposable
{
    private readonly TempFolder _folder = new("gateway-serial");

    [LinuxFact]
    public async Task OpenAsync_SamePtyWithEvenParityAgainAfterAClose_OpensAndCarriesBytes()
    {
        var link = _folder.Combine("ttyBus");
        await using var pty = PseudoTerminal.Create(link);
        var endpoint = new SerialEndpoint(link, 19200, SerialParity.Even);

        // A first client (say a service later killed), then a second one on the unchanged line.
        await using (var first = new SerialChannel(endpoint))
        {
            await first.OpenAsync(CancellationToken.None);
        }

        await using var second = new SerialChannel(endpoint);
        await second.OpenAsync(CancellationToken.None);
        await second.WriteAsync(new byte[] { 0x01, 0x03, 0xFF }, CancellationToken.None);

        var received = new byte[3];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var n = 0;
        while (n < received.Length)
        {
            n += await pty.ReadAsync(received.AsMemory(n), cts.Token);
        }

        Assert.Equal(new byte[] { 0x01, 0x03, 0xFF }, received);
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
