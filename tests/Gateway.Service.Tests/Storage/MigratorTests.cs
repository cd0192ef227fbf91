using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Tests.Storage;

public sealed class MigratorTests : IDisposable
{
    private readonly TempFolder _folder = new("gateway-migrate");

    [Fact]
    public void Apply_InOrder_RecordsEachVersion_AndSecondRunIsNoOp()
    {
        using var connection = Open();
        var log = new List<int>();
        IMigration[] migrations = [new Step(1, "CREATE TABLE a(x)", log), new Step(2, "CREATE TABLE b(x)", log), new Step(5, "ALTER TABLE a ADD COLUMN y", log)];

        Assert.Equal([1, 2, 5], Migrator.Apply(connection, migrations));
        Assert.Equal([1, 2, 5], log);
        Assert.Equal(5, Migrator.CurrentVersion(connection));

        Assert.Empty(Migrator.Apply(connection, migrations));
        Assert.Equal([1, 2, 5], log);
    }

    [Fact]
    public void Apply_OnRestart_AppliesOnlyNewMigrations()
    {
        var log = new List<int>();
        using (var connection = Open())
        {
            Migrator.Apply(connection, [new Step(1, "CREATE TABLE a(x)", log)]);
        }

        using (var connection = Open())
        {
            var applied = Migrator.Apply(connection, [new Step(1, "CREATE TABLE a(x)", log), new Step(2, "CREATE TABLE b(x)", log)]);
            Assert.Equal([2], applied);
        }

        Assert.Equal([1, 2], log);
    }

    [Fact]
    public void Apply_FailingMigration_RollsBackItsPartialWork_AndKeepsPreviousSchema()
    {
        using var connection = Open();
        var log = new List<int>();
        IMigration[] migrations =
        [
            new Step(1, "CREATE TABLE a(x)", log),
            // Creates a table, inserts, then fails: none of it may remain.
            new Step(2, "CREATE TABLE half(x); INSERT INTO half VALUES (1); INSERT INTO no_such_table VALUES (1);", log),
            new Step(3, "CREATE TABLE c(x)", log),
        ];

        var ex = Assert.Throws<MigrationException>(() => Migrator.Apply(connection, migrations));

        Assert.Contains("migration 2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("left at version 1", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, Migrator.CurrentVersion(connection));
        Assert.False(TableExists(connection, "half"));
        Assert.False(TableExists(connection, "c"));
        Assert.True(TableExists(connection, "a"));
    }

    [Fact]
    public void Apply_DatabaseFromNewerVersion_IsRefused()
    {
        using var connection = Open();
        Migrator.Apply(connection, [new Step(1, "CREATE TABLE a(x)", []), new Step(2, "CREATE TABLE b(x)", [])]);

        var ex = Assert.Throws<MigrationException>(() => Migrator.Apply(connection, [new Step(1, "CREATE TABLE a(x)", [])]));
        Assert.Contains("newer version", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_UnorderedList_IsRefusedBeforeTouchingTheDatabase()
    {
        using var connection = Open();
        var ex = Assert.Throws<MigrationException>(() => Migrator.Apply(connection, [new Step(2, "CREATE TABLE b(x)", []), new Step(1, "CREATE TABLE a(x)", [])]));
        Assert.Contains("ascending", ex.Message, StringComparison.Ordinal);
        Assert.False(TableExists(connection, "a"));
    }

    [Fact]
    public void Discover_FindsServiceMigrations_InStrictOrder_StartingWithSiteSettings()
    {
        var all = Migrator.Discover(typeof(GatewayDatabase).Assembly);
        Assert.Equal(1, all[0].Version);
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Version < p.Second.Version));
    }

    [Fact]
    public void Initialize_NewFile_UsesWal_AndStampsSite()
    {
        var database = new GatewayDatabase(_folder.Combine("sub", "gateway.db"));
        database.Initialize("site-a", Migrator.Discover(typeof(GatewayDatabase).Assembly));
        Assert.True(database.IsReady);

        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar() as string);
        command.CommandText = "SELECT value FROM site_settings WHERE key = 'site_id'";
        Assert.Equal("site-a", command.ExecuteScalar() as string);

        var other = new GatewayDatabase(database.Path);
        var ex = Assert.Throws<MigrationException>(() => other.Initialize("site-b", Migrator.Discover(typeof(GatewayDatabase).Assembly)));
        Assert.Contains("belongs to site 'site-a'", ex.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection($"Data Source={_folder.Combine("test.db")}");
        connection.Open();
        return connection;
    }

    private static bool TableExists(SqliteConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $n";
        command.Parameters.AddWithValue("$n", name);
        return (long)command.ExecuteScalar()! == 1;
    }

    private sealed class Step(int version, string sql, List<int> log) : IMigration
    {
        public int Version => version;

        public string Name => $"step {version}";

        public void Apply(SqliteConnection connection, SqliteTransaction transaction)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            command.ExecuteNonQuery();
            log.Add(version);
        }
    }
}
