using Gateway.Drivers.Barriers;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Storage;
using Gateway.Service.Controllers;

namespace Gateway.Service.Tests.Controllers;

public sealed class SqliteSyncStoreTests : IDisposable
{
    private readonly TempFolder _folder = new("gateway-syncstore");
    private readonly GatewayDatabase _database;
    private readonly UnitOfWorkFactory _writes;
    private readonly SqliteSyncStore _store;

    public SqliteSyncStoreTests()
    {
        _database = new GatewayDatabase(_folder.Combine("gateway.db"));
        _database.Initialize("site-1", Migrator.Discover());
        _writes = new UnitOfWorkFactory(_database, TimeProvider.System, []);
        _store = new SqliteSyncStore(_database, _writes, TimeProvider.System);
    }

    [Fact]
    public async Task LoadChanges_AfterASequence_OnlyTheMarkedCardsAsTheSnapshotGivesThem()
    {
        Exec("""
            INSERT INTO holders(id, name, building, unit, room, created_utc, updated_utc) VALUES (1, 'A', '3', '2', '1201', '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z');
            INSERT INTO cards(number, state, uid, holder_id, kind, received_utc, updated_utc) VALUES
              (100001, 'issued', '04A1B2C3', 1, 'access', '2026-01-01T00:00:00.0000000Z', '2026-01-02T00:00:00.0000000Z'),
              (100002, 'revoked', '04000002', 1, 'access', '2026-01-01T00:00:00.0000000Z', '2026-02-01T00:00:00.0000000Z'),
              (100003, 'returned', '04000003', 1, 'access', '2026-01-01T00:00:00.0000000Z', '2026-02-01T00:00:00.0000000Z'),
              (100004, 'issued', '04000004', 1, 'access', '2026-01-01T00:00:00.0000000Z', '2026-01-02T00:00:00.0000000Z');
            INSERT INTO card_events(card_number, action, from_state, to_state, at_utc, operator_id) VALUES
              (100002, 'revoke', 'issued', 'revoked', '2026-02-01T05:00:00.0000000Z', 'desk');
            INSERT INTO card_outbox(card_id, reason, created_utc) VALUES
              (100001, 'issue', '2026-01-02T03:00:00.0000000Z'), (100004, 'issue', '2026-01-02T03:00:00.0000000Z'),
              (100002, 'revoke', '2026-02-01T05:00:00.0000000Z'), (100003, 'return', '2026-02-01T00:00:00.0000000Z');
            """);
        var snapshot = await _store.LoadSnapshotAsync(CancellationToken.None);

        var changes = await _store.LoadChangesAsync(2, CancellationToken.None);

        Assert.Equal(4, changes.OutboxSequence);
        Assert.Equal([100002L, 100003L], changes.Marked.Select(m => m.Number).Order());
        Assert.Equal(CardUid.Parse("04000003"), changes.Marked.Single(m => m.Number == 100003).Uid);
        var revoked = Assert.Single(changes.Cards);
        Assert.Equal(snapshot.Cards.Single(c => c.Number == 100002), revoked, CardTruthComparer);
        Assert.Equal(CardState.Revoked, revoked.State);
        var none = await _store.LoadChangesAsync(4, CancellationToken.None);
        Assert.Equal((4L, 0, 0), (none.OutboxSequence, none.Marked.Count, none.Cards.Count));
    }

    [Fact]
    public async Task OutboxCommitted_UnitWithMarkerCommitted_NudgesTheWatcherWhichSeesTheNewSequence()
    {
        var watcher = new OutboxWatcher(_store);
        Assert.False(await watcher.WaitAsync(TimeSpan.Zero, CancellationToken.None));

        await using (var unit = await _writes.BeginAsync(new Actor("desk", "Desk"), CancellationToken.None))
        {
            await unit.MarkCardChangedAsync(100001, "revoke", CancellationToken.None);
            unit.Audit("card.revoke", "card:100001");
            await unit.CommitAsync(CancellationToken.None);
        }

        Assert.True(await watcher.WaitAsync(TimeSpan.Zero, CancellationToken.None));
        Assert.True(await watcher.PollAsync(CancellationToken.None));
        Assert.Equal(1, watcher.Latest);
    }

