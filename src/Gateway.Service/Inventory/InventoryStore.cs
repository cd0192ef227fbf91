using System.Globalization;
using System.Text.Json;
using Gateway.Service.Audit;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Hosting;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Inventory;

/// <summary>One card state's line: the system's count at month end against finance's counts.</summary>
public sealed record InventoryLine(
    string State,
    long Opening,
    long System,
    long? RegisterCount,
    long? PhysicalCount,
    bool PhysicalApplicable,
    long? RegisterVariance,
    long? PhysicalVariance,
    string? Explanation,
    bool NeedsExplanation);

/// <summary>How many transitions of one kind happened during the month.</summary>
public sealed record InventoryMovement(string Action, long Count);

/// <summary>Cards of one batch whose numbers are absent from the card table altogether.</summary>
public sealed record MissingNumbers(string Batch, IReadOnlyList<long> Numbers);

/// <summary>
/// An issued card with no event at any controller during the last <see cref="InventoryAnomalies.NotSeenDays"/>
/// days of the month: its UID as the controllers report it, when its current issue began, and the time of
/// its last event before month end (null: never seen).
/// </summary>
public sealed record NotSeenCard(long CardNumber, string? Uid, string IssuedUtc, string? LastSeenUtc);

/// <summary>
/// What looks wrong in the records, whatever the counts say. <see cref="NotSeenAtControllers"/> is null
/// only in a report signed off before controller events were collected; it lists at most
/// <see cref="InventoryStore.MaxListed"/> cards of the <see cref="NotSeenTotal"/> flagged.
/// </summary>
public sealed record InventoryAnomalies(
    IReadOnlyList<long> IssuedWithoutHandOver,
    IReadOnlyList<MissingNumbers> MissingStockNumbers,
    IReadOnlyList<long> CardsWithoutState,
    IReadOnlyList<NotSeenCard>? NotSeenAtControllers,
    int NotSeenDays,
    long NotSeenTotal);

/// <summary>The month's report (JSON; CSV and text are renderings of it).</summary>
public sealed record InventoryReport(
    string Month,
    string State,
    string StartsUtc,
    string EndsUtc,
    string OpenedBy,
    string OpenedUtc,
    string? SignedOffBy,
    string? SignedOffUtc,
    AuditHead? AuditHead,
    IReadOnlyList<InventoryLine> Lines,
    IReadOnlyList<InventoryMovement> Movements,
    InventoryAnomalies Anomalies,
    IReadOnlyList<string> Blocking);

/// <summary>Why a change to a month was refused.</summary>
public enum InventoryRefusal
{
    NotFound,
    AlreadyOpen,
    MonthNotEnded,
    SignedOff,
    Incomplete,
}

/// <summary>
/// The monthly smart-card inventory (docs/inventory.md). System counts come from the card history
/// (<c>card_events</c>): a card's state at an instant is the target of its last transition before it.
/// Every change is audited; sign-off records the audit chain head, which every audit verification then checks.
/// </summary>
public sealed class InventoryStore : IAuditHeadSource
{
    /// <summary>Card states counted, in DESIGN's order.</summary>
    public static IReadOnlyList<string> States { get; } = Enum.GetValues<CardState>().Select(Wire.Name).ToList();

    /// <summary>States whose cards are held at the office, so finance can count them physically.</summary>
    public static IReadOnlySet<string> PhysicalStates { get; } = new HashSet<string> { Wire.Name(CardState.InStock), Wire.Name(CardState.Returned), Wire.Name(CardState.Damaged) };

    /// <summary>Most cards an anomaly lists.</summary>
    public const int MaxListed = 1000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly GatewayDatabase _database;
    private readonly UnitOfWorkFactory _units;
    private readonly SiteCalendar _calendar;
    private readonly int _notSeenDays;

    public InventoryStore(GatewayDatabase database, UnitOfWorkFactory units, GatewayOptions options)
    {
        _database = database;
        _units = units;
        _calendar = new SiteCalendar(options.SiteTimeZone);
        _notSeenDays = options.Inventory.NotSeenDays;
    }

    /// <summary>First and last years an inventory month may name (the API answers 400 outside them).</summary>
    public const int FirstYear = 2000;

    /// <inheritdoc cref="FirstYear"/>
    public const int LastYear = 2199;

