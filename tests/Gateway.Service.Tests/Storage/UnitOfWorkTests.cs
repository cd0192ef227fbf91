using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Service.Tests.Storage;

/// <summary>The one write path on a real SQLite file: audit required, observers inside the transaction, rollback, outbox.</summary>
public sealed class UnitOfWorkTests : IDisposable
{
    private static readonly Actor Desk = new("desk-1", "Desk One");
    private readonly TempFolder _folder = new("gateway-uow");
    private readonly GatewayDatabase _database;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));

    public UnitOfWorkTests()
    {
        _database = new GatewayDatabase(_folder.Combine("gateway.db"));
        _database.Initialize("uow", Migrator.Discover(typeof(GatewayDatabase).Assembly));
        Execute("CREATE TABLE things(id INTEGER PRIMARY KEY, name TEXT)");
        Execute("CREATE TABLE audit_copy(action TEXT, subject TEXT, details TEXT, operator TEXT, at TEXT)");
    }

    [Fact]
    public async Task Commit_WithoutAuditEntry_IsRefused_AndNothingIsWritten()
    {
        var factory = new UnitOfWorkFactory(_database, _time, []);
        await using (var unit = await factory.BeginAsync(Desk, CancellationToken.None))
        {
            await InsertAsync(unit, "a");
            var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => unit.CommitAsync(CancellationToken.None));
            Assert.Contains("audit", ex.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, Count("things"));
    }

    [Fact]
    public async Task Dispose_WithoutCommit_RollsBack_AndReleasesTheWriteGate()
    {
        var factory = new UnitOfWorkFactory(_database, _time, []);
        await using (var unit = await factory.BeginAsync(Desk, CancellationToken.None))
        {
            await InsertAsync(unit, "a");
            await unit.MarkCardChangedAsync(1, "test", CancellationToken.None);
            unit.Audit("thing.create", "thing:a");
        }

        Assert.Equal(0, Count("things"));
        Assert.Equal(0, Count("card_outbox"));

        // The gate was released: the next unit begins and commits.
        await using var next = await factory.BeginAsync(Desk, CancellationToken.None);
        await InsertAsync(next, "b");
        next.Audit("thing.create", "thing:b");
        await next.CommitAsync(CancellationToken.None);
        Assert.Equal(1, Count("things"));
    }

    [Fact]
    public async Task OutboxCommitted_MarkerCommitted_RaisedOnceAfterTheCommitIsDurable()
    {
        var factory = new UnitOfWorkFactory(_database, _time, []);
        var seen = new List<long>();
        factory.OutboxCommitted += (_, _) => seen.Add(Count("card_outbox"));

        await using (var plain = await factory.BeginAsync(Desk, CancellationToken.None))
        {
            await InsertAsync(plain, "no marker");
            plain.Audit("thing.create", "thing:a");
            await plain.CommitAsync(CancellationToken.None);
        }

        await using (var rolledBack = await factory.BeginAsync(Desk, CancellationToken.None))
        {
            await rolledBack.MarkCardChangedAsync(1, "test", CancellationToken.None);
        }

        Assert.Empty(seen);
        await using (var marked = await factory.BeginAsync(Desk, CancellationToken.None))
        {
            await marked.MarkCardChangedAsync(1, "test", CancellationToken.None);
            await marked.MarkCardChangedAsync(2, "test", CancellationToken.None);
            marked.Audit("card.revoke", "card:1");
            await marked.CommitAsync(CancellationToken.None);
        }

        // Raised once, when another connection already sees both markers.
        Assert.Equal([2L], seen);
    }

    [Fact]
    public async Task Observers_SeeEntriesInsideTheTransaction_AndCommitTogether()
    {
        var factory = new UnitOfWorkFactory(_database, _time, [new CopyingObserver()]);
        await using (var unit = await factory.BeginAsync(Desk, CancellationToken.None))
        {
            await InsertAsync(unit, "a");
            var first = await unit.MarkCardChangedAsync(100001, "issue", CancellationToken.None);
            var second = await unit.MarkCardChangedAsync(100002, "replace", CancellationToken.None);
            Assert.True(second > first);
            unit.Audit("card.issue", "card:100001", new { holder = 7 });
            await unit.CommitAsync(CancellationToken.None);
        }

        Assert.Equal(1, Count("things"));
        Assert.Equal(2, Count("card_outbox"));
        Assert.Equal("card.issue|card:100001|{\"holder\":7}|desk-1|2026-03-01T08:00:00.0000000Z", Scalar("SELECT action || '|' || subject || '|' || details || '|' || operator || '|' || at FROM audit_copy"));
        Assert.Equal("2026-03-01T08:00:00.0000000Z", Scalar("SELECT created_utc FROM card_outbox LIMIT 1"));
    }

    [Fact]
    public async Task Observer_Throwing_RollsBackTheWholeChange()
    {
        var factory = new UnitOfWorkFactory(_database, _time, [new CopyingObserver(), new FailingObserver()]);
        await using (var unit = await factory.BeginAsync(Desk, CancellationToken.None))
        {
            await InsertAsync(unit, "a");
            await unit.MarkCardChangedAsync(1, "test", CancellationToken.None);
            unit.Audit("thing.create", "thing:a");
            await Assert.ThrowsAsync<InvalidDataException>(() => unit.CommitAsync(CancellationToken.None));
        }

        Assert.Equal(0, Count("things"));
        Assert.Equal(0, Count("card_outbox"));
        Assert.Equal(0, Count("audit_copy"));
    }

    [Fact]
    public async Task Units_FromManyTasks_AllCommit_OneAtATime()
    {
        var factory = new UnitOfWorkFactory(_database, _time, []);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            await using var unit = await factory.BeginAsync(Desk, CancellationToken.None);
            await InsertAsync(unit, $"t{i}");
            await unit.MarkCardChangedAsync(i, "test", CancellationToken.None);
            unit.Audit("thing.create", $"thing:{i}");
            await unit.CommitAsync(CancellationToken.None);
        }));

        Assert.Equal(40, Count("things"));
        Assert.Equal("1|40|40", Scalar("SELECT MIN(sequence) || '|' || MAX(sequence) || '|' || COUNT(DISTINCT sequence) FROM card_outbox"));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    private static async Task InsertAsync(UnitOfWork unit, string name)
    {
        await using var command = unit.Command("INSERT INTO things(name) VALUES ($n)");
        command.Parameters.AddWithValue("$n", name);
        await command.ExecuteNonQueryAsync();
    }

    private void Execute(string sql)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private long Count(string table) => long.Parse(Scalar($"SELECT COUNT(*) FROM {table}"), System.Globalization.CultureInfo.InvariantCulture);

    private string Scalar(string sql)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    private sealed class CopyingObserver : IUnitOfWorkObserver
    {
        public async Task OnCommittingAsync(UnitOfWork unitOfWork, IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken)
        {
            foreach (var entry in entries)
            {
                await using var command = unitOfWork.Command("INSERT INTO audit_copy VALUES ($a, $s, $d, $o, $t)");
                command.Parameters.AddWithValue("$a", entry.Action);
                command.Parameters.AddWithValue("$s", entry.Subject);
                command.Parameters.AddWithValue("$d", entry.Details);
                command.Parameters.AddWithValue("$o", entry.Actor.OperatorId);
                command.Parameters.AddWithValue("$t", UnitOfWork.Timestamp(entry.AtUtc));
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }
    }

    private sealed class FailingObserver : IUnitOfWorkObserver
    {
        public Task OnCommittingAsync(UnitOfWork unitOfWork, IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken) =>
            throw new InvalidDataException("audit chain broken");
    }
}
