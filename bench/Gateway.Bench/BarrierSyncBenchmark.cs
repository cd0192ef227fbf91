using System.Diagnostics;
using System.Globalization;
using Gateway.Drivers.Barriers;
using Gateway.Drivers.Channels;
using Gateway.Drivers.Modbus;
using Gateway.Simulators.Barrier;

namespace Gateway.Bench;

/// <summary>
/// barrier: full whitelist sync of N entries to one simulated controller, then an incremental change
/// of one entry, over RTU at 19200 baud with the simulator emulating the line rate. Bytes and frames
/// come from the simulator's engine, so the wire limit is computed independently of the driver.
/// </summary>
public static class BarrierSyncBenchmark
{
    private const int Baud = 19200;

    // 11 bits per character (start, 8 data, parity, stop) and t3.5 of silence before each frame
    // (Modbus over serial line v1.02, section 2.5.1.1).
    private const double BitsPerByte = 11;
    private const double GapCharacters = 3.5;

    public static async Task RunAsync(int entries, TextWriter output)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"gateway-bench-barrier-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            var onPty = OperatingSystem.IsLinux();
            var settings = new BarrierSimulatorSettings
            {
                PtyLink = onPty ? Path.Combine(folder, "ttyBarrier") : null,
                Listen = onPty ? null : DeviceEndpoint.Parse("rtu+tcp://127.0.0.1:0"),
                Baud = Baud,
            };
            await using var simulator = await BarrierSimulator.StartAsync(settings);
            var endpoint = onPty ? $"serial://{simulator.ModbusEndpoint}?baud={Baud}&parity=even" : simulator.ModbusEndpoint;
            await using var master = ModbusMaster.Create(endpoint, new ModbusMasterOptions { Timeout = TimeSpan.FromSeconds(2) });
            var driver = new BarrierController(master, 1);
            await driver.IdentifyAsync();

            var list = MakeEntries(entries);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"barrier: {entries} entries, RTU on {(onPty ? "a pty" : "rtu+tcp")}, line rate emulated at {Baud} baud, 11 bits a character"));

            var full = await MeasureAsync(simulator, async () =>
            {
                var cleared = await driver.ClearWhitelistAsync();
                var change = await driver.UpsertWhitelistAsync(list);
                return cleared.Transactions + change.Transactions;
            });
            Report(output, "full sync", full, entries);
            var check = await driver.CheckDriftAsync(list);
            output.WriteLine($"  controller in sync afterwards: {check.InSync}");

            var changed = new WhitelistEntry(list[entries / 2].Uid, list[entries / 2].ValidFrom, list[entries / 2].ValidTo.AddDays(30));
            list[entries / 2] = changed;
            var incremental = await MeasureAsync(simulator, async () => (await driver.UpsertWhitelistAsync([changed])).Transactions);
            Report(output, "incremental (1 entry, new count and digest read back)", incremental, 1);
            var digest = WhitelistEntry.ComputeDigest(list);
            output.WriteLine($"  controller in sync afterwards: {(await driver.CheckDriftAsync(list)).InSync && digest == (await driver.ReadStatusAsync()).Digest}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<Measurement> MeasureAsync(BarrierSimulator simulator, Func<Task<int>> action)
    {
        var s = simulator.Statistics;
        var (bytes0, frames0) = (s.BytesReceived + s.BytesSent, s.FramesReceived + s.FramesSent);
        var stopwatch = Stopwatch.StartNew();
        var transactions = await action();
        stopwatch.Stop();
        return new Measurement(stopwatch.Elapsed, transactions, s.BytesReceived + s.BytesSent - bytes0, s.FramesReceived + s.FramesSent - frames0);
    }

    private static void Report(TextWriter output, string name, Measurement m, int entries)
    {
        var limit = TimeSpan.FromSeconds(((m.Bytes * BitsPerByte) + (m.Frames * GapCharacters * BitsPerByte)) / Baud);
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  {name}: {m.Elapsed.TotalSeconds:0.000} s, {m.Transactions} transactions, {m.Bytes} bytes on the wire ({(double)m.Bytes / entries:0.00} per entry), {m.Frames} frames; wire limit {limit.TotalSeconds:0.000} s; elapsed/limit {m.Elapsed / limit:0.000}"));
    }

    private static List<WhitelistEntry> MakeEntries(int count)
    {
        var random = new Random(20_000);
        var entries = new Dictionary<CardUid, WhitelistEntry>();
        var bytes = new byte[7];
        var now = DateTimeOffset.UtcNow;
        while (entries.Count < count)
        {
            random.NextBytes(bytes);
            var uid = CardUid.FromBytes(entries.Count % 4 == 0 ? bytes : bytes.AsSpan(0, 4));
            entries.TryAdd(uid, new WhitelistEntry(uid, now.AddDays(-random.Next(400)), now.AddDays(random.Next(1, 400))));
        }

        return [.. entries.Values];
    }

    private readonly record struct Measurement(TimeSpan Elapsed, int Transactions, long Bytes, long Frames);
}
