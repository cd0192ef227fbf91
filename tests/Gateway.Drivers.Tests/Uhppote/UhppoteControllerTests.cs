using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gateway.Drivers.Uhppote;
using Gateway.Simulators.Uhppote;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Drivers.Tests.Uhppote;

/// <summary>
/// <see cref="UhppoteController"/> against the simulator over real UDP on loopback (port 0), with the
/// simulator's faults: lost, late, duplicated and foreign replies.
/// </summary>
public sealed class UhppoteControllerTests : IAsyncLifetime
{
    private const uint Serial = 405419896;
    private const uint OtherSerial = 303986753;
    private static readonly UhppoteControllerOptions Fast = new() { Timeout = TimeSpan.FromSeconds(1), RetryInterval = TimeSpan.FromMilliseconds(200) };
    private UhppoteSimulator _sim = null!;
    private UhppoteController _board = null!;

    public async Task InitializeAsync()
    {
        _sim = await UhppoteSimulator.StartAsync(new UhppoteSimulatorSettings
        {
            Controllers = [Serial, OtherSerial],
            Board = new SimulatedUhppoteOptions { CardCapacity = 5, EventCapacity = 8 },
        });
        _board = new UhppoteController(_sim.Endpoint, Serial, Fast);
    }

    public async Task DisposeAsync()
    {
        await _board.DisposeAsync();
        await _sim.DisposeAsync();
    }

    private SimulatedUhppoteBoard Sim => _sim.Boards[Serial];

    private static UhppoteCard Card(uint number, params int[] doors) => new(number, new DateOnly(2024, 1, 1), new DateOnly(2030, 12, 31), DoorPermissions.Of(doors));

    [Fact]
    public async Task Cards_PutGetDeleteAndWalk_DeletedSlotsSkippedAndReused()
    {
        await _board.PutCardAsync(Card(10058400, 1, 2));
        await _board.PutCardAsync(Card(10058401, 1) with { Pin = 7531 });
        await _board.PutCardAsync(Card(10058402, 3));
        Assert.Equal(3, await _board.GetCardCountAsync());
        Assert.Equal(Card(10058401, 1) with { Pin = 7531 }, await _board.GetCardAsync(10058401));

        Assert.True(await _board.DeleteCardAsync(10058401));
        Assert.False(await _board.DeleteCardAsync(10058401));
        Assert.Null(await _board.GetCardAsync(10058401));
        Assert.Equal(UhppoteCardSlotKind.Deleted, (await _board.GetCardByIndexAsync(2)).Kind);
        Assert.Equal(UhppoteCardSlotKind.End, (await _board.GetCardByIndexAsync(4)).Kind);
        Assert.Equal([10058400u, 10058402u], await WalkAsync());

        await _board.PutCardAsync(Card(20000000, 4));
        var reused = await _board.GetCardByIndexAsync(2);
        Assert.Equal((UhppoteCardSlotKind.Card, 20000000u), (reused.Kind, reused.Card!.Number));

        await _board.PutCardAsync(Card(10058400, 4));
        Assert.Equal(DoorPermissions.Of([4]), (await _board.GetCardAsync(10058400))!.Doors);
        Assert.Equal(3, await _board.GetCardCountAsync());

        await _board.DeleteAllCardsAsync();
        Assert.Equal(0, await _board.GetCardCountAsync());
        Assert.Empty(await WalkAsync());
    }

    [Fact]
    public async Task PutCard_TableFull_IsRefused_NamingTheBoard()
    {
        for (uint n = 1; n <= 5; n++)
        {
            await _board.PutCardAsync(Card(n, 1));
        }

        var ex = await Assert.ThrowsAsync<UhppoteRefusedException>(() => _board.PutCardAsync(Card(6, 1)));
        Assert.Equal("put-card", ex.Operation);
        Assert.Equal($"udp://{_sim.Endpoint}#{Serial}", ex.Device);
        Assert.Null(Sim.Card(6));
    }

