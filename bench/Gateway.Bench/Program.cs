using System.Globalization;

namespace Gateway.Bench;

/// <summary>
/// gateway-bench [--smoke] [NAME...]: runs benchmarks and prints figures. Never passes or fails on
/// time; --smoke runs each one small so CI proves it still runs. Results go in docs/benchmarks.md.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var smoke = args.Contains("--smoke");
        var names = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        bool Wanted(string name) => names.Count == 0 || names.Contains(name);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gateway-bench {(smoke ? "smoke run" : "full run")} on {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}"));
        if (Wanted("pty-echo"))
        {
            if (OperatingSystem.IsLinux())
            {
                await PtyEchoBenchmark.RunAsync(smoke ? 20 : 2000, Console.Out);
            }
            else
            {
                Console.WriteLine("pty-echo: skipped, pseudo-terminals are created on Linux only");
            }
        }

        if (Wanted("modbus"))
        {
            if (OperatingSystem.IsLinux())
            {
                await ModbusBenchmark.RunAsync(smoke ? 200 : 20_000, Console.Out);
            }
            else
            {
                Console.WriteLine("modbus: skipped, it pins to a core with taskset and uses pseudo-terminals (Linux only)");
            }
        }

        if (Wanted("barrier"))
        {
            await BarrierSyncBenchmark.RunAsync(smoke ? 150 : 10_000, Console.Out);
        }

        if (Wanted("encoder"))
        {
            if (OperatingSystem.IsLinux())
            {
                await EncoderBenchmark.RunAsync(smoke ? 3 : 20, Console.Out);
            }
            else
            {
                Console.WriteLine("encoder: skipped, the simulator's pseudo-terminal needs Linux");
            }
        }

        if (names.Contains(ParkingBenchmark.LoadName))
        {
            // The load generator of `parking --load-process`, started by the benchmark itself.
            var address = args.FirstOrDefault(a => a.StartsWith("--address=", StringComparison.Ordinal))?["--address=".Length..]
                ?? throw new ArgumentException("parking-load needs --address=URL");
            await ParkingBenchmark.RunLoadAsync(ParkingBenchmark.WithArguments(smoke ? ParkingBenchmark.Smoke : ParkingBenchmark.Full, args), address, Console.Out);
            return 0;
        }

        if (Wanted("parking"))
        {
            await ParkingBenchmark.RunAsync(ParkingBenchmark.WithArguments(smoke ? ParkingBenchmark.Smoke : ParkingBenchmark.Full, args), Console.Out);
        }

        if (Wanted("sync") || Wanted("sync-revoke") || Wanted("sync-idle"))
        {
            // "sync" runs both parts; "sync-revoke" or "sync-idle" one of them.
            var all = Wanted("sync");
            await SyncBenchmark.RunAsync(SyncBenchmark.WithArguments(smoke ? SyncBenchmark.Smoke : SyncBenchmark.Full, args), all || names.Contains("sync-revoke"), all || names.Contains("sync-idle"), Console.Out);
        }

        // The soak runs for half an hour: only when named, or small in a smoke run of everything.
        if (names.Contains("soak") || (smoke && names.Count == 0))
        {
            if (!OperatingSystem.IsLinux())
            {
                Console.WriteLine("soak: skipped, the RS-485 bus is a pseudo-terminal and RSS is read from /proc (Linux only)");
            }
            else if (!await SoakBenchmark.RunAsync(SoakBenchmark.WithArguments(smoke ? SoakBenchmark.Smoke : SoakBenchmark.Full, args), Console.Out))
            {
                // A full run fails on a broken invariant; a smoke run only proves the soak still runs (and says what it saw).
                Console.WriteLine("soak: FAILED: a controller differs from what it should hold, or an event was lost or stored twice (above)");
                if (!smoke)
                {
                    return 1;
                }
            }
        }

        if (Wanted("inventory"))
        {
            await InventoryBenchmark.RunAsync(smoke ? 300 : 30_000, smoke ? 3_000 : 1_000_000, smoke ? 2 : 10, Console.Out);
        }

        if (Wanted("console"))
        {
            await ConsoleBenchmark.RunAsync(ConsoleBenchmark.WithArguments(smoke ? ConsoleBenchmark.Smoke : ConsoleBenchmark.Full, args), Console.Out);
        }

        if (Wanted("uhppote"))
        {
            await UhppoteBenchmark.RunAsync(smoke ? 100 : 10_000, Console.Out);
        }

        if (Wanted("uhppote-revoke"))
        {
            await UhppoteRevokeBenchmark.RunAsync(UhppoteRevokeBenchmark.WithArguments(smoke ? UhppoteRevokeBenchmark.Smoke : UhppoteRevokeBenchmark.Full, args), Console.Out);
        }

        return 0;
    }
}
