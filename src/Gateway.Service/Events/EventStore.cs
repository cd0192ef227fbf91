using System.Globalization;
using Gateway.Drivers.Barriers;
using Gateway.Service.Api;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Events;

/// <summary>
/// One collected controller event, with the card, holder and plate it was matched to when collected; for a lane
/// opened from the desk (reason remote-open) the opening instead: its id, who opened it and why.
/// </summary>
public sealed record ControllerEventView(
    long Id,
    string ControllerId,
    uint BootId,
    uint Sequence,
    DateTimeOffset TimeUtc,
    string CardUid,
    int Lane,
    string Direction,
    string Decision,
    string Reason,
    long? CardNumber,
    long? HolderId,
    string? Plate,
    DateTimeOffset CollectedUtc,
    long? BoardCard = null,
    long? OpeningId = null,
    string? OpenedBy = null,
    string? OpenedByName = null,
    string? OpenReason = null);

/// <summary>
/// One swipe read from a UHPPOTE board, mapped back to the site's cards (docs/uhppote.md, "Events").
/// </summary>
/// <param name="Index">The board's event index (unique within an epoch).</param>
/// <param name="TimeUtc">When it happened (the board's local time read in the site's zone).</param>
/// <param name="Uid">The UID of the card that reads as <paramref name="BoardCard"/> at that door; null when none does.</param>
/// <param name="BoardCard">The card number the door's reader output.</param>
/// <param name="Lane">The door's lane.</param>
/// <param name="Direction">In or out.</param>
/// <param name="Decision">Granted or denied.</param>
/// <param name="Reason">none, unknown, blocked, no-privilege, anti-passback, door-normally-closed, time-profile or denied.</param>
public sealed record BoardSwipe(uint Index, DateTimeOffset TimeUtc, CardUid? Uid, uint BoardCard, int Lane, LaneDirection Direction, AccessDecision Decision, string Reason);

/// <summary>Filters of the event list; null = any. Times bound the controller's event time, [from, to).</summary>
public sealed record EventFilter(long? CardNumber = null, string? CardUid = null, long? HolderId = null, string? Plate = null, string? ControllerId = null, string? Decision = null, string? Reason = null, DateTimeOffset? FromUtc = null, DateTimeOffset? ToUtc = null);

/// <summary>
/// The events collected from the controllers (table <c>controller_events</c>). Keyed by (controller,
/// boot id, sequence): storing an event a second time (a read repeated after a lost acknowledgement)
/// changes nothing, so collection is at-least-once and storage exactly-once.
/// </summary>
public sealed class EventStore
{
    private readonly GatewayDatabase _database;
    private readonly UnitOfWorkFactory _writes;
    private readonly TimeProvider _time;

    public EventStore(GatewayDatabase database, UnitOfWorkFactory writes, TimeProvider time)
    {
        _database = database;
        _writes = writes;
        _time = time;
    }

    /// <summary>Stores <paramref name="events"/> of one controller and boot; returns those that were new (duplicates dropped).</summary>
    public Task<IReadOnlyList<ControllerEventView>> StoreAsync(string controllerId, uint bootId, IReadOnlyList<BarrierEvent> events, CancellationToken cancellationToken) =>
        StoreRowsAsync(controllerId, bootId, [.. events.Select(e => new Row(e.Sequence, e.Time, e.Uid.ToString(), null, e.Lane, Name(e.Direction), Name(e.Decision), Name(e.Reason), BarrierController.TryReadRemoteOpenTag(e, out var tag) ? (long?)tag : null))], cancellationToken);

    /// <summary>Stores the swipes of one UHPPOTE board and event epoch; returns those that were new (duplicates dropped).</summary>
    public Task<IReadOnlyList<ControllerEventView>> StoreBoardAsync(string controllerId, uint epoch, IReadOnlyList<BoardSwipe> swipes, CancellationToken cancellationToken) =>
        StoreRowsAsync(controllerId, epoch, [.. swipes.Select(e => new Row(e.Index, e.TimeUtc, e.Uid?.ToString() ?? string.Empty, e.BoardCard, e.Lane, Name(e.Direction), Name(e.Decision), e.Reason))], cancellationToken);

