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
/// The one write path: a transaction held for one request. Every change goes through here; changes
/// that may alter a card's whitelist entries call <see cref="MarkCardChangedAsync"/> (the outbox),
/// and every change records at least one <see cref="Audit"/> entry — <see cref="CommitAsync"/>
/// refuses a change without one. Disposing without commit rolls back. Not thread-safe: one request,
/// one unit of work. Units are group-committed (see <see cref="UnitOfWorkFactory"/>): each runs alone
/// inside a savepoint of a shared write transaction, and <see cref="CommitAsync"/> returns once that
/// transaction is durably committed.
/// </summary>
public sealed class UnitOfWork : IAsyncDisposable
{
    private static readonly JsonSerializerOptions DetailsJson = new(JsonSerializerDefaults.Web);
    private readonly UnitOfWorkFactory _owner;
    private readonly UnitOfWorkFactory.Batch _batch;
    private readonly IReadOnlyList<IUnitOfWorkObserver> _observers;
    private readonly List<AuditEntry> _audit = [];
    private readonly List<SqliteCommand> _commands = [];
    private bool _completed;
    private bool _outboxMarked;

    internal UnitOfWork(UnitOfWorkFactory owner, UnitOfWorkFactory.Batch batch, Actor actor, DateTimeOffset nowUtc, IReadOnlyList<IUnitOfWorkObserver> observers)
    {
        _owner = owner;
        _batch = batch;
        Actor = actor;
        NowUtc = nowUtc;
        _observers = observers;
    }

    public SqliteConnection Connection => _batch.Connection;

    public SqliteTransaction Transaction => _batch.Transaction;

    /// <summary>Who makes this change.</summary>
    public Actor Actor { get; }

    /// <summary>"Now" for this change, read once from the TimeProvider when the unit began.</summary>
    public DateTimeOffset NowUtc { get; }

    /// <summary>The audit entries recorded so far.</summary>
    public IReadOnlyList<AuditEntry> AuditEntries => _audit;

    /// <summary>
    /// A command enlisted in this unit's transaction. It is detached from the shared connection when
    /// the unit ends, so disposing it later (an <c>await using</c> that outlives the commit) never
    /// touches a connection that the next unit, or the group's commit, is using on another thread.
    /// </summary>
    public SqliteCommand Command(string sql)
    {
        var command = Connection.CreateCommand();
        command.Transaction = Transaction;
        command.CommandText = sql;
        _commands.Add(command);
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
        _outboxMarked = true;
        await using var command = Command("INSERT INTO card_outbox(card_id, reason, created_utc) VALUES ($card, $reason, $at) RETURNING sequence");
        command.Parameters.AddWithValue("$card", cardId);
        command.Parameters.AddWithValue("$reason", reason);
        command.Parameters.AddWithValue("$at", Timestamp(NowUtc));
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Lets the observers append (audit), commits, and returns once the change is durable. A change
    /// without an audit entry is a programming error.
    /// </summary>
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

        _completed = true;
        DetachCommands();
        // Not cancellable from here on: the change is part of the group commit whatever the caller does.
        await _owner.EndUnitAsync(_batch, commit: true);
        if (_outboxMarked)
        {
            _owner.OnOutboxCommitted();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_completed)
        {
            _completed = true;
            DetachCommands();
            await _owner.EndUnitAsync(_batch, commit: false);
        }
    }

    /// <summary>
    /// While this unit still holds the write gate: finalizes its commands' statements and takes them off
    /// the shared connection's command list (SqliteConnection's list is not thread-safe: a late
    /// dispose racing the next unit's CreateCommand or the group's Close could corrupt it or throw).
    /// </summary>
    private void DetachCommands()
    {
        foreach (var command in _commands)
        {
            try
            {
                command.Connection = null;
            }
            catch (InvalidOperationException)
            {
                // A reader is still open on it: the caller disposes it, as before.
            }
        }

        _commands.Clear();
    }

    /// <summary>The storage format of instants: UTC, ISO 8601 round-trip, sortable as text.</summary>
    public static string Timestamp(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Parses a value written by <see cref="Timestamp"/>.</summary>
    public static DateTimeOffset ParseTimestamp(string text) => DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}

/// <summary>
/// Starts units of work, one at a time (writers queue on one async gate, first come first served;
/// SQLite has one writer anyway), and commits them in groups: consecutive units run in savepoints
/// of one shared write transaction (BEGIN IMMEDIATE), and one COMMIT — one fsync with
/// synchronous=FULL — makes a whole group durable. The commit is queued on the gate behind the
/// units already waiting, so a group is "everything that arrived while the previous commit was
/// being written"; an idle service commits each unit alone, at once. A unit's
/// <see cref="UnitOfWork.CommitAsync"/> returns only after its group is durable; if that commit
/// fails, every unit of the group sees the failure. Rolling one unit back (dispose without commit)
/// undoes that unit only. Why: a durable commit costs one or more milliseconds of fsync on a
/// small PC's disk, and one per change capped the write path far below the parking load target
/// (docs/benchmarks.md).
/// </summary>
public sealed class UnitOfWorkFactory
{
    private const string Savepoint = "unit";
    private readonly GatewayDatabase _database;
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<IUnitOfWorkObserver> _observers;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Batch? _open;
    private long _committedUnits;
    private long _committedGroups;
    private long _closeFailures;

