using Microsoft.Data.Sqlite;

namespace Gateway.Service.Storage;

/// <summary>
/// The embedded SQLite store in the data folder: WAL mode, foreign keys on, durable commits
/// (synchronous=FULL), schema brought up to date at start. Every connection the service uses comes
/// from <see cref="OpenConnection"/>, so the pragmas hold everywhere. This is the storage seam: a
/// shared PostgreSQL store would replace this class and the repositories behind it, not the domain.
/// </summary>
public sealed class GatewayDatabase
{
    private readonly string _connectionString;

    public GatewayDatabase(string path)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>True once <see cref="Initialize"/> has opened the file and migrated the schema.</summary>
    public bool IsReady { get; private set; }

    /// <summary>The schema version after <see cref="Initialize"/>.</summary>
    public int SchemaVersion { get; private set; }

    /// <summary>Opens a connection with the service's pragmas applied.</summary>
    public SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;";
        command.ExecuteNonQuery();
        return connection;
    }

    /// <summary>
    /// Creates the folder and file if needed, switches to WAL, applies migrations, and checks that
    /// the database belongs to <paramref name="siteId"/> (a new database is stamped with it).
    /// </summary>
    /// <exception cref="MigrationException">The schema could not be migrated or belongs to another site.</exception>
    public void Initialize(string siteId, IReadOnlyList<IMigration> migrations, TimeProvider? time = null)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
        if (!string.IsNullOrEmpty(folder))
        {
            Gateway.Shared.OwnerOnlyFile.CreateFolder(folder);
        }

        CreateOwnerOnly(Path);
        using var connection = OpenConnection();
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            var mode = wal.ExecuteScalar() as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new MigrationException($"the database at {Path} could not be switched to WAL mode (it reports '{mode}')");
            }
        }

        Migrator.Apply(connection, migrations, time);
        SchemaVersion = Migrator.CurrentVersion(connection);
        CheckSite(connection, siteId);
        IsReady = true;
    }

    /// <summary>
    /// A new database file is created empty with mode 0600 before SQLite opens it (SQLite takes an empty
    /// file as a new database, and creates its -wal and -shm files with the database file's mode), so
    /// holders' and operators' data is never readable by others from the first byte. An existing file
    /// keeps its mode. On Windows the file takes its folder's permissions.
    /// </summary>
    private static void CreateOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows() || File.Exists(path))
        {
            return;
        }

        try
        {
            new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = Gateway.Shared.OwnerOnlyFile.Mode }).Dispose();
        }
        catch (IOException) when (File.Exists(path))
        {
            // Created meanwhile by someone else: SQLite opens that one.
        }
    }

    private void CheckSite(SqliteConnection connection, string siteId)
    {
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT value FROM site_settings WHERE key = 'site_id'";
        var existing = read.ExecuteScalar() as string;
        if (existing is null)
        {
            using var write = connection.CreateCommand();
            write.CommandText = "INSERT INTO site_settings(key, value) VALUES ('site_id', $id)";
            write.Parameters.AddWithValue("$id", siteId);
            write.ExecuteNonQuery();
        }
        else if (!string.Equals(existing, siteId, StringComparison.Ordinal))
        {
            throw new MigrationException($"the database at {Path} belongs to site '{existing}', but Gateway:SiteId is '{siteId}'");
        }
    }
}
