using System.Globalization;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Gates;

/// <summary>
/// One opening of a lane or door from the desk, with the event the controller logged for it once collected.
/// <see cref="Outcome"/>: requested (asked, no answer recorded yet), opened, failed (reached, not confirmed: the
/// lane may or may not have opened), not-sent (the controller was not connected, or its bus did not reach it in time).
/// </summary>
public sealed record GateOpeningView(
    long Id,
    string ControllerId,
    int Lane,
    string Reason,
    string OperatorId,
    string OperatorName,
    DateTimeOffset RequestedUtc,
    string Outcome,
    bool Logged,
    string? Detail,
    DateTimeOffset? CompletedUtc,
    long? EventId,
    DateTimeOffset? EventTimeUtc);

/// <summary>The openings (table <c>gate_openings</c>, migration 710). Every write is audited.</summary>
public sealed class GateStore
{
    private const string Columns = """
        o.id, o.controller_id, o.lane, o.reason, o.operator_id, o.operator_name, o.requested_utc, o.outcome, o.logged, o.detail, o.completed_utc,
        (SELECT e.id FROM controller_events e WHERE e.opening_id = o.id ORDER BY e.id LIMIT 1),
        (SELECT e.time_utc FROM controller_events e WHERE e.opening_id = o.id ORDER BY e.id LIMIT 1)
        """;

    private readonly GatewayDatabase _database;
    private readonly UnitOfWorkFactory _writes;

    public GateStore(GatewayDatabase database, UnitOfWorkFactory writes)
    {
        _database = database;
        _writes = writes;
    }

    /// <summary>Records that <paramref name="actor"/> asks lane <paramref name="lane"/> of a controller open, and why (audited <c>gate.open</c>), before anything is sent.</summary>
    public async Task<GateOpeningView> BeginAsync(Actor actor, string controllerId, int lane, string reason, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        long id;
        await using (var insert = unit.Command("""
            INSERT INTO gate_openings(controller_id, lane, reason, operator_id, operator_name, requested_utc, outcome)
            VALUES ($controller, $lane, $reason, $operator, $name, $now, 'requested') RETURNING id
            """))
        {
            insert.Parameters.AddWithValue("$controller", controllerId);
            insert.Parameters.AddWithValue("$lane", lane);
            insert.Parameters.AddWithValue("$reason", reason);
            insert.Parameters.AddWithValue("$operator", actor.OperatorId);
            insert.Parameters.AddWithValue("$name", actor.DisplayName);
            insert.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
            id = Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }

        unit.Audit("gate.open", $"gate-opening:{id}", new { controller = controllerId, lane, reason });
        await unit.CommitAsync(cancellationToken);
        return new GateOpeningView(id, controllerId, lane, reason, actor.OperatorId, actor.DisplayName, unit.NowUtc, "requested", false, null, null, null, null);
    }

    /// <summary>Records what became of opening <paramref name="id"/> (audited <c>gate.open.outcome</c>).</summary>
    public async Task<GateOpeningView> CompleteAsync(Actor actor, long id, string outcome, bool logged, string? detail, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        await using (var update = unit.Command("UPDATE gate_openings SET outcome = $outcome, logged = $logged, detail = $detail, completed_utc = $now WHERE id = $id"))
        {
            update.Parameters.AddWithValue("$outcome", outcome);
            update.Parameters.AddWithValue("$logged", logged ? 1 : 0);
            update.Parameters.AddWithValue("$detail", (object?)detail ?? DBNull.Value);
            update.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
            update.Parameters.AddWithValue("$id", id);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        unit.Audit("gate.open.outcome", $"gate-opening:{id}", new { outcome, logged, detail });
        var view = await GetAsync(unit.Connection, unit.Transaction, id, cancellationToken) ?? throw new InvalidOperationException($"gate opening {id} vanished");
        await unit.CommitAsync(cancellationToken);
        return view;
    }

    public async Task<GateOpeningView?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        return await GetAsync(connection, null, id, cancellationToken);
    }

    /// <summary>One page of openings, by id ascending, of one controller or all.</summary>
    public async Task<Page<GateOpeningView>> ListAsync(string? controllerId, PageRequest page, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {Columns} FROM gate_openings o
            WHERE o.id > $after AND ($controller IS NULL OR o.controller_id = $controller COLLATE NOCASE)
            ORDER BY o.id LIMIT $limit
            """;
        command.Parameters.AddWithValue("$after", page.After);
        command.Parameters.AddWithValue("$controller", (object?)controllerId ?? DBNull.Value);
        command.Parameters.AddWithValue("$limit", page.Limit + 1);
        var rows = new List<GateOpeningView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(Read(reader));
        }

        return page.ToPage(rows, r => r.Id);
    }

    private static async Task<GateOpeningView?> GetAsync(SqliteConnection connection, SqliteTransaction? transaction, long id, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM gate_openings o WHERE o.id = $id";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static GateOpeningView Read(SqliteDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        (int)reader.GetInt64(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetString(5),
        UnitOfWork.ParseTimestamp(reader.GetString(6)),
        reader.GetString(7),
        reader.GetInt64(8) != 0,
        reader.IsDBNull(9) ? null : reader.GetString(9),
        reader.IsDBNull(10) ? null : UnitOfWork.ParseTimestamp(reader.GetString(10)),
        reader.IsDBNull(11) ? null : reader.GetInt64(11),
        reader.IsDBNull(12) ? null : UnitOfWork.ParseTimestamp(reader.GetString(12)));
}
