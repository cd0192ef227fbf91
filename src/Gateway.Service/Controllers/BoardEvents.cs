using System.Collections.Concurrent;
using System.Globalization;
using Gateway.Drivers.Barriers;
using Gateway.Drivers.Uhppote;
using Gateway.Service.Alarms;
using Gateway.Service.Events;
using Gateway.Service.Site;

namespace Gateway.Service.Controllers;

/// <summary>
/// A UHPPOTE board's events (docs/uhppote.md, "Events" and "Pushed events"): read from the index the host
/// acknowledged on the board, the swipes stored keyed by (board, epoch, index), then acknowledged; a log
/// that restarted begins a new epoch; events the board pushed to Gateway's listener are stored at once.
/// </summary>
public sealed class BoardEvents : IEventCollection
{
    /// <summary>Events read in one turn (the rest in the next turns, outbox changes going first).</summary>
    public const int EventSlice = 16;

    private static readonly TimeSpan SnapshotMaxAge = TimeSpan.FromSeconds(30);

    private readonly BoardAdapter _adapter;
    private readonly UhppoteBoardOptions _board;
    private readonly UhppoteController _driver;

    // Events the board pushed to its listener, taken at the next turn.
    private readonly ConcurrentQueue<UhppotePushedEvent> _pushed = new();
    private uint _lastIndex;

    internal BoardEvents(BoardAdapter adapter, UhppoteBoardOptions board, UhppoteController driver)
    {
        _adapter = adapter;
        _board = board;
        _driver = driver;
    }

    /// <summary>The epoch of the board's event log as read now (a new one when the log restarted); saved as its boot id.</summary>
    public uint Epoch { get; private set; } = 1;

    private ControllerSession Session => _adapter.Session;

    private SyncContext Context => Session.Context;

    private string Id => Session.Device.Id;

    /// <summary>Takes the saved epoch and the last index stored in it.</summary>
    internal async Task LoadAsync(uint epoch, CancellationToken cancellationToken)
    {
        Epoch = epoch;
        _lastIndex = await Context.Events.LastSequenceAsync(Id, Epoch, cancellationToken);
    }

    /// <summary>An event the board pushed to its listener; stored at the next turn.</summary>
    public void Push(UhppotePushedEvent pushed) => _pushed.Enqueue(pushed);

    /// <summary>
    /// Reads the board's events from the index the host acknowledged on it, stores the swipes (keyed by board,
    /// epoch and index: a read repeated after a lost acknowledgement stores nothing twice), then acknowledges.
    /// An acknowledged index below the last one read, whose event the board no longer holds as it was, means
    /// the board's log restarted (a reset): a new epoch.
    /// </summary>
    public async Task CollectAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var zone = Context.Rules.Parking.TimeZone;
        var host = await _driver.GetEventIndexAsync(cancellationToken);
        if (host < _lastIndex)
        {
            if (await RestartedAsync(zone, cancellationToken))
            {
                Context.Logger.LogInformation("Board {DeviceId} event log restarted (acknowledged index {Index}, {Last} read before): event epoch {Epoch} begins", Id, host, _lastIndex, Epoch + 1);
                Epoch++;
                await Session.SaveAsync(cancellationToken);
            }

            // Otherwise the bookmark went back on the same log (an acknowledgement lost, or another program): the repeats are dropped when stored.
            _lastIndex = host;
        }

        var cards = await OwnersAsync(cancellationToken);
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

            if (IsSwipe(e))
            {
                swipes.Add(SwipeOf(e, cards, zone, now));
            }

            last = index;
            index++;
        }

        var stored = await Context.Events.StoreBoardAsync(Id, Epoch, swipes, cancellationToken);
        if (lost > 0)
        {
            await Session.RaiseAsync(new AlarmRaise(AlarmKind.BufferOverflow, Id, string.Create(CultureInfo.InvariantCulture, $"{Id} lost {lost} events to a full log (epoch {Epoch}, after index {host})"), Lost: lost), cancellationToken);
        }

        await Session.AlarmBlockedAsync(stored, cancellationToken);
        if (last > host)
        {
            // Acknowledged only after the swipes are stored: a lost acknowledgement makes the next read repeat them, and the store drops the repeats.
            await _driver.SetEventIndexAsync(last, cancellationToken);
            _lastIndex = last;
            Context.Logger.LogDebug("Board {DeviceId}: events {From}-{To} read ({New} new swipes stored)", Id, host + 1, last, stored.Count);
            Session.Update(h => h with { EventsCollected = h.EventsCollected + stored.Count });
        }

        Session.NextEvents = more ? now : now + Context.Options.EventInterval;
    }

    /// <summary>
    /// Stores the swipes the board pushed since the last turn, at once, keyed as the log walk keys them (board,
    /// epoch, index): the walk, which stays the record and acknowledges on the board, finds them again and the
    /// store drops the repeats, alarms included. A pushed index at or below the last one the walk read is the
    /// walk's: already read, or a log that restarted, which the walk tells apart (it is asked to run now).
    /// </summary>
    public async Task<bool> TakePushedAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_pushed.IsEmpty)
        {
            return false;
        }

        var zone = Context.Rules.Parking.TimeZone;
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
                    Session.NextEvents = DateTimeOffset.MinValue;
                }

                continue;
            }

            if (IsSwipe(e) && swipes.All(s => s.Index != e.Index))
            {
                cards ??= await OwnersAsync(cancellationToken);
                swipes.Add(SwipeOf(e, cards, zone, now));
            }
        }

        if (swipes.Count == 0)
        {
            return true;
        }

        var stored = await Context.Events.StoreBoardAsync(Id, Epoch, swipes, cancellationToken);
        await Session.AlarmBlockedAsync(stored, cancellationToken);
        Context.Logger.LogDebug("Board {DeviceId}: {Count} pushed swipes ({New} new) stored", Id, swipes.Count, stored.Count);
        Session.Update(h => h with { EventsCollected = h.EventsCollected + stored.Count });
        return true;
    }

    private async Task<IReadOnlyDictionary<(ReaderFormat, uint), Domain.Controllers.CardTruth>> OwnersAsync(CancellationToken cancellationToken) =>
        BoardCards.Owners(_board, (await Context.Snapshots.GetAsync(Context.Outbox.Latest, SnapshotMaxAge, cancellationToken)).Snapshot.Cards);

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

        var stored = await Context.Events.FindBoardSwipeAsync(Id, Epoch, _lastIndex, cancellationToken);
        return stored is { } s && (s.BoardCard != e.Card || (e.Timestamp is { } local && s.TimeUtc != new DateTimeOffset(local, zone.GetUtcOffset(local))));
    }

    /// <summary>A card swiped at one of the board's configured doors (door and alarm events are acknowledged, not stored).</summary>
    private bool IsSwipe(UhppoteEvent e) => e.Type == UhppoteEventType.Swipe && e.Card != 0 && _board.Doors.Any(d => d.Door == e.Door);

    /// <summary>A swipe (<see cref="IsSwipe"/>), mapped back to the card that reads as its number at that door.</summary>
    private BoardSwipe SwipeOf(UhppoteEvent e, IReadOnlyDictionary<(ReaderFormat, uint), Domain.Controllers.CardTruth> cards, TimeZoneInfo zone, DateTimeOffset now)
    {
        var door = _board.Doors.First(d => d.Door == e.Door);
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
}
