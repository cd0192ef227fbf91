using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Storage;

/// <summary>Who makes a change: the operator behind an API request, or the service itself.</summary>
/// <param name="OperatorId">Stable id of the operator (the bootstrap token is <c>bootstrap-admin</c>).</param>
/// <param name="DisplayName">Name shown in audit views.</param>
public sealed record Actor(string OperatorId, string DisplayName)
{
    /// <summary>Changes the service makes on its own (sync, expiry jobs).</summary>
    public static Actor System { get; } = new("system", "Gateway");
}

/// <summary>
/// One auditable fact about a change, recorded by the code that makes the change and handed to every
/// <see cref="IUnitOfWorkObserver"/> inside the same transaction (the audit log appends it there).
/// </summary>
/// <param name="Action">Stable dotted name, e.g. <c>card.issue</c>, <c>holder.create</c>.</param>
/// <param name="Subject">What changed, e.g. <c>card:100234</c>, <c>holder:17</c>.</param>
/// <param name="Details">Small JSON object with the facts (never a full ID number, key or token).</param>
/// <param name="Actor">Who made the change.</param>
/// <param name="AtUtc">When (the unit of work's "now").</param>
public sealed record AuditEntry(string Action, string Subject, string Details, Actor Actor, DateTimeOffset AtUtc);

/// <summary>
/// Called once per unit of work, inside its transaction, just before commit. The audit log
/// (operators issue) registers one to append its entries; throwing rolls the whole change back.
/// </summary>
public interface IUnitOfWorkObserver
{
    Task OnCommittingAsync(UnitOfWork unitOfWork, IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken);
}

/// <summary>
/// The one write path: a connection and an IMMEDIATE transaction, held for one request. Every change
/// goes through here; changes that may alter a card's whitelist entries call
/// <see cref="MarkCardChangedAsync"/> (the outbox), and every change records at least one
/// <see cref="Audit"/> entry — <see cref="CommitAsync"/> refuses a change without one. Disposing
/// without commit rolls back. Not thread-safe: one request, one unit of work.
/// </summary>
public sealed class UnitOfWork : IAsyncDisposable
{
    private static readonly JsonSerializerOptions DetailsJson = new(JsonSerializerDefaults.Web);
    private readonly SqliteTransaction _transaction;
    private readonly IReadOnlyList<IUnitOfWorkObserver> _observers;
    private readonly List<AuditEntry> _audit = [];
    private readonly IDisposable _writeGate;
    private bool _completed;

    internal UnitOfWork(SqliteConnection connection, Actor actor, DateTimeOffset nowUtc, IReadOnlyList<IUnitOfWorkObserver> observers, IDisposable writeGate)
    {
        Connection = connection;
        Actor = actor;
        NowUtc = nowUtc;
        _observers = observers;
        _writeGate = writeGate;
        // IMMEDIATE: take SQLite's write lock at BEGIN, so two writers never deadlock upgrading a read lock.
        _transaction = connection.BeginTransaction(deferred: false);
    }

    public SqliteConnection Connection { get; }

    public SqliteTransaction Transaction => _transaction;

    /// <summary>Who makes this change.</summary>
    public Actor Actor { get; }

    /// <summary>"Now" for this change, read once from the TimeProvider when the unit began.</summary>
    public DateTimeOffset NowUtc { get; }

    /// <summary>The audit entries recorded so far.</summary>
    public IReadOnlyList<AuditEntry> AuditEntries => _audit;

    /// <summary>A command enlisted in this unit's transaction.</summary>
    public SqliteCommand Command(string sql)
    {
        var command = Connection.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = sql;
        return command;
    }

    /// <summary>Records an audit entry for this change; <paramref name="details"/> is serialized as JSON.</summary>
    public void Audit(string action, string subject, object? details = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        ArgumentException.ThrowIfNullOrWhiteSpace(subject);
        var json = details is null ? "{}" : JsonSerializer.Serialize(details, details.GetType(), DetailsJson);
        _audit.Add(new AuditEntry(action, subject, json, Actor, NowUtc));
    }

    /// <summary>
    /// Writes an outbox marker for <paramref name="cardId"/>: the sync engine will recompute that card's
    /// whitelist entries. Call it for every change that may alter them (issue, lost, revoke, damage,
    /// recycle, grant, reversal, agreement end). Returns the marker's sequence.
    /// </summary>
    public async Task<long> MarkCardChangedAsync(long cardId, string reason, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        await using var command = Command("INSERT INTO card_outbox(card_id, reason, created_utc) VALUES ($card, $reason, $at) RETURNING sequence");
        command.Parameters.AddWithValue("$card", cardId);
        command.Parameters.AddWithValue("$reason", reason);
        command.Parameters.AddWithValue("$at", Timestamp(NowUtc));
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>Lets the observers append (audit) and commits. A change without an audit entry is a programming error.</summary>
    /// <exception cref="InvalidOperationException">No audit entry was recorded, or the unit was already completed.</exception>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_audit.Count == 0)
        {
            throw new InvalidOperationException("a change may not be committed without an audit entry: call UnitOfWork.Audit first");
        }

        foreach (var observer in _observers)
        {
            await observer.OnCommittingAsync(this, _audit, cancellationToken);
        }

        await _transaction.CommitAsync(cancellationToken);
        _completed = true;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_completed)
            {
                await _transaction.RollbackAsync(CancellationToken.None);
            }
        }
        finally
        {
            _completed = true;
            await _transaction.DisposeAsync();
            await Connection.DisposeAsync();
            _writeGate.Dispose();
        }
    }

    /// <summary>The storage format of instants: UTC, ISO 8601 round-trip, sortable as text.</summary>
    public static string Timestamp(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Parses a value written by <see cref="Timestamp"/>.</summary>
    public static DateTimeOffset ParseTimestamp(string text) => DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}

/// <summary>
/// Starts units of work. Writers queue on one async gate (SQLite has one writer anyway), so a burst
/// of requests waits in order instead of spinning in SQLite's busy handler.
/// </summary>
public sealed class UnitOfWorkFactory
{
    private readonly GatewayDatabase _database;
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<IUnitOfWorkObserver> _observers;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public UnitOfWorkFactory(GatewayDatabase database, TimeProvider time, IEnumerable<IUnitOfWorkObserver> observers)
    {
        _database = database;
        _time = time;
        _observers = observers.ToList();
    }

    /// <summary>Waits for the write gate, opens a connection and begins the transaction.</summary>
    public async Task<UnitOfWork> BeginAsync(Actor actor, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        var release = new GateRelease(_gate);
        try
        {
            var connection = _database.OpenConnection();
            try
            {
                return new UnitOfWork(connection, actor, _time.GetUtcNow(), _observers, release);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }
        catch
        {
            release.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs a small infrastructure write (not a domain change, so no audit entry: e.g. idempotency
    /// bookkeeping) under the same write gate, in its own IMMEDIATE transaction, committed on success.
    /// </summary>
    public async Task<T> RunExclusiveAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = _database.OpenConnection();
            await using var transaction = connection.BeginTransaction(deferred: false);
            var result = await work(connection, transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private sealed class GateRelease(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
