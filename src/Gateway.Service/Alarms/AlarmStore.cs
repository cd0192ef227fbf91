using System.Globalization;
using Gateway.Service.Api;
using Gateway.Service.Storage;

namespace Gateway.Service.Alarms;

/// <summary>What an alarm is about.</summary>
public enum AlarmKind
{
    /// <summary>A controller's event ring overflowed; <see cref="AlarmView.Lost"/> events are gone.</summary>
    BufferOverflow,

    /// <summary>A controller stopped answering.</summary>
    DeviceDown,

    /// <summary>A controller's whitelist differed from the site's truth (repaired).</summary>
    Drift,

    /// <summary>A controller's clock was more than 2 s off (set).</summary>
    ClockSkew,

    /// <summary>A lost, revoked or damaged card was presented at a gate.</summary>
    BlockedCard,

    /// <summary>A loop of the service (a bus's sync worker, the outbox watcher, notification delivery) stopped on an unexpected error and was restarted, or the service stopped on it.</summary>
    ServiceFault,
}

/// <summary>One alarm as listed.</summary>
public sealed record AlarmView(
    long Id,
    AlarmKind Kind,
    string DeviceId,
    string Message,
    string? CardUid,
    long? CardNumber,
    long? Lost,
    DateTimeOffset RaisedUtc,
    DateTimeOffset? AcknowledgedUtc,
    string? AcknowledgedBy,
    string? Note,
    bool Held = false);

/// <summary>A new alarm, before it is stored.</summary>
public sealed record AlarmRaise(AlarmKind Kind, string DeviceId, string Message, string? CardUid = null, long? CardNumber = null, long? Lost = null);

/// <summary>
/// Sends an alarm on (e-mail, SMS) from inside the transaction that stores it, so a notice is queued if
/// and only if the alarm is. The operators feature's notification outbox implements it
/// (see docs/sync.md, "Alarms"); without one configured, alarms are listed only.
/// </summary>
public interface IAlarmNotifier
{
    Task NotifyAsync(UnitOfWork unit, AlarmView alarm, CancellationToken cancellationToken);
}

/// <summary>
/// The alarms (table <c>alarms</c>): raised by the sync engine and the loop supervisor, listed, acknowledged
/// by an operator. Every change is audited. An alarm the database refuses (a full disk, a broken group
/// commit) is held in memory, listed with <see cref="AlarmView.Held"/> and a negative id, and stored with
/// its original time as soon as the database accepts writes again.
/// </summary>
public sealed class AlarmStore
{
    /// <summary>The device id of an alarm about the service itself rather than one device.</summary>
    public const string ServiceDeviceId = "gateway";

    /// <summary>Alarms held at most; beyond, the oldest held is dropped (and counted in the log).</summary>
    public const int MaxHeld = 1000;

    private readonly GatewayDatabase _database;
    private readonly UnitOfWorkFactory _writes;
    private readonly IEnumerable<IAlarmNotifier> _notifiers;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly Lock _heldGate = new();
    private readonly List<AlarmView> _held = [];
    private readonly SemaphoreSlim _storing = new(1, 1);
    private long _nextHeldId;

    public AlarmStore(GatewayDatabase database, UnitOfWorkFactory writes, IEnumerable<IAlarmNotifier> notifiers, TimeProvider? time = null, ILogger<AlarmStore>? logger = null)
    {
        _database = database;
        _writes = writes;
        _notifiers = notifiers;
        _time = time ?? TimeProvider.System;
        _logger = logger;
    }

    /// <summary>Alarms raised while the database refused them, not yet stored.</summary>
    public int HeldCount
    {
        get
        {
            lock (_heldGate)
            {
                return _held.Count;
            }
        }
    }