    /// <summary>The newest stored event index of a board's epoch (0: none).</summary>
    public async Task<uint> LastSequenceAsync(string controllerId, uint bootId, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(sequence), 0) FROM controller_events WHERE controller_id = $id AND boot_id = $boot";
        command.Parameters.AddWithValue("$id", controllerId);
        command.Parameters.AddWithValue("$boot", (long)bootId);
        return (uint)Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>The board card number and time of the swipe stored at <paramref name="index"/> of a board's epoch, or null.</summary>
    public async Task<(long? BoardCard, DateTimeOffset TimeUtc)?> FindBoardSwipeAsync(string controllerId, uint epoch, uint index, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT board_card, time_utc FROM controller_events WHERE controller_id = $id AND boot_id = $boot AND sequence = $index";
        command.Parameters.AddWithValue("$id", controllerId);
        command.Parameters.AddWithValue("$boot", (long)epoch);
        command.Parameters.AddWithValue("$index", (long)index);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (reader.IsDBNull(0) ? null : reader.GetInt64(0), UnitOfWork.ParseTimestamp(reader.GetString(1)))
            : null;
    }

    // OpeningId: a lane opened from the desk (its UID field carried the opening's tag, not a card: it matches no card).
    private sealed record Row(uint Sequence, DateTimeOffset Time, string Uid, long? BoardCard, int Lane, string Direction, string Decision, string Reason, long? OpeningId = null);

    private Task<IReadOnlyList<ControllerEventView>> StoreRowsAsync(string controllerId, uint bootId, IReadOnlyList<Row> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<ControllerEventView>>([]);
        }

