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
    public void DeskMoney_OnADatabaseOfTheVersionBefore_AppliesAfterItsMigrations_KeepingItsRows()
    {
        // A site's database as the version before desk money left it (every migration below 600), with an
        // agreement and an issue attempt in it; then the service of this version starts on it.
        var all = Migrator.Discover(typeof(GatewayDatabase).Assembly);
        var before = all.Where(m => m.Version < 600).ToList();
        Assert.Contains(before, m => m.Version == 500); // the console's preferences: the newest below
        var database = new GatewayDatabase(_folder.Combine("site", "gateway.db"));
        database.Initialize("site-a", before);
        using (var connection = database.OpenConnection())
        using (var seed = connection.CreateCommand())
        {
            seed.CommandText = """
                INSERT INTO holders(name, building, unit, room, created_utc, updated_utc) VALUES ('李伟', '3', '2', '1201', '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z');
                INSERT INTO cards(number, state, holder_id, kind, received_utc, updated_utc) VALUES (200001, 'issued', 1, 'parking', '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z');
                INSERT INTO parking_agreements(agreement_number, holder_id, card_number, plate, space, monthly_fee_fen, billing_cycle, payment_method, signed_copy_ref, created_utc, created_by)
                    VALUES ('P-1', 1, 200001, '沪A12345', 'B1-017', 30000, 'month', 'bank-debit', 'archive/P-1.pdf', '2026-01-01T00:00:00.0000000Z', 'desk-1');
                INSERT INTO card_issue_journal(card_number, holder_id, kind, encoder_id, operator_id, request_key, state, created_utc) VALUES (200001, 1, 'parking', 'desk', 'desk-1', 'k-1', 'committed', '2026-01-01T00:00:00.0000000Z');
                """;
            seed.ExecuteNonQuery();
            Assert.Equal(500, Migrator.CurrentVersion(connection));
        }

        SqliteConnection.ClearAllPools();
        var upgraded = new GatewayDatabase(database.Path);
        upgraded.Initialize("site-a", all);

        using var after = upgraded.OpenConnection();
        Assert.Equal(all[^1].Version, Migrator.CurrentVersion(after));
        Assert.True(TableExists(after, "card_charges"));
        Assert.True(TableExists(after, "card_deposits"));
        using var read = after.CreateCommand();
        read.CommandText = "SELECT agreement_number || '|' || plate || '|' || IFNULL(bank_account_name, 'none') || '|' || IFNULL(bank_account_number, 'none') FROM parking_agreements";
        Assert.Equal("P-1|沪A12345|none|none", read.ExecuteScalar() as string);
        read.CommandText = "SELECT request_key || '|' || IFNULL(charges, 'none') FROM card_issue_journal";
        Assert.Equal("k-1|none", read.ExecuteScalar() as string);
        read.CommandText = "SELECT group_concat(version) FROM (SELECT version FROM schema_migrations WHERE version >= 500 ORDER BY version)";
        Assert.StartsWith("500,600", read.ExecuteScalar() as string, StringComparison.Ordinal);
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
