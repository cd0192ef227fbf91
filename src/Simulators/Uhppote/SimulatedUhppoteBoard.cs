using System.Net;
using System.Net.NetworkInformation;
using Gateway.Drivers.Uhppote;
using Gateway.Drivers.Uhppote.Codec;

namespace Gateway.Simulators.Uhppote;
/// <summary>
/// One simulated UHPPOTE / WG board (docs/uhppote.md, "Simulator"), after the behaviour uhppoted's
/// uhppote-simulator implements and the replies recorded from real boards: a card table with deleted
/// slots (<see cref="SimulatedCardTable"/>), an event log that overwrites its oldest events and the host's
/// event index (<see cref="SimulatedEventRing"/>), a clock of its own, decisions at the door by that clock,
/// the card's date window, door permission and anti-passback (<see cref="SimulatedAntiPassback"/>), and a
/// listener it pushes events to. Pure: no I/O; time from <see cref="TimeProvider"/>. Thread-safe: one lock
/// guards the board and its parts.
/// </summary>
public sealed class SimulatedUhppoteBoard
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly SimulatedCardTable _cards;
    private readonly SimulatedEventRing _events;
    private readonly SimulatedAntiPassback _antiPassback = new();
    private readonly Door[] _doors;
    private TimeSpan _clockOffset;
    private IPEndPoint _listener = new(IPAddress.Any, 0);
    private byte _listenerInterval;
    private bool _recordSpecialEvents;
    private long _revision;

    public SimulatedUhppoteBoard(uint serial, SimulatedUhppoteOptions? options = null, TimeProvider? time = null, UhppoteBoardSnapshot? restore = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(serial);
        Serial = serial;
        Options = options ?? new SimulatedUhppoteOptions();
        Options.Validate();
        ProcessingTime = Options.ProcessingTime;
        _time = time ?? TimeProvider.System;
        _cards = new SimulatedCardTable(Options.CardCapacity);
        _events = new SimulatedEventRing(Options.EventCapacity);
        _doors = [.. Enumerable.Range(1, Options.Doors).Select(_ => new Door { Reader = Options.ReaderFormat })];

        // A new board's clock shows the host's local time, as one set up by a PC would.
        _clockOffset = TimeZoneInfo.Local.GetUtcOffset(_time.GetUtcNow());
        if (restore is not null)
        {
            Restore(restore);
        }
    }

    public uint Serial { get; }

    public SimulatedUhppoteOptions Options { get; }

    /// <summary>Time the board takes over each packet (settable at run time).</summary>
    public TimeSpan ProcessingTime { get; set; }

    /// <summary>Raised (outside the board's lock) for every event logged, to push it to the listener.</summary>
    public event Action<SimulatedUhppoteBoard, UhppoteEvent>? EventLogged;

    /// <summary>Changes whenever something a state file keeps changed.</summary>
    public long Revision => Interlocked.Read(ref _revision);

    /// <summary>The board's clock: its local time.</summary>
    public DateTime Now
    {
        get
        {
            lock (_gate)
            {
                return LocalNow();
            }
        }
    }

    public int CardCount
    {
        get
        {
            lock (_gate)
            {
                return _cards.Count;
            }
        }
    }

    public uint LastIndex
    {
        get
        {
            lock (_gate)
            {
                return _events.LastIndex;
            }
        }
    }

    public uint HostIndex
    {
        get
        {
            lock (_gate)
            {
                return _events.HostIndex;
            }
        }
    }

    /// <summary>Index of the oldest event still held (0 when none).</summary>
    public uint FirstIndex
    {
        get
        {
            lock (_gate)
            {
                return _events.OldestIndex;
            }
        }
    }

    /// <summary>Where events are pushed (0.0.0.0:0: nowhere).</summary>
    public IPEndPoint Listener
    {
        get
        {
            lock (_gate)
            {
                return _listener;
            }
        }
    }

    public byte ListenerInterval
    {
        get
        {
            lock (_gate)
            {
                return _listenerInterval;
            }
        }
    }

    public bool RecordSpecialEvents
    {
        get
        {
            lock (_gate)
            {
                return _recordSpecialEvents;
            }
        }
    }

    /// <summary>The anti-passback mode set by set-anti-passback (off at first).</summary>
    public UhppoteAntiPassback AntiPassback
    {
        get
        {
            lock (_gate)
            {
                return _antiPassback.Mode;
            }
        }
    }

    /// <summary>
    /// The board's answer to <paramref name="request"/>, or null for silence (another serial number, a
    /// door it does not have, a missing magic word). get-controller with serial 0 is answered by every board.
    /// </summary>
    public UhppoteResponse? Handle(UhppoteRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Controller != Serial && !(request is GetControllerRequest && request.Controller == 0))
        {
            return null;
        }

        UhppoteEvent? logged = null;
        UhppoteResponse? response;
        lock (_gate)
        {
            response = request switch
            {
                GetControllerRequest => new GetControllerResponse(
                    Serial,
                    IPAddress.Loopback,
                    IPAddress.Parse("255.255.255.0"),
                    IPAddress.Any,
                    new PhysicalAddress([0x00, 0x66, (byte)(Serial >> 24), (byte)(Serial >> 16), (byte)(Serial >> 8), (byte)Serial]),
                    "8.92",
                    new DateOnly(2018, 11, 5)),
                GetTimeRequest => new TimeResponse(UhppoteFunction.GetTime, Serial, Seconds(LocalNow())),
                SetTimeRequest r => SetTime(r.Time),
                GetStatusRequest => new StatusResponse(Serial, StatusLocked()),
                GetDoorControlRequest r => DoorIndex(r.Door) is { } d
                    ? new DoorControlResponse(UhppoteFunction.GetDoorControl, Serial, new UhppoteDoorControl(r.Door, _doors[d].Mode, _doors[d].OpenSeconds))
                    : null,
                SetDoorControlRequest r => SetDoorControl(r),
                OpenDoorRequest r => OpenDoor(r.Door, out logged),
                GetCardsRequest => new ValueResponse(UhppoteFunction.GetCards, Serial, (uint)_cards.Count),
                GetCardRequest r => CardAnswer(UhppoteFunction.GetCard, _cards.Find(r.Card), deleted: false),
                GetCardByIndexRequest r => CardAtIndex(r.Index),
                PutCardRequest r => new AckResponse(UhppoteFunction.PutCard, Serial, PutCard(r)),
                DeleteCardRequest r => new AckResponse(UhppoteFunction.DeleteCard, Serial, Changed(_cards.Delete(r.Card))),
                DeleteAllCardsRequest r => r.Magic == UhppoteCodec.MagicWord ? new AckResponse(UhppoteFunction.DeleteAllCards, Serial, DeleteAllCards()) : null,
                GetEventRequest r => _events.Read(Serial, r.Index),
                GetEventIndexRequest => new ValueResponse(UhppoteFunction.GetEventIndex, Serial, _events.HostIndex),
                SetEventIndexRequest r => r.Magic == UhppoteCodec.MagicWord ? new AckResponse(UhppoteFunction.SetEventIndex, Serial, Changed(_events.SetHostIndex(r.Index))) : null,
                GetListenerRequest => new ListenerResponse(Serial, _listener, _listenerInterval),
                SetListenerRequest r => new AckResponse(UhppoteFunction.SetListener, Serial, SetListener(r.Listener, r.IntervalSeconds)),
                RecordSpecialEventsRequest r => RecordSpecial(r.Enable),
                GetAntiPassbackRequest => new AntiPassbackResponse(Serial, _antiPassback.Mode),
                SetAntiPassbackRequest r => new AckResponse(UhppoteFunction.SetAntiPassback, Serial, Changed(_antiPassback.Set(r.Mode))),
                _ => null,
            };
        }

        if (logged is not null)
        {
            EventLogged?.Invoke(this, logged);
        }

        return response;
    }

    /// <summary>
    /// A card number read at door <paramref name="door"/>'s reader: the board decides by its clock, the
    /// card's date window and door permission, logs a swipe event and releases the lock when granted.
    /// Refusals carry reason 6, "no privilege", as real boards log an unknown card (docs/uhppote.md).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The board has no such door.</exception>
    public PresentOutcome Present(int door, uint card, UhppoteDirection direction = UhppoteDirection.In)
    {
        PresentOutcome outcome;
        lock (_gate)
        {
            var d = DoorIndex(door) ?? throw new ArgumentOutOfRangeException(nameof(door), door, $"the board has doors 1-{_doors.Length}");
            var (reason, explanation) = DecideLocked(d, card);
            var granted = reason == UhppoteEventReason.Swipe;
            if (granted)
            {
                Unlock(d);
                _antiPassback.Passed(card, door);
            }

            outcome = new PresentOutcome(Log(UhppoteEventType.Swipe, granted, (byte)door, direction, card, reason), explanation);
        }

        EventLogged?.Invoke(this, outcome.Event);
        return outcome;
    }

    /// <summary>What the board would decide for <paramref name="card"/> at <paramref name="door"/> now, logging nothing.</summary>
    public (bool Granted, string Explanation) Decide(int door, uint card)
    {
        lock (_gate)
        {
            var d = DoorIndex(door) ?? throw new ArgumentOutOfRangeException(nameof(door), door, $"the board has doors 1-{_doors.Length}");
            var (reason, explanation) = DecideLocked(d, card);
            return (reason == UhppoteEventReason.Swipe, explanation);
        }
    }

    /// <summary>The card number door <paramref name="door"/>'s reader outputs for a UID (no storability check: a reader outputs what it reads).</summary>
    public uint CardNumberOf(int door, Gateway.Drivers.Barriers.CardUid uid)
    {
        ReaderFormat format;
        lock (_gate)
        {
            format = _doors[DoorIndex(door) ?? throw new ArgumentOutOfRangeException(nameof(door), door, $"the board has doors 1-{_doors.Length}")].Reader;
        }

        CardNumbers.TryFromUid(uid, format, out var number, out _);
        return number;
    }

    /// <summary>Sets the clock to <paramref name="localTime"/>.</summary>
    public void SetClock(DateTime localTime)
    {
        lock (_gate)
        {
            _clockOffset = localTime - _time.GetUtcNow().UtcDateTime;
            Touch();
        }
    }

    /// <summary>Moves the clock by <paramref name="delta"/>.</summary>
    public void AdvanceClock(TimeSpan delta)
    {
        lock (_gate)
        {
            _clockOffset += delta;
            Touch();
        }
    }

    public void SetReader(int door, ReaderFormat format)
    {
        lock (_gate)
        {
            _doors[DoorIndex(door) ?? throw new ArgumentOutOfRangeException(nameof(door), door, $"the board has doors 1-{_doors.Length}")].Reader = format;
            Touch();
        }
    }

    /// <summary>
    /// A restart: locks relock; with <paramref name="eraseEvents"/> the log starts again from index 1 (as
    /// after a reset), with <paramref name="eraseCards"/> the card table is emptied. Logs "power on" when
    /// special events are recorded.
    /// </summary>
    public void Reboot(bool eraseEvents, bool eraseCards)
    {
        UhppoteEvent? logged = null;
        lock (_gate)
        {
            foreach (var door in _doors)
            {
                door.UnlockedUntil = DateTimeOffset.MinValue;
            }

            if (eraseEvents)
            {
                _events.Erase();
            }

            if (eraseCards)
            {
                DeleteAllCards();
            }

            if (_recordSpecialEvents)
            {
                logged = Log(UhppoteEventType.Door, true, 0, UhppoteDirection.In, 0, UhppoteEventReason.ControllerPowerOn);
            }

            Touch();
        }

        if (logged is not null)
        {
            EventLogged?.Invoke(this, logged);
        }
    }

    /// <summary>Logs <paramref name="count"/> refused swipes of unknown cards at door 1, so that the log overflows.</summary>
    public void Flood(int count)
    {
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                Log(UhppoteEventType.Swipe, false, 1, UhppoteDirection.In, 99_000_000u + (uint)(i % 1_000_000), UhppoteEventReason.DeniedNoPrivilege);
            }
        }
    }

    /// <summary>The live card records in table order.</summary>
    public IReadOnlyList<UhppoteCard> Cards()
    {
        lock (_gate)
        {
            return _cards.Live();
        }
    }

    /// <summary>Slots used so far, deleted ones included.</summary>
    public int SlotCount
    {
        get
        {
            lock (_gate)
            {
                return _cards.SlotCount;
            }
        }
    }

    /// <summary>The card record of <paramref name="number"/>, or null.</summary>
    public UhppoteCard? Card(uint number)
    {
        lock (_gate)
        {
            return _cards.Find(number);
        }
    }

    /// <summary>The events held with index from <paramref name="from"/>, at most <paramref name="count"/>.</summary>
    public IReadOnlyList<UhppoteEvent> Events(uint from, int count)
    {
        lock (_gate)
        {
            return _events.From(from, count);
        }
    }

    public IReadOnlyList<SimulatedDoorState> DoorStates()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            return [.. _doors.Select((d, i) => new SimulatedDoorState(i + 1, d.Mode, d.OpenSeconds, d.Reader.ToString(), IsUnlocked(d, now)))];
        }
    }

    public UhppoteStatus Status()
    {
        lock (_gate)
        {
            return StatusLocked();
        }
    }

    public UhppoteBoardSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new UhppoteBoardSnapshot(
                _cards.Slots(),
                _events.From(_events.OldestIndex, _events.Capacity),
                _events.LastIndex,
                _events.HostIndex,
                (long)_clockOffset.TotalSeconds,
                [.. _doors.Select((d, i) => new SimulatedDoorState(i + 1, d.Mode, d.OpenSeconds, d.Reader.ToString(), false))],
                _listener.Port == 0 ? null : _listener.ToString(),
                _listenerInterval,
                _recordSpecialEvents,
                _antiPassback.Mode);
        }
    }

    private void Restore(UhppoteBoardSnapshot s)
    {
        _cards.Restore(s.Slots);
        _events.Restore(s.Events, s.LastIndex, s.HostIndex);
        _clockOffset = TimeSpan.FromSeconds(s.ClockOffsetSeconds);
        foreach (var door in s.Doors.Where(d => d.Door >= 1 && d.Door <= _doors.Length))
        {
            var d = _doors[door.Door - 1];
            d.Mode = door.Mode;
            d.OpenSeconds = door.OpenSeconds;
            d.Reader = ReaderFormat.TryParse(door.Reader, out var format) ? format : Options.ReaderFormat;
        }

        _listener = s.Listener is { } text && IPEndPoint.TryParse(text, out var listener) ? listener : new IPEndPoint(IPAddress.Any, 0);
        _listenerInterval = s.ListenerInterval;
        _recordSpecialEvents = s.RecordSpecialEvents;
        _antiPassback.Restore(s.AntiPassback);
    }

    private DateTime LocalNow() => DateTime.SpecifyKind(_time.GetUtcNow().UtcDateTime + _clockOffset, DateTimeKind.Unspecified);

    private static DateTime Seconds(DateTime t) => new(t.Ticks - (t.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Unspecified);

    private int? DoorIndex(int door) => door >= 1 && door <= _doors.Length ? door - 1 : null;

    private void Touch() => Interlocked.Increment(ref _revision);

    private bool Changed(bool done)
    {
        if (done)
        {
            Touch();
        }

        return done;
    }

    private TimeResponse SetTime(DateTime time)
    {
        _clockOffset = time - _time.GetUtcNow().UtcDateTime;
        Touch();
        return new TimeResponse(UhppoteFunction.SetTime, Serial, Seconds(LocalNow()));
    }

    private DoorControlResponse? SetDoorControl(SetDoorControlRequest r)
    {
        if (DoorIndex(r.Door) is not { } d)
        {
            return null;
        }

        if (Enum.IsDefined(r.Mode))
        {
            _doors[d].Mode = r.Mode;
        }

        _doors[d].OpenSeconds = r.OpenSeconds;
        Touch();
        return new DoorControlResponse(UhppoteFunction.SetDoorControl, Serial, new UhppoteDoorControl(r.Door, _doors[d].Mode, _doors[d].OpenSeconds));
    }

    private AckResponse? OpenDoor(byte door, out UhppoteEvent? logged)
    {
        logged = null;
        if (DoorIndex(door) is not { } d)
        {
            return null;
        }

        Unlock(d);
        logged = Log(UhppoteEventType.Door, true, door, UhppoteDirection.In, 0, UhppoteEventReason.RemoteOpenDoor);
        return new AckResponse(UhppoteFunction.OpenDoor, Serial, true);
    }

    private CardRecordResponse CardAtIndex(uint index)
    {
        var (card, deleted) = _cards.AtIndex(index);
        return CardAnswer(UhppoteFunction.GetCardByIndex, card, deleted);
    }

    private CardRecordResponse CardAnswer(UhppoteFunction function, UhppoteCard? card, bool deleted) =>
        card is null
            ? new CardRecordResponse(function, Serial, deleted ? CardRecordResponse.DeletedCard : CardRecordResponse.NoCard, null, null, DoorPermissions.None)
            : new CardRecordResponse(function, Serial, card.Number, card.From, card.To, card.Doors, card.Pin);

    private bool PutCard(PutCardRequest r)
    {
        // A board refuses a record without dates and the numbers it reserves (uhppote-simulator put_card.go).
        if (r.From is not { } from || r.To is not { } to || !CardNumbers.IsStorable(r.Card) || r.Pin > UhppoteCard.MaxPin)
        {
            return false;
        }

        return Changed(_cards.Put(new UhppoteCard(r.Card, from, to, r.Doors, r.Pin)));
    }

    private bool DeleteAllCards()
    {
        _cards.Clear();
        Touch();
        return true;
    }

    private bool SetListener(IPEndPoint listener, byte interval)
    {
        _listener = listener;
        _listenerInterval = interval;
        Touch();
        return true;
    }

    private AckResponse RecordSpecial(bool enable)
    {
        _recordSpecialEvents = enable;
        Touch();
        return new AckResponse(UhppoteFunction.RecordSpecialEvents, Serial, true);
    }

    private (UhppoteEventReason Reason, string Explanation) DecideLocked(int door, uint number)
    {
        if (_doors[door].Mode == DoorControlMode.NormallyClosed)
        {
            return (UhppoteEventReason.DeniedDoorNormallyClosed, "door-normally-closed");
        }

        if (_cards.Find(number) is not { } card)
        {
            return (UhppoteEventReason.DeniedNoPrivilege, "unknown");
        }

        var permission = card.Doors[door + 1];
        if (permission is 0 or 255)
        {
            return (UhppoteEventReason.DeniedNoPrivilege, "no-door-permission");
        }

        var today = DateOnly.FromDateTime(LocalNow());
        if (today < card.From)
        {
            return (UhppoteEventReason.DeniedNoPrivilege, "not-yet-valid");
        }

        if (today > card.To)
        {
            return (UhppoteEventReason.DeniedNoPrivilege, "expired");
        }

        // Time profiles (2-254) are not simulated: a card under one is refused as outside its time zone.
        if (permission != 1)
        {
            return (UhppoteEventReason.DeniedInvalidTimezone, "time-profile");
        }

        return _antiPassback.Refuses(number, door + 1)
            ? (UhppoteEventReason.DeniedAntiPassback, "anti-passback")
            : (UhppoteEventReason.Swipe, "granted");
    }

    private void Unlock(int door) => _doors[door].UnlockedUntil = _time.GetUtcNow() + TimeSpan.FromSeconds(_doors[door].OpenSeconds);

    private static bool IsUnlocked(Door door, DateTimeOffset now) => door.Mode == DoorControlMode.NormallyOpen || (door.Mode == DoorControlMode.Controlled && now < door.UnlockedUntil);

    private UhppoteEvent Log(UhppoteEventType type, bool granted, byte door, UhppoteDirection direction, uint card, UhppoteEventReason reason)
    {
        var e = _events.Append(type, granted, door, direction, card, Seconds(LocalNow()), reason);
        Touch();
        return e;
    }

    private UhppoteStatus StatusLocked()
    {
        var now = _time.GetUtcNow();
        byte relays = 0;
        for (var i = 0; i < _doors.Length; i++)
        {
            if (IsUnlocked(_doors[i], now))
            {
                relays |= (byte)(1 << i);
            }
        }

        var last = _events.Latest;
        var time = Seconds(LocalNow());
        return new UhppoteStatus(time.Year is >= 2000 and <= 2099 ? time : null, 0, 0, relays, 0, 0, 0, 0, last);
    }

    private sealed class Door
    {
        public DoorControlMode Mode { get; set; } = DoorControlMode.Controlled;

        public byte OpenSeconds { get; set; } = 3;

        public ReaderFormat Reader { get; set; }

        public DateTimeOffset UnlockedUntil { get; set; } = DateTimeOffset.MinValue;
    }
}