    /// <summary>
    /// [start, end) of a month at the site's local midnights, in UTC. A midnight that the zone skips
    /// (daylight saving starting at 00:00) is taken as the first local time that exists, as <see cref="SiteCalendar"/> does for periods.
    /// </summary>
    public (DateTimeOffset Start, DateTimeOffset End) Bounds(int year, int month)
    {
        var first = new DateOnly(year, month, 1);
        return (_calendar.StartOf(first), _calendar.StartOf(first.AddMonths(1)));
    }

    public async Task<IReadOnlyList<InventoryReport>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        var months = new List<string>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT month FROM inventory_months ORDER BY month";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                months.Add(reader.GetString(0));
            }
        }

        var reports = new List<InventoryReport>();
        foreach (var month in months)
        {
            reports.Add((await ReportAsync(connection, null, month, cancellationToken))!);
        }

        return reports;
    }

    public async Task<InventoryReport?> GetAsync(string month, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        return await ReportAsync(connection, null, month, cancellationToken);
    }

    /// <summary>Opens a month that has ended: one line per state, counts empty.</summary>
    public async Task<(InventoryReport? Report, InventoryRefusal? Refusal)> OpenAsync(Actor actor, string month, int year, int monthNumber, CancellationToken cancellationToken)
    {
        var (start, end) = Bounds(year, monthNumber);
        await using var unit = await _units.BeginAsync(actor, cancellationToken);
        if (unit.NowUtc < end)
        {
            return (null, InventoryRefusal.MonthNotEnded);
        }

        if (await MonthRowAsync(unit.Connection, unit.Transaction, month, cancellationToken) is not null)
        {
            return (null, InventoryRefusal.AlreadyOpen);
        }

        await using (var insert = unit.Command("INSERT INTO inventory_months(month, state, starts_utc, ends_utc, opened_utc, opened_by) VALUES ($m, 'open', $s, $e, $now, $op)"))
        {
            insert.Parameters.AddWithValue("$m", month);
            insert.Parameters.AddWithValue("$s", UnitOfWork.Timestamp(start));
            insert.Parameters.AddWithValue("$e", UnitOfWork.Timestamp(end));
            insert.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
            insert.Parameters.AddWithValue("$op", actor.OperatorId);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var state in States)
        {
            await using var line = unit.Command("INSERT INTO inventory_lines(month, card_state) VALUES ($m, $s)");
            line.Parameters.AddWithValue("$m", month);
            line.Parameters.AddWithValue("$s", state);
            await line.ExecuteNonQueryAsync(cancellationToken);
        }

        var report = (await ReportAsync(unit.Connection, unit.Transaction, month, cancellationToken))!;
        unit.Audit("inventory.open", "inventory:" + month, new { before = (object?)null, after = new { report.StartsUtc, report.EndsUtc, system = report.Lines.ToDictionary(l => l.State, l => l.System) } });
        await unit.CommitAsync(cancellationToken);
        return (report, null);
    }

    /// <summary>Sets any of the register count, physical count and explanation of one line of an open month.</summary>
    public async Task<(InventoryReport? Report, InventoryRefusal? Refusal)> UpdateLineAsync(Actor actor, string month, string state, long? register, long? physical, string? explanation, CancellationToken cancellationToken)
    {
        await using var unit = await _units.BeginAsync(actor, cancellationToken);
        var row = await MonthRowAsync(unit.Connection, unit.Transaction, month, cancellationToken);
        if (row is null)
        {
            return (null, InventoryRefusal.NotFound);
        }

        if (row.Value.State == "signed-off")
        {
            return (null, InventoryRefusal.SignedOff);
        }

        var before = (await ReportAsync(unit.Connection, unit.Transaction, month, cancellationToken))!.Lines.Single(l => l.State == state);
        await using (var update = unit.Command("""
            UPDATE inventory_lines SET
                register_count = COALESCE($r, register_count),
                physical_count = COALESCE($p, physical_count),
                explanation = COALESCE($x, explanation)
            WHERE month = $m AND card_state = $s
            """))
        {
            update.Parameters.AddWithValue("$r", (object?)register ?? DBNull.Value);
            update.Parameters.AddWithValue("$p", (object?)physical ?? DBNull.Value);
            update.Parameters.AddWithValue("$x", (object?)explanation ?? DBNull.Value);
            update.Parameters.AddWithValue("$m", month);
            update.Parameters.AddWithValue("$s", state);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        var report = (await ReportAsync(unit.Connection, unit.Transaction, month, cancellationToken))!;
        var after = report.Lines.Single(l => l.State == state);
        unit.Audit("inventory.count", $"inventory:{month}:{state}", new
        {
            before = new { before.RegisterCount, before.PhysicalCount, before.Explanation },
            after = new { after.System, after.RegisterCount, after.PhysicalCount, after.Explanation },
        });
        await unit.CommitAsync(cancellationToken);
        return (report, null);
    }

    /// <summary>
    /// Signs the month off when every line is counted and every variance explained: records who, when,
    /// the audit chain head (the last row before this sign-off's own) and the frozen report.
    /// </summary>
    public async Task<(InventoryReport? Report, InventoryRefusal? Refusal, IReadOnlyList<string> Blocking)> SignOffAsync(Actor actor, string month, CancellationToken cancellationToken)
    {
        await using var unit = await _units.BeginAsync(actor, cancellationToken);
        var row = await MonthRowAsync(unit.Connection, unit.Transaction, month, cancellationToken);
        if (row is null)
        {
            return (null, InventoryRefusal.NotFound, []);
        }

        if (row.Value.State == "signed-off")
        {
            return (null, InventoryRefusal.SignedOff, []);
        }

        var report = (await ReportAsync(unit.Connection, unit.Transaction, month, cancellationToken))!;
        if (report.Blocking.Count > 0)
        {
            return (null, InventoryRefusal.Incomplete, report.Blocking);
        }

        var head = await AuditLog.ReadHeadAsync(unit.Connection, unit.Transaction, cancellationToken);
        var now = UnitOfWork.Timestamp(unit.NowUtc);
        var frozen = report with { State = "signed-off", SignedOffBy = actor.OperatorId, SignedOffUtc = now, AuditHead = head };
        await using (var update = unit.Command("""
            UPDATE inventory_months SET state = 'signed-off', signed_off_utc = $now, signed_off_by = $op,
                audit_head_id = $hid, audit_head_mac = $hmac, report = $report
            WHERE month = $m
            """))
        {
            update.Parameters.AddWithValue("$now", now);
            update.Parameters.AddWithValue("$op", actor.OperatorId);
            update.Parameters.AddWithValue("$hid", head.LastId);
            update.Parameters.AddWithValue("$hmac", head.Mac);
            update.Parameters.AddWithValue("$report", JsonSerializer.Serialize(frozen, Json));
            update.Parameters.AddWithValue("$m", month);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        unit.Audit("inventory.sign-off", "inventory:" + month, new
        {
            before = new { state = "open" },
            after = new { state = "signed-off", auditHead = head, lines = report.Lines.Select(l => new { l.State, l.System, l.RegisterCount, l.PhysicalCount, l.Explanation }) },
        });
        await unit.CommitAsync(cancellationToken);
        return (frozen, null, []);
    }

    public async Task<IReadOnlyList<AuditHead>> RecordedHeadsAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken)
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

    private static async Task<(string State, string StartsUtc, string EndsUtc, string OpenedBy, string OpenedUtc, string? Report)?> MonthRowAsync(SqliteConnection connection, SqliteTransaction? transaction, string month, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT state, starts_utc, ends_utc, opened_by, opened_utc, report FROM inventory_months WHERE month = $m";
        command.Parameters.AddWithValue("$m", month);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5));
    }

    private async Task<InventoryReport?> ReportAsync(SqliteConnection connection, SqliteTransaction? transaction, string month, CancellationToken cancellationToken)
    {
        var row = await MonthRowAsync(connection, transaction, month, cancellationToken);
        if (row is null)
        {
            return null;
        }

        if (row.Value.Report is { } frozen)
        {
            // A signed-off month answers with exactly what was signed.
            return Thaw(frozen);
        }

        var (_, starts, ends, openedBy, openedUtc, _) = row.Value;
        var opening = await StatesAtAsync(connection, transaction, starts, cancellationToken);
        var closing = await StatesAtAsync(connection, transaction, ends, cancellationToken);
        var entered = new Dictionary<string, (long? Register, long? Physical, string? Explanation)>();
        await using (var command = Command(connection, transaction, "SELECT card_state, register_count, physical_count, explanation FROM inventory_lines WHERE month = $m", ("$m", month)))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                entered[reader.GetString(0)] = (reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetString(3));
            }
        }

        var lines = new List<InventoryLine>();
        var blocking = new List<string>();
        foreach (var state in States)
        {
            var system = closing.GetValueOrDefault(state);
            var (register, physical, explanation) = entered.GetValueOrDefault(state);
            var applicable = PhysicalStates.Contains(state);
            long? registerVariance = register is { } r ? r - system : null;
            long? physicalVariance = physical is { } p ? p - system : null;
            var needs = registerVariance is not (null or 0) || physicalVariance is not (null or 0);
            lines.Add(new InventoryLine(state, opening.GetValueOrDefault(state), system, register, physical, applicable, registerVariance, physicalVariance, explanation, needs));
            if (register is null)
            {
                blocking.Add($"{state}: register count missing");
            }

            if (applicable && physical is null)
            {
                blocking.Add($"{state}: physical count missing");
            }

            if (needs && string.IsNullOrWhiteSpace(explanation))
            {
                blocking.Add($"{state}: variance not explained");
            }
        }

        var movements = new List<InventoryMovement>();
        await using (var command = Command(connection, transaction, "SELECT action, COUNT(*) FROM card_events WHERE at_utc >= $s AND at_utc < $e GROUP BY action ORDER BY action", ("$s", starts), ("$e", ends)))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                movements.Add(new InventoryMovement(reader.GetString(0), reader.GetInt64(1)));
            }
        }

        var (notSeen, notSeenTotal) = await NotSeenAsync(connection, transaction, ends, _notSeenDays, cancellationToken);
        var anomalies = new InventoryAnomalies(
            await NumbersAsync(connection, transaction, IssuedWithoutHandOverSql, ends, cancellationToken),
            await MissingNumbersAsync(connection, transaction, ends, cancellationToken),
            await NumbersAsync(connection, transaction, WithoutStateSql, ends, cancellationToken),
            notSeen,
            _notSeenDays,
            notSeenTotal);
        return new InventoryReport(month, row.Value.State, starts, ends, openedBy, openedUtc, null, null, null, lines, movements, anomalies, blocking);
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

    private static async Task<(IReadOnlyList<NotSeenCard> Cards, long Total)> NotSeenAsync(SqliteConnection connection, SqliteTransaction? transaction, string at, int days, CancellationToken cancellationToken)
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
    private static InventoryReport Thaw(string frozen)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(frozen)!;
        if (node["anomalies"] is System.Text.Json.Nodes.JsonObject anomalies && anomalies["notSeenAtControllers"] is System.Text.Json.Nodes.JsonValue)
        {
            anomalies["notSeenAtControllers"] = null;
        }

        return node.Deserialize<InventoryReport>(Json)!;
    }

    private static async Task<Dictionary<string, long>> StatesAtAsync(SqliteConnection connection, SqliteTransaction? transaction, string at, CancellationToken cancellationToken)
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

    /// <summary>Per batch received before month end, the numbers between its lowest and highest that no card has.</summary>
    private static async Task<IReadOnlyList<MissingNumbers>> MissingNumbersAsync(SqliteConnection connection, SqliteTransaction? transaction, string at, CancellationToken cancellationToken)
    {
        var batches = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        await using (var command = Command(connection, transaction, "SELECT batch, number FROM cards WHERE batch IS NOT NULL AND received_utc < $at ORDER BY batch, number", ("$at", at)))
        {
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
        }

        var missing = new List<MissingNumbers>();
        foreach (var (batch, numbers) in batches)
        {
            var gaps = new List<long>();
            for (var i = 1; i < numbers.Count && gaps.Count < 1000; i++)
            {
                for (var n = numbers[i - 1] + 1; n < numbers[i] && gaps.Count < 1000; n++)
                {
                    gaps.Add(n);
                }
            }

            if (gaps.Count > 0)
            {
                missing.Add(new MissingNumbers(batch, gaps));
            }
        }

        return missing;
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

    internal static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
