using System.Globalization;
using Gateway.Drivers.Uhppote;
using Gateway.Service.Alarms;
using Gateway.Service.Site;

namespace Gateway.Service.Controllers;

/// <summary>
/// A UHPPOTE board's part of a <see cref="ControllerSession"/> (docs/uhppote.md, "How Gateway keeps a board
/// right"). An outbox change is one request per card record (put-card with its doors and date window, or
/// delete-card), the first sent in the turn that reads the change. The clock is kept at the site's local
/// time. Drift is found by the card count and a paced walk of the card table by index (a few slots a
/// turn, outbox changes first), and repaired by the differences only. Its events and settings are
/// <see cref="BoardEvents"/> and <see cref="BoardSettings"/>.
/// </summary>
public sealed class BoardAdapter : ControllerAdapter
{
    /// <summary>Card-table slots read in one turn of a walk.</summary>
    public const int WalkSlice = 8;

    private static readonly TimeSpan SnapshotMaxAge = TimeSpan.FromSeconds(30);

    private readonly UhppoteController _driver;
    private readonly UhppoteBoardOptions _board;
    private readonly BoardEvents _events;
    private readonly BoardSettings _settings;

    // Set when a fill or a repair is queued: once the board answered all of it, its count is read again so
    // health shows what it holds (otherwise the count from before the fill stays until the next check).
    private bool _recountWhenApplied;
    private Walk? _walk;

    /// <param name="device">A device of kind <c>uhppote</c> (its <see cref="DeviceOptions.Board"/> set).</param>
    /// <param name="driver">The board's UDP client.</param>
    /// <param name="listener">The port the board pushes its events to, when one is configured.</param>
    public BoardAdapter(DeviceOptions device, UhppoteController driver, BoardListener? listener = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        _board = device.Board ?? throw new ArgumentException($"device {device.Id} is not a UHPPOTE board", nameof(device));
        _driver = driver;
        _events = new BoardEvents(this, _board, driver);
        _settings = new BoardSettings(this, _board, driver, listener);
    }

    public override string Noun => "Board";

    public override string Where => string.Create(CultureInfo.InvariantCulture, $"(serial {_board.Serial})");

    public override int Unit => 0;

    /// <inheritdoc />
    /// <remarks>A board opens the doors configured for it (<c>Doors:D</c>); a lane of the desk is a door here.</remarks>
    public override IReadOnlyList<int>? Lanes => [.. _board.Doors.Select(d => d.Door).Order()];

    public override IEventCollection Events => _events;

    public override IControllerSettings Settings => _settings;

    /// <summary>A board has no boot id: its event epoch is saved in its place.</summary>
    public override uint? SavedBootId => _events.Epoch;

    /// <summary>An event the board pushed to its listener; stored at the next turn (the bus is woken by the listener).</summary>
    public void Push(UhppotePushedEvent pushed) => _events.Push(pushed);

    public override string? LaneProblem(int lane) =>
        _board.Doors.Any(d => d.Door == lane) ? null : $"{Id} opens doors {string.Join(", ", Lanes!)}";

    public override Task LoadAsync(ControllerSyncState? saved, CancellationToken cancellationToken) =>
        _events.LoadAsync(saved?.BootId is { } epoch and > 0 ? epoch : 1, cancellationToken);

