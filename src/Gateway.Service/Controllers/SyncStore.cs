using System.Globalization;
using Gateway.Drivers.Barriers;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Controllers;

/// <summary>One outbox marker's card: its number and UID (null when the card never had one).</summary>
public sealed record MarkedCard(long Number, CardUid? Uid);

/// <summary>
/// The outbox markers after a sequence and the state of the cards they mark, read in one consistent
/// snapshot: what a controller needs to apply the outbox without reloading every card.
/// </summary>
/// <param name="OutboxSequence">The newest marker reflected (every marker up to it is in <paramref name="Marked"/> or older).</param>
/// <param name="Marked">The distinct marked cards with their UID now (null: none).</param>
/// <param name="Cards">Those of the marked cards that are on controllers, as <see cref="ISyncStore.LoadSnapshotAsync"/> would give them.</param>
public sealed record SyncChanges(long OutboxSequence, IReadOnlyList<MarkedCard> Marked, IReadOnlyList<CardTruth> Cards);

/// <summary>What the sync engine persists of one controller.</summary>
/// <param name="ControllerId">The device id.</param>
/// <param name="AppliedSequence">The newest outbox sequence the controller confirmed.</param>
/// <param name="BootId">The controller's boot id when last seen.</param>
/// <param name="LastCheckUtc">When its count and digest were last compared.</param>
/// <param name="WritePending">A restore or repair of the whitelist was started and no check has found it complete since.</param>
public sealed record ControllerSyncState(string ControllerId, long AppliedSequence, uint? BootId, DateTimeOffset? LastCheckUtc, bool WritePending = false);

/// <summary>
/// Where the sync engine reads the site's truth (cards, holders, parking periods, the outbox) and keeps
/// its own bookkeeping. The SQLite implementation is <see cref="SqliteSyncStore"/>; the engine's tests
/// may give another.
/// </summary>
public interface ISyncStore
{
    /// <summary>The newest outbox sequence (0: none).</summary>
    Task<long> LatestOutboxSequenceAsync(CancellationToken cancellationToken);

    /// <summary>Every card in a state that is on controllers (<see cref="DesiredEntries.StatesOnControllers"/>) with a UID, and the outbox sequence they reflect, read in one consistent snapshot.</summary>
    Task<SyncSnapshot> LoadSnapshotAsync(CancellationToken cancellationToken);

    /// <summary>The markers after <paramref name="after"/> up to the newest, and their cards, in one consistent snapshot.</summary>
    Task<SyncChanges> LoadChangesAsync(long after, CancellationToken cancellationToken);

    /// <summary>Raised when a change that wrote outbox markers was committed in this process (the engine reads the outbox at once).</summary>
    event EventHandler? OutboxCommitted;

    /// <summary>The distinct cards of markers in (<paramref name="after"/>, <paramref name="upTo"/>].</summary>
    Task<IReadOnlyList<MarkedCard>> ReadOutboxAsync(long after, long upTo, CancellationToken cancellationToken);

    Task<ControllerSyncState?> LoadControllerAsync(string controllerId, CancellationToken cancellationToken);

    Task SaveControllerAsync(ControllerSyncState state, CancellationToken cancellationToken);
}

/// <summary>
/// The sync engine's view of the SQLite database. Reads use their own connection in a read
/// transaction (WAL: a consistent snapshot that does not block writers); writes of the engine's
/// bookkeeping go through the write gate. SQL only selects rows: which states are on controllers and
/// what each state means for them are <see cref="DesiredEntries"/>'s rules.
/// </summary>
public sealed class SqliteSyncStore : ISyncStore
{
    private readonly GatewayDatabase _database;
    private readonly UnitOfWorkFactory _writes;
    private readonly TimeProvider _time;

    public SqliteSyncStore(GatewayDatabase database, UnitOfWorkFactory writes, TimeProvider time)
    {
        _database = database;
        _writes = writes;
        _time = time;
        _writes.OutboxCommitted += (_, e) => OutboxCommitted?.Invoke(this, e);
    }

    public event EventHandler? OutboxCommitted;

