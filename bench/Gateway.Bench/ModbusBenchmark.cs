using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using Gateway.Drivers.Channels;
using Gateway.Drivers.Modbus;
using Gateway.Drivers.Modbus.Codec;

namespace Gateway.Bench;

/// <summary>
/// modbus: round trip of "read 10 holding registers" against one libmodbus slave (our modbus_peer.c,
/// built here with gcc), Gateway's master beside libmodbus's own C master in the same run:
/// over loopback TCP with client and server pinned to one core (taskset), and over a pty pair
/// (socat links two ptys: the slave opens one, each master the other; Gateway's through each serial
/// driver). Then codec throughput.
/// </summary>
[SupportedOSPlatform("linux")]
public static partial class ModbusBenchmark
{
    public static async Task RunAsync(int iterations, TextWriter output)
    {
        var peer = await BuildPeerAsync();
        await TcpAsync(peer, iterations, output);
        await PtyAsync(peer, Math.Max(iterations / 10, 20), output);
        Codec(iterations * 100, output);
    }

    private static async Task TcpAsync(string peer, int iterations, TextWriter output)
    {
        const int Rounds = 5;
        var process = Process.GetCurrentProcess();
        var affinity = process.ProcessorAffinity;
        using var server = Start("taskset", ["-c", "0", peer, "server", "tcp", "0"]);
        var port = int.Parse(Regex.Match(await server.StandardOutput.ReadLineAsync() ?? string.Empty, @"listening (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var gateway = new Stats();
        var raw = new Stats();
        var libmodbus = new Stats();
        try
        {
            // Warm up first: tiered compilation promotes hot methods only after a delay, and the
            // figures are about steady state.
            process.ProcessorAffinity = 1;
            await using (var warm = ModbusMaster.Create($"tcp://127.0.0.1:{port}", new ModbusMasterOptions { Timeout = TimeSpan.FromSeconds(2), Retries = 0 }))
            {
                var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
                while (Stopwatch.GetTimestamp() < until)
                {
                    await MeasureAsync(warm, 100, new Stats());
                }
            }

            await RawSocketAsync(port, iterations / Rounds, new Stats());

            // Rounds interleave the three clients so that noise from other work on the machine
            // falls on all of them alike. The libmodbus server serves one client at a time.
            for (var round = 0; round < Rounds; round++)
            {
                // Client and server on one core: cross-core wake-ups would dominate otherwise.
                process.ProcessorAffinity = 1;
                await using (var master = ModbusMaster.Create($"tcp://127.0.0.1:{port}", new ModbusMasterOptions { Timeout = TimeSpan.FromSeconds(2), Retries = 0 }))
                {
                    await MeasureAsync(master, iterations / Rounds, gateway);
                }

                // The floor under any async .NET client: the same exchange as raw bytes on a Socket.
                await RawSocketAsync(port, iterations / Rounds, raw);
                process.ProcessorAffinity = affinity;
                var summary = await RunPeerAsync("taskset", ["-c", "0", peer, "client", "tcp", port.ToString(CultureInfo.InvariantCulture), (iterations / Rounds).ToString(CultureInfo.InvariantCulture)], samples: true);
                foreach (var line in summary.Split('\n').Where(l => l.StartsWith("sample ", StringComparison.Ordinal)))
                {
                    libmodbus.Add(TimeSpan.FromMicroseconds(double.Parse(line.AsSpan(7), CultureInfo.InvariantCulture)));
                }
            }

            await output.WriteLineAsync($"modbus tcp loopback, read 10 holding registers, client and server pinned to cpu 0 ({Rounds} interleaved rounds):");
            await output.WriteLineAsync($"  gateway master  : {gateway.Summary()}");
            await output.WriteLineAsync($"  libmodbus master: {libmodbus.Summary()}");
            await output.WriteLineAsync($"  raw .NET Socket : {raw.Summary()} (SendAsync/ReceiveAsync of the same bytes, no Modbus code)");
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  ratio of medians gateway / libmodbus: {gateway.Percentile(50) / libmodbus.Percentile(50):0.00}; raw .NET / libmodbus: {raw.Percentile(50) / libmodbus.Percentile(50):0.00}"));
        }
        finally
        {
            process.ProcessorAffinity = affinity;
            server.Kill();
            await server.WaitForExitAsync();
        }
    }

    private static async Task PtyAsync(string peer, int iterations, TextWriter output)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"gateway-bench-modbus-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        var masterSide = Path.Combine(folder, "ttyMaster");
        var slaveSide = Path.Combine(folder, "ttySlave");
        using var socat = Start("socat", [$"pty,raw,echo=0,link={masterSide}", $"pty,raw,echo=0,link={slaveSide}"]);
        Process? server = null;
        try
        {
            await WaitForAsync(() => File.Exists(masterSide) && File.Exists(slaveSide));
            server = Start(peer, ["server", "rtu", slaveSide, "1"]);
            _ = await server.StandardOutput.ReadLineAsync();

            // serial:// as configured (the termios driver on Linux), then the same port through System.IO.Ports.
            var termios = new Stats();
            await using (var master = ModbusMaster.Create($"serial://{masterSide}?baud=19200&parity=even", new ModbusMasterOptions { Timeout = TimeSpan.FromSeconds(2), Retries = 0 }))
            {
                await MeasureAsync(master, iterations, termios);
            }

            var serialPort = new Stats();
            var endpoint = new SerialEndpoint(masterSide, 19200, SerialParity.Even);
            await using (var master = ModbusMaster.CreateRtu(new SerialChannel(endpoint, SerialDriver.SystemIOPorts), new ModbusMasterOptions { Timeout = TimeSpan.FromSeconds(2), Retries = 0 }))
            {
                await MeasureAsync(master, iterations, serialPort);
            }

            var libmodbus = (await RunPeerAsync(peer, ["client", "rtu", masterSide, "1", iterations.ToString(CultureInfo.InvariantCulture)])).Split('\n')[^1];
            await output.WriteLineAsync("modbus rtu over a pty pair (socat relays between the two ptys), read 10 holding registers, 19200 8E1 (a pty ignores baud):");
            await output.WriteLineAsync($"  gateway master, serial:// (termios driver): {termios.Summary()}");
            await output.WriteLineAsync($"  gateway master, System.IO.Ports driver    : {serialPort.Summary()}");
            await output.WriteLineAsync($"  libmodbus master                          : {libmodbus}");
        }
        finally
        {
            if (server is not null)
            {
                server.Kill();
                await server.WaitForExitAsync();
                server.Dispose();
            }

            socat.Kill();
            await socat.WaitForExitAsync();
            Directory.Delete(folder, recursive: true);
        }

        // Gateway's own pty channel (P/Invoke, no System.IO.Ports) with libmodbus on its slave side:
        // what the master itself costs once the serial stack's 1 ms polling is out of the way.
        var link = Path.Combine(Path.GetTempPath(), $"gateway-bench-modbus-{Environment.ProcessId}.pty");
        await using var pty = PseudoTerminal.Create(link);
        using var direct = Start(peer, ["server", "rtu", link, "1"]);
        try
        {
            _ = await direct.StandardOutput.ReadLineAsync();
            var own = new Stats();
            await using var master = ModbusMaster.CreateRtu(pty, new ModbusMasterOptions { Timeout = TimeSpan.FromSeconds(2), Retries = 0 }, ownsChannel: false);
            await MeasureAsync(master, iterations * 5, own);
            await output.WriteLineAsync($"  gateway master on its own pty channel (no socat): {own.Summary()}");
        }
        finally
        {
            direct.Kill();
            await direct.WaitForExitAsync();
        }
    }

    private static void Codec(int iterations, TextWriter output)
    {
        var request = new byte[5];
        var frame = new byte[ModbusLimits.MaxTcpAduLength];
        var reply = new byte[ModbusLimits.MaxRtuAduLength];
        var values = new ushort[10];
        var replyPdu = new byte[22];
        replyPdu[0] = 3;
        replyPdu[1] = 20;
        var rtuReply = new byte[ModbusRtuCodec.Overhead + replyPdu.Length];
        ModbusRtuCodec.Encode(rtuReply, 1, replyPdu);
        var tcpReply = new byte[ModbusTcpCodec.HeaderLength + replyPdu.Length];
        ModbusTcpCodec.Encode(tcpReply, 1, 1, replyPdu);

        foreach (var (name, tcp) in new[] { ("rtu (CRC both ways)", false), ("tcp (MBAP)", true) })
        {
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < iterations; i++)
            {
                ModbusPdu.WriteReadRequest(request, ModbusFunction.ReadHoldingRegisters, (ushort)(i & 0x7FFF), 10);
                ReadOnlySpan<byte> pdu;
                if (tcp)
                {
                    ModbusTcpCodec.Encode(frame, (ushort)i, 1, request);
                    ModbusTcpCodec.TryDecode(tcpReply, out var decoded, out _);
                    pdu = decoded.Pdu;
                }
                else
                {
                    ModbusRtuCodec.Encode(frame, 1, request);
                    ModbusRtuCodec.TryDecodeResponse(rtuReply, out var decoded, out _);
                    pdu = decoded.Pdu;
                }

                ModbusPdu.CheckResponse(request, pdu);
                ModbusPdu.ReadRegisters(pdu[2..], values);
            }

            var perSecond = iterations / watch.Elapsed.TotalSeconds;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"modbus codec {name}: encode request + decode and check a 10-register reply: {perSecond / 1e6:0.00} M/s ({1e9 / perSecond:0} ns each)"));
        }

        _ = reply;
    }

    private static async Task RawSocketAsync(int port, int iterations, Stats stats)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", port);
        var request = new byte[12];
        ModbusTcpCodec.Encode(request, 1, 1, [ModbusFunction.ReadHoldingRegisters, 0, 0, 0, 10]);
        var reply = new byte[64];
        var warmup = (iterations / 10) + 10;
        for (var i = 0; i < iterations + warmup; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await socket.SendAsync(request);
            var got = 0;
            while (got < 29)
            {
                got += await socket.ReceiveAsync(reply.AsMemory(got));
            }

            if (i >= warmup)
            {
                stats.AddTicks(Stopwatch.GetTimestamp() - start);
            }
        }
    }

    private static async Task MeasureAsync(IModbusMaster master, int iterations, Stats stats)
    {
        var warmup = (iterations / 10) + 10;
        for (var i = 0; i < iterations + warmup; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var values = await master.ReadHoldingRegistersAsync(1, 0, 10);
            var elapsed = Stopwatch.GetTimestamp() - start;
            if (values[9] != 28)
            {
                throw new InvalidOperationException($"unexpected register value {values[9]}");
            }

            if (i >= warmup)
            {
                stats.AddTicks(elapsed);
            }
        }
    }

    private static async Task<string> RunPeerAsync(string fileName, string[] args, bool samples = false)
    {
        using var process = Start(fileName, args, samples);
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? stdout.Trim() : throw new InvalidOperationException($"{fileName} {string.Join(' ', args)} exited {process.ExitCode}: {stderr}");
    }

    private static Process Start(string fileName, string[] args, bool samples = false)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (samples)
        {
            info.Environment["PEER_SAMPLES"] = "1";
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"cannot start {fileName}");
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(10, cts.Token);
        }
    }

    private static async Task<string> BuildPeerAsync()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Gateway.sln")))
        {
            root = root.Parent;
        }

        var source = Path.Combine(root?.FullName ?? throw new InvalidOperationException("Gateway.sln not found above the benchmark"), "tests", "Gateway.Drivers.Tests", "Interop", "modbus_peer.c");
        var output = Path.Combine(AppContext.BaseDirectory, "modbus_peer");
        var flags = await RunPeerAsync("pkg-config", ["--cflags", "--libs", "libmodbus"]);
        await RunPeerAsync("gcc", ["-O2", "-o", output, source, .. flags.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
        return output;
    }
}
