using Gateway.Service.Tests.Api;

namespace Gateway.Service.Tests.Hosting;

/// <summary>
/// The data folder holds the database (holders, operators, cards), the logs and the secret files: the
/// service creates it, its logs folder and the database owner-only, and warns at every start while one
/// made earlier is open to other users.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DataFolderTests : IDisposable
{
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly TempFolder _folder = new("gateway-data");

    [LinuxFact]
    public async Task Start_FreshDataFolder_FolderLogsAndDatabaseOwnerOnlyWithoutWarning()
    {
        // Neither the site folder nor the data folder exists: both are created, as on a first install.
        var data = _folder.Combine("site", "data");
        await using var service = ChildProcess.StartDotnet(
            RepoPaths.Service,
            [$"--Gateway:DataFolder={data}", "--Gateway:Http:Port=0", "--Gateway:SiteId=test-site", "--Gateway:Operators:PasswordIterations=1000"]);
        await service.WaitForLineAsync(@"started: site test-site", Bound);

        Assert.Equal(OwnerOnlyFolder, File.GetUnixFileMode(_folder.Combine("site")));
        Assert.Equal(OwnerOnlyFolder, File.GetUnixFileMode(data));
        Assert.Equal(OwnerOnlyFolder, File.GetUnixFileMode(Path.Combine(data, "logs")));
        foreach (var file in new[] { "gateway.db", "gateway.db-wal", "gateway.db-shm" })
        {
            Assert.True(File.Exists(Path.Combine(data, file)), file);
            Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(Path.Combine(data, file)));
        }

        service.Signal(15);
        Assert.Equal(0, await service.WaitForExitAsync(Bound));
        Assert.DoesNotContain("open to other users", service.StandardOutput + service.StandardError, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task Start_DataFolderAndDatabaseMadeOpenByHand_WarnsForEachAndLeavesTheirModes()
    {
        var data = _folder.Combine("data");
        Directory.CreateDirectory(data, OwnerOnlyFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var database = Path.Combine(data, "gateway.db");
        await File.WriteAllBytesAsync(database, []);
        File.SetUnixFileMode(database, OwnerOnlyFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var log = new CapturingLoggerProvider();
        await using (await ApiTestHost.StartAsync(services => services.AddSingleton<ILoggerProvider>(log), configuration: new Dictionary<string, string?> { ["Gateway:DataFolder"] = data }))
        {
            var warnings = log.Entries.Where(e => e.Level == LogLevel.Warning && e.Message.Contains("open to other users", StringComparison.Ordinal)).Select(e => e.Message).ToList();
            Assert.Equal(2, warnings.Count);
            Assert.Contains(warnings, w => w.StartsWith($"The data folder {data} is open to other users (mode 755): chmod 700 it", StringComparison.Ordinal));
            Assert.Contains(warnings, w => w.StartsWith($"The database {database} is open to other users (mode 644): chmod 600 it", StringComparison.Ordinal));
        }

        // An administrator's modes are theirs to change: the service only says so.
        Assert.Equal(OwnerOnlyFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(database));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
