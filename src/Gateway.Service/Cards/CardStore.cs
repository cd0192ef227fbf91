using Gateway.Drivers.Barriers;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Cards;

/// <summary>One transition in a card's history.</summary>
public sealed record CardEvent(long Id, string Action, CardState? From, CardState To, string? Reason, string? Note, DateTimeOffset AtUtc, string OperatorId);

/// <summary>An open, committed or failed issue attempt.</summary>
/// <param name="Id">The journal's id.</param>
/// <param name="CardNumber">The card being issued.</param>
/// <param name="HolderId">Its holder.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Replaces">The card it replaces, if a replacement.</param>
/// <param name="EncoderId">The encoder it is written on.</param>
/// <param name="OperatorId">Who asked.</param>
/// <param name="RequestKey">The request's Idempotency-Key (never logged).</param>
/// <param name="State">open, committed or failed.</param>
/// <param name="CreatedUtc">When the intent was recorded.</param>
/// <param name="OperatorName">The operator's display name (null on rows opened before migration 203).</param>
/// <param name="ReplaceReason">Why the replaced card is replaced (replacements opened since migration 203).</param>
/// <param name="HandOver">What was handed over (null on rows opened before migration 203: such a row cannot be committed at start).</param>
/// <param name="Charges">The fees and deposit the issue takes, decided at its intent (null: none).</param>
/// <param name="Temporary">A temporary card's terms (null: an ordinary issue).</param>
public sealed record IssueJournalEntry(
    long Id,
    long CardNumber,
    long HolderId,
    CardKind Kind,
    long? Replaces,
    string EncoderId,
    string OperatorId,
    string RequestKey,
    string State,
    DateTimeOffset CreatedUtc,
    string? OperatorName = null,
    ReplaceReason? ReplaceReason = null,
    HandOver? HandOver = null,
    DueCharges? Charges = null,
    TemporaryTerms? Temporary = null);

/// <summary>The fees and deposit an issue takes (decided at its intent) and the receipt-book number they are written on.</summary>
public sealed record DueCharges(string ReceiptNumber, IReadOnlyList<Charge> Charges)
{
    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(new { receipt = ReceiptNumber, charges = Charges.Select(c => new { kind = Wire.Name(c.Kind), amountFen = c.AmountFen }) });

    public static DueCharges FromJson(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        var root = document.RootElement;
        return new DueCharges(
            root.GetProperty("receipt").GetString()!,
            root.GetProperty("charges").EnumerateArray().Select(c => new Charge(Wire.Parse<ChargeKind>(c.GetProperty("kind").GetString()!), c.GetProperty("amountFen").GetInt64())).ToList());
    }
}

/// <summary>The newest card write of an issue as the encoder's journal holds it (table <c>card_write_journal</c>).</summary>
/// <param name="CardUid">The card written, hex upper case.</param>
/// <param name="Outcome">open (torn), completed (written and verified), rolled-back or abandoned.</param>
/// <param name="LastStep">The last step journaled (null: none yet).</param>
public sealed record IssueWrite(string CardUid, string Outcome, string? LastStep);

/// <summary>Filters of the card list; null = any.</summary>
public sealed record CardFilter(CardState? State = null, CardKind? Kind = null, long? HolderId = null, string? Building = null, string? Unit = null, string? Room = null, long? Number = null);

/// <summary>One issue of a card as recorded at the hand-over: to whom, what was handed over, the signed receipt's reference, when and by whom.</summary>
public sealed record CardIssueRecord(long CardNumber, long HolderId, CardKind Kind, string Uid, int IssueCounter, IReadOnlyList<string> Items, string ReceiptReference, long? Replaces, DateTimeOffset IssuedUtc, string IssuedBy);

/// <summary>
/// Filters of the temporary card list; null = any. <see cref="Status"/> is judged at <see cref="NowUtc"/>;
/// with no status, the cards still out (every status but closed).
/// </summary>
public sealed record TemporaryFilter(DateTimeOffset NowUtc, TemporaryStatus? Status = null, TemporaryPurpose? Purpose = null, long? HolderId = null, long? StandsInFor = null);