    [Fact]
    public async Task LoadSnapshot_CardsInEveryState_IssuedAndBlockedWithZonesAndSince()
    {
        Exec("""
            INSERT INTO holders(id, name, building, unit, room, created_utc, updated_utc) VALUES (1, 'A', '3', '2', '1201', '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z');
            INSERT INTO cards(number, state, uid, holder_id, kind, received_utc, updated_utc) VALUES
              (100001, 'issued', '04A1B2C3', 1, 'access', '2026-01-01T00:00:00.0000000Z', '2026-01-02T00:00:00.0000000Z'),
              (100002, 'lost', '04000002', 1, 'both', '2026-01-01T00:00:00.0000000Z', '2026-02-01T00:00:00.0000000Z'),
              (100003, 'returned', '04000003', 1, 'access', '2026-01-01T00:00:00.0000000Z', '2026-02-01T00:00:00.0000000Z'),
              (100004, 'in-stock', NULL, NULL, NULL, '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z');
            INSERT INTO card_issues(card_number, holder_id, kind, uid, issue_counter, items, receipt_reference, issued_utc, issued_by) VALUES
              (100001, 1, 'access', '04A1B2C3', 1, '["card"]', 'R1', '2026-01-02T03:00:00.0000000Z', 'desk');
            INSERT INTO card_events(card_number, action, from_state, to_state, at_utc, operator_id) VALUES
              (100002, 'report-lost', 'issued', 'lost', '2026-02-01T05:00:00.0000000Z', 'desk');
            INSERT INTO card_outbox(card_id, reason, created_utc) VALUES (100001, 'issue', '2026-01-02T03:00:00.0000000Z'), (100003, 'return', '2026-02-01T00:00:00.0000000Z'), (100001, 'x', '2026-02-01T00:00:00.0000000Z');
            """);

        var snapshot = await _store.LoadSnapshotAsync(CancellationToken.None);

        Assert.Equal(3, snapshot.OutboxSequence);
        Assert.Equal(2, snapshot.Cards.Count);
        var issued = snapshot.Cards.Single(c => c.Number == 100001);
        Assert.Equal(CardState.Issued, issued.State);
        Assert.Equal(["building-3", "common"], issued.Zones);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 0, 0, TimeSpan.Zero), issued.IssuedUtc);
        var lost = snapshot.Cards.Single(c => c.Number == 100002);
        Assert.Equal(CardState.Lost, lost.State);
        Assert.Contains("car-park", lost.Zones);
        Assert.Equal(new DateTimeOffset(2026, 2, 1, 5, 0, 0, TimeSpan.Zero), lost.StateSinceUtc);

        var marked = await _store.ReadOutboxAsync(1, 3, CancellationToken.None);
        Assert.Equal(2, marked.Count);
        Assert.Equal(CardUid.Parse("04000003"), marked.Single(m => m.Number == 100003).Uid);
    }

    [Fact]
    public async Task SaveController_Twice_LoadsTheLatest()
    {
        Assert.Null(await _store.LoadControllerAsync("gate-1", CancellationToken.None));
        var at = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        await _store.SaveControllerAsync(new ControllerSyncState("gate-1", 5, 0xDEADBEEF, null), CancellationToken.None);
        await _store.SaveControllerAsync(new ControllerSyncState("gate-1", 9, 0xFEEDF00D, at), CancellationToken.None);

        var loaded = await _store.LoadControllerAsync("gate-1", CancellationToken.None);

        Assert.Equal(new ControllerSyncState("gate-1", 9, 0xFEEDF00D, at), loaded);
    }

    [Fact]
    public async Task SaveController_WritePending_LoadsItBackAndClearsIt()
    {
        await _store.SaveControllerAsync(new ControllerSyncState("gate-2", 3, 7, null, WritePending: true), CancellationToken.None);
        Assert.True((await _store.LoadControllerAsync("gate-2", CancellationToken.None))!.WritePending);

        await _store.SaveControllerAsync(new ControllerSyncState("gate-2", 4, 7, null, WritePending: false), CancellationToken.None);

        Assert.False((await _store.LoadControllerAsync("gate-2", CancellationToken.None))!.WritePending);
    }

    // Records compare their lists by reference: compare what the engine uses.
    private static readonly IEqualityComparer<CardTruth> CardTruthComparer = EqualityComparer<CardTruth>.Create(
        (a, b) => a is not null && b is not null && (a.Number, a.Uid, a.State, a.Kind, a.Building, a.StateSinceUtc, a.IssuedUtc) == (b.Number, b.Uid, b.State, b.Kind, b.Building, b.StateSinceUtc, b.IssuedUtc) && a.Zones.SequenceEqual(b.Zones) && a.ParkingPeriods.SequenceEqual(b.ParkingPeriods));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    private void Exec(string sql)
    {
        using var connection = _database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
