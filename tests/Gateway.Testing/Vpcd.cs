using System.Diagnostics;

namespace Gateway.Testing;

/// <summary>
/// The virtual readers of Debian's vsmartcard-vpcd under pcscd: two slots on fixed ports, so every
/// test that uses them runs in one serialized collection per assembly, and holds
/// <see cref="AcquireAsync"/> while it uses them, which also keeps test assemblies run at once
/// (<c>dotnet test Gateway.sln</c>) from sharing them. test.sh installs pcscd and vsmartcard-vpcd
/// and starts pcscd when none runs. Nothing else in the suite can take vpcd's ports: pcscd listens
/// on them for as long as it runs, so the system never hands them out for port 0.
/// </summary>
public static class Vpcd
{
    /// <summary>Where vpcd waits for the card of its first reader.</summary>
    public const string Host = "127.0.0.1";

    /// <summary>vpcd's port for <see cref="Reader"/> (0x8C7B, /etc/reader.conf.d/vpcd).</summary>
    public const int Port = 35963;

    /// <summary>The first virtual reader, as pcscd names it.</summary>
    public const string Reader = "Virtual PCD 00 00";

    /// <summary>vpcd's port for <see cref="OtherReader"/>.</summary>
    public const int OtherPort = 35964;

    /// <summary>The second virtual reader.</summary>
    public const string OtherReader = "Virtual PCD 00 01";

    /// <summary>The endpoint string of <see cref="Reader"/>.</summary>
    public const string Endpoint = "pcsc://Virtual%20PCD%2000%2000";

    /// <summary>What to do when the readers are missing.</summary>
    public const string Missing = "pcscd with the vsmartcard-vpcd readers is not running: run ./test.sh (it installs and starts them), or apt-get install pcscd vsmartcard-vpcd and start pcscd (restart it if it ran before vpcd was installed)";

    /// <summary>The name of the collection the PC/SC tests of an assembly share.</summary>
    public const string Collection = "pcsc";

    /// <summary>
    /// Takes vpcd's readers for this test, across processes (an exclusive lock on a file in the temp
    /// folder, released when disposed); waits while another test holds them (at most 10 minutes).
    /// </summary>
    public static async Task<IDisposable> AcquireAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), "gateway-vpcd.lock");
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive flock(2) on Linux, for this process's other opens too.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (watch.Elapsed < TimeSpan.FromMinutes(10))
            {
                await Task.Delay(50);
            }
        }
    }
}

/// <summary>A fact that needs pcscd and vpcd, which CI has on Linux; elsewhere it is skipped and says why. On Linux a missing pcscd fails the test.</summary>
public sealed class PcscFactAttribute : FactAttribute
{
    public PcscFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux: the PC/SC tests run against Debian's pcscd and vsmartcard-vpcd";
        }
    }
}