    /// <summary>
    /// Stores an alarm (audited as <c>alarm.raise</c> by the system) and hands it to the notifiers. When the
    /// database refuses the write the alarm is held in memory and returned with <see cref="AlarmView.Held"/>;
    /// alarms held earlier are stored first, so they keep their order.
    /// </summary>
    public async Task<AlarmView> RaiseAsync(AlarmRaise raise, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(raise);
        var raisedUtc = _time.GetUtcNow();
        if (HeldCount > 0)
        {
            await StoreHeldAsync(cancellationToken);
        }

        if (HeldCount == 0)
        {
            try
            {
                return await StoreAsync(raise, raisedUtc, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger?.LogError(ex, "Alarm {AlarmKind} on {DeviceId} could not be stored; held in memory until the database accepts writes: {Message}", Name(raise.Kind), raise.DeviceId, raise.Message);
            }
        }

        return Hold(raise, raisedUtc);
    }

    /// <summary>Stores the alarms held in memory, oldest first, until the database refuses one again.</summary>
    public async Task StoreHeldAsync(CancellationToken cancellationToken)
    {
        await _storing.WaitAsync(cancellationToken);
        try
        {
            while (true)
            {
                AlarmView held;
                lock (_heldGate)
                {
                    if (_held.Count == 0)
                    {
                        return;
                    }

                    held = _held[0];
                }

                try
                {
                    var stored = await StoreAsync(new AlarmRaise(held.Kind, held.DeviceId, held.Message, held.CardUid, held.CardNumber, held.Lost), held.RaisedUtc, cancellationToken);
                    _logger?.LogInformation("Held alarm {AlarmKind} on {DeviceId} stored as alarm {AlarmId}", Name(held.Kind), held.DeviceId, stored.Id);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _logger?.LogDebug(ex, "The database still refuses the {Count} held alarm(s)", HeldCount);
                    return;
                }

                lock (_heldGate)
                {
                    _held.Remove(held);
                }
            }
        }
        finally
        {
            _storing.Release();
        }
    }

    private AlarmView Hold(AlarmRaise raise, DateTimeOffset raisedUtc)
    {
        lock (_heldGate)
        {
            var view = new AlarmView(-++_nextHeldId, raise.Kind, raise.DeviceId, raise.Message, raise.CardUid, raise.CardNumber, raise.Lost, raisedUtc, null, null, null, Held: true);
            _held.Add(view);
            if (_held.Count > MaxHeld)
            {
                var dropped = _held[0];
                _held.RemoveAt(0);
                _logger?.LogError("More than {MaxHeld} alarms held while the database refuses writes: dropped the oldest, {AlarmKind} on {DeviceId} at {RaisedUtc}: {Message}", MaxHeld, Name(dropped.Kind), dropped.DeviceId, dropped.RaisedUtc, dropped.Message);
            }

            return view;
        }
    }

    private async Task<AlarmView> StoreAsync(AlarmRaise raise, DateTimeOffset raisedUtc, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(Actor.System, cancellationToken);
        long id;
        await using (var insert = unit.Command("""
            INSERT INTO alarms(kind, device_id, message, card_uid, card_number, lost, raised_utc)
            VALUES ($kind, $device, $message, $uid, $card, $lost, $now) RETURNING id
            """))
        {
            insert.Parameters.AddWithValue("$kind", Name(raise.Kind));
            insert.Parameters.AddWithValue("$device", raise.DeviceId);
            insert.Parameters.AddWithValue("$message", raise.Message);
            insert.Parameters.AddWithValue("$uid", (object?)raise.CardUid ?? DBNull.Value);
            insert.Parameters.AddWithValue("$card", (object?)raise.CardNumber ?? DBNull.Value);
            insert.Parameters.AddWithValue("$lost", (object?)raise.Lost ?? DBNull.Value);
            insert.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(raisedUtc));
            id = Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }

        var alarm = new AlarmView(id, raise.Kind, raise.DeviceId, raise.Message, raise.CardUid, raise.CardNumber, raise.Lost, raisedUtc, null, null, null);
        unit.Audit("alarm.raise", $"alarm:{id}", new { kind = Name(raise.Kind), device = raise.DeviceId, card = raise.CardNumber, lost = raise.Lost });
        foreach (var notifier in _notifiers)
        {
            await notifier.NotifyAsync(unit, alarm, cancellationToken);
        }

        await unit.CommitAsync(cancellationToken);
        return alarm;
    }

