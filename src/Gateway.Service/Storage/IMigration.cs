using Microsoft.Data.Sqlite;

namespace Gateway.Service.Storage;

/// <summary>
/// One step of the schema. Migrations are found by reflection in this assembly and applied in
/// ascending <see cref="Version"/>, each in its own transaction. Versions are reserved per area
/// so that features can add tables independently (see docs/storage.md): 1-99 foundation,
/// 100-199 card encoding, 200-299 front office, 300-399 operators and audit, 400-499 sync, 500-599 console.
/// A migration, once released, is never edited: a change is a new migration.
/// </summary>
public interface IMigration
{
    int Version { get; }

    string Name { get; }

    void Apply(SqliteConnection connection, SqliteTransaction transaction);
}

/// <summary>A migration written as a SQL script.</summary>
public abstract class SqlMigration : IMigration
{
    public abstract int Version { get; }

    public abstract string Name { get; }

    protected abstract string Sql { get; }

    public void Apply(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = Sql;
        command.ExecuteNonQuery();
    }
}