    [Fact]
    public async Task PutCard_NotStorable_RefusedBeforeAnythingIsSent()
    {
        var received = _sim.Statistics.Received;
        await Assert.ThrowsAsync<ArgumentException>(() => _board.PutCardAsync(Card(0x00FFFFFF, 1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _board.SetTimeAsync(new DateTime(2100, 1, 1)));
        Assert.Equal(received, _sim.Statistics.Received);
    }

    [Fact]
    public async Task Clock_SetAndRead()
    {
        var set = await _board.SetTimeAsync(new DateTime(2031, 3, 4, 5, 6, 7, 890));
        Assert.Equal(new DateTime(2031, 3, 4, 5, 6, 7), set);
        var read = await _board.GetTimeAsync();
        Assert.InRange(read - set, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Equal(read.Date, (await _board.GetStatusAsync()).SystemTime!.Value.Date);
    }

    [Fact]
    public async Task Events_Found_NotYet_Overwritten_AndTheHostIndex()
    {
        Sim.Present(1, 111);
        Sim.Present(2, 222, UhppoteDirection.Out);
        var first = await _board.GetEventAsync(1);
        Assert.Equal((UhppoteEventLookupKind.Found, 111u, (byte)1, UhppoteDirection.In), (first.Kind, first.Event!.Card, first.Event.Door, first.Event.Direction));
        Assert.Equal(UhppoteEventLookupKind.NotYet, (await _board.GetEventAsync(3)).Kind);
        Assert.Equal(222u, (await _board.GetStatusAsync()).LastEvent!.Card);

        Assert.True(await _board.SetEventIndexAsync(2));
        Assert.False(await _board.SetEventIndexAsync(2));
        Assert.Equal(2u, await _board.GetEventIndexAsync());

        Sim.Flood(10); // capacity 8: events 1-4 are overwritten
        Assert.Equal(new UhppoteEventLookup(1, UhppoteEventLookupKind.Overwritten, null), await _board.GetEventAsync(1));
        Assert.Equal(UhppoteEventLookupKind.Overwritten, (await _board.GetEventAsync(4)).Kind);
        Assert.Equal(5u, (await _board.GetEventAsync(5)).Event!.Index);
        Assert.Equal(12u, (await _board.GetEventAsync(12)).Event!.Index);
        Assert.Equal(UhppoteEventLookupKind.NotYet, (await _board.GetEventAsync(13)).Kind);

        // A reset: the log starts again from 1, below what the host stored.
        Sim.Reboot(eraseEvents: true, eraseCards: false);
        Assert.Equal(0u, await _board.GetEventIndexAsync());
        Sim.Present(1, 333);
        Assert.Equal((1u, 333u), ((await _board.GetEventAsync(1)).Event!.Index, (await _board.GetEventAsync(1)).Event!.Card));
    }

    [Fact]
    public async Task Doors_ControlAndOpen()
    {
        Assert.Equal(new UhppoteDoorControl(2, DoorControlMode.Controlled, 3), await _board.GetDoorControlAsync(2));
        Assert.Equal(new UhppoteDoorControl(2, DoorControlMode.NormallyClosed, 9), await _board.SetDoorControlAsync(2, DoorControlMode.NormallyClosed, 9));
        Assert.Equal(new UhppoteDoorControl(2, DoorControlMode.NormallyClosed, 9), await _board.GetDoorControlAsync(2));

        await _board.OpenDoorAsync(3);
        var status = await _board.GetStatusAsync();
        Assert.True(status.IsDoorUnlocked(3));
        Assert.Equal((UhppoteEventType.Door, UhppoteEventReason.RemoteOpenDoor, (byte)3), (status.LastEvent!.Type, status.LastEvent.Reason, status.LastEvent.Door));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _board.OpenDoorAsync(5));
    }

    [Fact]
    public async Task AntiPassback_SetAndRead_BoardRefusesTheSameSideTwiceUntilTheOtherIsPassed()
    {
        Assert.Equal(UhppoteAntiPassback.Disabled, await _board.GetAntiPassbackAsync());
        await _board.PutCardAsync(Card(10058400, 1, 2, 3, 4));
        Assert.True(Sim.Present(1, 10058400).Event.Granted);
        Assert.True(Sim.Present(1, 10058400).Event.Granted);

        // 1:2;3:4: in at door 1, then door 1 again is refused (reason 8) until the card went out at door 2.
        await _board.SetAntiPassbackAsync(UhppoteAntiPassback.Doors12And34);
        Assert.Equal(UhppoteAntiPassback.Doors12And34, await _board.GetAntiPassbackAsync());
        Assert.True(Sim.Present(1, 10058400).Event.Granted);
        var again = Sim.Present(1, 10058400);
        Assert.Equal((false, UhppoteEventReason.DeniedAntiPassback, "anti-passback"), (again.Event.Granted, again.Event.Reason, again.Explanation));
        Assert.False(Sim.Decide(1, 10058400).Granted);
        Assert.True(Sim.Present(3, 10058400).Event.Granted); // the other pair is its own
        Assert.True(Sim.Present(2, 10058400).Event.Granted);
        Assert.True(Sim.Present(1, 10058400).Event.Granted);

        // 1:2,3,4: doors 2-4 are one side.
        await _board.SetAntiPassbackAsync(UhppoteAntiPassback.Door1To234);
        Assert.True(Sim.Present(4, 10058400).Event.Granted);
        Assert.False(Sim.Present(2, 10058400).Event.Granted);
        Assert.True(Sim.Present(1, 10058400).Event.Granted);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _board.SetAntiPassbackAsync((UhppoteAntiPassback)5));
    }

    [Theory]
    [InlineData("off", UhppoteAntiPassback.Disabled)]
    [InlineData("(1:2);(3:4)", UhppoteAntiPassback.Doors12And34)]
    [InlineData("1,3:2,4", UhppoteAntiPassback.Doors13To24)]
    [InlineData("1:(2,3)", UhppoteAntiPassback.Door1To23)]
    [InlineData("1:2,3,4", UhppoteAntiPassback.Door1To234)]
    public void AntiPassbackModes_ParseAsUhppotedWritesThem(string text, UhppoteAntiPassback mode)
    {
        Assert.True(UhppoteAntiPassbackModes.TryParse(text, out var parsed));
        Assert.Equal(mode, parsed);
        Assert.True(UhppoteAntiPassbackModes.TryParse(UhppoteAntiPassbackModes.ToText(mode), out var again));
        Assert.Equal(mode, again);
        Assert.False(UhppoteAntiPassbackModes.TryParse("on", out _));
    }

    [Fact]
    public async Task Listener_BoardPushesEachEvent()
    {
        await using var listener = UhppoteEventListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        await _board.SetListenerAsync(listener.LocalEndPoint);
        Assert.Equal(new UhppoteListener(listener.LocalEndPoint, 0), await _board.GetListenerAsync());
        await _board.RecordSpecialEventsAsync(true);
        Assert.True(Sim.RecordSpecialEvents);

        Sim.Present(2, 10058400);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var pushed = await listener.ReadAsync(wait.Token);
        Assert.Equal((Serial, 10058400u, (byte)2, false), (pushed.Controller, pushed.Status.LastEvent!.Card, pushed.Status.LastEvent.Door, pushed.Status.LastEvent.Granted));
        Assert.Equal(_sim.Endpoint, pushed.From);
    }

    [Fact]
    public async Task Discovery_FindsEveryBoardBehindTheAddress()
    {
        // Discovery listens for a window of time by definition; 2 s rather than the 500 ms a site would
        // use, because a board of the in-process simulator answered later than 500 ms once while the
        // test ran beside 140 others on 2 busy cores.
        var found = await UhppoteDiscovery.FindAsync(_sim.Endpoint, TimeSpan.FromSeconds(2));
        Assert.Equal([OtherSerial, Serial], found.Select(f => f.Controller));
        Assert.Equal("8.92", found[0].Version);
    }

    [Fact]
    public async Task DroppedReply_IsSentAgain_AndAnswered()
    {
        _sim.InjectFaults(Serial, new UhppoteFault(UhppoteFaultKind.Drop), 2);
        var received = _sim.Statistics.Received;
        await _board.PutCardAsync(Card(42, 1));
        Assert.InRange(_sim.Statistics.Received - received, 3, 5); // two resends, more only on a very slow machine
        Assert.NotNull(Sim.Card(42));
    }

    [Fact]
    public async Task LateReply_ToAnEarlierRequest_IsNeverTakenForALaterOne()
    {
        await _board.PutCardAsync(Card(1001, 1));
        var sent = _sim.Statistics.Sent;

        // get-card 1001: the first reply is held back; the resend is answered.
        _sim.InjectFaults(Serial, new UhppoteFault(UhppoteFaultKind.Hold), 1);
        Assert.Equal(1001u, (await _board.GetCardAsync(1001))!.Number);

        // get-card 1002 (not held): once its first request has reached the board, 1001's late reply is
        // let go (and 1002's own held reply with it when the board has already taken that request);
        // otherwise 1002's resend is answered and its held reply let go after.
        var received = _sim.Statistics.Received;
        _sim.InjectFaults(Serial, new UhppoteFault(UhppoteFaultKind.Hold), 1);
        var get1002 = _board.GetCardAsync(1002);
        await WaitUntilAsync(() => _sim.Statistics.Received > received);
        var released = _sim.ReleaseHeld();
        Assert.InRange(released, 1, 2);
        Assert.Null(await get1002);

        // Both late replies were sent, the replies to the resends too (a resend more, and its reply,
        // only on a very slow machine).
        Assert.Equal(2, released + _sim.ReleaseHeld());
        Assert.Equal(2, _sim.Statistics.Faulted);
        Assert.InRange(_sim.Statistics.Sent - sent, 3, 6);
    }

    [Fact]
    public async Task DuplicatedReply_DoesNotReachTheNextRequest()
    {
        await _board.PutCardAsync(Card(1001, 1));
        _sim.InjectFaults(Serial, new UhppoteFault(UhppoteFaultKind.Duplicate), 1);
        Assert.Equal(1001u, (await _board.GetCardAsync(1001))!.Number);
        Assert.Null(await _board.GetCardAsync(1002));
        Assert.Equal(1001u, (await _board.GetCardAsync(1001))!.Number);
    }

    [Theory]
    [InlineData(UhppoteFaultKind.Foreign)]
    [InlineData(UhppoteFaultKind.Garbage)]
    public async Task ForeignOrMalformedDatagram_IsIgnored(UhppoteFaultKind kind)
    {
        await _board.PutCardAsync(Card(1001, 2));
        _sim.InjectFaults(Serial, new UhppoteFault(kind), 1);
        Assert.Equal(1001u, (await _board.GetCardAsync(1001))!.Number);

        // The odd datagram went out first, then the reply; only the reply was taken (an impostor alone
        // is never taken: OnlyAnotherBoardAnswers_WrongController_NamingBoth).
        Assert.Equal(1, _sim.Statistics.Faulted);
    }

    [Fact]
    public async Task OnlyAnotherBoardAnswers_WrongController_NamingBoth()
    {
        _sim.InjectFaults(Serial, new UhppoteFault(UhppoteFaultKind.Impostor), 100);
        var ex = await Assert.ThrowsAsync<UhppoteWrongControllerException>(() => _board.GetTimeAsync());
        Assert.Equal((Serial, Serial + 1), (ex.Expected, ex.Answered));
        Assert.Contains($"controller {Serial + 1} answered instead", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoReply_TimesOutAfterResends_NamingTheBoard()
    {
        // On the controller's own clock, so that the count of resends does not depend on how busy the
        // machine is: a request at 0 ms and a resend every 200 ms until the 1 s deadline.
        var clock = new FakeTimeProvider();
        await using var nobody = new UhppoteController(_sim.Endpoint, 12345, Fast with { TimeProvider = clock });
        var received = _sim.Statistics.Received;
        var request = nobody.GetTimeAsync();
        for (var sends = 1; sends <= 5; sends++)
        {
            await WaitUntilAsync(() => _sim.Statistics.Received - received == sends);
            Assert.False(request.IsCompleted, $"gave up after {sends} sends, {200 * (sends - 1)} ms on its clock");
            clock.Advance(TimeSpan.FromMilliseconds(200));
        }

        var ex = await Assert.ThrowsAsync<DeviceTimeoutException>(() => request);
        Assert.Equal($"udp://{_sim.Endpoint}#12345", ex.Device);
        // At 1 s the resend timer and the deadline fall due together: a sixth send may start before the
        // deadline ends the exchange, never a seventh, and none once it has ended.
        await Task.Delay(100);
        Assert.InRange(_sim.Statistics.Received - received, 5, 6);
    }

    [LinuxFact]
    public async Task NothingListening_IsAConnectionError()
    {
        int port;
        using (var closed = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)closed.LocalEndPoint!).Port;
        }

        await using var board = new UhppoteController(new IPEndPoint(IPAddress.Loopback, port), Serial, Fast);
        var ex = await Assert.ThrowsAsync<DeviceConnectionException>(() => board.GetTimeAsync());
        Assert.Contains("port unreachable", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_PassesThrough_NotATimeout()
    {
        _sim.InjectFaults(Serial, new UhppoteFault(UhppoteFaultKind.Drop), 100);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _board.GetTimeAsync(cancel.Token));
        Assert.Equal(cancel.Token, ex.CancellationToken);
    }

    [Fact]
    public async Task ConcurrentCallers_OneRequestInFlight_EachGetsItsOwnAnswer()
    {
        for (uint n = 1; n <= 5; n++)
        {
            await _board.PutCardAsync(Card(n, 1));
        }

        Sim.ProcessingTime = TimeSpan.FromMilliseconds(5);
        var answers = await Task.WhenAll(Enumerable.Range(1, 20).Select(i => _board.GetCardAsync((uint)i)));
        for (var i = 1; i <= 20; i++)
        {
            Assert.Equal(i <= 5 ? (uint?)i : null, answers[i - 1]?.Number);
        }

        Assert.Equal(1, _sim.Statistics.MaxQueueDepth);
    }

    private async Task<List<uint>> WalkAsync()
    {
        var numbers = new List<uint>();
        await foreach (var card in _board.ReadCardsAsync())
        {
            numbers.Add(card.Number);
        }

        return numbers;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), "condition not met within 10 s");
            await Task.Delay(20);
        }
    }
}
