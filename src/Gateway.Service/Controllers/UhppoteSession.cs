using System.Globalization;
using Gateway.Drivers;
using Gateway.Drivers.Barriers;
using Gateway.Drivers.Uhppote;
using Gateway.Service.Alarms;
using Gateway.Service.Events;
using Gateway.Service.Hosting;
using Gateway.Service.Site;

namespace Gateway.Service.Controllers;

/// <summary>
/// One UHPPOTE board as the sync engine drives it (docs/uhppote.md, "How Gateway keeps a board right").
/// An outbox change is one request per card record (put-card with its doors and date window, or
/// delete-card), the first sent in the turn that reads the change. The clock is kept at the site's local
/// time. Drift is found by the card count and a paced walk of the card table by index (a few slots a
/// turn, outbox changes first), and repaired by the differences only. Device errors back the board off
/// as any controller (1 s doubling to <see cref="SyncOptions.MaxBackoff"/>).
/// </summary>
public sealed class UhppoteSession : IControllerSession
{
    /// <summary>Card-table slots read in one turn of a walk.</summary>
    public const int WalkSlice = 8;

    /// <summary>Events read in one turn (the rest in the next turns, outbox changes going first).</summary>
    public const int EventSlice = 16;

    private static readonly TimeSpan SnapshotMaxAge = TimeSpan.FromSeconds(30);

    private readonly SyncContext _context;
    private readonly UhppoteController _driver;
    private readonly UhppoteBoardOptions _board;
    private readonly Queue<(string What, Func<CancellationToken, Task> Send)> _pending = new();
    private readonly GateOpenQueue _openings = new();
    private long _pendingTarget = -1;

    // Set when a fill or a repair is queued: once the board answered all of it, its count is read again so
    // health shows what it holds (otherwise the count from before the fill stays until the next check).
    private bool _recountWhenApplied;

    private bool _loaded;
    private volatile bool _connected;
    private bool _needsCheck = true;
    private bool _needsClock = true;
    private long _applied;
    private DateTimeOffset? _lastCheck;
    private DateTimeOffset _nextClock;
    private DateTimeOffset _nextAttempt;
    private int _failures;
    private Walk? _walk;
    private uint _epoch;
    private uint _lastIndex;
    private DateTimeOffset _nextEvents;

    // The settings from configuration (anti-passback, door open times) were written or found right once: a
    // later difference was made behind Gateway's back. A board that did not answer get-anti-passback (firmware
    // without it) is not asked again until it reconnects.
    private bool _settingsKept;
    private bool _noAntiPassback;

    // Events the board pushed to its listener, taken at the next turn (docs/uhppote.md, "Pushed events").
    private readonly BoardListener? _listener;
    private readonly System.Collections.Concurrent.ConcurrentQueue<UhppotePushedEvent> _pushed = new();
    private bool _listenerUnbound;

    private volatile ControllerHealth _health;

    public UhppoteSession(DeviceOptions device, UhppoteController driver, SyncContext context, BoardListener? listener = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        Device = device;
        _board = device.Board ?? throw new ArgumentException($"device {device.Id} is not a UHPPOTE board", nameof(device));
        _driver = driver;
        _context = context;
        _listener = listener;
        _health = new ControllerHealth(device.Id, device.Endpoint, 0, device.Zone ?? string.Empty, DeviceState.Unknown, false, null, null, null, null, null, 0, 0, 0, 0, 0, null);
    }

    public DeviceOptions Device { get; }

    public DateTimeOffset LastRoutineTurn { get; private set; } = DateTimeOffset.MinValue;

    private string Id => Device.Id;

    public ControllerHealth Health() => _health;

    public void Restart()
    {
        _loaded = false;
        _connected = false;
        _pending.Clear();
        _pendingTarget = -1;
        _recountWhenApplied = false;
        _walk = null;
        _needsCheck = true;
        _needsClock = true;
        _failures = 0;
        _nextAttempt = DateTimeOffset.MinValue;
        _openings.FailAll(GateOpenStatus.NotConnected, $"the sync worker of {Id} restarted; nothing was sent");
        Update(h => h with { PendingChanges = 0, NextAttemptUtc = null });
    }

    /// <inheritdoc />
    public bool HasOpeningWaiting => _openings.HasWork;

    /// <inheritdoc />
    public bool IsConnected => _connected && _context.Time.GetUtcNow() >= _nextAttempt;

