namespace Gateway.Drivers.Tests.Interop;

/// <summary>
/// The independent Modbus peers of the interop tests: a libmodbus program of ours (modbus_peer.c,
/// compiled here once per run with gcc and pkg-config) and mbpoll. A missing peer fails the test
/// with what to install — CI installs them through test.sh, so a skip would hide a broken setup.
/// </summary>
internal static class InteropPeers
{
    private static readonly Lazy<Task<string>> Peer = new(BuildPeerAsync);

    /// <summary>The built libmodbus peer (see modbus_peer.c for its commands and tables).</summary>
    public static Task<string> LibmodbusPeerAsync() => Peer.Value;

    /// <summary>The mbpoll executable.</summary>
    public static string Mbpoll() => Which("mbpoll") ?? throw new InvalidOperationException("mbpoll is not installed: run ./test.sh (it installs the test peers) or apt-get install mbpoll");

    /// <summary>Holding register i of the peer's tables (and of our slave in the mbpoll tests).</summary>
    public static ushort Holding(int i) => (ushort)((3 * i) + 1);

    public static ushort Input(int i) => (ushort)((5 * i) + 2);

    public static bool Coil(int i) => i % 3 == 0;

    public static bool Discrete(int i) => i % 2 == 0;

    public static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    private static async Task<string> BuildPeerAsync()
    {
        var source = Path.Combine(RepoPaths.Root, "tests", "Gateway.Drivers.Tests", "Interop", "modbus_peer.c");
        var output = Path.Combine(AppContext.BaseDirectory, "interop", "modbus_peer");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        if (Which("gcc") is null || Which("pkg-config") is null)
        {
            throw new InvalidOperationException("gcc and pkg-config are needed to build the libmodbus interop peer: run ./test.sh (it installs them) or apt-get install gcc pkg-config libmodbus-dev");
        }

        var (flagsCode, flags, flagsError) = await ChildProcess.RunAsync("pkg-config", ["--cflags", "--libs", "libmodbus"], TimeSpan.FromSeconds(30));
        if (flagsCode != 0)
        {
            throw new InvalidOperationException($"libmodbus is not installed (pkg-config: {flagsError.Trim()}): run ./test.sh or apt-get install libmodbus-dev");
        }

        string[] args = ["-O2", "-Wall", "-o", output, source, .. flags.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        var (code, stdout, stderr) = await ChildProcess.RunAsync("gcc", args, TimeSpan.FromMinutes(2));
        if (code != 0)
        {
            throw new InvalidOperationException($"building {source} failed:\n{stdout}\n{stderr}");
        }

        return output;
    }
}
