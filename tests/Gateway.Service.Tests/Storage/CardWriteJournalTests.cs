using Gateway.Drivers.CardEncoders;
using Gateway.Service.Cards.Encoders;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Tests.Storage;

/// <summary>The encoder's write journal (<see cref="SqliteCardWriteJournal"/>) on a real SQLite file, across a restart.</summary>
public sealed class CardWriteJournalTests : IDisposable
{
    private static readonly CardPayload Payload = new("site-7", 4711, CardKind.Both, 2, 1);
    private readonly TempFolder _folder = new("gateway-journal");
    private readonly GatewayDatabase _database;

    public CardWriteJournalTests()
    {
        _database = new GatewayDatabase(_folder.Combine("gateway.db"));
        _database.Initialize("site-7", Migrator.Discover(typeof(GatewayDatabase).Assembly));
    }

    [Fact]
    public async Task BeginAndSteps_SurviveRestart_AndOpenOperationIsFoundWithItsPayload()
    {
        var journal = Open(_database);
        var id = await journal.BeginAsync(CardWriteOperationKind.Issue, "0a0b0c0d", Payload, CancellationToken.None);
        await journal.RecordStepAsync(id, CardWriteStep.Authenticate, CancellationToken.None);
        await journal.RecordStepAsync(id, CardWriteStep.RekeyOtherSectors, CancellationToken.None);

        // A new database object on the same file: the service restarted after a crash mid-card.
        var restarted = new GatewayDatabase(_database.Path);
        restarted.Initialize("site-7", Migrator.Discover(typeof(GatewayDatabase).Assembly));
        var reopened = Open(restarted);
        var open = await reopened.FindOpenAsync("0A0B0C0D", CancellationToken.None);
        Assert.Equal(new CardWriteOperation(id, CardWriteOperationKind.Issue, "0A0B0C0D", Payload, CardWriteStep.RekeyOtherSectors, CardWriteOutcome.Open), open);

        await reopened.CompleteAsync(id, CardWriteOutcome.RolledBack, CancellationToken.None);
        Assert.Null(await journal.FindOpenAsync("0A0B0C0D", CancellationToken.None));
    }

    [Fact]
    public async Task Erase_HasNoPayload_AndNoStepYet()
    {
        var journal = Open(_database);
        var id = await journal.BeginAsync(CardWriteOperationKind.Erase, "04112233445566", null, CancellationToken.None);
        var open = await journal.FindOpenAsync("04112233445566", CancellationToken.None);
        Assert.Equal(id, open!.Id);
        Assert.Equal(CardWriteOperationKind.Erase, open.Kind);
        Assert.Null(open.Payload);
        Assert.Null(open.LastStep);
    }

    [Fact]
    public async Task Begin_SecondOpenOperationOnSameCard_Refused()
    {
        var journal = Open(_database);
        await journal.BeginAsync(CardWriteOperationKind.Issue, "0A0B0C0D", Payload, CancellationToken.None);
        await Assert.ThrowsAsync<SqliteException>(() => journal.BeginAsync(CardWriteOperationKind.Erase, "0A0B0C0D", null, CancellationToken.None));
    }

    [Fact]
    public async Task Complete_ThenNewOperation_OnSameCard_Allowed()
    {
        var journal = Open(_database);
        var first = await journal.BeginAsync(CardWriteOperationKind.Issue, "0A0B0C0D", Payload, CancellationToken.None);
        await journal.CompleteAsync(first, CardWriteOutcome.Completed, CancellationToken.None);
        var second = await journal.BeginAsync(CardWriteOperationKind.Erase, "0A0B0C0D", null, CancellationToken.None);
        Assert.NotEqual(first, second);
        Assert.Equal(second, (await journal.FindOpenAsync("0a0b0c0d", CancellationToken.None))!.Id);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    private static SqliteCardWriteJournal Open(GatewayDatabase database) =>
        new(new UnitOfWorkFactory(database, TimeProvider.System, []), database, TimeProvider.System);
}
