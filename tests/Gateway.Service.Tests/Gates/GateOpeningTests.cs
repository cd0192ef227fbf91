using Gateway.Drivers.Barriers;
using Gateway.Drivers.Modbus;
using Gateway.Drivers.Uhppote;
using Gateway.Service.Controllers;
using Gateway.Service.Domain;
using Gateway.Service.Events;
using Gateway.Service.Gates;
using Gateway.Service.Storage;
using Gateway.Service.Tests.Controllers;

namespace Gateway.Service.Tests.Gates;

/// <summary>
/// A lane opened from the desk through the sync engine and a simulated gateway-barrier 1.1 controller over
/// Modbus TCP: the arm rises, the opening and its outcome are recorded, and the event the controller logs
/// comes back naming the opening, so the event list shows who opened the lane and why.
/// </summary>
public sealed class GateOpeningTests
{
    private static readonly Actor Desk = new("desk-1", "Desk One");

    [Fact]
    public async Task Open_ConnectedController_ArmRises_AndTheCollectedEventNamesWhoAndWhy()
    {
        await using var h = await SyncHarness.StartAsync(("tcp", ["car-park"]));
        var gates = Gates(h);
        await h.ServeUntilAsync(() => Task.FromResult(h.Engine.FindOpener("c0-1")!.IsConnected && h.Engine.FindOpener("c0-1")!.Lanes is not null));
        var unit = h.Unit(0, 1);
        Assert.True(unit.LaneState(2).ArmDown);

        var outcome = await ServeWhileAsync(h, gates.OpenAsync(Desk, "c0-1", 2, "visitor without a card, plate 沪A12345", CancellationToken.None));

        Assert.True(outcome.Succeeded, outcome.ToString());
        var opening = outcome.Value;
        Assert.Equal(("opened", true, "c0-1", 2), (opening.Outcome, opening.Logged, opening.ControllerId, opening.Lane));
        var lane = unit.LaneState(2);
        Assert.True(lane.Moving || lane.ArmUp, $"lane 2 neither rising nor up: {lane}");

        // The engine collects the opening's event at once; it names the opening, not a card.
        h.Engine.RequestEvents();
        await h.ServeUntilAsync(async () => (await RemoteEventsAsync(h)).Count == 1);
        var e = Assert.Single(await RemoteEventsAsync(h));
        Assert.Equal(("granted", 2, opening.Id, "desk-1", "Desk One", "visitor without a card, plate 沪A12345"), (e.Decision, e.Lane, e.OpeningId, e.OpenedBy, e.OpenedByName, e.OpenReason));
        Assert.Null(e.CardNumber);
        var stored = await gates.GetAsync(opening.Id, CancellationToken.None);
        Assert.Equal(e.Id, stored!.EventId);
    }

    [Fact]
    public async Task Open_NoSuchLaneOrController_OrNotConnected_RefusedWithNothingWritten()
    {
        await using var h = await SyncHarness.StartAsync(("tcp", ["car-park"]));
        var gates = Gates(h);

        // Before the engine reached it, the controller is not connected: nothing sent, nothing written.
        var early = await gates.OpenAsync(Desk, "c0-1", 1, "emergency", CancellationToken.None);
        Assert.Equal(RefusalKind.Unavailable, early.Refusal?.Kind);

        await h.ServeUntilAsync(() => Task.FromResult(h.Engine.FindOpener("c0-1")!.Lanes is not null));
        var lane = await gates.OpenAsync(Desk, "c0-1", 3, "emergency", CancellationToken.None);
        Assert.Equal((RefusalKind.Invalid, "lane"), (lane.Refusal?.Kind, lane.Refusal?.Field));
        var unknown = await gates.OpenAsync(Desk, "nowhere", 1, "emergency", CancellationToken.None);
        Assert.Equal(RefusalKind.NotFound, unknown.Refusal?.Kind);

        Assert.Empty((await gates.ListAsync(null, new PageRequest(50, 0), CancellationToken.None)).Items);
        Assert.True(h.Unit(0, 1).LaneState(1).ArmDown);
        Assert.True(h.Unit(0, 1).LaneState(2).ArmDown);
    }

