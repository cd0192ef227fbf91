using System.Net;
using Gateway.Drivers.Barriers;
using Gateway.Drivers.Uhppote;
using Gateway.Service.Alarms;
using Gateway.Service.Controllers;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Hosting;
using Gateway.Service.Site;

namespace Gateway.Service.Tests.Controllers;

/// <summary>The sync engine keeping UHPPOTE boards right, beside barrier controllers, against the simulator over loopback UDP.</summary>
public sealed class UhppoteSyncTests
{
    private const uint Serial = 423187757;
    private static readonly CardTruth Access = SyncHarness.Card(1, "04A1B2C3", CardState.Issued, "access");
    private static readonly uint Number = CardNumbers.FromUid(Access.Uid, ReaderFormat.Default);

    private static DateOnly IssueDay => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(SyncHarness.Issued, TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai")).DateTime);

    [Fact]
    public async Task Serve_OneChange_KeepsABarrierControllerAndABoardRight()
    {
        await using var h = await SyncHarness.StartWithBoardsAsync([(Serial, ["building-3", "common"])], ("tcp", ["building-3"]));
        var board = h.Uhppote!.Boards[Serial];

        var issued = h.Store.Change(1, Access);
        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").AppliedSequence == issued && h.Health($"u{Serial}").AppliedSequence == issued));

        Assert.False(Assert.Single(h.Unit(0, 1).Whitelist()).Blocked);
        var record = Assert.Single(board.Cards());
        Assert.Equal(Number, record.Number);
        Assert.Equal([1, 2], record.Doors.Doors);
        Assert.Equal(IssueDay, record.From);
        Assert.Equal(BoardCards.NoEnd, record.To);
        Assert.True(board.Decide(1, Number).Granted);
        Assert.True(board.Decide(2, Number).Granted);
        Assert.Equal(DeviceState.Connected, h.Health($"u{Serial}").State);

        // The board's clock was set to the site's local time.
        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai")).DateTime;
        Assert.InRange((board.Now - local).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(5));

        var lost = h.Store.Change(1, Access with { State = CardState.Lost, StateSinceUtc = DateTimeOffset.UtcNow });
        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").AppliedSequence == lost && h.Health($"u{Serial}").AppliedSequence == lost));

        Assert.True(Assert.Single(h.Unit(0, 1).Whitelist()).Blocked);
        Assert.Empty(board.Cards());
        Assert.False(board.Decide(1, Number).Granted);
        Assert.Empty(await h.AlarmsAsync(AlarmKind.Drift));
    }

    [Fact]
    public async Task Serve_EmptyBoardFilled_HealthShowsTheCountItHoldsAtOnce()
    {
        await using var h = await SyncHarness.StartWithBoardsAsync([(Serial, ["building-3", "common"])]);
        long last = 0;
        for (var i = 0; i < 3; i++)
        {
            last = h.Store.Change(1 + i, SyncHarness.Card(1 + i, $"04A1B2{i:X2}", CardState.Issued, "access"));
        }

        await h.ServeUntilAsync(() => Task.FromResult(h.Health($"u{Serial}").AppliedSequence == last && h.Health($"u{Serial}").PendingChanges == 0));

        Assert.Equal(3, h.Uhppote!.Boards[Serial].Cards().Count);
        // Read back after the fill, not left at the 0 counted before it until the next check.
        Assert.Equal((3, 3), (h.Health($"u{Serial}").WhitelistCount, h.Health($"u{Serial}").ExpectedCount));
    }

    [Fact]
    public async Task Serve_BoardTamperedAndCheckRequested_OnlyTheDifferencesRepairedAndDriftAlarmRaised()
    {
        await using var h = await SyncHarness.StartWithBoardsAsync([(Serial, ["building-3", "common"])]);
        var board = h.Uhppote!.Boards[Serial];
        var other = SyncHarness.Card(2, "04D1D2D3", CardState.Issued, "access");
        h.Store.Change(1, Access);
        var last = h.Store.Change(2, other);
        await h.ServeUntilAsync(() => Task.FromResult(h.Health($"u{Serial}").AppliedSequence == last && board.CardCount == 2));

        // Someone edits the board behind Gateway's back: one card loses door 2, a stranger's card is added.
        await using (var client = new UhppoteController(h.Uhppote.Endpoint, Serial))
        {
            await client.PutCardAsync(new UhppoteCard(Number, IssueDay, BoardCards.NoEnd, DoorPermissions.Of([1])));
            await client.PutCardAsync(new UhppoteCard(12345678, IssueDay, BoardCards.NoEnd, DoorPermissions.Of([1, 2])));
        }

        Assert.True(h.Engine.RequestCheck($"u{Serial}"));
        await h.ServeUntilAsync(async () => board.CardCount == 2 && !h.Health($"u{Serial}").Drifted && (await h.AlarmsAsync(AlarmKind.Drift)).Count == 1);

        Assert.Equal([Number, CardNumbers.FromUid(other.Uid, ReaderFormat.Default)], board.Cards().Select(c => c.Number).Order());
        Assert.All(board.Cards(), c => Assert.Equal([1, 2], c.Doors.Doors));
        Assert.False(board.Decide(1, 12345678).Granted);
        Assert.Contains("1 records missing or different, 1 extra", Assert.Single(await h.AlarmsAsync(AlarmKind.Drift)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_RevokeWhoseRepliesWereLost_CompletedOnReturnWithoutDriftAlarm()
    {
        await using var h = await SyncHarness.StartWithBoardsAsync([(Serial, ["common"])]);
        var board = h.Uhppote!.Boards[Serial];
        var first = h.Store.Change(1, Access);
        await h.ServeUntilAsync(() => Task.FromResult(h.Health($"u{Serial}").AppliedSequence == first));

        // Every reply lost while the card is revoked (the board still acts on what it receives, as a real one would).
        h.Uhppote.InjectFaults(Serial, new Gateway.Simulators.Uhppote.UhppoteFault(Gateway.Simulators.Uhppote.UhppoteFaultKind.Drop), 1000);
        var revoked = h.Store.Change(1, Access with { State = CardState.Revoked, StateSinceUtc = DateTimeOffset.UtcNow });
        await h.ServeAsync();
        Assert.NotEqual(DeviceState.Connected, h.Health($"u{Serial}").State);
        Assert.Equal(first, h.Health($"u{Serial}").AppliedSequence);

        h.Uhppote.ClearFaults(Serial);
        await h.ServeUntilAsync(() => Task.FromResult(h.Health($"u{Serial}").AppliedSequence == revoked));
        Assert.Empty(board.Cards());
        Assert.Empty(await h.AlarmsAsync(AlarmKind.Drift));
    }

    [Fact]
    public async Task Serve_SwipesAtABoard_StoredOnceMappedBackToTheCard_LostCardsRefusalAlarmed()
    {
        await using var h = await SyncHarness.StartWithBoardsAsync([(Serial, ["common"])]);
        var board = h.Uhppote!.Boards[Serial];
        var issued = h.Store.Change(1, Access);
        await h.ServeUntilAsync(() => Task.FromResult(h.Health($"u{Serial}").AppliedSequence == issued));

        Assert.True(board.Present(1, Number).Event.Granted);
        Assert.False(board.Present(1, 12345678).Event.Granted);
        h.Engine.RequestEvents();
        await h.ServeUntilAsync(() => Task.FromResult(h.Health($"u{Serial}").EventsCollected == 2));

        // The number mapped back to the card's UID (the event store resolves card, holder and plate from the UID; this harness keeps no cards table).
        var events = await EventsAsync(h);
        Assert.Equal(
            [$"1 1 granted none {Access.Uid} {Number} lane 1 entry", "1 2 denied unknown  12345678 lane 1 entry"],
            events.Select(e => $"{e.BootId} {e.Sequence} {e.Decision} {e.Reason} {e.CardUid} {e.BoardCard} lane {e.Lane} {e.Direction}"));
        Assert.Equal(2u, board.HostIndex);

        // Read again (as after an acknowledgement that was lost): nothing is stored twice.
        await using (var client = new UhppoteController(h.Uhppote.Endpoint, Serial))
        {
            await client.SetEventIndexAsync(0);
        }

        h.Engine.RequestEvents();
        await h.ServeUntilAsync(() => Task.FromResult(board.HostIndex == 2));
        Assert.Equal(2, (await EventsAsync(h)).Count);

        // Lost: the board's record is deleted, and a swipe of it is refused as blocked, with the alarm.
        var lost = h.Store.Change(1, Access with { State = CardState.Lost, StateSinceUtc = DateTimeOffset.UtcNow });
        await h.ServeUntilAsync(() => Task.FromResult(h.Health($"u{Serial}").AppliedSequence == lost));
        Assert.False(board.Present(1, Number).Event.Granted);
        h.Engine.RequestEvents();
        await h.ServeUntilAsync(async () => (await h.AlarmsAsync(AlarmKind.BlockedCard)).Count == 1);

        var blocked = (await EventsAsync(h))[^1];
        Assert.Equal(("denied", "blocked", Access.Uid.ToString()), (blocked.Decision, blocked.Reason, blocked.CardUid));
        Assert.Contains($"(UID {Access.Uid}, number {Number}) presented at u{Serial} lane 1", Assert.Single(await h.AlarmsAsync(AlarmKind.BlockedCard)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_BoardResetAndLogOverflowed_NewEpochStoredAndLostEventsAlarmed()
    {
        await using var h = await SyncHarness.StartWithBoardsAsync([(Serial, ["common"])]);
        var board = h.Uhppote!.Boards[Serial];
        var issued = h.Store.Change(1, Access);
        await h.ServeUntilAsync(() => Task.FromResult(h.Health($"u{Serial}").AppliedSequence == issued));
        board.Present(1, Number);
        board.Present(1, Number);
        h.Engine.RequestEvents();
        await h.ServeUntilAsync(() => Task.FromResult(h.Health($"u{Serial}").EventsCollected == 2));

        // A reset: the log starts again at index 1, below the last index stored. A new epoch, nothing dropped.
        board.Reboot(eraseEvents: true, eraseCards: false);
        board.Present(1, Number);
        h.Engine.RequestEvents();
        await h.ServeUntilAsync(() => Task.FromResult(h.Health($"u{Serial}").EventsCollected == 3));
        Assert.Equal(["1 1", "1 2", "2 1"], (await EventsAsync(h)).Select(e => $"{e.BootId} {e.Sequence}"));

        // More events than the log holds while nobody read them: the oldest are overwritten, counted and alarmed.
        board.Flood(1030);
        h.Engine.RequestEvents();
        await h.ServeUntilAsync(async () => (await h.AlarmsAsync(AlarmKind.BufferOverflow)).Count == 1 && h.Health($"u{Serial}").EventsCollected > 3 && board.HostIndex == 1031);

        var overflow = Assert.Single(await h.AlarmsAsync(AlarmKind.BufferOverflow));
        var stored = await EventsAsync(h, limit: 2000);
        var lostCount = 1031 - 1 - (stored.Count - 3);
        Assert.True(lostCount > 0, $"nothing was lost: {stored.Count} stored");
        Assert.Contains($"lost {lostCount} events to a full log (epoch 2, after index 1)", overflow.Message, StringComparison.Ordinal);
        Assert.All(stored.Skip(3), e => Assert.Equal(("denied", "unknown", 2u), (e.Decision, e.Reason, e.BootId)));
    }

    [Fact]
    public async Task Serve_ListenerConfigured_PushedSwipesStoredAtOnce_TheWalkStoresNothingTwice()
    {
        var settings = new Dictionary<string, string?> { ["Gateway:Devices:0:Listener"] = "udp://127.0.0.1:0" };
        await using var h = await SyncHarness.StartWithBoardsAsync(settings, [(Serial, ["common"])]);
        var board = h.Uhppote!.Boards[Serial];
        var issued = h.Store.Change(1, Access);
        await h.ServeUntilAsync(() => Task.FromResult(h.Health($"u{Serial}").AppliedSequence == issued));

        // The board was told to push to Gateway's port (bound on 127.0.0.1, a free port).
        var listener = Assert.Single(h.Engine.Listeners.Values).Endpoint;
        Assert.Equal(IPAddress.Loopback, listener.Address);
        Assert.NotEqual(0, listener.Port);
        Assert.Equal(listener, board.Listener);

        // The walk runs once an hour here: a swipe stored now came by the push, and the board's bookmark did not move.
        Assert.True(board.Present(1, Number).Event.Granted);
        await h.ServeUntilAsync(() => Task.FromResult(h.Health($"u{Serial}").EventsCollected == 1));
        Assert.Equal(0u, board.HostIndex);
        Assert.Equal([$"1 1 granted {Access.Uid}"], (await EventsAsync(h)).Select(e => $"{e.BootId} {e.Sequence} {e.Decision} {e.CardUid}"));

        // The walk reads the same event (it stays the record and acknowledges): nothing stored twice.
        h.Engine.RequestEvents();
        await h.ServeUntilAsync(() => Task.FromResult(board.HostIndex == 1));
        Assert.Single(await EventsAsync(h));

        // A lost card's refusal: stored and alarmed from the push; the walk then adds neither a row nor an alarm.
        var lost = h.Store.Change(1, Access with { State = CardState.Lost, StateSinceUtc = DateTimeOffset.UtcNow });
        await h.ServeUntilAsync(() => Task.FromResult(h.Health($"u{Serial}").AppliedSequence == lost));
        Assert.False(board.Present(1, Number).Event.Granted);
        await h.ServeUntilAsync(async () => (await h.AlarmsAsync(AlarmKind.BlockedCard)).Count == 1);
        Assert.Equal(1u, board.HostIndex);
        h.Engine.RequestEvents();
        await h.ServeUntilAsync(() => Task.FromResult(board.HostIndex == 2));

        // And a push that comes after the walk read its event (late, or sent twice) is dropped.
        ((BoardAdapter)((ControllerSession)h.Session($"u{Serial}")).Adapter).Push(new UhppotePushedEvent(Serial, listener, board.Status()));
        await h.ServeAsync();
        Assert.Equal(2, (await EventsAsync(h)).Count);
        Assert.Single(await h.AlarmsAsync(AlarmKind.BlockedCard));
        Assert.Equal(2, h.Health($"u{Serial}").EventsCollected);
        Assert.Empty(await h.AlarmsAsync(AlarmKind.Drift));

        // Another program takes the board's listener: Gateway takes it back at the next clock reading, with a drift alarm.
        await using (var client = new UhppoteController(h.Uhppote.Endpoint, Serial))
        {
            await client.SetListenerAsync(IPEndPoint.Parse("127.0.0.1:9"));
        }

        h.Session($"u{Serial}").RequestClock();
        await h.ServeUntilAsync(() => Task.FromResult(listener.Equals(board.Listener)));
        Assert.Equal($"settings of u{Serial} differed: listener 127.0.0.1:9 (configured {listener}); they were set", Assert.Single(await h.AlarmsAsync(AlarmKind.Drift)).Message);
    }

    private static async Task<IReadOnlyList<Gateway.Service.Events.ControllerEventView>> EventsAsync(SyncHarness h, int limit = 100) =>
        (await h.Events.ListAsync(new Gateway.Service.Events.EventFilter(ControllerId: $"u{Serial}"), new Gateway.Service.Storage.PageRequest(limit, 0), CancellationToken.None)).Items;

    [Fact]
    public void For_CarParkPeriod_InclusiveLastDayIsPaidEndPlusGraceMinusOneDay()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        var rules = new WhitelistRules(new Gateway.Service.Domain.Parking.ParkingRules(zone, 3, false), TimeSpan.FromDays(90), TimeSpan.FromDays(30));
        var card = SyncHarness.Card(5, "04E1E2E3", CardState.Issued, "parking") with { ParkingPeriods = [new Gateway.Service.Domain.Parking.PaidPeriod(1, new DateOnly(2026, 11, 1), 1, 0, new DateOnly(2026, 11, 1), new DateOnly(2026, 12, 1))] };
        var board = new UhppoteBoardOptions(new UhppoteEndpoint("192.0.2.1"), Serial, [new UhppoteDoorOptions(1, "car-park", 1, "in", ReaderFormat.Default), new UhppoteDoorOptions(2, "car-park", 1, "out", ReaderFormat.Default)], null);

        var (records, collisions) = BoardCards.For(board, [card], rules, new DateTimeOffset(2026, 11, 15, 0, 0, 0, TimeSpan.Zero));

        var record = Assert.Single(records.Values);
        Assert.Empty(collisions);
        Assert.Equal(new DateOnly(2026, 11, 1), record.From);
        Assert.Equal(new DateOnly(2026, 12, 3), record.To);
        Assert.Equal([1, 2], record.Doors.Doors);
    }
}
