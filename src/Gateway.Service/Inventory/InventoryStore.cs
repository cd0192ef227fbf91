using System.Globalization;
using System.Text.Json;
using Gateway.Service.Audit;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Inventory;

/// <summary>A month as stored: its state, bounds, who opened it, and the frozen report once signed off.</summary>
public sealed record InventoryMonth(string Month, string State, string StartsUtc, string EndsUtc, string OpenedBy, string OpenedUtc, string? FrozenReport);

/// <summary>What finance entered on one line.</summary>
public sealed record EnteredCounts(long? Register, long? Physical, string? Explanation);

/// <summary>
/// The inventory tables (<c>inventory_months</c>, <c>inventory_lines</c>) and the queries over the card
/// history and controller events that the report counts, in SQL only. The rules are <see cref="InventoryWorkflow"/>'s.
/// </summary>
public static class InventoryStore
{
    /// <summary>Most cards an anomaly lists.</summary>
    public const int MaxListed = 1000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<IReadOnlyList<string>> MonthsAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var months = new List<string>();
        await using var command = Command(connection, null, "SELECT month FROM inventory_months ORDER BY month");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            months.Add(reader.GetString(0));
        }

        return months;
    }

    public static async Task<InventoryMonth?> MonthAsync(SqliteConnection connection, SqliteTransaction? transaction, string month, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, "SELECT state, starts_utc, ends_utc, opened_by, opened_utc, report FROM inventory_months WHERE month = $m", ("$m", month));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new InventoryMonth(month, reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5))
            : null;
    }

    /// <summary>Opens <paramref name="month"/> over [<paramref name="start"/>, <paramref name="end"/>) with an empty line per state.</summary>
    public static async Task InsertMonthAsync(UnitOfWork unit, string month, DateTimeOffset start, DateTimeOffset end, IEnumerable<string> states, CancellationToken cancellationToken)
    {
        await using (var insert = unit.Command("INSERT INTO inventory_months(month, state, starts_utc, ends_utc, opened_utc, opened_by) VALUES ($m, 'open', $s, $e, $now, $op)"))
        {
            insert.Parameters.AddWithValue("$m", month);
            insert.Parameters.AddWithValue("$s", UnitOfWork.Timestamp(start));
            insert.Parameters.AddWithValue("$e", UnitOfWork.Timestamp(end));
            insert.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
            insert.Parameters.AddWithValue("$op", unit.Actor.OperatorId);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var state in states)
        {
            await using var line = unit.Command("INSERT INTO inventory_lines(month, card_state) VALUES ($m, $s)");
            line.Parameters.AddWithValue("$m", month);
            line.Parameters.AddWithValue("$s", state);
            await line.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Sets the values given (null keeps the stored one) of one line.</summary>
    public static async Task UpdateLineAsync(UnitOfWork unit, string month, string state, EnteredCounts counts, CancellationToken cancellationToken)
    {
        await using var update = unit.Command("""
            UPDATE inventory_lines SET
                register_count = COALESCE($r, register_count),
                physical_count = COALESCE($p, physical_count),
                explanation = COALESCE($x, explanation)
            WHERE month = $m AND card_state = $s
            """);
        update.Parameters.AddWithValue("$r", (object?)counts.Register ?? DBNull.Value);
        update.Parameters.AddWithValue("$p", (object?)counts.Physical ?? DBNull.Value);
        update.Parameters.AddWithValue("$x", (object?)counts.Explanation ?? DBNull.Value);
        update.Parameters.AddWithValue("$m", month);
        update.Parameters.AddWithValue("$s", state);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Marks the month signed off by the unit's actor, with the audit head and the frozen report.</summary>
    public static async Task SignOffAsync(UnitOfWork unit, InventoryReport frozen, AuditHead head, CancellationToken cancellationToken)
    {
        await using var update = unit.Command("""
            UPDATE inventory_months SET state = 'signed-off', signed_off_utc = $now, signed_off_by = $op,
                audit_head_id = $hid, audit_head_mac = $hmac, report = $report
            WHERE month = $m
            """);
        update.Parameters.AddWithValue("$now", frozen.SignedOffUtc);
        update.Parameters.AddWithValue("$op", unit.Actor.OperatorId);
        update.Parameters.AddWithValue("$hid", head.LastId);
        update.Parameters.AddWithValue("$hmac", head.Mac);
        update.Parameters.AddWithValue("$report", JsonSerializer.Serialize(frozen, Json));
        update.Parameters.AddWithValue("$m", frozen.Month);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The counts entered on each line of <paramref name="month"/>, by state.</summary>
    public static async Task<Dictionary<string, EnteredCounts>> EnteredAsync(SqliteConnection connection, SqliteTransaction? transaction, string month, CancellationToken cancellationToken)
    {
        var entered = new Dictionary<string, EnteredCounts>();
        await using var command = Command(connection, transaction, "SELECT card_state, register_count, physical_count, explanation FROM inventory_lines WHERE month = $m", ("$m", month));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entered[reader.GetString(0)] = new EnteredCounts(reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetString(3));
        }

        return entered;
    }

    /// <summary>How many transitions of each action happened in [<paramref name="starts"/>, <paramref name="ends"/>).</summary>
    public static async Task<IReadOnlyList<InventoryMovement>> MovementsAsync(SqliteConnection connection, SqliteTransaction? transaction, string starts, string ends, CancellationToken cancellationToken)
    {
        var movements = new List<InventoryMovement>();
        await using var command = Command(connection, transaction, "SELECT action, COUNT(*) FROM card_events WHERE at_utc >= $s AND at_utc < $e GROUP BY action ORDER BY action", ("$s", starts), ("$e", ends));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            movements.Add(new InventoryMovement(reader.GetString(0), reader.GetInt64(1)));
        }

        return movements;
    }

    /// <summary>Issued cards at <paramref name="at"/> without a hand-over recorded for their current issue.</summary>
    public static Task<IReadOnlyList<long>> IssuedWithoutHandOverAsync(SqliteConnection connection, SqliteTransaction? transaction, string at, CancellationToken cancellationToken) =>
        NumbersAsync(connection, transaction, IssuedWithoutHandOverSql, at, cancellationToken);

    /// <summary>Cards received before <paramref name="at"/> with no transition at all.</summary>
    public static Task<IReadOnlyList<long>> WithoutStateAsync(SqliteConnection connection, SqliteTransaction? transaction, string at, CancellationToken cancellationToken) =>
        NumbersAsync(connection, transaction, WithoutStateSql, at, cancellationToken);

    /// <summary>Per batch received before <paramref name="at"/>, its card numbers in ascending order.</summary>
    public static async Task<Dictionary<string, List<long>>> BatchNumbersAsync(SqliteConnection connection, SqliteTransaction? transaction, string at, CancellationToken cancellationToken)
    {
        var batches = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        await using var command = Command(connection, transaction, "SELECT batch, number FROM cards WHERE batch IS NOT NULL AND received_utc < $at ORDER BY batch, number", ("$at", at));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var batch = reader.GetString(0);
            if (!batches.TryGetValue(batch, out var list))
            {
                batches[batch] = list = [];
            }

            list.Add(reader.GetInt64(1));
        }

        return batches;
    }

    /// <summary>How many cards were in each state at <paramref name="at"/> (the target of their last transition before it).</summary>
    public static async Task<Dictionary<string, long>> StatesAtAsync(SqliteConnection connection, SqliteTransaction? transaction, string at, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long>();
        await using var command = Command(connection, transaction, StateAtSql, ("$at", at));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    /// <summary>Cards issued at <paramref name="at"/> with no controller event in the <paramref name="days"/> days before it (at most <see cref="MaxListed"/>) and how many in all.</summary>
    public static async Task<(IReadOnlyList<NotSeenCard> Cards, long Total)> NotSeenAsync(SqliteConnection connection, SqliteTransaction? transaction, string at, int days, CancellationToken cancellationToken)
    {
        var since = UnitOfWork.Timestamp(UnitOfWork.ParseTimestamp(at).AddDays(-days));
        var cards = new List<NotSeenCard>();
        long total = 0;
        await using var command = Command(connection, transaction, NotSeenSql, ("$at", at), ("$since", since));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            cards.Add(new NotSeenCard(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
            total = reader.GetInt64(4);
        }

        return (cards, total);
    }

    /// <summary>
    /// A frozen report as signed. Reports signed before controller events were collected carry a sentence
    /// instead of the not-seen list: they read back with the list null (not evaluated), never as "none".
    /// </summary>
    public static InventoryReport Thaw(string frozen)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(frozen)!;
        if (node["anomalies"] is System.Text.Json.Nodes.JsonObject anomalies && anomalies["notSeenAtControllers"] is System.Text.Json.Nodes.JsonValue)
        {
            anomalies["notSeenAtControllers"] = null;
        }

        return node.Deserialize<InventoryReport>(Json)!;
    }

    /// <summary>The audit heads recorded by sign-offs.</summary>
    public static async Task<IReadOnlyList<AuditHead>> RecordedHeadsAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT audit_head_id, audit_head_mac FROM inventory_months WHERE state = 'signed-off' AND audit_head_id > 0";
        var heads = new List<AuditHead>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            heads.Add(new AuditHead(reader.GetInt64(0), reader.GetString(1)));
        }

        return heads;
    }

    // A card's state at an instant: the target of its last transition before it.
    private const string StateAtSql = """
        SELECT to_state, COUNT(*) FROM (
            SELECT to_state, ROW_NUMBER() OVER (PARTITION BY card_number ORDER BY at_utc DESC, id DESC) AS rn
            FROM card_events WHERE at_utc < $at)
        WHERE rn = 1 GROUP BY to_state
        """;

    // Issued at month end, but no hand-over (card_issues row) recorded at or after the transition that issued it.
    private const string IssuedWithoutHandOverSql = """
        SELECT card_number FROM (
            SELECT card_number, to_state, ROW_NUMBER() OVER (PARTITION BY card_number ORDER BY at_utc DESC, id DESC) AS rn
            FROM card_events WHERE at_utc < $at) last
        WHERE rn = 1 AND to_state = 'issued'
          AND NOT EXISTS (
            SELECT 1 FROM card_issues i
            WHERE i.card_number = last.card_number AND i.issued_utc < $at
              AND i.issued_utc >= COALESCE((SELECT MAX(e.at_utc) FROM card_events e WHERE e.card_number = last.card_number AND e.at_utc < $at AND e.from_state = 'in-stock' AND e.to_state = 'issued'), ''))
        ORDER BY card_number LIMIT 1000
        """;

    // Received before month end, yet no transition at all: the card is in no state.
    private const string WithoutStateSql = """
        SELECT number FROM cards c WHERE c.received_utc < $at
          AND NOT EXISTS (SELECT 1 FROM card_events e WHERE e.card_number = c.number AND e.at_utc < $at)
        ORDER BY number LIMIT 1000
        """;

    // Issued at $at, the current issue begun (the last transition into issued from another state) no later
    // than $since, and no controller event in [$since, $at). Events are matched by the UID the controllers
    // report (the card's UID at its last issue, else the card's row) and by the card number the sync engine
    // resolved when it collected them. MATERIALIZED: evaluated once each, not inlined into every reference.
    private const string NotSeenSql = """
        WITH issued AS MATERIALIZED (
            SELECT last.card_number AS number,
                (SELECT MAX(e.at_utc) FROM card_events e
                 WHERE e.card_number = last.card_number AND e.at_utc < $at AND e.to_state = 'issued'
                   AND (e.from_state IS NULL OR e.from_state <> 'issued')) AS since,
                COALESCE(
                    (SELECT i.uid FROM card_issues i WHERE i.card_number = last.card_number AND i.issued_utc < $at ORDER BY i.issued_utc DESC, i.id DESC LIMIT 1),
                    (SELECT c.uid FROM cards c WHERE c.number = last.card_number)) AS uid
            FROM (
                SELECT card_number, to_state, ROW_NUMBER() OVER (PARTITION BY card_number ORDER BY at_utc DESC, id DESC) AS rn
                FROM card_events WHERE at_utc < $at) last
            WHERE rn = 1 AND to_state = 'issued'),
        seen AS MATERIALIZED (
            SELECT number, uid, since, NULLIF(MAX(
                COALESCE((SELECT MAX(v.time_utc) FROM controller_events v WHERE v.card_uid = issued.uid AND v.time_utc < $at), ''),
                COALESCE((SELECT MAX(v.time_utc) FROM controller_events v WHERE v.card_number = issued.number AND v.time_utc < $at), '')), '') AS last_seen
            FROM issued WHERE since <= $since)
        SELECT number, uid, since, last_seen, COUNT(*) OVER () FROM seen
        WHERE last_seen IS NULL OR last_seen < $since
        ORDER BY number LIMIT 1000
        """;

    private static async Task<IReadOnlyList<long>> NumbersAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, string at, CancellationToken cancellationToken)
    {
        var numbers = new List<long>();
        await using var command = Command(connection, transaction, sql, ("$at", at));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            numbers.Add(reader.GetInt64(0));
        }

        return numbers;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}

/// <summary>The audit heads that inventory sign-offs recorded: every audit verification checks them too.</summary>
public sealed class InventoryAuditHeads : IAuditHeadSource
{
    public Task<IReadOnlyList<AuditHead>> RecordedHeadsAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken) =>
        InventoryStore.RecordedHeadsAsync(connection, transaction, cancellationToken);
}