    /// <summary>Acknowledges an open alarm. Null: no such alarm; an already acknowledged alarm is returned unchanged with <c>false</c>.</summary>
    public async Task<(AlarmView Alarm, bool Changed)?> AcknowledgeAsync(long id, Actor actor, string? note, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var existing = await GetAsync(unit.Connection, unit.Transaction, id, cancellationToken);
        if (existing is null)
        {
            return null;
        }

        if (existing.AcknowledgedUtc is not null)
        {
            return (existing, false);
        }

        await using (var update = unit.Command("UPDATE alarms SET acknowledged_utc = $now, acknowledged_by = $by, note = $note WHERE id = $id"))
        {
            update.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
            update.Parameters.AddWithValue("$by", actor.OperatorId);
            update.Parameters.AddWithValue("$note", (object?)note ?? DBNull.Value);
            update.Parameters.AddWithValue("$id", id);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        unit.Audit("alarm.acknowledge", $"alarm:{id}", new { kind = Name(existing.Kind), device = existing.DeviceId, note });
        await unit.CommitAsync(cancellationToken);
        return (existing with { AcknowledgedUtc = unit.NowUtc, AcknowledgedBy = actor.OperatorId, Note = note }, true);
    }

    /// <summary>
    /// One page of alarms, by id ascending; <paramref name="open"/>: only unacknowledged (true), only
    /// acknowledged (false), all (null). Alarms held in memory (negative ids) open the first page.
    /// </summary>
    public async Task<Page<AlarmView>> ListAsync(bool? open, AlarmKind? kind, string? deviceId, PageRequest page, CancellationToken cancellationToken)
    {
        var rows = new List<AlarmView>();
        if (page.After == 0 && open != false)
        {
            lock (_heldGate)
            {
                rows.AddRange(_held.Where(h => (kind is null || h.Kind == kind) && (deviceId is null || string.Equals(h.DeviceId, deviceId, StringComparison.Ordinal))));
            }
        }

        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        var where = new List<string> { "id > $after" };
        if (open is { } o)
        {
            where.Add(o ? "acknowledged_utc IS NULL" : "acknowledged_utc IS NOT NULL");
        }

        if (kind is { } k)
        {
            where.Add("kind = $kind");
            command.Parameters.AddWithValue("$kind", Name(k));
        }

        if (deviceId is not null)
        {
            where.Add("device_id = $device");
            command.Parameters.AddWithValue("$device", deviceId);
        }

        command.CommandText = $"{Select} WHERE {string.Join(" AND ", where)} ORDER BY id LIMIT $limit";
        command.Parameters.AddWithValue("$after", page.After);
        command.Parameters.AddWithValue("$limit", page.Limit + 1);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(Read(reader));
        }

        return page.ToPage(rows, r => r.Id);
    }

    public async Task<AlarmView?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        return await GetAsync(connection, null, id, cancellationToken);
    }

    public static string Name(AlarmKind kind) => kind switch
    {
        AlarmKind.BufferOverflow => "buffer-overflow",
        AlarmKind.DeviceDown => "device-down",
        AlarmKind.Drift => "drift",
        AlarmKind.ClockSkew => "clock-skew",
        AlarmKind.BlockedCard => "blocked-card",
        AlarmKind.ServiceFault => "service-fault",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static bool TryParse(string? text, out AlarmKind kind)
    {
        foreach (var candidate in Enum.GetValues<AlarmKind>())
        {
            if (string.Equals(Name(candidate), text, StringComparison.Ordinal))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }

    private const string Select = "SELECT id, kind, device_id, message, card_uid, card_number, lost, raised_utc, acknowledged_utc, acknowledged_by, note FROM alarms";

    private static async Task<AlarmView?> GetAsync(Microsoft.Data.Sqlite.SqliteConnection connection, Microsoft.Data.Sqlite.SqliteTransaction? transaction, long id, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = Select + " WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static AlarmView Read(Microsoft.Data.Sqlite.SqliteDataReader reader)
    {
        TryParse(reader.GetString(1), out var kind);
        return new AlarmView(
            reader.GetInt64(0),
            kind,
            reader.GetString(2),
            reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetInt64(5),
            reader.IsDBNull(6) ? null : reader.GetInt64(6),
            UnitOfWork.ParseTimestamp(reader.GetString(7)),
            reader.IsDBNull(8) ? null : UnitOfWork.ParseTimestamp(reader.GetString(8)),
            reader.IsDBNull(9) ? null : reader.GetString(9),
            reader.IsDBNull(10) ? null : reader.GetString(10));
    }
}