    /// <inheritdoc />
    /// <remarks>A board opens the doors configured for it (<c>Doors:D</c>); a lane of the desk is a door here.</remarks>
    public IReadOnlyList<int>? Lanes => [.. _board.Doors.Select(d => d.Door).Order()];

    /// <summary>Queues the opening of door <see cref="GateOpenCommand.Lane"/> for the next turn; refused at once, unsent, while the board is not connected.</summary>
    public Task<GateOpenResult> RequestOpenAsync(GateOpenCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!IsConnected)
        {
            var why = _health.LastError is { } error ? $"{Id} is not connected ({error}); nothing was sent" : $"{Id} is not connected; nothing was sent";
            return Task.FromResult(new GateOpenResult(GateOpenStatus.NotConnected, Detail: why));
        }

        if (!_board.Doors.Any(d => d.Door == command.Lane))
        {
            return Task.FromResult(new GateOpenResult(GateOpenStatus.NoSuchLane, Detail: $"{Id} opens doors {string.Join(", ", Lanes!)}"));
        }

        return _openings.Enqueue(command);
    }

    public void RequestCheck() => _needsCheck = true;

    public void RequestClock() => _needsClock = true;

    public void RequestEvents() => _nextEvents = DateTimeOffset.MinValue;

    /// <summary>An event the board pushed to its listener; stored at the next turn (the bus is woken by the listener).</summary>
    public void Push(UhppotePushedEvent pushed) => _pushed.Enqueue(pushed);

    public bool HasOutboxChange(DateTimeOffset now) =>
        _loaded && _connected && now >= _nextAttempt && _pending.Count == 0 && !_needsClock && _lastCheck is not null && _context.Outbox.Latest > _applied;

    public async Task<bool> TurnAsync(CancellationToken cancellationToken)
    {
        var now = _context.Time.GetUtcNow();
        if (now < _nextAttempt)
        {
            return false;
        }

        if (!_loaded)
        {
            var saved = await _context.Store.LoadControllerAsync(Id, cancellationToken);
            _applied = saved?.AppliedSequence ?? 0;
            _lastCheck = saved?.LastCheckUtc;
            _epoch = saved?.BootId is { } epoch and > 0 ? epoch : 1;
            _lastIndex = await _context.Events.LastSequenceAsync(Id, _epoch, cancellationToken);
            _loaded = true;
            Update(h => h with { AppliedSequence = _applied });
        }

        // Pushed events need nothing from the board: taken first, and they say nothing of its connection.
        var took = await TakePushedAsync(now, cancellationToken);
        try
        {
            var worked = await StepAsync(now, cancellationToken) || took;
            if (_failures > 0 || !_connected)
            {
                _context.Logger.LogInformation("Board {DeviceId} at {Endpoint} (serial {Serial}) is connected", Id, Device.Endpoint, _board.Serial);
                _failures = 0;
                _connected = true;
                Report(DeviceState.Connected, null);
            }

            Update(h => h with { LastContactUtc = _context.Time.GetUtcNow(), ConsecutiveFailures = 0, NextAttemptUtc = null });
            return worked;
        }
        catch (DeviceException ex)
        {
            await FailAsync(ex, cancellationToken);
            return false;
        }
    }

    private async Task<bool> StepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!_connected)
        {
            await _driver.GetControllerAsync(cancellationToken);
            _needsClock = true;
            _needsCheck = true;
            _walk = null;
            return true;
        }

        // An opening asked from the desk goes first: someone waits at the door.
        if (_openings.TryTake(now, out var open, out var opened))
        {
            await OpenAsync(open, opened, cancellationToken);
            return true;
        }

        if (_pending.Count > 0)
        {
            await SendNextAsync(cancellationToken);
            return true;
        }

        // An unset or wrong clock makes the board judge every date window wrongly: first.
        if (_needsClock)
        {
            await ClockAsync(now, cancellationToken);
            return true;
        }

        // Changes made while it was away go out before a comparison, so missed changes are not taken for drift;
        // a board never synced is compared (and filled) first.
        if (_applied > 0 && _context.Outbox.Latest > _applied)
        {
            await OutboxAsync(now, cancellationToken);
            return true;
        }

        if (_walk is null && (_needsCheck || _lastCheck is null))
        {
            await StartCheckAsync(now, cancellationToken);
            return true;
        }

        if (_context.Outbox.Latest > _applied && _walk is null)
        {
            await OutboxAsync(now, cancellationToken);
            return true;
        }

        LastRoutineTurn = now;
        if (now >= _nextEvents)
        {
            await EventsAsync(now, cancellationToken);
            return true;
        }

        if (_walk is not null)
        {
            await WalkAsync(now, cancellationToken);
            return true;
        }

        if (now >= _nextClock)
        {
            await ClockAsync(now, cancellationToken);
            return true;
        }

        if (now >= _lastCheck + _context.Options.CheckInterval)
        {
            await StartCheckAsync(now, cancellationToken);
            return true;
        }

        return false;
    }

    private async Task OpenAsync(GateOpenCommand command, TaskCompletionSource<GateOpenResult> completion, CancellationToken cancellationToken)
    {
        try
        {
            // The board logs the opening (reason remote open), but its events are not collected yet: not logged for Gateway.
            await _driver.OpenDoorAsync(command.Lane, cancellationToken);
            completion.TrySetResult(new GateOpenResult(GateOpenStatus.Opened));
            _context.Logger.LogInformation("Board {DeviceId}: door {Door} opened remotely (opening {OpeningId})", Id, command.Lane, command.Tag);
        }
        catch (DeviceException ex)
        {
            completion.TrySetResult(new GateOpenResult(GateOpenStatus.Failed, Detail: $"{Id} did not confirm the opening: {ex.Message}"));
            throw;
        }
        catch (OperationCanceledException)
        {
            completion.TrySetResult(new GateOpenResult(GateOpenStatus.Failed, Detail: "the service is stopping; the opening may or may not have reached the board"));
            throw;
        }
    }

    private async Task ClockAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var zone = _context.Rules.Parking.TimeZone;
        var board = await _driver.GetTimeAsync(cancellationToken);
        var local = TimeZoneInfo.ConvertTime(_context.Time.GetUtcNow(), zone).DateTime;
        var skew = board - local;
        Update(h => h with { ClockSkewSeconds = Math.Round(skew.TotalSeconds, 1) });
        if (skew.Duration() > SyncOptions.ClockAlarmThreshold)
        {
            await _driver.SetTimeAsync(TimeZoneInfo.ConvertTime(_context.Time.GetUtcNow(), zone).DateTime, cancellationToken);
            _context.Logger.LogInformation("Board {DeviceId} clock was {SkewSeconds:F1} s off the site's local time; set", Id, skew.TotalSeconds);

            // A board whose clock is years off was never set (or lost it): set it, no alarm.
            if (skew.Duration() < TimeSpan.FromDays(1) && _lastCheck is not null)
            {
                await RaiseAsync(new AlarmRaise(AlarmKind.ClockSkew, Id, string.Create(CultureInfo.InvariantCulture, $"clock of {Id} was {skew.TotalSeconds:F0} s off the site's local time; it was set")), cancellationToken);
            }

            Update(h => h with { ClockSkewSeconds = 0 });
        }

        await SettingsAsync(cancellationToken);
        _needsClock = false;
        _context.Board.ReportSync(Id, _health.Drifted, _health.ClockSkewSeconds);
        _nextClock = now + _context.Options.ClockInterval;
    }

    /// <summary>
    /// The board's settings from configuration, checked with the clock (on connecting and every
    /// <see cref="SyncOptions.ClockInterval"/>): its anti-passback mode, where its firmware offers it, and the
    /// open time of each door that names one (the door's control mode is left as it is). A setting found
    /// changed on a board already set is set again and raises a drift alarm.
    /// </summary>
    /// <summary>With the settings: the board pushes its events to Gateway's listener when one is configured (opt-in: it takes the board's one listener from other software).</summary>
    private async Task ListenerAsync(List<string> changed, CancellationToken cancellationToken)
    {
        if (_listener is null || _listenerUnbound)
        {
            return;
        }

        System.Net.IPEndPoint want;
        try
        {
            want = _listener.Endpoint;
        }
        catch (DeviceConnectionException ex)
        {
            // Gateway's own port, not the board: the board is kept right all the same, its events collected by the walk.
            _listenerUnbound = true;
            _context.Logger.LogError("Board {DeviceId}: {Error}; its events are collected by polling only", Id, ex.Message);
            return;
        }

        var found = await _driver.GetListenerAsync(cancellationToken);
        if (!found.Endpoint.Equals(want))
        {
            await _driver.SetListenerAsync(want, found.IntervalSeconds, cancellationToken);
            changed.Add($"listener {(found.IsSet ? found.Endpoint.ToString() : "none")} (configured {want})");
        }
    }

    private async Task SettingsAsync(CancellationToken cancellationToken)
    {
        var changed = new List<string>();
        if (!_noAntiPassback)
        {
            UhppoteAntiPassback? found = null;
            try
            {
                found = await _driver.GetAntiPassbackAsync(cancellationToken);
            }
            catch (DeviceTimeoutException)
            {
                // It answered get-time just before: firmware without anti-passback stays silent to the function.
                _noAntiPassback = true;
                _context.Logger.LogWarning("Board {DeviceId} (serial {Serial}) does not answer get-anti-passback: its firmware has no anti-passback; configured {Mode}, not set", Id, _board.Serial, UhppoteAntiPassbackModes.ToText(_board.AntiPassback));
            }

            if (found is { } mode && mode != _board.AntiPassback)
            {
                await _driver.SetAntiPassbackAsync(_board.AntiPassback, cancellationToken);
                changed.Add($"anti-passback {UhppoteAntiPassbackModes.ToText(mode)} (configured {UhppoteAntiPassbackModes.ToText(_board.AntiPassback)})");
            }
        }

        foreach (var door in _board.Doors)
        {
            if (door.OpenSeconds is not { } seconds)
            {
                continue;
            }

            var control = await _driver.GetDoorControlAsync(door.Door, cancellationToken);
            if (control.OpenSeconds != seconds)
            {
                var mode = Enum.IsDefined(control.Mode) ? control.Mode : DoorControlMode.Controlled;
                await _driver.SetDoorControlAsync(door.Door, mode, seconds, cancellationToken);
                changed.Add(string.Create(CultureInfo.InvariantCulture, $"door {door.Door} open time {control.OpenSeconds} s (configured {seconds} s)"));
            }
        }

        await ListenerAsync(changed, cancellationToken);
        if (changed.Count > 0)
        {
            _context.Logger.LogInformation("Board {DeviceId}: set as configured: {Settings}", Id, string.Join("; ", changed));
            if (_settingsKept)
            {
                await RaiseAsync(new AlarmRaise(AlarmKind.Drift, Id, $"settings of {Id} differed: {string.Join("; ", changed)}; they were set"), cancellationToken);
            }
        }

        _settingsKept = true;
    }

    /// <summary>
    /// Reads the board's events from the index the host acknowledged on it, stores the swipes (keyed by board,
    /// epoch and index: a read repeated after a lost acknowledgement stores nothing twice), then acknowledges.
    /// An acknowledged index below the last one read, whose event the board no longer holds as it was, means
    /// the board's log restarted (a reset): a new epoch.
    /// </summary>
    private async Task EventsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var zone = _context.Rules.Parking.TimeZone;
        var host = await _driver.GetEventIndexAsync(cancellationToken);
        if (host < _lastIndex)
        {
            if (await RestartedAsync(zone, cancellationToken))
            {
                _context.Logger.LogInformation("Board {DeviceId} event log restarted (acknowledged index {Index}, {Last} read before): event epoch {Epoch} begins", Id, host, _lastIndex, _epoch + 1);
                _epoch++;
                await SaveAsync(cancellationToken);
            }

            // Otherwise the bookmark went back on the same log (an acknowledgement lost, or another program): the repeats are dropped when stored.
            _lastIndex = host;
        }

        var snapshot = await _context.Snapshots.GetAsync(_context.Outbox.Latest, SnapshotMaxAge, cancellationToken);
        var cards = BoardCards.Owners(_board, snapshot.Snapshot.Cards);
        var swipes = new List<BoardSwipe>();
        var index = host + 1;
        var last = host;
        uint lost = 0;
        var more = false;
        for (var read = 0; ; read++)
        {
            if (read == EventSlice)
            {
                more = true;
                break;
            }

            var lookup = await _driver.GetEventAsync(index, cancellationToken);
            if (lookup.Kind == UhppoteEventLookupKind.Overwritten)
            {
                // Older than the oldest the board still holds: lost. Go on from the oldest (get-event 0).
                var oldest = await _driver.GetEventAsync(0, cancellationToken);
                if (oldest.Kind != UhppoteEventLookupKind.Found || oldest.Index <= index)
                {
                    break;
                }

                lost += oldest.Index - index;
                index = oldest.Index;
                continue;
            }

            if (lookup.Kind != UhppoteEventLookupKind.Found || lookup.Event is not { } e)
            {
                break;
            }

            if (e.Type == UhppoteEventType.Swipe && e.Card != 0 && _board.Doors.FirstOrDefault(d => d.Door == e.Door) is { } door)
            {
                swipes.Add(Swipe(e, door, cards, zone, now));
            }

            last = index;
            index++;
        }

        var stored = await _context.Events.StoreBoardAsync(Id, _epoch, swipes, cancellationToken);
        if (lost > 0)
        {
            await RaiseAsync(new AlarmRaise(AlarmKind.BufferOverflow, Id, string.Create(CultureInfo.InvariantCulture, $"{Id} lost {lost} events to a full log (epoch {_epoch}, after index {host})"), Lost: lost), cancellationToken);
        }

        await AlarmBlockedAsync(stored, cancellationToken);
        if (last > host)
        {
            // Acknowledged only after the swipes are stored: a lost acknowledgement makes the next read repeat them, and the store drops the repeats.
            await _driver.SetEventIndexAsync(last, cancellationToken);
            _lastIndex = last;
            _context.Logger.LogDebug("Board {DeviceId}: events {From}-{To} read ({New} new swipes stored)", Id, host + 1, last, stored.Count);
            Update(h => h with { EventsCollected = h.EventsCollected + stored.Count });
        }

        _nextEvents = more ? now : now + _context.Options.EventInterval;
    }

    /// <summary>
    /// Stores the swipes the board pushed since the last turn, at once, keyed as the log walk keys them (board,
    /// epoch, index): the walk, which stays the record and acknowledges on the board, finds them again and the
    /// store drops the repeats, alarms included. A pushed index at or below the last one the walk read is the
    /// walk's: already read, or a log that restarted, which the walk tells apart (it is asked to run now).
    /// </summary>
    private async Task<bool> TakePushedAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_pushed.IsEmpty)
        {
            return false;
        }

        var zone = _context.Rules.Parking.TimeZone;
        IReadOnlyDictionary<(ReaderFormat, uint), Domain.Controllers.CardTruth>? cards = null;
        var swipes = new List<BoardSwipe>();
        while (_pushed.TryDequeue(out var pushed))
        {
            if (pushed.Status.LastEvent is not { Index: > 0 } e)
            {
                continue;
            }

            if (e.Index <= _lastIndex)
            {
                if (e.Index < _lastIndex)
                {
                    _nextEvents = DateTimeOffset.MinValue;
                }

                continue;
            }

            if (e.Type == UhppoteEventType.Swipe && e.Card != 0 && _board.Doors.FirstOrDefault(d => d.Door == e.Door) is { } door && swipes.All(s => s.Index != e.Index))
            {
                cards ??= BoardCards.Owners(_board, (await _context.Snapshots.GetAsync(_context.Outbox.Latest, SnapshotMaxAge, cancellationToken)).Snapshot.Cards);
                swipes.Add(Swipe(e, door, cards, zone, now));
            }
        }

        if (swipes.Count == 0)
        {
            return true;
        }

        var stored = await _context.Events.StoreBoardAsync(Id, _epoch, swipes, cancellationToken);
        await AlarmBlockedAsync(stored, cancellationToken);
        _context.Logger.LogDebug("Board {DeviceId}: {Count} pushed swipes ({New} new) stored", Id, swipes.Count, stored.Count);
        Update(h => h with { EventsCollected = h.EventsCollected + stored.Count });
        return true;
    }

    private async Task AlarmBlockedAsync(IReadOnlyList<ControllerEventView> stored, CancellationToken cancellationToken)
    {
        foreach (var blocked in stored.Where(e => e.Reason == "blocked"))
        {
            var card = blocked.CardNumber is { } n ? $"card {n}" : "a card";
            await RaiseAsync(new AlarmRaise(AlarmKind.BlockedCard, Id, $"blocked {card} (UID {blocked.CardUid}, number {blocked.BoardCard}) presented at {Id} lane {blocked.Lane}", blocked.CardUid, blocked.CardNumber), cancellationToken);
        }
    }

    /// <summary>
    /// Whether the board's log is another than the one read up to <see cref="_lastIndex"/>: the board no longer
    /// reaches that index, or holds there another swipe than the one stored.
    /// </summary>
    private async Task<bool> RestartedAsync(TimeZoneInfo zone, CancellationToken cancellationToken)
    {
        var there = await _driver.GetEventAsync(_lastIndex, cancellationToken);
        if (there.Kind == UhppoteEventLookupKind.NotYet)
        {
            return true;
        }

        if (there.Kind != UhppoteEventLookupKind.Found || there.Event is not { } e)
        {
            return false;
        }

        var stored = await _context.Events.FindBoardSwipeAsync(Id, _epoch, _lastIndex, cancellationToken);
        return stored is { } s && (s.BoardCard != e.Card || (e.Timestamp is { } local && s.TimeUtc != new DateTimeOffset(local, zone.GetUtcOffset(local))));
    }

    private static BoardSwipe Swipe(UhppoteEvent e, UhppoteDoorOptions door, IReadOnlyDictionary<(ReaderFormat, uint), Domain.Controllers.CardTruth> cards, TimeZoneInfo zone, DateTimeOffset now)
    {
        var owner = cards.GetValueOrDefault((door.Format, e.Card));
        var reason = e.Granted ? "none" : e.Reason switch
        {
            UhppoteEventReason.DeniedNoPrivilege when owner is null => "unknown",
            UhppoteEventReason.DeniedNoPrivilege when owner.State != Domain.Cards.CardState.Issued => "blocked",
            UhppoteEventReason.DeniedNoPrivilege => "no-privilege",
            UhppoteEventReason.DeniedAntiPassback => "anti-passback",
            UhppoteEventReason.DeniedDoorNormallyClosed => "door-normally-closed",
            UhppoteEventReason.DeniedInvalidTimezone => "time-profile",
            _ => "denied",
        };
        var direction = door.Direction switch
        {
            "in" => LaneDirection.Entry,
            "out" => LaneDirection.Exit,
            _ => e.Direction == UhppoteDirection.Out ? LaneDirection.Exit : LaneDirection.Entry,
        };

        // The board keeps local time without a zone: read in the site's zone (an unset clock: the time it was read).
        var time = e.Timestamp is { } local ? new DateTimeOffset(local, zone.GetUtcOffset(local)) : now;
        return new BoardSwipe(e.Index, time, owner?.Uid, e.Card, door.Lane, direction, e.Granted ? AccessDecision.Granted : AccessDecision.Denied, reason);
    }

    private async Task StartCheckAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        // At least what this controller applied: its own read of the outbox can run ahead of the watcher's, and a
        // cached snapshot between the two would undo the changes in between as if they were drift.
        var loaded = await _context.Snapshots.GetAsync(Math.Max(_context.Outbox.Latest, _applied), SnapshotMaxAge, cancellationToken);
        var (expected, collisions) = BoardCards.For(_board, loaded.Snapshot.Cards, _context.Rules, now);
        if (collisions.Count > 0)
        {
            _context.Logger.LogWarning("Board {DeviceId}: card numbers {Numbers} are read from two cards each; the newer card holds each", Id, string.Join(", ", collisions));
        }

        var count = await _driver.GetCardCountAsync(cancellationToken);
        _needsCheck = false;
        Update(h => h with { WhitelistCount = count, ExpectedCount = expected.Count });
        if (count == 0 && expected.Count > 0)
        {
            // An empty table (new, reset, or never filled): every record goes out, no walk and no drift alarm.
            _context.Logger.LogInformation("Board {DeviceId} holds no cards: writing {Count} records", Id, expected.Count);
            foreach (var card in expected.Values.OrderBy(c => c.Number))
            {
                EnqueuePut(card);
            }

            _pendingTarget = loaded.Snapshot.OutboxSequence;
            _recountWhenApplied = true;
            _lastCheck = now;
            Update(h => h with { PendingChanges = _pending.Count });
            return;
        }

        // The count alone cannot show a record with the wrong window or doors: the table is walked in slices.
        _walk = new Walk(loaded.Snapshot.OutboxSequence, new Dictionary<uint, UhppoteCard>(expected), count != expected.Count, count);
        if (_walk.CountDiffers)
        {
            _context.Logger.LogInformation("Board {DeviceId} holds {Count} cards, {Expected} expected: walking its card table", Id, count, expected.Count);
        }
    }

    private async Task WalkAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var walk = _walk!;
        for (var i = 0; i < WalkSlice && !walk.Done; i++)
        {
            var slot = await _driver.GetCardByIndexAsync(walk.NextIndex, cancellationToken);
            walk.NextIndex++;
            switch (slot.Kind)
            {
                case UhppoteCardSlotKind.End:
                    walk.Done = true;
                    break;
                case UhppoteCardSlotKind.Card when slot.Card is { } held:
                    walk.Seen.Add(held.Number);
                    if (!walk.Expected.TryGetValue(held.Number, out var wanted))
                    {
                        walk.Extra.Add(held.Number);
                    }
                    else if (!Same(held, wanted))
                    {
                        walk.Different.Add(held.Number);
                    }

                    walk.Found++;
                    break;
            }

            if (walk.NextIndex > 200_000)
            {
                walk.Done = true;
            }
        }

        if (!walk.Done)
        {
            return;
        }

        _walk = null;
        _lastCheck = now;
        var missing = walk.Expected.Keys.Where(n => !walk.Seen.Contains(n)).ToList();
        var puts = walk.Different.Concat(missing).Where(walk.Expected.ContainsKey).Distinct().Select(n => walk.Expected[n]).ToList();
        var deletes = walk.Extra.Distinct().ToList();
        if (puts.Count == 0 && deletes.Count == 0)
        {
            _applied = Math.Max(_applied, walk.Sequence);
            await SaveAsync(cancellationToken);
            SetDrifted(false);
            Update(h => h with { AppliedSequence = _applied, WhitelistCount = walk.Expected.Count });
            return;
        }

        _context.Logger.LogWarning("Board {DeviceId} drifted: {Missing} records missing, {Different} different, {Extra} extra; repairing those only", Id, missing.Count, walk.Different.Count, deletes.Count);
        SetDrifted(true);
        await RaiseAsync(new AlarmRaise(AlarmKind.Drift, Id, $"card table of {Id} differed: {puts.Count} records missing or different, {deletes.Count} extra; repaired"), cancellationToken);
        foreach (var number in deletes)
        {
            EnqueueDelete(number);
        }

        foreach (var card in puts)
        {
            EnqueuePut(card);
        }

        _pendingTarget = walk.Sequence;
        _recountWhenApplied = true;
        _needsCheck = true;
        Update(h => h with { PendingChanges = _pending.Count });
    }

    private async Task OutboxAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var changes = await _context.Store.LoadChangesAsync(_applied, cancellationToken);
        var (records, _) = BoardCards.For(_board, changes.Cards, _context.Rules, now);
        var byNumber = changes.Cards.ToDictionary(c => c.Number);
        var deletes = changes.Marked
            .Select(m => byNumber.TryGetValue(m.Number, out var card) ? card.Uid : m.Uid)
            .OfType<Gateway.Drivers.Barriers.CardUid>()
            .SelectMany(uid => BoardCards.NumbersOf(_board, uid))
            .Where(n => !records.ContainsKey(n))
            .Distinct()
            .ToList();
        foreach (var number in deletes)
        {
            EnqueueDelete(number);
            _walk?.Forget(number);
        }

        foreach (var card in records.Values.OrderBy(c => c.Number))
        {
            EnqueuePut(card);
            _walk?.Written(card);
        }

        _pendingTarget = changes.OutboxSequence;
        if (_pending.Count == 0)
        {
            await CommitAppliedAsync(cancellationToken);
            return;
        }

        _context.Logger.LogDebug("Board {DeviceId}: outbox up to {Sequence}: {Puts} put-card, {Deletes} delete-card", Id, changes.OutboxSequence, records.Count, deletes.Count);

        // The first request goes out in this turn: a single change reaches the board without waiting for another.
        await SendNextAsync(cancellationToken);
    }

    private async Task SendNextAsync(CancellationToken cancellationToken)
    {
        var (_, send) = _pending.Peek();
        await send(cancellationToken);
        _pending.Dequeue();
        if (_pending.Count == 0)
        {
            await CommitAppliedAsync(cancellationToken);
        }

        Update(h => h with { PendingChanges = _pending.Count });
    }

    private void EnqueuePut(UhppoteCard card) =>
        _pending.Enqueue(($"put-card {card.Number}", ct => _driver.PutCardAsync(card, ct)));

    private void EnqueueDelete(uint number) =>
        _pending.Enqueue(($"delete-card {number}", ct => _driver.DeleteCardAsync(number, ct)));

    private async Task CommitAppliedAsync(CancellationToken cancellationToken)
    {
        // Recorded only now: every request of the change was answered by the board.
        if (_pendingTarget > _applied)
        {
            _applied = _pendingTarget;
            await SaveAsync(cancellationToken);
            Update(h => h with { AppliedSequence = _applied });
        }

        _pendingTarget = -1;
        if (_recountWhenApplied)
        {
            _recountWhenApplied = false;
            var count = await _driver.GetCardCountAsync(cancellationToken);
            Update(h => h with { WhitelistCount = count });
        }
    }

    private static bool Same(UhppoteCard held, UhppoteCard wanted) =>
        held.From == wanted.From && held.To == wanted.To && held.Doors.Doors.SequenceEqual(wanted.Doors.Doors);

    private async Task FailAsync(DeviceException ex, CancellationToken cancellationToken)
    {
        _failures++;
        _connected = false;
        _pending.Clear();
        _pendingTarget = -1;
        _recountWhenApplied = false;
        _walk = null;
        _needsCheck = true;
        _openings.FailAll(GateOpenStatus.NotConnected, $"{Id} does not answer ({ex.Message}); nothing was sent");
        _noAntiPassback = false;
        var wait = ControllerSession.Backoff(_failures, _context.Options.MaxBackoff);
        _nextAttempt = _context.Time.GetUtcNow() + wait;
        var state = _failures == 1 ? DeviceState.Degraded : DeviceState.Down;
        _context.Logger.LogWarning("Board {DeviceId} at {Endpoint} (serial {Serial}) failed ({Failures} in a row), next attempt in {BackoffSeconds} s: {Error}", Id, Device.Endpoint, _board.Serial, _failures, wait.TotalSeconds, ex.Message);
        Update(h => h with { ConsecutiveFailures = _failures, NextAttemptUtc = _nextAttempt, LastError = ex.Message, PendingChanges = 0 });
        Report(state, ex.Message);
        if (_failures == 2)
        {
            await RaiseAsync(new AlarmRaise(AlarmKind.DeviceDown, Id, $"{Id} at {Device.Endpoint} (serial {_board.Serial}) does not answer: {ex.Message}"), cancellationToken);
        }
    }

    private async Task RaiseAsync(AlarmRaise raise, CancellationToken cancellationToken)
    {
        var alarm = await _context.Alarms.RaiseAsync(raise, cancellationToken);
        _context.Logger.LogWarning("Alarm {AlarmId} {AlarmKind} on {DeviceId}: {Message}", alarm.Id, AlarmStore.Name(alarm.Kind), Id, alarm.Message);
    }

    private Task SaveAsync(CancellationToken cancellationToken) =>
        _context.Store.SaveControllerAsync(new ControllerSyncState(Id, _applied, _epoch, _lastCheck, false), cancellationToken);

    private void SetDrifted(bool drifted)
    {
        Update(h => h with { Drifted = drifted });
        _context.Board.ReportSync(Id, drifted, _health.ClockSkewSeconds);
    }

    private void Report(DeviceState state, string? error)
    {
        _health = _health with { State = state, LastError = error ?? _health.LastError };
        _context.Board.Report(Id, state, error);
    }

    private void Update(Func<ControllerHealth, ControllerHealth> change) => _health = change(_health);

    /// <summary>A walk of the card table in progress: what it should hold (kept current by outbox changes made meanwhile) and what was found.</summary>
    private sealed class Walk(long sequence, Dictionary<uint, UhppoteCard> expected, bool countDiffers, int count)
    {
        public long Sequence { get; } = sequence;

        public Dictionary<uint, UhppoteCard> Expected { get; } = expected;

        public bool CountDiffers { get; } = countDiffers;

        public int Count { get; } = count;

        public HashSet<uint> Seen { get; } = [];

        public List<uint> Extra { get; } = [];

        public List<uint> Different { get; } = [];

        public uint NextIndex { get; set; } = 1;

        public int Found { get; set; }

        public bool Done { get; set; }

        /// <summary>An outbox change deletes <paramref name="number"/> during the walk: neither expected nor extra any longer.</summary>
        public void Forget(uint number)
        {
            Expected.Remove(number);
            Extra.Remove(number);
            Different.Remove(number);
            Seen.Add(number);
        }

        /// <summary>An outbox change writes <paramref name="card"/> during the walk: it is right, wherever its slot.</summary>
        public void Written(UhppoteCard card)
        {
            Expected[card.Number] = card;
            Extra.Remove(card.Number);
            Different.Remove(card.Number);
            Seen.Add(card.Number);
        }
    }
}
