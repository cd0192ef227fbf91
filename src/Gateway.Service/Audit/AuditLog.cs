using System.Globalization;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Audit;

/// <summary>A filter over the audit log (every part optional).</summary>
public sealed record AuditQuery(string? Action, string? Subject, string? OperatorId, DateTimeOffset? FromUtc, DateTimeOffset? ToUtc);

/// <summary>
/// The audit log in SQLite: appends every unit of work's entries inside its transaction (as an
/// <see cref="IUnitOfWorkObserver"/>), lists and filters, exports the head and verifies the chain.
/// Nothing here updates or deletes a row.
/// </summary>
public sealed class AuditLog : IUnitOfWorkObserver
{
    private readonly GatewayDatabase _database;
    private readonly AuditKey _key;
    private readonly IReadOnlyList<IAuditHeadSource> _heads;

    public AuditLog(GatewayDatabase database, AuditKey key, IEnumerable<IAuditHeadSource> heads)
    {
        _database = database;
        _key = key;
        _heads = heads.ToList();
    }

    public async Task OnCommittingAsync(UnitOfWork unitOfWork, IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken)
    {
        var head = await ReadHeadAsync(unitOfWork.Connection, unitOfWork.Transaction, cancellationToken);
        var previousId = head.LastId;
        var previousMac = head.Mac;
        foreach (var entry in entries)
        {
            var at = UnitOfWork.Timestamp(entry.AtUtc);
            var mac = AuditChain.ComputeMac(_key.Bytes, previousMac, at, entry.Actor.OperatorId, entry.Actor.DisplayName, entry.Action, entry.Subject, entry.Details);
            await using var insert = unitOfWork.Command("""
                INSERT INTO audit_log(id, at_utc, operator_id, operator_name, action, subject, details, prev_mac, mac)
                VALUES ($id, $at, $op, $name, $action, $subject, $details, $prev, $mac)
                """);
            insert.Parameters.AddWithValue("$id", previousId + 1);
            insert.Parameters.AddWithValue("$at", at);
            insert.Parameters.AddWithValue("$op", entry.Actor.OperatorId);
            insert.Parameters.AddWithValue("$name", entry.Actor.DisplayName);
            insert.Parameters.AddWithValue("$action", entry.Action);
            insert.Parameters.AddWithValue("$subject", entry.Subject);
            insert.Parameters.AddWithValue("$details", entry.Details);
            insert.Parameters.AddWithValue("$prev", previousMac);
            insert.Parameters.AddWithValue("$mac", mac);
            await insert.ExecuteNonQueryAsync(cancellationToken);
            previousId++;
            previousMac = mac;
        }
    }

    /// <summary>The current head (last id and MAC); id 0 and the genesis MAC when the log is empty.</summary>
    public async Task<AuditHead> HeadAsync(CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        return await ReadHeadAsync(connection, null, cancellationToken);
    }

    /// <summary>The head as seen inside a transaction (sign-offs record it with the change).</summary>
    public static async Task<AuditHead> ReadHeadAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT id, mac FROM audit_log ORDER BY id DESC LIMIT 1";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new AuditHead(reader.GetInt64(0), reader.GetString(1))
            : new AuditHead(0, AuditChain.Genesis);
    }

    /// <summary>Rows in id order after <paramref name="after"/>, filtered, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<AuditRow>> ListAsync(AuditQuery query, long after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        var where = new List<string> { "id > $after" };
        command.Parameters.AddWithValue("$after", after);
        if (query.Action is not null)
        {
            // A trailing '*' lists a family of actions: operator.* matches operator.create, operator.update...
            if (query.Action.EndsWith('*'))
            {
                where.Add("substr(action, 1, length($actionPrefix)) = $actionPrefix");
                command.Parameters.AddWithValue("$actionPrefix", query.Action[..^1]);
            }
            else
            {
                where.Add("action = $action");
                command.Parameters.AddWithValue("$action", query.Action);
            }
        }

        if (query.Subject is not null)
        {
            where.Add("subject = $subject");
            command.Parameters.AddWithValue("$subject", query.Subject);
        }

        if (query.OperatorId is not null)
        {
            where.Add("operator_id = $operator");
            command.Parameters.AddWithValue("$operator", query.OperatorId);
        }

        if (query.FromUtc is { } from)
        {
            where.Add("at_utc >= $from");
            command.Parameters.AddWithValue("$from", UnitOfWork.Timestamp(from));
        }

        if (query.ToUtc is { } to)
        {
            where.Add("at_utc < $to");
            command.Parameters.AddWithValue("$to", UnitOfWork.Timestamp(to));
        }

        command.CommandText = $"SELECT id, at_utc, operator_id, operator_name, action, subject, details, prev_mac, mac FROM audit_log WHERE {string.Join(" AND ", where)} ORDER BY id LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        var rows = new List<AuditRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(ReadRow(reader));
        }

        return rows;
    }

    /// <summary>
    /// Verifies the whole chain against the key, and against <paramref name="exportedHead"/> and every
    /// head recorded in the database (inventory sign-offs), so a truncated tail is found too.
    /// </summary>
    public async Task<AuditVerification> VerifyAsync(AuditHead? exportedHead, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        // One read transaction: a consistent snapshot while writers go on (WAL).
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, cancellationToken);
        var heads = new List<AuditHead>();
        if (exportedHead is not null)
        {
            heads.Add(exportedHead);
        }

        foreach (var source in _heads)
        {
            heads.AddRange(await source.RecordedHeadsAsync(connection, transaction, cancellationToken));
        }

        var evidence = await EmptiedEvidenceAsync(connection, transaction, cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT id, at_utc, operator_id, operator_name, action, subject, details, prev_mac, mac FROM audit_log ORDER BY id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return AuditChain.Verify(_key.Bytes, Rows(reader), heads, evidence);

        static IEnumerable<AuditRow> Rows(SqliteDataReader reader)
        {
            // Streaming keeps memory flat for a long log; the reader is synchronous underneath for SQLite anyway.
            while (reader.Read())
            {
                yield return ReadRow(reader);
            }
        }
    }

    // Tables written only by audited changes: rows in any of them mean the log had rows too.
    private static readonly string[] AuditedTables = ["operators", "holders", "cards", "card_events", "parking_agreements"];

    /// <summary>When the log is empty, why it cannot have been empty all along (null when nothing says so).</summary>
    private static async Task<string?> EmptiedEvidenceAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT NOT EXISTS (SELECT 1 FROM audit_log), " + string.Join(", ", AuditedTables.Select(t => $"(SELECT COUNT(*) FROM {t})"));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        if (reader.GetInt64(0) == 0)
        {
            return null;
        }

        var found = AuditedTables.Select((table, i) => (Table: table, Rows: reader.GetInt64(i + 1))).Where(t => t.Rows > 0).ToList();
        return found.Count == 0 ? null : "the database holds " + string.Join(", ", found.Select(t => $"{t.Rows} {t.Table} row(s)")) + ", each created by an audited change";
    }

    /// <summary>True when the log has no rows (the key may then be created).</summary>
    public bool IsEmpty()
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT EXISTS (SELECT 1 FROM audit_log)";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) == 0;
    }

    private static AuditRow ReadRow(SqliteDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetString(5),
        reader.GetString(6),
        reader.GetString(7),
        reader.GetString(8));
}

/// <summary>Something that records audit heads in the database (inventory sign-offs); verification checks them all.</summary>
public interface IAuditHeadSource
{
    Task<IReadOnlyList<AuditHead>> RecordedHeadsAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken);
}
