using System.Net;
using Gateway.Drivers.Barriers;
using Gateway.Drivers.Uhppote;
using Gateway.Drivers.Uhppote.Codec;
using Gateway.Simulators.Uhppote;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Simulators.Tests.Uhppote;

/// <summary>One simulated board's answers and decisions, with a fake clock.</summary>
public sealed class SimulatedUhppoteBoardTests
{
    private const uint Serial = 405419896;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 15, 2, 0, 0, TimeSpan.Zero));
    private readonly SimulatedUhppoteBoard _board;

    public SimulatedUhppoteBoardTests()
    {
        _board = new SimulatedUhppoteBoard(Serial, new SimulatedUhppoteOptions { Doors = 2, CardCapacity = 3, EventCapacity = 8 }, _time);
        _board.SetClock(new DateTime(2025, 6, 15, 10, 0, 0));
    }

    private T Ask<T>(UhppoteRequest request)
        where T : UhppoteResponse => Assert.IsType<T>(_board.Handle(request));

    private bool Put(uint card, string from, string to, params int[] doors) =>
        Ask<AckResponse>(new PutCardRequest(Serial, card, DateOnly.Parse(from, System.Globalization.CultureInfo.InvariantCulture), DateOnly.Parse(to, System.Globalization.CultureInfo.InvariantCulture), DoorPermissions.Of(doors))).Ok;

    [Fact]
    public void Present_DecidesByItsClockWindowAndDoor()
    {
        Assert.True(Put(1, "2025-06-15", "2025-06-15", 1));
        Assert.True(Put(2, "2025-06-16", "2025-12-31", 1));
        Assert.True(Put(3, "2025-01-01", "2025-06-14", 1, 2));

        Assert.Equal("granted", _board.Present(1, 1).Explanation);
        Assert.Equal("no-door-permission", _board.Present(2, 1).Explanation);
        Assert.Equal("not-yet-valid", _board.Present(1, 2).Explanation);
        Assert.Equal("expired", _board.Present(2, 3).Explanation);
        Assert.Equal("unknown", _board.Present(1, 99).Explanation);

        var events = _board.Events(1, 10);
        Assert.Equal([1u, 2u, 3u, 4u, 5u], events.Select(e => e.Index));
        Assert.True(events[0].Granted);
        Assert.Equal(UhppoteEventReason.Swipe, events[0].Reason);
        Assert.All(events.Skip(1), e => Assert.Equal((false, UhppoteEventReason.DeniedNoPrivilege, UhppoteEventType.Swipe), (e.Granted, e.Reason, e.Type)));
        Assert.Equal(new DateTime(2025, 6, 15, 10, 0, 0), events[0].Timestamp);

        // To-date is inclusive to its last second; the next local day it is refused.
        _board.SetClock(new DateTime(2025, 6, 15, 23, 59, 59));
        Assert.True(_board.Decide(1, 1).Granted);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal((false, "expired"), _board.Decide(1, 1));
        Assert.Equal(5u, _board.LastIndex); // Decide logs nothing
    }

    [Fact]
    public void Present_NormallyClosedDoor_Refused_TimeProfileRefused()
    {
        Put(1, "2025-01-01", "2025-12-31", 1, 2);
        Ask<DoorControlResponse>(new SetDoorControlRequest(Serial, 2, DoorControlMode.NormallyClosed, 3));
        Assert.Equal("door-normally-closed", _board.Present(2, 1).Explanation);
        Assert.Equal(UhppoteEventReason.DeniedDoorNormallyClosed, _board.Events(1, 1)[0].Reason);

        Ask<AckResponse>(new PutCardRequest(Serial, 4, new DateOnly(2025, 1, 1), new DateOnly(2025, 12, 31), new DoorPermissions(29, 0, 0, 0)));
        Assert.Equal("time-profile", _board.Present(1, 4).Explanation);
    }

    [Fact]
    public void Present_ByUid_ThroughTheDoorsReaderFormat()
    {
        Put(10058400, "2025-01-01", "2025-12-31", 1, 2);
        var uid = CardUid.Parse("0464E420");
        Assert.Equal(0x0464E420u, _board.CardNumberOf(1, uid));
        _board.SetReader(2, ReaderFormat.Parse("w26"));
        Assert.Equal(10058400u, _board.CardNumberOf(2, uid));
        Assert.True(_board.Present(2, _board.CardNumberOf(2, uid)).Event.Granted);
        Assert.Throws<ArgumentOutOfRangeException>(() => _board.Present(3, 1));
    }

    [Fact]
    public void Granted_ReleasesTheLockForItsOpenTime()
    {
        Put(1, "2025-01-01", "2025-12-31", 1);
        _board.Present(1, 1);
        Assert.True(_board.Status().IsDoorUnlocked(1));
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.False(_board.Status().IsDoorUnlocked(1));
    }

    [Fact]
    public void OtherSerial_Silence_ButSerialZeroGetController_Answered()
    {
        Assert.Null(_board.Handle(new GetTimeRequest(Serial + 1)));
        Assert.Null(_board.Handle(new GetTimeRequest(0)));
        Assert.Equal(Serial, Ask<GetControllerResponse>(new GetControllerRequest(0)).Controller);
        Assert.Null(_board.Handle(new OpenDoorRequest(Serial, 3))); // a 2-door board has no door 3
        Assert.Null(_board.Handle(new DeleteAllCardsRequest(Serial, 0x12345678))); // no magic word
        Assert.Null(_board.Handle(new SetEventIndexRequest(Serial, 1, 0)));
    }

    [Fact]
    public void CardTable_UnknownCardIsCardZero_DeletedSlotIsFFFFFFFF_FullTableRefuses()
    {
        Assert.Equal(CardRecordResponse.NoCard, Ask<CardRecordResponse>(new GetCardRequest(Serial, 77)).Card);
        Assert.True(Put(1, "2025-01-01", "2025-12-31", 1));
        Assert.True(Put(2, "2025-01-01", "2025-12-31", 1));
        Assert.True(Put(3, "2025-01-01", "2025-12-31", 1));
        Assert.False(Put(4, "2025-01-01", "2025-12-31", 1));
        Assert.True(Put(3, "2025-02-01", "2025-12-31", 2)); // a replacement needs no free slot

        Assert.True(Ask<AckResponse>(new DeleteCardRequest(Serial, 2)).Ok);
        Assert.Equal(CardRecordResponse.DeletedCard, Ask<CardRecordResponse>(new GetCardByIndexRequest(Serial, 2)).Card);
        Assert.Equal(CardRecordResponse.NoCard, Ask<CardRecordResponse>(new GetCardByIndexRequest(Serial, 4)).Card);
        Assert.Equal(2u, Ask<ValueResponse>(new GetCardsRequest(Serial)).Value);
        Assert.True(Put(4, "2025-01-01", "2025-12-31", 1));
        Assert.Equal(4u, Ask<CardRecordResponse>(new GetCardByIndexRequest(Serial, 2)).Card);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(0xFFFFFFFFu)]
    [InlineData(0x00FFFFFFu)]
    public void PutCard_ReservedNumbersAndMissingDates_Refused(uint number)
    {
        Assert.False(Ask<AckResponse>(new PutCardRequest(Serial, number, new DateOnly(2025, 1, 1), new DateOnly(2025, 1, 2), DoorPermissions.Of([1]))).Ok);
        Assert.False(Ask<AckResponse>(new PutCardRequest(Serial, 5, null, new DateOnly(2025, 1, 2), DoorPermissions.Of([1]))).Ok);
        Assert.Equal(0, _board.CardCount);
    }

    [Fact]
    public void EventLog_OverwritesTheOldest_IndexZeroAndMaxAskOldestAndNewest()
    {
        Assert.Equal(0u, Ask<EventResponse>(new GetEventRequest(Serial, 1)).Index);
        _board.Flood(10); // capacity 8: 1 and 2 overwritten
        Assert.Equal(UhppoteEventType.Overwritten, Ask<EventResponse>(new GetEventRequest(Serial, 2)).Type);
        Assert.Equal(3u, Ask<EventResponse>(new GetEventRequest(Serial, 3)).Index);
        Assert.Equal(0u, Ask<EventResponse>(new GetEventRequest(Serial, 11)).Index);
        Assert.Equal(3u, Ask<EventResponse>(new GetEventRequest(Serial, 0)).Index);
        Assert.Equal(10u, Ask<EventResponse>(new GetEventRequest(Serial, uint.MaxValue)).Index);
        Assert.Equal((3u, 10u), (_board.FirstIndex, _board.LastIndex));
    }

    [Fact]
    public void SetEventIndex_OnlyWithinTheLog_AndChangedOnlyOnce()
    {
        _board.Flood(3);
        Assert.True(Ask<AckResponse>(new SetEventIndexRequest(Serial, 2)).Ok);
        Assert.False(Ask<AckResponse>(new SetEventIndexRequest(Serial, 2)).Ok);
        Assert.False(Ask<AckResponse>(new SetEventIndexRequest(Serial, 9)).Ok);
        Assert.Equal(2u, Ask<ValueResponse>(new GetEventIndexRequest(Serial)).Value);
    }

    [Fact]
    public void SetTime_MovesTheBoardsClock_GetTimeFollowsTheFakeClock()
    {
        Assert.Equal(new DateTime(2030, 1, 2, 3, 4, 5), Ask<TimeResponse>(new SetTimeRequest(Serial, new DateTime(2030, 1, 2, 3, 4, 5))).Time);
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(new DateTime(2030, 1, 2, 3, 5, 6), Ask<TimeResponse>(new GetTimeRequest(Serial)).Time);
    }

    [Fact]
    public void Listener_SetAndRead_EventLoggedRaised()
    {
        Assert.True(Ask<AckResponse>(new SetListenerRequest(Serial, IPEndPoint.Parse("192.168.1.100:60001"), 15)).Ok);
        Assert.Equal(new ListenerResponse(Serial, IPEndPoint.Parse("192.168.1.100:60001"), 15), Ask<ListenerResponse>(new GetListenerRequest(Serial)));
        var raised = new List<UhppoteEvent>();
        _board.EventLogged += (_, e) => raised.Add(e);
        Ask<AckResponse>(new OpenDoorRequest(Serial, 2));
        Assert.Equal((UhppoteEventReason.RemoteOpenDoor, (byte)2), (Assert.Single(raised).Reason, raised[0].Door));
    }

    [Fact]
    public void Reboot_EraseEvents_RestartsTheLog_PowerOnLoggedWhenSpecialEventsRecorded()
    {
        _board.Flood(3);
        Ask<AckResponse>(new SetEventIndexRequest(Serial, 3));
        Ask<AckResponse>(new RecordSpecialEventsRequest(Serial, true));
        _board.Reboot(eraseEvents: true, eraseCards: false);
        Assert.Equal((1u, 0u), (_board.LastIndex, _board.HostIndex));
        Assert.Equal(UhppoteEventReason.ControllerPowerOn, _board.Events(1, 1)[0].Reason);
    }

    [Fact]
    public void Snapshot_RestoresCardsDeletedSlotsEventsAndSettings()
    {
        Put(1, "2025-01-01", "2025-12-31", 1);
        Put(2, "2025-01-01", "2025-12-31", 2);
        Ask<AckResponse>(new DeleteCardRequest(Serial, 1));
        _board.Flood(10);
        Ask<AckResponse>(new SetEventIndexRequest(Serial, 5));
        Ask<AckResponse>(new SetListenerRequest(Serial, IPEndPoint.Parse("10.0.0.5:60001")));
        Ask<DoorControlResponse>(new SetDoorControlRequest(Serial, 2, DoorControlMode.NormallyOpen, 7));
        _board.SetReader(1, ReaderFormat.Parse("w26-lsb"));

        var copy = new SimulatedUhppoteBoard(Serial, _board.Options, _time, _board.Snapshot());
        Assert.Equal(_board.Cards(), copy.Cards());
        Assert.Equal(2, copy.SlotCount);
        Assert.Equal(CardRecordResponse.DeletedCard, ((CardRecordResponse)copy.Handle(new GetCardByIndexRequest(Serial, 1))!).Card);
        Assert.Equal((3u, 10u, 5u), (copy.FirstIndex, copy.LastIndex, copy.HostIndex));
        Assert.Equal(_board.Events(0, 10), copy.Events(0, 10));
        Assert.Equal(IPEndPoint.Parse("10.0.0.5:60001"), copy.Listener);
        Assert.Equal(_board.DoorStates(), copy.DoorStates());
        Assert.Equal(_board.Now, copy.Now);
    }
}
