namespace Gateway.Service.Hosting;

/// <summary>
/// One service per data folder: an exclusive lock on <c>gateway.lock</c> in the data folder, held for
/// the life of the process and released by the operating system when it ends, however it ends
/// (SIGKILL and power loss included, so there is no stale lock to clean up). Two services on one
/// database would each believe they are the only writer: the idempotency marks of running requests
/// live in memory, controllers would be driven twice and the card-write journal resumed twice.
/// On Linux .NET takes the lock with flock(2); on Windows it is a sharing violation.
/// </summary>
public sealed class InstanceLock : IDisposable
{
    /// <summary>The lock file's name in the data folder.</summary>
    public const string FileName = "gateway.lock";

    private readonly FileStream _file;

    private InstanceLock(FileStream file)
    {
        _file = file;
    }

    /// <summary>Takes the lock of <paramref name="dataFolder"/> (creating the folder owner-only), or returns null when another process holds it.</summary>
    public static InstanceLock? TryAcquire(string dataFolder)
    {
        Gateway.Shared.OwnerOnlyFile.CreateFolder(dataFolder);
        var path = Path.Combine(dataFolder, FileName);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }

        try
        {
            // For people: which process holds it (the lock itself is the open file, not its content).
            file.SetLength(0);
            using (var writer = new StreamWriter(file, leaveOpen: true))
            {
                writer.WriteLine(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            file.Flush();
            return new InstanceLock(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void Dispose() => _file.Dispose();
}
