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
    string? Note);

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

/// <summary>The alarms (table <c>alarms</c>): raised by the sync engine, listed, acknowledged by an operator. Every change is audited.</summary>
public sealed class AlarmStore
{
    private readonly GatewayDatabase _database;
    private readonly UnitOfWorkFactory _writes;
    private readonly IEnumerable<IAlarmNotifier> _notifiers;

    public AlarmStore(GatewayDatabase database, UnitOfWorkFactory writes, IEnumerable<IAlarmNotifier> notifiers)
    {
        _database = database;
        _writes = writes;
        _notifiers = notifiers;
    }

    /// <summary>Stores an alarm (audited as <c>alarm.raise</c> by the system) and hands it to the notifiers.</summary>
    public async Task<AlarmView> RaiseAsync(AlarmRaise raise, CancellationToken cancellationToken)
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
            insert.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
            id = Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }

        var alarm = new AlarmView(id, raise.Kind, raise.DeviceId, raise.Message, raise.CardUid, raise.CardNumber, raise.Lost, unit.NowUtc, null, null, null);
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

    /// <summary>One page of alarms, by id ascending; <paramref name="open"/>: only unacknowledged (true), only acknowledged (false), all (null).</summary>
    public async Task<Page<AlarmView>> ListAsync(bool? open, AlarmKind? kind, string? deviceId, PageRequest page, CancellationToken cancellationToken)
    {
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
        var rows = new List<AlarmView>();
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
