using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Tests.Storage;

/// <summary>The write path's group commit on a real SQLite file: many units, one COMMIT, each unit's fate its own.</summary>
public sealed class UnitOfWorkGroupCommitTests : IDisposable
{
    private readonly TempFolder _folder = new("gateway-uow");
    private readonly GatewayDatabase _database;
    private readonly UnitOfWorkFactory _writes;

    public UnitOfWorkGroupCommitTests()
    {
        _database = new GatewayDatabase(_folder.Combine("gateway.db"));
        _database.Initialize("uow-test", Migrator.Discover(typeof(GatewayDatabase).Assembly));
        using (var connection = _database.OpenConnection())
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER NOT NULL)";
            create.ExecuteNonQuery();
        }

        _writes = new UnitOfWorkFactory(_database, TimeProvider.System, []);
    }

    [Fact]
    public async Task CommitAsync_ManyConcurrentUnits_EachVisibleFromAnotherConnectionWhenItReturns()
    {
        var tasks = Enumerable.Range(1, 60).Select(async v =>
        {
            await using var unit = await _writes.BeginAsync(Actor.System, CancellationToken.None);
            await using var insert = unit.Command("INSERT INTO t(v) VALUES ($v)");
            insert.Parameters.AddWithValue("$v", v);
            await insert.ExecuteNonQueryAsync();
            unit.Audit("test.insert", $"t:{v}");
            await unit.CommitAsync(CancellationToken.None);

            // Durable and visible to other connections as soon as CommitAsync returns.
            return Count($"v = {v}");
        });

        var seen = await Task.WhenAll(tasks);

        Assert.All(seen, n => Assert.Equal(1, n));
        Assert.Equal(60, Count("1 = 1"));
    }

    [Fact]
    public async Task DisposeWithoutCommit_InTheMiddleOfAGroup_UndoesOnlyThatUnit()
    {
        var results = await Task.WhenAll(Enumerable.Range(1, 30).Select(async v =>
        {
            await using var unit = await _writes.BeginAsync(Actor.System, CancellationToken.None);
            await using var insert = unit.Command("INSERT INTO t(v) VALUES ($v)");
            insert.Parameters.AddWithValue("$v", v);
            await insert.ExecuteNonQueryAsync();
            if (v % 3 == 0)
            {
                return false; // dispose without commit
            }

            unit.Audit("test.insert", $"t:{v}");
            await unit.CommitAsync(CancellationToken.None);
            return true;
        }));

        Assert.Equal(20, results.Count(r => r));
        Assert.Equal(20, Count("1 = 1"));
        Assert.Equal(0, Count("v % 3 = 0"));
    }

    [Fact]
    public async Task UnitThatThrows_RollsBackItsSavepoint_OthersCommit()
    {
        async Task Insert(int v, bool fail)
        {
            await using var unit = await _writes.BeginAsync(Actor.System, CancellationToken.None);
            await using var insert = unit.Command("INSERT INTO t(v) VALUES ($v)");
            insert.Parameters.AddWithValue("$v", v);
            await insert.ExecuteNonQueryAsync();
            if (fail)
            {
                await using var bad = unit.Command("INSERT INTO no_such_table VALUES (1)");
                await bad.ExecuteNonQueryAsync();
            }

            unit.Audit("test.insert", $"t:{v}");
            await unit.CommitAsync(CancellationToken.None);
        }

        var ok = Insert(1, fail: false);
        var failing = Insert(2, fail: true);
        var after = Insert(3, fail: false);

        await ok;
        await Assert.ThrowsAsync<SqliteException>(() => failing);
        await after;
        Assert.Equal(2, Count("1 = 1"));
        Assert.Equal(0, Count("v = 2"));
    }

    [Fact]
    public async Task RunExclusiveAsync_ResultDurable_AndCommitWithoutAuditRefused()
    {
        var id = await _writes.RunExclusiveAsync(async (connection, transaction) =>
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO t(v) VALUES (7) RETURNING id";
            return (long)(await insert.ExecuteScalarAsync())!;
        }, CancellationToken.None);
        Assert.Equal(1, Count($"id = {id}"));

        await using var unit = await _writes.BeginAsync(Actor.System, CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => unit.CommitAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Command_UnitEnded_DetachedFromTheSharedConnection()
    {
        await using var unit = await _writes.BeginAsync(Actor.System, CancellationToken.None);
        var insert = unit.Command("INSERT INTO t(v) VALUES (1)");
        await insert.ExecuteNonQueryAsync();
        Assert.Same(unit.Connection, insert.Connection);
        unit.Audit("test.insert", "t:1");
        await unit.CommitAsync(CancellationToken.None);

        // Detached while the unit still held the write gate: disposing it now touches no shared connection.
        Assert.Null(insert.Connection);
        await insert.DisposeAsync();
        Assert.Equal(1, Count("v = 1"));
    }

    [Fact]
    public async Task CommitAsync_CommandsDisposedAfterTheirCommit_NextUnitsAndGroupCloseUnharmed()
    {
        // Each unit disposes its command only after CommitAsync returned, on whatever thread, while the next
        // units run on the same connection and groups close it: the shape of an `await using` declared at
        // the top of a handler. Every unit must commit and the write gate must never stay shut.
        // Eight writers, each committing one unit after another: many small groups, so many group closes
        // race the committed units' late disposes.
        var tasks = Enumerable.Range(0, 8).Select(async writer =>
        {
            await Task.Yield();
            for (var i = 0; i < 250; i++)
            {
                var v = (writer * 250) + i;
                await using var unit = await _writes.BeginAsync(Actor.System, CancellationToken.None);
                await using var insert = unit.Command("INSERT INTO t(v) VALUES ($v)");
                insert.Parameters.AddWithValue("$v", v);
                await insert.ExecuteNonQueryAsync();
                unit.Audit("test.insert", $"t:{v}");
                await unit.CommitAsync(CancellationToken.None);
            }
        });

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Equal(2000, Count("1 = 1"));
        Assert.Equal(0, _writes.CloseFailures);
        Assert.Equal(2000, _writes.CommittedUnits);
    }

    private long Count(string where)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM t WHERE {where}";
        return (long)command.ExecuteScalar()!;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
