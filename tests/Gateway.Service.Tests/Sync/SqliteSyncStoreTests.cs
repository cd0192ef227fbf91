using Gateway.Drivers.Barriers;
using Gateway.Service.Storage;
using Gateway.Service.Sync;

namespace Gateway.Service.Tests.Sync;

public sealed class SqliteSyncStoreTests : IDisposable
{
    private readonly TempFolder _folder = new("gateway-syncstore");
    private readonly GatewayDatabase _database;
    private readonly SqliteSyncStore _store;

    public SqliteSyncStoreTests()
    {
        _database = new GatewayDatabase(_folder.Combine("gateway.db"));
        _database.Initialize("site-1", Migrator.Discover());
        _store = new SqliteSyncStore(_database, new UnitOfWorkFactory(_database, TimeProvider.System, []), TimeProvider.System);
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
        Assert.Equal(SyncCardStatus.Issued, issued.Status);
        Assert.Equal(["building-3", "common"], issued.Zones);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 0, 0, TimeSpan.Zero), issued.IssuedUtc);
        var lost = snapshot.Cards.Single(c => c.Number == 100002);
        Assert.Equal(SyncCardStatus.Blocked, lost.Status);
        Assert.Contains("car-park", lost.Zones);
        Assert.Equal(new DateTimeOffset(2026, 2, 1, 5, 0, 0, TimeSpan.Zero), lost.StatusSinceUtc);

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
