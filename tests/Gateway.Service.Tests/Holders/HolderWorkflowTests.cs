using Gateway.Service.Domain;
using Gateway.Service.Domain.Holders;
using Gateway.Service.Holders;
using Gateway.Service.Storage;
using Gateway.Service.Tests.Workflows;

namespace Gateway.Service.Tests.Holders;

/// <summary>The holder workflow without a web host: audited changes, a move re-marks the holder's cards, paging.</summary>
public sealed class HolderWorkflowTests : IDisposable
{
    private readonly WorkflowSite _site = new();
    private readonly HolderWorkflow _holders;

    public HolderWorkflowTests()
    {
        _holders = new HolderWorkflow(_site.Writes, _site.Database);
    }

    [Fact]
    public async Task Create_KeepsOnlyTheMaskedIdDocument_AndAuditsIt()
    {
        var outcome = await _holders.CreateAsync(WorkflowSite.Desk, new NewHolder("Li Wei", new UnitAddress("3", "2", "1201"), "+86 138 0000 0000", null, "123X"), CancellationToken.None);

        var holder = outcome.Value;
        Assert.Equal("123X", holder.IdLastFour);
        var entry = Assert.Single(_site.Audit.Entries);
        Assert.Equal(("holder.create", $"holder:{holder.Id}"), (entry.Action, entry.Subject));
        Assert.Equal("{\"unit\":\"3-2-1201\",\"idDocument\":\"****123X\"}", entry.Details);
    }

    [Fact]
    public async Task Update_AnotherBuilding_MarksEveryCardOfTheHolder()
    {
        var id = (await _holders.CreateAsync(WorkflowSite.Desk, new NewHolder("Li Wei", new UnitAddress("3", "2", "1201"), null, null, null), CancellationToken.None)).Value.Id;
        _site.Execute($"INSERT INTO cards(number, state, uid, holder_id, kind, issue_count, received_utc, updated_utc) VALUES (7, 'issued', '04000007', {id}, 'access', 1, '2026-03-01T00:00:00.0000000Z', '2026-03-01T00:00:00.0000000Z'), (8, 'lost', '04000008', {id}, 'both', 1, '2026-03-01T00:00:00.0000000Z', '2026-03-01T00:00:00.0000000Z')");

        var renamed = await _holders.UpdateAsync(WorkflowSite.Desk, id, new HolderChanges(Name: "Li Wei Jr"), CancellationToken.None);
        Assert.Equal(0, _site.Count("card_outbox"));

        var moved = await _holders.UpdateAsync(WorkflowSite.Desk, id, new HolderChanges(Building: "5"), CancellationToken.None);

        Assert.Equal("Li Wei Jr", renamed.Value.Name);
        Assert.Equal("5-2-1201", moved.Value.Address.ToString());
        Assert.Equal("7:holder-moved,8:holder-moved", _site.Scalar("SELECT group_concat(card_id || ':' || reason) FROM (SELECT * FROM card_outbox ORDER BY sequence)"));
        Assert.Equal("{\"changed\":[\"unit\"]}", _site.Audit.Entries[^1].Details);
    }

    [Fact]
    public async Task Update_UnknownHolder_IsNotFound()
    {
        var outcome = await _holders.UpdateAsync(WorkflowSite.Desk, 42, new HolderChanges(Name: "Nobody"), CancellationToken.None);

        Assert.Equal(RefusalKind.NotFound, outcome.Refusal?.Kind);
        Assert.Equal("holder 42 does not exist", outcome.Refusal?.Detail);
        Assert.Empty(_site.Audit.Entries);
    }

    [Fact]
    public async Task List_PagesByIdWithAFilter()
    {
        foreach (var room in new[] { "101", "102", "103" })
        {
            await _holders.CreateAsync(WorkflowSite.Desk, new NewHolder("Resident " + room, new UnitAddress("3", "1", room), null, null, null), CancellationToken.None);
        }

        await _holders.CreateAsync(WorkflowSite.Desk, new NewHolder("Elsewhere", new UnitAddress("4", "1", "101"), null, null, null), CancellationToken.None);

        var first = await _holders.ListAsync(new HolderFilter(Building: "3"), new PageRequest(2, 0), CancellationToken.None);
        var second = await _holders.ListAsync(new HolderFilter(Building: "3"), new PageRequest(2, first.Next!.Value), CancellationToken.None);

        Assert.Equal(["Resident 101", "Resident 102"], first.Items.Select(h => h.Name));
        Assert.Equal(["Resident 103"], second.Items.Select(h => h.Name));
        Assert.Null(second.Next);
    }

    public void Dispose() => _site.Dispose();
}