    public UnitOfWorkFactory(GatewayDatabase database, TimeProvider time, IEnumerable<IUnitOfWorkObserver> observers)
    {
        _database = database;
        _time = time;
        _observers = observers.ToList();
    }

    /// <summary>
    /// Raised after a unit that wrote outbox markers (<see cref="UnitOfWork.MarkCardChangedAsync"/>) is
    /// durably committed, on the committing request's thread: the sync engine reads the outbox at once
    /// instead of at its next poll. Handlers must be quick and must not throw.
    /// </summary>
    public event EventHandler? OutboxCommitted;

    /// <summary>Waits for the write gate and begins a unit (a savepoint of the open group's transaction).</summary>
    public async Task<UnitOfWork> BeginAsync(Actor actor, CancellationToken cancellationToken)
    {
        var batch = await EnterAsync(cancellationToken);
        return new UnitOfWork(this, batch, actor, _time.GetUtcNow(), _observers);
    }

    /// <summary>"Now" as the next unit would take it (from the same TimeProvider).</summary>
    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Units (and infrastructure writes) made durable so far.</summary>
    public long CommittedUnits => Interlocked.Read(ref _committedUnits);

    /// <summary>Group commits so far: SQLite COMMITs of a write transaction, one fsync each with synchronous=FULL.</summary>
    public long CommittedGroups => Interlocked.Read(ref _committedGroups);

    /// <summary>Groups whose connection failed to close after their outcome was settled (the write gate was released regardless).</summary>
    public long CloseFailures => Interlocked.Read(ref _closeFailures);

    internal void OnOutboxCommitted() => OutboxCommitted?.Invoke(this, EventArgs.Empty);

    /// <summary>
    /// Runs a small infrastructure write (not a domain change, so no audit entry: e.g. idempotency
    /// bookkeeping) under the same write gate, in its own savepoint, and returns once it is durable.
    /// </summary>
    public async Task<T> RunExclusiveAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        var batch = await EnterAsync(cancellationToken);
        T result;
        try
        {
            result = await work(batch.Connection, batch.Transaction);
        }
        catch
        {
            await EndUnitAsync(batch, commit: false);
            throw;
        }

        await EndUnitAsync(batch, commit: true);
        return result;
    }

    private async Task<Batch> EnterAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var batch = _open ??= Batch.Open(_database);
            batch.Transaction.Save(Savepoint);
            return batch;
        }
        catch
        {
            _gate.Release();
            throw;
        }
    }

    /// <summary>Ends the unit holding the gate: keeps or undoes its savepoint, queues the group's commit, releases the gate; for a kept unit, waits until the group is durable.</summary>
    internal async Task EndUnitAsync(Batch batch, bool commit)
    {
        try
        {
            if (commit)
            {
                batch.Transaction.Release(Savepoint);
                batch.Units++;
            }
            else
            {
                batch.Transaction.Rollback(Savepoint);
                batch.Transaction.Release(Savepoint);
            }
        }
        catch (SqliteException ex)
        {
            // The shared transaction itself is broken (e.g. an I/O error rolled it back): fail the group.
            batch.Broken ??= ex;
        }
        finally
        {
            batch.Flush ??= FlushAsync(batch);
            _gate.Release();
        }

        if (commit)
        {
            await batch.Durable.Task;
        }
    }

    /// <summary>Commits a group once the units queued before this call have run.</summary>
    private async Task FlushAsync(Batch batch)
    {
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            if (ReferenceEquals(_open, batch))
            {
                _open = null;
            }

            if (batch.Broken is not null)
            {
                throw new InvalidOperationException("the group's write transaction failed; its changes were not committed", batch.Broken);
            }

            if (batch.Units > 0)
            {
                await batch.Transaction.CommitAsync(CancellationToken.None);
                Interlocked.Increment(ref _committedGroups);
                Interlocked.Add(ref _committedUnits, batch.Units);
            }
            else
            {
                await batch.Transaction.RollbackAsync(CancellationToken.None);
            }

            batch.Durable.TrySetResult();
        }
        catch (Exception ex)
        {
            batch.Durable.TrySetException(ex);
        }
        finally
        {
            try
            {
                await batch.DisposeAsync();
            }
            catch (Exception ex) when (ex is InvalidOperationException or SqliteException)
            {
                // The group's outcome is settled above; closing its connection must never keep the gate shut
                // (that stalled every writer of the service for good).
                Interlocked.Increment(ref _closeFailures);
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>One group: a connection and its open write transaction.</summary>
    internal sealed class Batch : IAsyncDisposable
    {
        private Batch(SqliteConnection connection)
        {
            Connection = connection;
            // IMMEDIATE: take SQLite's write lock at BEGIN, so two writers never deadlock upgrading a read lock.
            Transaction = connection.BeginTransaction(deferred: false);
        }

        public SqliteConnection Connection { get; }

        public SqliteTransaction Transaction { get; }

        /// <summary>Completed when the group's COMMIT has returned (durable), faulted if it failed.</summary>
        public TaskCompletionSource Durable { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Units kept in this group.</summary>
        public int Units { get; set; }

        /// <summary>The queued commit, once a unit has ended.</summary>
        public Task? Flush { get; set; }

        public Exception? Broken { get; set; }

        public static Batch Open(GatewayDatabase database)
        {
            var connection = database.OpenConnection();
            try
            {
                return new Batch(connection);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }
}