    public async Task<long> LatestOutboxSequenceAsync(CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(sequence), 0) FROM card_outbox";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    public async Task<SyncSnapshot> LoadSnapshotAsync(CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        // Deferred: a read snapshot from the first SELECT, no write lock (BEGIN IMMEDIATE would hold up the API's writes meanwhile).
        await using var transaction = connection.BeginTransaction(deferred: true);
        long sequence;
        await using (var command = Command(connection, transaction, "SELECT COALESCE(MAX(sequence), 0) FROM card_outbox"))
        {
            sequence = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }

        return new SyncSnapshot(sequence, await ReadCardsAsync(connection, transaction, null, cancellationToken));
    }

    public async Task<SyncChanges> LoadChangesAsync(long after, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        // Deferred: a read snapshot from the first SELECT, no write lock (BEGIN IMMEDIATE would hold up the API's writes meanwhile).
        await using var transaction = connection.BeginTransaction(deferred: true);
        long sequence;
        await using (var command = Command(connection, transaction, "SELECT COALESCE(MAX(sequence), 0) FROM card_outbox"))
        {
            sequence = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }

        if (sequence <= after)
        {
            return new SyncChanges(sequence, [], []);
        }

        var marked = await ReadOutboxAsync(connection, transaction, after, sequence, cancellationToken);
        return new SyncChanges(sequence, marked, await ReadCardsAsync(connection, transaction, (after, sequence), cancellationToken));
    }

    /// <summary>Every card in a state that is on controllers, with a UID, as <paramref name="transaction"/> sees them (the site import forecasts with it inside its own transaction).</summary>
    internal static Task<List<CardTruth>> ReadSiteCardsAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken) =>
        ReadCardsAsync(connection, transaction, null, cancellationToken);

    /// <summary>Cards in a state that is on controllers, with a UID; with <paramref name="marked"/>, only the cards of markers in (after, upTo].</summary>
    private static async Task<List<CardTruth>> ReadCardsAsync(SqliteConnection connection, SqliteTransaction transaction, (long After, long UpTo)? marked, CancellationToken cancellationToken)
    {
        const string MarkedOnly = " IN (SELECT card_id FROM card_outbox WHERE sequence > $after AND sequence <= $upTo)";
        var periods = await LoadParkingPeriodsAsync(connection, transaction, marked is null ? string.Empty : " AND a.card_number" + MarkedOnly, marked, cancellationToken);
        var cards = new List<CardTruth>();
        await using (var command = Command(connection, transaction, $"""
            SELECT c.number, c.uid, c.state, c.kind, h.building, c.updated_utc,
                   (SELECT MAX(e.at_utc) FROM card_events e WHERE e.card_number = c.number AND e.to_state = c.state),
                   (SELECT MAX(i.issued_utc) FROM card_issues i WHERE i.card_number = c.number),
                   c.valid_from_utc, c.valid_until_utc
            FROM cards c JOIN holders h ON h.id = c.holder_id
            WHERE c.state IN (SELECT value FROM json_each($states)) AND c.uid IS NOT NULL AND c.kind IS NOT NULL{(marked is null ? string.Empty : " AND c.number" + MarkedOnly)}
            """))
        {
            command.Parameters.AddWithValue("$states", DesiredEntries.StatesOnControllersJson);

            AddRange(command, marked);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (!CardUid.TryParse(reader.GetString(1), out var uid))
                {
                    continue;
                }

                var number = reader.GetInt64(0);
                var updated = UnitOfWork.ParseTimestamp(reader.GetString(5));
                var since = reader.IsDBNull(6) ? updated : UnitOfWork.ParseTimestamp(reader.GetString(6));
                var issued = reader.IsDBNull(7) ? since : UnitOfWork.ParseTimestamp(reader.GetString(7));
                cards.Add(new CardTruth(
                    number,
                    uid,
                    Wire.Parse<CardState>(reader.GetString(2)),
                    Wire.Parse<CardKind>(reader.GetString(3)),
                    reader.GetString(4),
                    since,
                    issued,
                    periods.TryGetValue(number, out var list) ? list : [],
                    reader.IsDBNull(8) ? null : new ValidityWindow(UnitOfWork.ParseTimestamp(reader.GetString(8)), UnitOfWork.ParseTimestamp(reader.GetString(9)))));
            }
        }

        return cards;
    }

    private static void AddRange(SqliteCommand command, (long After, long UpTo)? marked)
    {
        if (marked is { } range)
        {
            command.Parameters.AddWithValue("$after", range.After);
            command.Parameters.AddWithValue("$upTo", range.UpTo);
        }
    }

    public async Task<IReadOnlyList<MarkedCard>> ReadOutboxAsync(long after, long upTo, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        return await ReadOutboxAsync(connection, null, after, upTo, cancellationToken);
    }

    private static async Task<IReadOnlyList<MarkedCard>> ReadOutboxAsync(SqliteConnection connection, SqliteTransaction? transaction, long after, long upTo, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, "SELECT o.card_id, c.uid FROM card_outbox o LEFT JOIN cards c ON c.number = o.card_id WHERE o.sequence > $after AND o.sequence <= $upTo GROUP BY o.card_id");
        command.Parameters.AddWithValue("$after", after);
        command.Parameters.AddWithValue("$upTo", upTo);
        var list = new List<MarkedCard>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            CardUid? uid = !reader.IsDBNull(1) && CardUid.TryParse(reader.GetString(1), out var parsed) ? parsed : null;
            list.Add(new MarkedCard(reader.GetInt64(0), uid));
        }

        return list;
    }

    public async Task<ControllerSyncState?> LoadControllerAsync(string controllerId, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        await using var command = Command(connection, null, "SELECT applied_sequence, boot_id, last_check_utc, write_pending FROM sync_controllers WHERE controller_id = $id");
        command.Parameters.AddWithValue("$id", controllerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new ControllerSyncState(
            controllerId,
            reader.GetInt64(0),
            reader.IsDBNull(1) ? null : (uint)reader.GetInt64(1),
            reader.IsDBNull(2) ? null : UnitOfWork.ParseTimestamp(reader.GetString(2)),
            reader.GetInt64(3) != 0);
    }

    public Task SaveControllerAsync(ControllerSyncState state, CancellationToken cancellationToken) =>
        _writes.RunExclusiveAsync(
            async (connection, transaction) =>
            {
                await using var command = Command(connection, transaction, """
                    INSERT INTO sync_controllers(controller_id, applied_sequence, boot_id, last_check_utc, write_pending, updated_utc)
                    VALUES ($id, $applied, $boot, $check, $pending, $now)
                    ON CONFLICT(controller_id) DO UPDATE SET applied_sequence = excluded.applied_sequence, boot_id = excluded.boot_id,
                        last_check_utc = excluded.last_check_utc, write_pending = excluded.write_pending, updated_utc = excluded.updated_utc
                    """);
                command.Parameters.AddWithValue("$id", state.ControllerId);
                command.Parameters.AddWithValue("$applied", state.AppliedSequence);
                command.Parameters.AddWithValue("$pending", state.WritePending ? 1 : 0);
                command.Parameters.AddWithValue("$boot", state.BootId is { } boot ? (long)boot : DBNull.Value);
                command.Parameters.AddWithValue("$check", state.LastCheckUtc is { } check ? UnitOfWork.Timestamp(check) : DBNull.Value);
                command.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(_time.GetUtcNow()));
                await command.ExecuteNonQueryAsync(cancellationToken);
                return true;
            },
            cancellationToken);

    private static async Task<Dictionary<long, List<PaidPeriod>>> LoadParkingPeriodsAsync(SqliteConnection connection, SqliteTransaction transaction, string filter, (long After, long UpTo)? marked, CancellationToken cancellationToken)
    {
        var periods = new Dictionary<long, List<PaidPeriod>>();
        await using var command = Command(connection, transaction, $"""
            SELECT a.card_number, p.payment_id, p.chain_start, p.months, p.days, p.start_date, p.end_date
            FROM parking_agreements a JOIN parking_periods p ON p.agreement_id = a.id
            WHERE a.ended_utc IS NULL{filter}
            ORDER BY a.card_number, p.seq
            """);
        AddRange(command, marked);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var card = reader.GetInt64(0);
            if (!periods.TryGetValue(card, out var list))
            {
                periods[card] = list = [];
            }

            list.Add(new PaidPeriod(reader.GetInt64(1), Date(reader.GetString(2)), reader.GetInt32(3), reader.GetInt32(4), Date(reader.GetString(5)), Date(reader.GetString(6))));
        }

        return periods;
    }

    private static DateOnly Date(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }
}