    [Fact]
    public async Task Open_ControllerRefusesTheRequest_RecordedAsFailedWithTheReason_ArmDoesNotMove()
    {
        await using var h = await SyncHarness.StartAsync(("tcp", ["car-park"]));
        var gates = Gates(h);
        await h.ServeUntilAsync(() => Task.FromResult(h.Engine.FindOpener("c0-1")!.IsConnected && h.Engine.FindOpener("c0-1")!.Lanes is not null));

        // Exception 06 (busy) to every request from now on: the opening is not done, and the controller backs off.
        h.Unit(0, 1).InjectFaults(new ModbusFault(ModbusFaultKind.Busy), 100);
        var outcome = await ServeWhileAsync(h, gates.OpenAsync(Desk, "c0-1", 1, "emergency", CancellationToken.None));

        Assert.Equal(RefusalKind.DeviceFailed, outcome.Refusal?.Kind);
        var recorded = Assert.Single((await gates.ListAsync("c0-1", new PageRequest(50, 0), CancellationToken.None)).Items);
        Assert.Equal(("failed", "emergency", false), (recorded.Outcome, recorded.Reason, recorded.Logged));
        Assert.Contains("did not confirm", recorded.Detail, StringComparison.Ordinal);
        Assert.True(h.Unit(0, 1).LaneState(1).ArmDown);
        Assert.False(h.Engine.FindOpener("c0-1")!.IsConnected);
    }

    [Fact]
    public async Task Open_UhppoteBoardDoor_UnlocksThatDoorByTheBoardsOpenDoorRequest_RecordedNotLogged()
    {
        const uint serial = 423187757;
        await using var h = await SyncHarness.StartWithBoardsAsync([(serial, ["building-3", "common"])]);
        var gates = Gates(h);
        var id = $"u{serial}";
        await h.ServeUntilAsync(() => Task.FromResult(h.Engine.FindOpener(id)!.IsConnected));
        var board = h.Uhppote!.Boards[serial];
        Assert.DoesNotContain(board.DoorStates(), d => d.Unlocked);

        var outcome = await ServeWhileAsync(h, gates.OpenAsync(Desk, id, 2, "courier at the common door", CancellationToken.None));
        var unknownDoor = await gates.OpenAsync(Desk, id, 4, "courier at the common door", CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.ToString());
        Assert.Equal(("opened", false), (outcome.Value.Outcome, outcome.Value.Logged));
        Assert.Equal([2], board.DoorStates().Where(d => d.Unlocked).Select(d => d.Door));
        var logged = Assert.Single(board.Events(1, 100), e => e.Reason == UhppoteEventReason.RemoteOpenDoor);
        Assert.Equal(2, logged.Door);
        Assert.Equal((RefusalKind.Invalid, "lane"), (unknownDoor.Refusal?.Kind, unknownDoor.Refusal?.Field));
        Assert.Single((await gates.ListAsync(id, new PageRequest(50, 0), CancellationToken.None)).Items);
    }

    private static GateWorkflow Gates(SyncHarness h) =>
        new(h.Engine, new GateStore(h.Database, new UnitOfWorkFactory(h.Database, TimeProvider.System, [])));

    /// <summary>Gives the engine turns (as its bus worker would) until <paramref name="work"/> completes.</summary>
    private static async Task<T> ServeWhileAsync<T>(SyncHarness h, Task<T> work)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (!work.IsCompleted)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "the opening did not complete within 60 s");
            await h.ServeAsync();
            await Task.WhenAny(work, Task.Delay(20));
        }

        return await work;
    }

    private static async Task<IReadOnlyList<ControllerEventView>> RemoteEventsAsync(SyncHarness h) =>
        (await h.Events.ListAsync(new EventFilter(Reason: EventStore.Name(DenyReason.RemoteOpen)), new PageRequest(50, 0), CancellationToken.None)).Items;
}
