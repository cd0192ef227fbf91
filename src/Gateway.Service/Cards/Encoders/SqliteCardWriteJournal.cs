using Gateway.Drivers.CardEncoders;
using Gateway.Service.Domain;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Cards.Encoders;

/// <summary>
/// The encoder's <see cref="ICardWriteJournal"/> on the service's SQLite file (table
/// <c>card_write_journal</c>). Each call is its own committed transaction (synchronous=FULL), so a
/// step is durable before the encoder does it. Writes queue on the same gate as every other writer.
/// </summary>
public sealed class SqliteCardWriteJournal : ICardWriteJournal
{
    private readonly UnitOfWorkFactory _writes;
    private readonly GatewayDatabase _database;
    private readonly TimeProvider _time;

    public SqliteCardWriteJournal(UnitOfWorkFactory writes, GatewayDatabase database, TimeProvider time)
    {
        _writes = writes;
        _database = database;
        _time = time;
    }

    public Task<long> BeginAsync(CardWriteOperationKind kind, string cardUid, CardPayload? payload, CancellationToken cancellationToken) =>
        _writes.RunExclusiveAsync(
            async (connection, transaction) =>
            {
                await using var command = Command(connection, transaction, """
                    INSERT INTO card_write_journal(kind, card_uid, site_id, card_number, card_kind, issue_counter, key_version, outcome, created_utc, updated_utc)
                    VALUES ($kind, $uid, $site, $number, $cardKind, $counter, $version, 'open', $now, $now) RETURNING id
                    """);
                command.Parameters.AddWithValue("$kind", Wire.Name(kind));
                command.Parameters.AddWithValue("$uid", cardUid.ToUpperInvariant());
                command.Parameters.AddWithValue("$site", (object?)payload?.SiteId ?? DBNull.Value);
                command.Parameters.AddWithValue("$number", payload is null ? DBNull.Value : (long)payload.CardNumber);
                command.Parameters.AddWithValue("$cardKind", payload is null ? DBNull.Value : (int)payload.Kind);
                command.Parameters.AddWithValue("$counter", payload is null ? DBNull.Value : (long)payload.IssueCounter);
                command.Parameters.AddWithValue("$version", payload is null ? DBNull.Value : (int)payload.KeyVersion);
                command.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(_time.GetUtcNow()));
                return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
            },
            cancellationToken);

    public Task RecordStepAsync(long operationId, CardWriteStep step, CancellationToken cancellationToken) =>
        UpdateAsync(operationId, "last_step = $value", Wire.Name(step), cancellationToken);

    public Task CompleteAsync(long operationId, CardWriteOutcome outcome, CancellationToken cancellationToken) =>
        UpdateAsync(operationId, "outcome = $value", Wire.Name(outcome), cancellationToken);

    public async Task<CardWriteOperation?> FindOpenAsync(string cardUid, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, kind, card_uid, site_id, card_number, card_kind, issue_counter, key_version, last_step, outcome FROM card_write_journal WHERE card_uid = $uid AND outcome = 'open'";
        command.Parameters.AddWithValue("$uid", cardUid.ToUpperInvariant());
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        if (!await r.ReadAsync(cancellationToken))
        {
            return null;
        }

        var payload = r.IsDBNull(3)
            ? null
            : new CardPayload(r.GetString(3), (uint)r.GetInt64(4), (Gateway.Drivers.CardEncoders.CardKind)r.GetInt32(5), (uint)r.GetInt64(6), (byte)r.GetInt32(7));
        return new CardWriteOperation(
            r.GetInt64(0),
            Wire.Parse<CardWriteOperationKind>(r.GetString(1)),
            r.GetString(2),
            payload,
            r.IsDBNull(8) ? null : Wire.Parse<CardWriteStep>(r.GetString(8)),
            Wire.Parse<CardWriteOutcome>(r.GetString(9)));
    }

    private Task UpdateAsync(long operationId, string assignment, string value, CancellationToken cancellationToken) =>
        _writes.RunExclusiveAsync(
            async (connection, transaction) =>
            {
                await using var command = Command(connection, transaction, $"UPDATE card_write_journal SET {assignment}, updated_utc = $now WHERE id = $id");
                command.Parameters.AddWithValue("$value", value);
                command.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(_time.GetUtcNow()));
                command.Parameters.AddWithValue("$id", operationId);
                return await command.ExecuteNonQueryAsync(cancellationToken);
            },
            cancellationToken);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }
}