/// <summary>The card tables (<c>cards</c>, <c>card_issues</c>, <c>card_events</c>, <c>card_issue_journal</c>). Writes go through a <see cref="UnitOfWork"/>.</summary>
public static class CardStore
{
    private const string Columns = "c.number, c.state, c.uid, c.holder_id, c.kind, c.issue_count, c.replaces, c.replaced_by, c.state_reason, c.state_note, c.batch, c.received_utc, c.updated_utc, c.temporary, c.valid_from_utc, c.valid_until_utc, c.bearer, c.stands_in_for, c.legacy";

    /// <summary>How many of the numbers <paramref name="from"/>..<paramref name="to"/> already exist.</summary>
    public static async Task<long> CountExistingAsync(UnitOfWork unit, long from, long to, CancellationToken cancellationToken)
    {
        await using var command = unit.Command("SELECT COUNT(*) FROM cards WHERE number BETWEEN $from AND $to");
        command.Parameters.AddWithValue("$from", from);
        command.Parameters.AddWithValue("$to", to);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The UIDs of the cards held now: the cards in a state with an entry on the controllers, active or blocked (<see cref="DesiredEntries.StatesOnControllers"/>: the rule is the domain's, the SQL only selects).</summary>
    public static async Task<IReadOnlyList<(long Number, CardUid Uid)>> ListHeldUidsAsync(UnitOfWork unit, CancellationToken cancellationToken)
    {
        await using var command = unit.Command("SELECT number, uid FROM cards WHERE uid IS NOT NULL AND state IN (SELECT value FROM json_each($states))");
        command.Parameters.AddWithValue("$states", DesiredEntries.StatesOnControllersJson);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var held = new List<(long, CardUid)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (CardUid.TryParse(reader.GetString(1), out var uid))
            {
                held.Add((reader.GetInt64(0), uid));
            }
        }

        return held;
    }

    /// <summary>Inserts the range as in-stock cards (caller has checked none exists).</summary>
    public static async Task ReceiveAsync(UnitOfWork unit, long from, long to, string? batch, CancellationToken cancellationToken)
    {
        await using var command = unit.Command("INSERT INTO cards(number, state, batch, received_utc, updated_utc) VALUES ($n, 'in-stock', $batch, $now, $now)");
        var number = command.Parameters.Add("$n", SqliteType.Integer);
        command.Parameters.AddWithValue("$batch", (object?)batch ?? DBNull.Value);
        command.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
        await command.PrepareAsync(cancellationToken);
        for (var n = from; n <= to; n++)
        {
            number.Value = n;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var history = unit.Command("""
            INSERT INTO card_events(card_number, action, from_state, to_state, note, at_utc, operator_id)
            SELECT number, 'receive', NULL, 'in-stock', batch, $now, $op FROM cards WHERE number BETWEEN $from AND $to
            """);
        history.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
        history.Parameters.AddWithValue("$op", unit.Actor.OperatorId);
        history.Parameters.AddWithValue("$from", from);
        history.Parameters.AddWithValue("$to", to);
        await history.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<CardRecord?> GetAsync(SqliteConnection connection, SqliteTransaction? transaction, long number, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM cards c WHERE c.number = $n";
        command.Parameters.AddWithValue("$n", number);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public static Task<CardRecord?> GetAsync(UnitOfWork unit, long number, CancellationToken cancellationToken) =>
        GetAsync(unit.Connection, unit.Transaction, number, cancellationToken);

    /// <summary>The card that carries <paramref name="uid"/>, if any.</summary>
    public static async Task<CardRecord?> FindByUidAsync(SqliteConnection connection, SqliteTransaction? transaction, string uid, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM cards c WHERE c.uid = $uid";
        command.Parameters.AddWithValue("$uid", uid);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Writes the card's new state and life fields, and appends the change to its history. Returns the card as stored (its updated time is the unit's).</summary>
    public static async Task<CardRecord> SaveChangeAsync(UnitOfWork unit, CardChange change, CancellationToken cancellationToken)
    {
        var after = change.After;
        await using (var command = unit.Command("""
            UPDATE cards SET state = $state, uid = $uid, holder_id = $holder, kind = $kind, issue_count = $count,
                replaces = $replaces, replaced_by = $replacedBy, state_reason = $reason, state_note = $note, updated_utc = $now,
                temporary = $temporary, valid_from_utc = $validFrom, valid_until_utc = $validUntil, bearer = $bearer, stands_in_for = $standsInFor
            WHERE number = $n
            """))
        {
            var terms = after.Temporary;
            command.Parameters.AddWithValue("$temporary", terms is null ? DBNull.Value : Wire.Name(terms.Purpose));
            command.Parameters.AddWithValue("$validFrom", terms is null ? DBNull.Value : UnitOfWork.Timestamp(terms.Window.FromUtc));
            command.Parameters.AddWithValue("$validUntil", terms is null ? DBNull.Value : UnitOfWork.Timestamp(terms.Window.UntilUtc));
            command.Parameters.AddWithValue("$bearer", (object?)terms?.Bearer ?? DBNull.Value);
            command.Parameters.AddWithValue("$standsInFor", (object?)terms?.StandsInFor ?? DBNull.Value);
            command.Parameters.AddWithValue("$state", Wire.Name(after.State));
            command.Parameters.AddWithValue("$uid", (object?)after.Uid ?? DBNull.Value);
            command.Parameters.AddWithValue("$holder", (object?)after.HolderId ?? DBNull.Value);
            command.Parameters.AddWithValue("$kind", after.Kind is { } k ? Wire.Name(k) : DBNull.Value);
            command.Parameters.AddWithValue("$count", after.IssueCount);
            command.Parameters.AddWithValue("$replaces", (object?)after.Replaces ?? DBNull.Value);
            command.Parameters.AddWithValue("$replacedBy", (object?)after.ReplacedBy ?? DBNull.Value);
            command.Parameters.AddWithValue("$reason", (object?)after.StateReason ?? DBNull.Value);
            command.Parameters.AddWithValue("$note", (object?)after.StateNote ?? DBNull.Value);
            command.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
            command.Parameters.AddWithValue("$n", after.Number);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var history = unit.Command("""
            INSERT INTO card_events(card_number, action, from_state, to_state, reason, note, at_utc, operator_id)
            VALUES ($n, $action, $from, $to, $reason, $note, $now, $op)
            """);
        history.Parameters.AddWithValue("$n", after.Number);
        history.Parameters.AddWithValue("$action", change.Action);
        history.Parameters.AddWithValue("$from", Wire.Name(change.Before.State));
        history.Parameters.AddWithValue("$to", Wire.Name(after.State));
        history.Parameters.AddWithValue("$reason", (object?)change.Reason ?? DBNull.Value);
        history.Parameters.AddWithValue("$note", (object?)change.Note ?? DBNull.Value);
        history.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
        history.Parameters.AddWithValue("$op", unit.Actor.OperatorId);
        await history.ExecuteNonQueryAsync(cancellationToken);
        return after with { UpdatedUtc = unit.NowUtc };
    }

    /// <summary>Records an issue's hand-over (history of who held the card and what they signed for).</summary>
    public static async Task InsertIssueAsync(UnitOfWork unit, CardRecord issued, IReadOnlyList<string> items, string receiptReference, CancellationToken cancellationToken)
    {
        await using var command = unit.Command("""
            INSERT INTO card_issues(card_number, holder_id, kind, uid, issue_counter, items, receipt_reference, replaces, issued_utc, issued_by)
            VALUES ($n, $holder, $kind, $uid, $counter, $items, $receipt, $replaces, $now, $op)
            """);
        command.Parameters.AddWithValue("$n", issued.Number);
        command.Parameters.AddWithValue("$holder", issued.HolderId!.Value);
        command.Parameters.AddWithValue("$kind", Wire.Name(issued.Kind!.Value));
        command.Parameters.AddWithValue("$uid", issued.Uid!);
        command.Parameters.AddWithValue("$counter", issued.IssueCount);
        command.Parameters.AddWithValue("$items", System.Text.Json.JsonSerializer.Serialize(items));
        command.Parameters.AddWithValue("$receipt", receiptReference);
        command.Parameters.AddWithValue("$replaces", (object?)issued.Replaces ?? DBNull.Value);
        command.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
        command.Parameters.AddWithValue("$op", unit.Actor.OperatorId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The latest issue of a card with its hand-over, or null when it was never issued.</summary>
    public static async Task<CardIssueRecord?> LatestIssueAsync(SqliteConnection connection, long cardNumber, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT card_number, holder_id, kind, uid, issue_counter, items, receipt_reference, replaces, issued_utc, issued_by
            FROM card_issues WHERE card_number = $n ORDER BY id DESC LIMIT 1
            """;
        command.Parameters.AddWithValue("$n", cardNumber);
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        if (!await r.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new CardIssueRecord(
            r.GetInt64(0),
            r.GetInt64(1),
            Wire.Parse<CardKind>(r.GetString(2)),
            r.GetString(3),
            r.GetInt32(4),
            System.Text.Json.JsonSerializer.Deserialize<List<string>>(r.GetString(5)) ?? [],
            r.GetString(6),
            r.IsDBNull(7) ? null : r.GetInt64(7),
            UnitOfWork.ParseTimestamp(r.GetString(8)),
            r.GetString(9));
    }

    private const string JournalColumns = "id, card_number, holder_id, kind, replaces, encoder_id, operator_id, request_key, state, created_utc, operator_name, replace_reason, handover_items, receipt_reference, charges, temporary";

    /// <summary>The open issue attempt on a card, if any.</summary>
    public static async Task<IssueJournalEntry?> FindOpenJournalAsync(UnitOfWork unit, long cardNumber, CancellationToken cancellationToken)
    {
        await using var command = unit.Command($"SELECT {JournalColumns} FROM card_issue_journal WHERE card_number = $n AND state = 'open'");
        command.Parameters.AddWithValue("$n", cardNumber);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadJournal(reader) : null;
    }

    /// <summary>The newest issue attempt on a card (open, committed or failed), if any.</summary>
    public static async Task<IssueJournalEntry?> FindLatestJournalAsync(UnitOfWork unit, long cardNumber, CancellationToken cancellationToken)
    {
        await using var command = unit.Command($"SELECT {JournalColumns} FROM card_issue_journal WHERE card_number = $n ORDER BY id DESC LIMIT 1");
        command.Parameters.AddWithValue("$n", cardNumber);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadJournal(reader) : null;
    }

    /// <summary>Every open issue attempt, oldest first.</summary>
    public static async Task<IReadOnlyList<IssueJournalEntry>> ListOpenJournalsAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {JournalColumns} FROM card_issue_journal WHERE state = 'open' ORDER BY id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<IssueJournalEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(ReadJournal(reader));
        }

        return list;
    }

    /// <summary>
    /// The newest card write of issue number <paramref name="issueCounter"/> of card
    /// <paramref name="cardNumber"/> begun at or after <paramref name="sinceUtc"/> (when the issue
    /// journal was opened: an older write belongs to an earlier attempt), or null when none was begun.
    /// </summary>
    public static async Task<IssueWrite?> FindIssueWriteAsync(SqliteConnection connection, SqliteTransaction? transaction, long cardNumber, int issueCounter, DateTimeOffset sinceUtc, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            SELECT card_uid, outcome, last_step FROM card_write_journal
            WHERE kind = 'issue' AND card_number = $n AND issue_counter = $counter AND created_utc >= $since
            ORDER BY id DESC LIMIT 1
            """;
        command.Parameters.AddWithValue("$n", cardNumber);
        command.Parameters.AddWithValue("$counter", issueCounter);
        command.Parameters.AddWithValue("$since", UnitOfWork.Timestamp(sinceUtc));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new IssueWrite(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2))
            : null;
    }

    /// <summary>Records the intent to issue before the card is touched, with what the commit needs (so it can be committed at start); returns the journal id.</summary>
    public static async Task<long> OpenJournalAsync(UnitOfWork unit, long cardNumber, long holderId, CardKind kind, long? replaces, ReplaceReason? replaceReason, HandOver handOver, string encoderId, string requestKey, CancellationToken cancellationToken, DueCharges? charges = null, TemporaryTerms? temporary = null)
    {
        await using var command = unit.Command("""
            INSERT INTO card_issue_journal(card_number, holder_id, kind, replaces, encoder_id, operator_id, request_key, state, created_utc,
                operator_name, replace_reason, handover_items, receipt_reference, charges, temporary)
            VALUES ($n, $holder, $kind, $replaces, $encoder, $op, $key, 'open', $now, $opName, $reason, $items, $receipt, $charges, $temporary) RETURNING id
            """);
        command.Parameters.AddWithValue("$charges", (object?)charges?.ToJson() ?? DBNull.Value);
        command.Parameters.AddWithValue("$temporary", temporary is null ? DBNull.Value : TemporaryJson.Write(temporary));
        command.Parameters.AddWithValue("$n", cardNumber);
        command.Parameters.AddWithValue("$holder", holderId);
        command.Parameters.AddWithValue("$kind", Wire.Name(kind));
        command.Parameters.AddWithValue("$replaces", (object?)replaces ?? DBNull.Value);
        command.Parameters.AddWithValue("$encoder", encoderId);
        command.Parameters.AddWithValue("$op", unit.Actor.OperatorId);
        command.Parameters.AddWithValue("$key", requestKey);
        command.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
        command.Parameters.AddWithValue("$opName", unit.Actor.DisplayName);
        command.Parameters.AddWithValue("$reason", replaceReason is { } r ? Wire.Name(r) : DBNull.Value);
        command.Parameters.AddWithValue("$items", System.Text.Json.JsonSerializer.Serialize(handOver.Items));
        command.Parameters.AddWithValue("$receipt", handOver.ReceiptReference);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Marks a journal closed by the start-up recovery (call before closing it as committed, in the same unit).</summary>
    public static async Task MarkCommittedAtStartAsync(UnitOfWork unit, long journalId, CancellationToken cancellationToken)
    {
        await using var command = unit.Command("UPDATE card_issue_journal SET committed_at_start = 1 WHERE id = $id");
        command.Parameters.AddWithValue("$id", journalId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static IssueJournalEntry ReadJournal(SqliteDataReader r) => new(
        r.GetInt64(0),
        r.GetInt64(1),
        r.GetInt64(2),
        Wire.Parse<CardKind>(r.GetString(3)),
        r.IsDBNull(4) ? null : r.GetInt64(4),
        r.GetString(5),
        r.GetString(6),
        r.GetString(7),
        r.GetString(8),
        UnitOfWork.ParseTimestamp(r.GetString(9)),
        r.IsDBNull(10) ? null : r.GetString(10),
        r.IsDBNull(11) ? null : Wire.Parse<ReplaceReason>(r.GetString(11)),
        r.IsDBNull(12) || r.IsDBNull(13) ? null : new HandOver(System.Text.Json.JsonSerializer.Deserialize<List<string>>(r.GetString(12)) ?? [], r.GetString(13)),
        r.IsDBNull(14) ? null : DueCharges.FromJson(r.GetString(14)),
        r.IsDBNull(15) ? null : TemporaryJson.Read(r.GetString(15)));

    /// <summary>Closes a journal entry as committed (with the UID) or failed (with why).</summary>
    public static async Task CloseJournalAsync(UnitOfWork unit, long journalId, bool committed, string? uid, string? failure, CancellationToken cancellationToken)
    {
        await using var command = unit.Command("UPDATE card_issue_journal SET state = $state, uid = $uid, failure = $failure, closed_utc = $now WHERE id = $id AND state = 'open'");
        command.Parameters.AddWithValue("$state", committed ? "committed" : "failed");
        command.Parameters.AddWithValue("$uid", (object?)uid ?? DBNull.Value);
        command.Parameters.AddWithValue("$failure", (object?)failure ?? DBNull.Value);
        command.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
        command.Parameters.AddWithValue("$id", journalId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Up to <paramref name="take"/> cards with number &gt; <paramref name="after"/>, by number.</summary>
    public static async Task<IReadOnlyList<CardRecord>> ListAsync(SqliteConnection connection, CardFilter filter, long after, int take, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {Columns} FROM cards c LEFT JOIN holders h ON h.id = c.holder_id
            WHERE c.number > $after
              AND ($state IS NULL OR c.state = $state)
              AND ($kind IS NULL OR c.kind = $kind)
              AND ($holder IS NULL OR c.holder_id = $holder)
              AND ($number IS NULL OR c.number = $number)
              AND ($building IS NULL OR h.building = $building)
              AND ($unit IS NULL OR h.unit = $unit)
              AND ($room IS NULL OR h.room = $room)
            ORDER BY c.number LIMIT $take
            """;
        command.Parameters.AddWithValue("$after", after);
        command.Parameters.AddWithValue("$take", take);
        command.Parameters.AddWithValue("$state", filter.State is { } s ? Wire.Name(s) : DBNull.Value);
        command.Parameters.AddWithValue("$kind", filter.Kind is { } k ? Wire.Name(k) : DBNull.Value);
        command.Parameters.AddWithValue("$holder", (object?)filter.HolderId ?? DBNull.Value);
        command.Parameters.AddWithValue("$number", (object?)filter.Number ?? DBNull.Value);
        command.Parameters.AddWithValue("$building", (object?)filter.Building ?? DBNull.Value);
        command.Parameters.AddWithValue("$unit", (object?)filter.Unit ?? DBNull.Value);
        command.Parameters.AddWithValue("$room", (object?)filter.Room ?? DBNull.Value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<CardRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    /// <summary>A card's transitions, oldest first.</summary>
    public static async Task<IReadOnlyList<CardEvent>> HistoryAsync(SqliteConnection connection, long number, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, action, from_state, to_state, reason, note, at_utc, operator_id FROM card_events WHERE card_number = $n ORDER BY id";
        command.Parameters.AddWithValue("$n", number);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<CardEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new CardEvent(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.IsDBNull(2) ? null : Wire.Parse<CardState>(reader.GetString(2)),
                Wire.Parse<CardState>(reader.GetString(3)),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                UnitOfWork.ParseTimestamp(reader.GetString(6)),
                reader.GetString(7)));
        }

        return list;
    }

    private static CardRecord Read(SqliteDataReader r) => new(
        r.GetInt64(0),
        Wire.Parse<CardState>(r.GetString(1)),
        r.IsDBNull(2) ? null : r.GetString(2),
        r.IsDBNull(3) ? null : r.GetInt64(3),
        r.IsDBNull(4) ? null : Wire.Parse<CardKind>(r.GetString(4)),
        r.GetInt32(5),
        r.IsDBNull(6) ? null : r.GetInt64(6),
        r.IsDBNull(7) ? null : r.GetInt64(7),
        r.IsDBNull(8) ? null : r.GetString(8),
        r.IsDBNull(9) ? null : r.GetString(9),
        r.IsDBNull(10) ? null : r.GetString(10),
        UnitOfWork.ParseTimestamp(r.GetString(11)),
        UnitOfWork.ParseTimestamp(r.GetString(12)),
        r.IsDBNull(13) ? null : new TemporaryTerms(
            Wire.Parse<TemporaryPurpose>(r.GetString(13)),
            new ValidityWindow(UnitOfWork.ParseTimestamp(r.GetString(14)), UnitOfWork.ParseTimestamp(r.GetString(15))),
            r.IsDBNull(16) ? null : r.GetString(16),
            r.IsDBNull(17) ? null : r.GetInt64(17)),
        r.GetInt64(18) == 1);

    /// <summary>The temporary cards issued (and not yet handed back) that stand in for card <paramref name="lostNumber"/>.</summary>
    public static async Task<IReadOnlyList<CardRecord>> StandInsAsync(UnitOfWork unit, long lostNumber, CancellationToken cancellationToken)
    {
        await using var command = unit.Command($"SELECT {Columns} FROM cards c WHERE c.stands_in_for = $n AND c.state = 'issued' ORDER BY c.number");
        command.Parameters.AddWithValue("$n", lostNumber);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<CardRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    /// <summary>Up to <paramref name="take"/> temporary cards with number &gt; <paramref name="after"/>, by number.</summary>
    public static async Task<IReadOnlyList<CardRecord>> ListTemporaryAsync(SqliteConnection connection, TemporaryFilter filter, long after, int take, CancellationToken cancellationToken)
    {
        // The status as SQL over state and window: TemporaryCards.StatusOf says the same in C#, and the tests hold the two together.
        var status = filter.Status switch
        {
            null => "c.state IN ('issued', 'revoked', 'lost', 'damaged')",
            TemporaryStatus.NotYetValid => "c.state = 'issued' AND c.valid_from_utc > $now",
            TemporaryStatus.Active => "c.state = 'issued' AND c.valid_from_utc <= $now AND c.valid_until_utc > $now",
            TemporaryStatus.Expired => "c.state = 'issued' AND c.valid_until_utc <= $now",
            TemporaryStatus.Revoked => "c.state = 'revoked'",
            TemporaryStatus.Lost => "c.state IN ('lost', 'damaged')",
            _ => "c.state NOT IN ('issued', 'revoked', 'lost', 'damaged')",
        };
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {Columns} FROM cards c
            WHERE c.number > $after AND c.temporary IS NOT NULL AND {status}
              AND ($purpose IS NULL OR c.temporary = $purpose)
              AND ($holder IS NULL OR c.holder_id = $holder)
              AND ($standsInFor IS NULL OR c.stands_in_for = $standsInFor)
            ORDER BY c.number LIMIT $take
            """;
        command.Parameters.AddWithValue("$after", after);
        command.Parameters.AddWithValue("$take", take);
        command.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(filter.NowUtc));
        command.Parameters.AddWithValue("$purpose", filter.Purpose is { } p ? Wire.Name(p) : DBNull.Value);
        command.Parameters.AddWithValue("$holder", (object?)filter.HolderId ?? DBNull.Value);
        command.Parameters.AddWithValue("$standsInFor", (object?)filter.StandsInFor ?? DBNull.Value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<CardRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }

        return list;
    }
}

/// <summary>A temporary card's terms as the issue journal keeps them (JSON).</summary>
internal static class TemporaryJson
{
    public static string Write(TemporaryTerms terms) => System.Text.Json.JsonSerializer.Serialize(new
    {
        purpose = Wire.Name(terms.Purpose),
        validFrom = UnitOfWork.Timestamp(terms.Window.FromUtc),
        validUntil = UnitOfWork.Timestamp(terms.Window.UntilUtc),
        bearer = terms.Bearer,
        standsInFor = terms.StandsInFor,
    });

    public static TemporaryTerms Read(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        var root = document.RootElement;
        var bearer = root.GetProperty("bearer");
        var standsIn = root.GetProperty("standsInFor");
        return new TemporaryTerms(
            Wire.Parse<TemporaryPurpose>(root.GetProperty("purpose").GetString()!),
            new ValidityWindow(UnitOfWork.ParseTimestamp(root.GetProperty("validFrom").GetString()!), UnitOfWork.ParseTimestamp(root.GetProperty("validUntil").GetString()!)),
            bearer.ValueKind == System.Text.Json.JsonValueKind.Null ? null : bearer.GetString(),
            standsIn.ValueKind == System.Text.Json.JsonValueKind.Null ? null : standsIn.GetInt64());
    }
}

/// <summary>A deposit a card holds, not yet refunded.</summary>
public sealed record HeldDeposit(long Id, long CardNumber, long HolderId, long AmountFen);

/// <summary>One card fee, deposit or refund as recorded.</summary>
public sealed record CardChargeView(long Id, long CardNumber, long HolderId, string Kind, long AmountFen, string ReceiptNumber, DateTimeOffset RecordedUtc, string RecordedBy, string? HolderName = null);

/// <summary>The desk's card money: <c>card_charges</c> (fees, deposits, refunds) and <c>card_deposits</c> (what each card holds).</summary>
public static class CardChargeStore
{
    /// <summary>The deposit card <paramref name="cardNumber"/> holds, or null.</summary>
    public static async Task<HeldDeposit?> HeldAsync(SqliteConnection connection, SqliteTransaction? transaction, long cardNumber, CancellationToken cancellationToken)
    {
        await using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = "SELECT id, card_number, holder_id, amount_fen FROM card_deposits WHERE card_number = $card AND refund_charge_id IS NULL";
        read.Parameters.AddWithValue("$card", cardNumber);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new HeldDeposit(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)) : null;
    }

    /// <summary>Records one charge; a deposit is also held for the card. Returns the charge's id.</summary>
    public static async Task<long> InsertAsync(UnitOfWork unit, long cardNumber, long holderId, Charge charge, string receiptNumber, CancellationToken cancellationToken)
    {
        await using var insert = unit.Command("""
            INSERT INTO card_charges(card_number, holder_id, kind, amount_fen, receipt_number, recorded_utc, recorded_by)
            VALUES ($card, $holder, $kind, $amount, $receipt, $at, $by) RETURNING id
            """);
        insert.Parameters.AddWithValue("$card", cardNumber);
        insert.Parameters.AddWithValue("$holder", holderId);
        insert.Parameters.AddWithValue("$kind", Wire.Name(charge.Kind));
        insert.Parameters.AddWithValue("$amount", charge.AmountFen);
        insert.Parameters.AddWithValue("$receipt", receiptNumber);
        insert.Parameters.AddWithValue("$at", UnitOfWork.Timestamp(unit.NowUtc));
        insert.Parameters.AddWithValue("$by", unit.Actor.OperatorId);
        var id = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
        if (charge.Kind == ChargeKind.Deposit)
        {
            await using var hold = unit.Command("INSERT INTO card_deposits(holder_id, card_number, amount_fen, charge_id) VALUES ($holder, $card, $amount, $charge)");
            hold.Parameters.AddWithValue("$holder", holderId);
            hold.Parameters.AddWithValue("$card", cardNumber);
            hold.Parameters.AddWithValue("$amount", charge.AmountFen);
            hold.Parameters.AddWithValue("$charge", id);
            await hold.ExecuteNonQueryAsync(cancellationToken);
        }

        return id;
    }

    /// <summary>The deposit held for <paramref name="from"/> is now held for its replacement <paramref name="to"/>.</summary>
    public static async Task MoveHeldAsync(UnitOfWork unit, long from, long to, CancellationToken cancellationToken)
    {
        await using var move = unit.Command("UPDATE card_deposits SET card_number = $to WHERE card_number = $from AND refund_charge_id IS NULL");
        move.Parameters.AddWithValue("$from", from);
        move.Parameters.AddWithValue("$to", to);
        await move.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Marks deposit <paramref name="depositId"/> refunded by charge <paramref name="refundChargeId"/>.</summary>
    public static async Task MarkRefundedAsync(UnitOfWork unit, long depositId, long refundChargeId, CancellationToken cancellationToken)
    {
        await using var update = unit.Command("UPDATE card_deposits SET refund_charge_id = $refund WHERE id = $id");
        update.Parameters.AddWithValue("$refund", refundChargeId);
        update.Parameters.AddWithValue("$id", depositId);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Every charge of a card, oldest first.</summary>
    public static async Task<IReadOnlyList<CardChargeView>> OfCardAsync(SqliteConnection connection, long cardNumber, CancellationToken cancellationToken)
    {
        await using var read = connection.CreateCommand();
        read.CommandText = "SELECT c.id, c.card_number, c.holder_id, c.kind, c.amount_fen, c.receipt_number, c.recorded_utc, c.recorded_by, h.name FROM card_charges c LEFT JOIN holders h ON h.id = c.holder_id WHERE c.card_number = $card ORDER BY c.id";
        read.Parameters.AddWithValue("$card", cardNumber);
        var list = new List<CardChargeView>();
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new CardChargeView(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3), reader.GetInt64(4), reader.GetString(5), UnitOfWork.ParseTimestamp(reader.GetString(6)), reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8)));
        }

        return list;
    }
}
