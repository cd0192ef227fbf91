using System.Globalization;
using System.Reflection;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Storage;

/// <summary>The schema could not be brought to this version of Gateway; the message says why and what state it is in.</summary>
public sealed class MigrationException : Exception
{
    public MigrationException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>Applies ordered migrations, each in a transaction, recording them in <c>schema_migrations</c>.</summary>
public static class Migrator
{
    /// <summary>Every migration of this assembly, in order.</summary>
    public static IReadOnlyList<IMigration> Discover(Assembly? assembly = null)
    {
        assembly ??= typeof(Migrator).Assembly;
        return assembly.GetTypes()
            .Where(t => typeof(IMigration).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false } && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (IMigration)Activator.CreateInstance(t)!)
            .OrderBy(m => m.Version)
            .ToList();
    }

    /// <summary>The highest version applied, 0 for an empty database.</summary>
    public static int CurrentVersion(SqliteConnection connection)
    {
        EnsureTable(connection);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Applies every migration not yet applied, in order. A failing migration is rolled back and
    /// nothing after it runs, so the previous schema stays intact.
    /// </summary>
    /// <returns>The versions applied by this call.</returns>
    /// <exception cref="MigrationException">A migration failed, the list is inconsistent, or the database is newer than this code.</exception>
    public static IReadOnlyList<int> Apply(SqliteConnection connection, IReadOnlyList<IMigration> migrations, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        for (var i = 1; i < migrations.Count; i++)
        {
            if (migrations[i].Version <= migrations[i - 1].Version)
            {
                throw new MigrationException($"migrations are not in strictly ascending order: {migrations[i - 1].Version} then {migrations[i].Version}");
            }
        }

        EnsureTable(connection);
        var applied = AppliedVersions(connection);
        var known = migrations.Select(m => m.Version).ToHashSet();
        var unknown = applied.Where(v => !known.Contains(v)).ToList();
        if (unknown.Count > 0)
        {
            throw new MigrationException($"the database has schema version(s) {string.Join(", ", unknown)} that this Gateway does not know: it was written by a newer version; restore a backup or upgrade Gateway");
        }

        var maxApplied = applied.Count == 0 ? 0 : applied.Max();
        var done = new List<int>();
        foreach (var migration in migrations)
        {
            if (applied.Contains(migration.Version))
            {
                continue;
            }

            if (migration.Version < maxApplied)
            {
                throw new MigrationException($"migration {migration.Version} '{migration.Name}' is missing below applied version {maxApplied}; the schema is inconsistent");
            }

            using var transaction = connection.BeginTransaction();
            try
            {
                migration.Apply(connection, transaction);
                using var record = connection.CreateCommand();
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO schema_migrations(version, name, applied_utc) VALUES ($v, $n, $t)";
                record.Parameters.AddWithValue("$v", migration.Version);
                record.Parameters.AddWithValue("$n", migration.Name);
                record.Parameters.AddWithValue("$t", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
                record.ExecuteNonQuery();
                transaction.Commit();
            }
            catch (Exception ex) when (ex is SqliteException or InvalidOperationException or ArgumentException or FormatException)
            {
                transaction.Rollback();
                var current = applied.Count == 0 && done.Count == 0 ? 0 : Math.Max(maxApplied, done.LastOrDefault());
                throw new MigrationException($"migration {migration.Version} '{migration.Name}' failed: {ex.Message}; the schema was left at version {current}", ex);
            }

            done.Add(migration.Version);
            maxApplied = migration.Version;
        }

        return done;
    }

    private static void EnsureTable(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     INTEGER PRIMARY KEY,
                name        TEXT NOT NULL,
                applied_utc TEXT NOT NULL
            )
            """;
        command.ExecuteNonQuery();
    }

    private static HashSet<int> AppliedVersions(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT version FROM schema_migrations";
        using var reader = command.ExecuteReader();
        var versions = new HashSet<int>();
        while (reader.Read())
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }
}
