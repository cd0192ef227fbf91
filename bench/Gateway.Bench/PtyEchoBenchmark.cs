using System.Diagnostics;
using System.IO.Ports;
using System.Runtime.Versioning;
using Gateway.Drivers.Channels;

namespace Gateway.Bench;

/// <summary>
/// The floor under every RTU figure on a pseudo-terminal: 8 bytes written by a SerialPort client on
/// the slave side, read by Gateway's PseudoTerminal on the master side, echoed back, read again.
/// </summary>
[SupportedOSPlatform("linux")]
public static class PtyEchoBenchmark
{
    public static async Task RunAsync(int iterations, TextWriter output)
    {
        var link = Path.Combine(Path.GetTempPath(), $"gateway-bench-{Environment.ProcessId}.pty");
        await using var pty = PseudoTerminal.Create(link);
        using var cts = new CancellationTokenSource();
        var echo = Task.Run(async () =>
        {
            var buffer = new byte[256];
            while (!cts.IsCancellationRequested)
            {
                var n = await pty.ReadAsync(buffer, cts.Token);
                await pty.WriteAsync(buffer.AsMemory(0, n), cts.Token);
            }
        });

        using var port = new SerialPort(link, 19200, Parity.Even, 8, StopBits.One);
        port.Open();
        var request = new byte[] { 0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD };
        var reply = new byte[request.Length];
        var stats = new Stats();
        for (var i = 0; i < iterations + 10; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await port.BaseStream.WriteAsync(request);
            var got = 0;
            while (got < reply.Length)
            {
                got += await port.BaseStream.ReadAsync(reply.AsMemory(got));
            }

            if (i >= 10)
            {
                stats.AddTicks(Stopwatch.GetTimestamp() - start);
            }
        }

        await cts.CancelAsync();
        port.Close();
        await pty.DisposeAsync();
        try
        {
            await echo;
        }
        catch (Exception ex) when (ex is OperationCanceledException or Gateway.Drivers.DeviceException or ObjectDisposedException)
        {
            // The echo loop ends by cancellation or by the pty closing under it.
        }

        await output.WriteLineAsync($"pty-echo (SerialPort client -> PseudoTerminal echo, 8 bytes each way): {stats.Summary()}");
    }
}