        return _writes.RunExclusiveAsync<IReadOnlyList<ControllerEventView>>(
            async (connection, transaction) =>
            {
                await using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = """
                    INSERT INTO controller_events(controller_id, boot_id, sequence, time_utc, card_uid, lane, direction, decision, reason, board_card, card_number, holder_id, plate, collected_utc, opening_id)
                    VALUES ($controller, $boot, $sequence, $time, $uid, $lane, $direction, $decision, $reason, $board,
                        (SELECT number FROM cards WHERE uid = $card),
                        (SELECT holder_id FROM cards WHERE uid = $card),
                        (SELECT a.plate FROM parking_agreements a JOIN cards c ON c.number = a.card_number WHERE c.uid = $card ORDER BY a.ended_utc IS NULL DESC, a.id DESC LIMIT 1),
                        $now,
                        (SELECT id FROM gate_openings WHERE id = $opening AND controller_id = $controller))
                    ON CONFLICT (controller_id, boot_id, sequence) DO NOTHING
                    RETURNING id, card_number, holder_id, plate, opening_id,
                        (SELECT operator_id FROM gate_openings WHERE id = $opening AND controller_id = $controller),
                        (SELECT operator_name FROM gate_openings WHERE id = $opening AND controller_id = $controller),
                        (SELECT reason FROM gate_openings WHERE id = $opening AND controller_id = $controller)
                    """;
                var now = _time.GetUtcNow();
                insert.Parameters.AddWithValue("$controller", controllerId);
                insert.Parameters.AddWithValue("$boot", (long)bootId);
                insert.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(now));
                var sequence = insert.Parameters.Add("$sequence", SqliteType.Integer);
                var time = insert.Parameters.Add("$time", SqliteType.Text);
                var uid = insert.Parameters.Add("$uid", SqliteType.Text);
                var lane = insert.Parameters.Add("$lane", SqliteType.Integer);
                var direction = insert.Parameters.Add("$direction", SqliteType.Text);
                var decision = insert.Parameters.Add("$decision", SqliteType.Text);
                var reason = insert.Parameters.Add("$reason", SqliteType.Text);
                var board = insert.Parameters.Add("$board", SqliteType.Integer);

                // A remote opening's UID field carries the opening's tag, not a card: it names the opening and matches no card.
                var card = insert.Parameters.Add("$card", SqliteType.Text);
                var opening = insert.Parameters.Add("$opening", SqliteType.Integer);
                var stored = new List<ControllerEventView>();
                foreach (var e in events)
                {
                    sequence.Value = (long)e.Sequence;
                    time.Value = UnitOfWork.Timestamp(e.Time);
                    uid.Value = e.Uid;
                    lane.Value = e.Lane;
                    direction.Value = e.Direction;
                    decision.Value = e.Decision;
                    reason.Value = e.Reason;
                    board.Value = e.BoardCard is { } number ? number : DBNull.Value;
                    card.Value = e.OpeningId is null ? e.Uid : DBNull.Value;
                    opening.Value = e.OpeningId is { } tag ? tag : DBNull.Value;
                    await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
                    if (await reader.ReadAsync(cancellationToken))
                    {
                        stored.Add(new ControllerEventView(
                            reader.GetInt64(0),
                            controllerId,
                            bootId,
                            e.Sequence,
                            e.Time,
                            e.Uid,
                            e.Lane,
                            e.Direction,
                            e.Decision,
                            e.Reason,
                            reader.IsDBNull(1) ? null : reader.GetInt64(1),
                            reader.IsDBNull(2) ? null : reader.GetInt64(2),
                            reader.IsDBNull(3) ? null : reader.GetString(3),
                            now,
                            e.BoardCard,
                            reader.IsDBNull(4) ? null : reader.GetInt64(4),
                            reader.IsDBNull(5) ? null : reader.GetString(5),
                            reader.IsDBNull(6) ? null : reader.GetString(6),
                            reader.IsDBNull(7) ? null : reader.GetString(7)));
                    }
                }

                return stored;
            },
            cancellationToken);
    }

    /// <summary>One page of events matching <paramref name="filter"/>, by id ascending.</summary>
    /// <remarks>With <paramref name="newestFirst"/> the page holds the newest events that match (a console's recent events); its <c>Next</c> means nothing then.</remarks>
    public async Task<Page<ControllerEventView>> ListAsync(EventFilter filter, PageRequest page, CancellationToken cancellationToken, bool newestFirst = false)
    {
        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        var where = new List<string> { "id > $after" };
        void Add(string clause, string name, object? value)
        {
            if (value is not null)
            {
                where.Add(clause);
                command.Parameters.AddWithValue(name, value);
            }
        }

        Add("card_number = $card", "$card", filter.CardNumber);
        Add("card_uid = $uid", "$uid", filter.CardUid);
        Add("holder_id = $holder", "$holder", filter.HolderId);
        Add("plate = $plate", "$plate", filter.Plate);
        Add("controller_id = $controller", "$controller", filter.ControllerId);
        Add("decision = $decision", "$decision", filter.Decision);
        Add("reason = $reason", "$reason", filter.Reason);
        Add("time_utc >= $from", "$from", filter.FromUtc is { } from ? UnitOfWork.Timestamp(from) : null);
        Add("time_utc < $to", "$to", filter.ToUtc is { } to ? UnitOfWork.Timestamp(to) : null);
        command.CommandText = $"""
            SELECT id, controller_id, boot_id, sequence, time_utc, card_uid, lane, direction, decision, reason, card_number, holder_id, plate, collected_utc, board_card, opening_id,
                (SELECT g.operator_id FROM gate_openings g WHERE g.id = controller_events.opening_id),
                (SELECT g.operator_name FROM gate_openings g WHERE g.id = controller_events.opening_id),
                (SELECT g.reason FROM gate_openings g WHERE g.id = controller_events.opening_id)
            FROM controller_events WHERE {string.Join(" AND ", where)} ORDER BY id{(newestFirst ? " DESC" : string.Empty)} LIMIT $limit
            """;
        command.Parameters.AddWithValue("$after", page.After);
        command.Parameters.AddWithValue("$limit", page.Limit + 1);
        var rows = new List<ControllerEventView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ControllerEventView(
                reader.GetInt64(0),
                reader.GetString(1),
                (uint)reader.GetInt64(2),
                (uint)reader.GetInt64(3),
                UnitOfWork.ParseTimestamp(reader.GetString(4)),
                reader.GetString(5),
                (int)reader.GetInt64(6),
                reader.GetString(7),
                reader.GetString(8),
                reader.GetString(9),
                reader.IsDBNull(10) ? null : reader.GetInt64(10),
                reader.IsDBNull(11) ? null : reader.GetInt64(11),
                reader.IsDBNull(12) ? null : reader.GetString(12),
                UnitOfWork.ParseTimestamp(reader.GetString(13)),
                reader.IsDBNull(14) ? null : reader.GetInt64(14),
                reader.IsDBNull(15) ? null : reader.GetInt64(15),
                reader.IsDBNull(16) ? null : reader.GetString(16),
                reader.IsDBNull(17) ? null : reader.GetString(17),
                reader.IsDBNull(18) ? null : reader.GetString(18)));
        }

        return page.ToPage(rows, r => r.Id);
    }

    /// <summary>How many events of a controller are stored (per boot id when given).</summary>
    public async Task<long> CountAsync(string controllerId, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM controller_events WHERE controller_id = $id";
        command.Parameters.AddWithValue("$id", controllerId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    public static string Name(LaneDirection direction) => direction == LaneDirection.Exit ? "exit" : "entry";

    public static string Name(AccessDecision decision) => decision == AccessDecision.Granted ? "granted" : "denied";

    public static string Name(DenyReason reason) => reason switch
    {
        DenyReason.None => "none",
        DenyReason.NotYetValid => "not-yet-valid",
        DenyReason.AntiPassback => "anti-passback",
        DenyReason.RemoteOpen => "remote-open",
        _ => reason.ToString().ToLowerInvariant(),
    };
}
