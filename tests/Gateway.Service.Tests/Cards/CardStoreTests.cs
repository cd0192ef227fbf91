using Gateway.Service.Cards;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Tests.Workflows;

namespace Gateway.Service.Tests.Cards;

/// <summary>The card store's SQL selects by the domain's rules, never by a list of its own.</summary>
public sealed class CardStoreTests : IDisposable
{
    private readonly WorkflowSite _site = new();

    [Fact]
    public async Task ListHeldUids_ACardInEveryState_ExactlyTheStatesOnControllers()
    {
        _site.Execute("INSERT INTO holders(id, name, building, unit, room, created_utc, updated_utc) VALUES (1, 'A', '3', '2', '1201', '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z')");
        var states = Enum.GetValues<CardState>();
        for (var i = 0; i < states.Length; i++)
        {
            _site.Execute($"INSERT INTO cards(number, state, uid, holder_id, kind, received_utc, updated_utc) VALUES ({100001 + i}, '{Wire.Name(states[i])}', '040000{i + 1:X2}', 1, 'access', '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z')");
        }

        await using var unit = await _site.Writes.BeginAsync(WorkflowSite.Desk, CancellationToken.None);
        var held = await CardStore.ListHeldUidsAsync(unit, CancellationToken.None);

        var expected = states.Select((s, i) => (State: s, Number: 100001L + i)).Where(c => DesiredEntries.StandingOf(c.State) != Standing.None).Select(c => c.Number);
        Assert.Equal(expected.Order(), held.Select(h => h.Number).Order());
        Assert.Equal(4, held.Count);
    }

    public void Dispose() => _site.Dispose();
}