    public override async Task ConnectAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await _driver.GetControllerAsync(cancellationToken);
        _walk = null;
    }

    public override NextWork Next(DateTimeOffset now)
    {
        var s = Session;

        // An unset or wrong clock makes the board judge every date window wrongly: first.
        if (s.NeedsClock)
        {
            return new(SessionWork.Clock, false);
        }

        // Changes made while it was away go out before a comparison, so missed changes are not taken for drift;
        // a board never synced is compared (and filled) first.
        var behind = Context.Outbox.Latest > s.Applied;
        if (s.Applied > 0 && behind)
        {
            return new(SessionWork.Outbox, false);
        }

        if (_walk is null && (s.NeedsCheck || s.LastCheck is null))
        {
            return new(SessionWork.Check, false);
        }

        if (behind && _walk is null)
        {
            return new(SessionWork.Outbox, false);
        }

        if (now >= s.NextEvents)
        {
            return new(SessionWork.Events, true);
        }

        if (_walk is not null)
        {
            return new(SessionWork.ContinueCheck, true);
        }

        if (now >= s.NextClock)
        {
            return new(SessionWork.Clock, true);
        }

        return new(now >= s.LastCheck + Context.Options.CheckInterval ? SessionWork.Check : SessionWork.None, true);
    }

    public override async Task OpenAsync(GateOpenCommand command, TaskCompletionSource<GateOpenResult> completion, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // The board logs the opening (reason remote open), but its events are not collected yet: not logged for Gateway.
        await _driver.OpenDoorAsync(command.Lane, cancellationToken);
        completion.TrySetResult(new GateOpenResult(GateOpenStatus.Opened));
        Context.Logger.LogInformation("Board {DeviceId}: door {Door} opened remotely (opening {OpeningId})", Id, command.Lane, command.Tag);
    }

    public override async Task<ClockFinding> ClockAsync(CancellationToken cancellationToken)
    {
        var zone = Context.Rules.Parking.TimeZone;
        var board = await _driver.GetTimeAsync(cancellationToken);
        var local = TimeZoneInfo.ConvertTime(Context.Time.GetUtcNow(), zone).DateTime;
        var skew = board - local;
        if (skew.Duration() <= SyncOptions.ClockAlarmThreshold)
        {
            return new ClockFinding(skew, false, null);
        }

        await _driver.SetTimeAsync(TimeZoneInfo.ConvertTime(Context.Time.GetUtcNow(), zone).DateTime, cancellationToken);
        Context.Logger.LogInformation("Board {DeviceId} clock was {SkewSeconds:F1} s off the site's local time; set", Id, skew.TotalSeconds);

        // A board whose clock is years off was never set (or lost it): set it, no alarm.
        var alarm = skew.Duration() < TimeSpan.FromDays(1) && Session.LastCheck is not null
            ? string.Create(CultureInfo.InvariantCulture, $"clock of {Id} was {skew.TotalSeconds:F0} s off the site's local time; it was set")
            : null;
        return new ClockFinding(skew, true, alarm);
    }

    public override async Task CheckAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        // At least what this controller applied: its own read of the outbox can run ahead of the watcher's, and a
        // cached snapshot between the two would undo the changes in between as if they were drift.
        var s = Session;
        var loaded = await Context.Snapshots.GetAsync(Math.Max(Context.Outbox.Latest, s.Applied), SnapshotMaxAge, cancellationToken);
        var (expected, collisions) = BoardCards.For(_board, loaded.Snapshot.Cards, Context.Rules, now);
        if (collisions.Count > 0)
        {
            Context.Logger.LogWarning("Board {DeviceId}: card numbers {Numbers} are read from two cards each; the newer card holds each", Id, string.Join(", ", collisions));
        }

        var count = await _driver.GetCardCountAsync(cancellationToken);
        s.NeedsCheck = false;
        s.Update(h => h with { WhitelistCount = count, ExpectedCount = expected.Count });
        if (count == 0 && expected.Count > 0)
        {
            // An empty table (new, reset, or never filled): every record goes out, no walk and no drift alarm.
            Context.Logger.LogInformation("Board {DeviceId} holds no cards: writing {Count} records", Id, expected.Count);
            foreach (var card in expected.Values.OrderBy(c => c.Number))
            {
                EnqueuePut(card);
            }

            s.Pending.Target = loaded.Snapshot.OutboxSequence;
            _recountWhenApplied = true;
            s.LastCheck = now;
            s.Update(h => h with { PendingChanges = s.Pending.Count });
            return;
        }

        // The count alone cannot show a record with the wrong window or doors: the table is walked in slices.
        _walk = new Walk(loaded.Snapshot.OutboxSequence, new Dictionary<uint, UhppoteCard>(expected), count != expected.Count, count);
        if (_walk.CountDiffers)
        {
            Context.Logger.LogInformation("Board {DeviceId} holds {Count} cards, {Expected} expected: walking its card table", Id, count, expected.Count);
        }
    }

    /// <summary>The next slice of the walk; at its end, the differences found are repaired, those only.</summary>
    public override async Task ContinueCheckAsync(DateTimeOffset now, CancellationToken cancellationToken)
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

        var s = Session;
        _walk = null;
        s.LastCheck = now;
        var missing = walk.Expected.Keys.Where(n => !walk.Seen.Contains(n)).ToList();
        var puts = walk.Different.Concat(missing).Where(walk.Expected.ContainsKey).Distinct().Select(n => walk.Expected[n]).ToList();
        var deletes = walk.Extra.Distinct().ToList();
        if (puts.Count == 0 && deletes.Count == 0)
        {
            s.Applied = Math.Max(s.Applied, walk.Sequence);
            await s.SaveAsync(cancellationToken);
            s.SetDrifted(false);
            s.Update(h => h with { AppliedSequence = s.Applied, WhitelistCount = walk.Expected.Count });
            return;
        }

        Context.Logger.LogWarning("Board {DeviceId} drifted: {Missing} records missing, {Different} different, {Extra} extra; repairing those only", Id, missing.Count, walk.Different.Count, deletes.Count);
        s.SetDrifted(true);
        await s.RaiseAsync(new AlarmRaise(AlarmKind.Drift, Id, $"card table of {Id} differed: {puts.Count} records missing or different, {deletes.Count} extra; repaired"), cancellationToken);
        foreach (var number in deletes)
        {
            EnqueueDelete(number);
        }

        foreach (var card in puts)
        {
            EnqueuePut(card);
        }

        s.Pending.Target = walk.Sequence;
        _recountWhenApplied = true;
        s.NeedsCheck = true;
        s.Update(h => h with { PendingChanges = s.Pending.Count });
    }

    public override async Task OutboxAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var s = Session;
        var changes = await Context.Store.LoadChangesAsync(s.Applied, cancellationToken);
        var (records, _) = BoardCards.For(_board, changes.Cards, Context.Rules, now);
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

        if (s.Pending.Count == 0)
        {
            await s.CommitAppliedAsync(changes.OutboxSequence, cancellationToken);
            return;
        }

        s.Pending.Target = changes.OutboxSequence;
        Context.Logger.LogDebug("Board {DeviceId}: outbox up to {Sequence}: {Puts} put-card, {Deletes} delete-card", Id, changes.OutboxSequence, records.Count, deletes.Count);

        // The first request goes out in this turn: a single change reaches the board without waiting for another.
        await s.SendNextAsync(cancellationToken);
    }

    public override async Task AppliedAsync(CancellationToken cancellationToken)
    {
        if (_recountWhenApplied)
        {
            _recountWhenApplied = false;
            var count = await _driver.GetCardCountAsync(cancellationToken);
            Session.Update(h => h with { WhitelistCount = count });
        }
    }

    public override void Reset(bool restart)
    {
        _recountWhenApplied = false;
        _walk = null;
    }

    private void EnqueuePut(UhppoteCard card) =>
        Session.Pending.Enqueue($"put-card {card.Number}", ct => _driver.PutCardAsync(card, ct));

    private void EnqueueDelete(uint number) =>
        Session.Pending.Enqueue($"delete-card {number}", ct => _driver.DeleteCardAsync(number, ct));

    private static bool Same(UhppoteCard held, UhppoteCard wanted) =>
        held.From == wanted.From && held.To == wanted.To && held.Doors.Doors.SequenceEqual(wanted.Doors.Doors);

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
