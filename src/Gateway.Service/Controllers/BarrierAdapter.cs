using Gateway.Drivers.Barriers;
using Gateway.Service.Alarms;
using Gateway.Service.Site;

namespace Gateway.Service.Controllers;

/// <summary>
/// The gateway-barrier/1 profile's part of a <see cref="ControllerSession"/> (docs/sync.md): the whitelist is
/// compared by count and digest and repaired from an audit of its differences, changes go out in slices of
/// a few Modbus transactions, a new boot id (a restart) asks for a check and the clock, which is kept at UTC.
/// </summary>
public sealed class BarrierAdapter : ControllerAdapter
{
    private const int UpsertSlice = 4 * 15;
    private const int DeleteSlice = 4 * 30;
    private static readonly TimeSpan SnapshotMaxAge = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset UnsetClockBefore = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly DeviceOptions _device;
    private readonly BarrierController _driver;
    private readonly BarrierEvents _events;
    private readonly BarrierSettings _settings;
    private bool _verifyAfterPending;
    private bool _verifying;

    // A whitelist write of the engine's own (a restore or a repair) started and not yet found complete by
    // a check. Persisted: a service killed half-way leaves the controller partly written, and finding it so
    // after the restart is the engine's unfinished work, not drift.
    private bool _writing;
    private bool _justBooted;
    private uint? _bootId;

    public BarrierAdapter(DeviceOptions device, BarrierController driver)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        _driver = driver;
        _events = new BarrierEvents(this, driver);
        _settings = new BarrierSettings(this, device, driver);
    }

    public override string Noun => "Controller";

    public override string Where => $"unit {_device.Unit}";

    public override int Unit => _device.Unit;

    public override IReadOnlyList<int>? Lanes => _driver.Identity is { } identity ? [.. Enumerable.Range(1, identity.Lanes)] : null;

    public override IEventCollection Events => _events;

    public override IControllerSettings Settings => _settings;

    public override uint? SavedBootId => _bootId;

    public override bool WritePending => _writing;

    public override bool JustBooted => _justBooted;

    // A check asked for brings the applied sequence up to date by itself: the outbox waits for it.
    public override bool HoldsOutbox => Session.NeedsCheck;

    private string Zone => _device.Zone ?? string.Empty;

    public override string? LaneProblem(int lane) =>
        _driver.Identity is { } identity && (lane < 1 || lane > identity.Lanes) ? $"{Id} has lanes 1..{identity.Lanes}" : null;

    public override Task LoadAsync(ControllerSyncState? saved, CancellationToken cancellationToken)
    {
        _bootId = saved?.BootId;
        _writing = saved?.WritePending ?? false;
        return Task.CompletedTask;
    }

    public override async Task ConnectAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var identity = await _driver.IdentifyAsync(cancellationToken);
        await OnBootIdAsync(identity.BootId, cancellationToken);
        Session.NextEvents = now;
    }

    public override NextWork Next(DateTimeOffset now)
    {
        // A clock reading or check asked for (after connecting, a restart, a repair) comes before the outbox:
        // a restarted controller's clock counts from 0 and denies every card until set, and the check brings
        // the applied sequence up to date by itself. Readings and checks that are merely due wait for it.
        var s = Session;
        if (s.NeedsClock)
        {
            return new(SessionWork.Clock, false);
        }

        if (s.NeedsCheck || s.LastCheck is null)
        {
            return new(SessionWork.Check, false);
        }

        if (Context.Outbox.Latest > s.Applied)
        {
            return new(SessionWork.Outbox, false);
        }

        if (now >= s.NextClock)
        {
            return new(SessionWork.Clock, true);
        }

        if (now >= s.LastCheck + Context.Options.CheckInterval)
        {
            return new(SessionWork.Check, true);
        }

        return new(now >= s.NextEvents ? SessionWork.Events : SessionWork.None, true);
    }

    public override async Task OpenAsync(GateOpenCommand command, TaskCompletionSource<GateOpenResult> completion, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lanes = _driver.Identity?.Lanes ?? 0;
        if (command.Lane < 1 || command.Lane > lanes)
        {
            completion.TrySetResult(new GateOpenResult(GateOpenStatus.NoSuchLane, Detail: $"{Id} has lanes 1..{lanes}"));
            return;
        }

        var logged = await _driver.OpenLaneAsync(command.Lane, command.Tag, cancellationToken);
        completion.TrySetResult(new GateOpenResult(GateOpenStatus.Opened, logged));
        Context.Logger.LogInformation("Controller {DeviceId}: lane {Lane} opened remotely (opening {OpeningId})", Id, command.Lane, command.Tag);

        // The opening's event is collected at once, so the desk sees it with who and why.
        Session.NextEvents = now;
    }

    /// <summary>A boot id other than the one saved: the controller restarted, so its whitelist and clock are checked.</summary>
    internal async Task OnBootIdAsync(uint bootId, CancellationToken cancellationToken)
    {
        if (_bootId == bootId)
        {
            return;
        }

        if (_bootId is not null)
        {
            Context.Logger.LogWarning("Controller {DeviceId} restarted (boot id {OldBootId:X8} → {BootId:X8}): checking its whitelist and clock", Id, _bootId, bootId);
            _justBooted = true;
        }

        _bootId = bootId;
        Session.Pending.Clear();
        Session.NeedsCheck = true;
        Session.NeedsClock = true;
        await Session.SaveAsync(cancellationToken);
        Session.Update(h => h with { BootId = bootId });
    }

    public override async Task<ClockFinding> ClockAsync(CancellationToken cancellationToken)
    {
        var reading = await _driver.ReadClockAsync(cancellationToken);
        var skew = reading.Drift;

        // A clock before 2020 was never set (it counts from 0 after a restart without a battery-backed clock): set it, no alarm.
        var unset = reading.ControllerTime < UnsetClockBefore;
        if (skew.Duration() <= SyncOptions.ClockTolerance)
        {
            return new ClockFinding(skew, false, null);
        }

        await _driver.SetClockAsync(null, cancellationToken);
        Context.Logger.LogInformation("Controller {DeviceId} clock was {SkewSeconds:F1} s off; set to UTC", Id, skew.TotalSeconds);
        var alarm = skew.Duration() > SyncOptions.ClockAlarmThreshold && !_justBooted && !unset
            ? $"clock of {Id} was {skew.TotalSeconds:F0} s off UTC; it was set"
            : null;
        return new ClockFinding(skew, true, alarm);
    }

    public override async Task CheckAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        // At least what this controller applied: its own read of the outbox can run ahead of the watcher's, and a
        // cached snapshot between the two would undo the changes in between as if they were drift.
        var s = Session;
        var loaded = await Context.Snapshots.GetAsync(Math.Max(Context.Outbox.Latest, s.Applied), SnapshotMaxAge, cancellationToken);
        var cards = loaded.Snapshot.Cards;
        var expected = DesiredWhitelist.For(Zone, cards, Context.Rules, now);

        // Entries whose retention ended since the last check go first, so the comparison below sees a purge as planned, not as drift.
        if (s.LastCheck is { } before && before < now)
        {
            var purge = DesiredWhitelist.PurgedBetween(Zone, cards, Context.Rules, before, now);
            if (purge.Count > 0)
            {
                await _driver.DeleteWhitelistAsync(purge, cancellationToken);
                Context.Logger.LogInformation("Controller {DeviceId}: purged {Count} entries whose retention ended", Id, purge.Count);
            }
        }

        var check = await _driver.CheckDriftAsync(expected, cancellationToken);
        s.NeedsCheck = false;
        s.LastCheck = now;
        s.Update(h => h with { WhitelistCount = check.ActualCount, ExpectedCount = check.ExpectedCount });
        if (check.InSync)
        {
            s.Applied = Math.Max(s.Applied, loaded.Snapshot.OutboxSequence);
            _verifying = false;
            _writing = false;
            _justBooted = false;
            await s.SaveAsync(cancellationToken);
            s.SetDrifted(false);
            s.Update(h => h with { AppliedSequence = s.Applied });
            return;
        }

        IReadOnlyList<WhitelistEntry> upserts;
        IReadOnlyList<CardUid> deletes;
        if (check.ActualCount == 0)
        {
            upserts = expected;
            deletes = [];
        }
        else
        {
            var audit = await _driver.AuditWhitelistAsync(expected, cancellationToken);
            upserts = audit.Differences.Where(d => d.Expected is not null).Select(d => d.Expected!.Value).ToList();
            deletes = audit.Differences.Where(d => d.Expected is null).Select(d => d.Uid).ToList();
        }

        var restoring = check.ActualCount == 0 && (_justBooted || s.Applied == 0);
        if (restoring)
        {
            Context.Logger.LogInformation("Controller {DeviceId} holds no whitelist: writing {Count} entries", Id, upserts.Count);
        }
        else if (_writing && !_verifying)
        {
            Context.Logger.LogInformation("Controller {DeviceId}: finishing an interrupted whitelist write: {Count} of {Expected} entries held; {Upserts} upserts and {Deletes} deletes left", Id, check.ActualCount, check.ExpectedCount, upserts.Count, deletes.Count);
        }
        else if (await OnlyBehindAsync(upserts, deletes, loaded.Snapshot, cancellationToken))
        {
            // Down, backing off or restarted while cards changed: it missed changes, it did not drift.
            Context.Logger.LogInformation("Controller {DeviceId} is behind: it applied the outbox up to {Applied} of {Sequence}; {Upserts} upserts and {Deletes} deletes bring it up to date", Id, s.Applied, loaded.Snapshot.OutboxSequence, upserts.Count, deletes.Count);
        }
        else
        {
            Context.Logger.LogWarning("Controller {DeviceId} drifted: {Count} of {Expected} entries expected, digest {Digest:X16} instead of {ExpectedDigest:X16}; repairing {Upserts} upserts and {Deletes} deletes", Id, check.ActualCount, check.ExpectedCount, check.ActualDigest, check.ExpectedDigest, upserts.Count, deletes.Count);
            s.SetDrifted(true);
            if (!_verifying)
            {
                await s.RaiseAsync(new AlarmRaise(AlarmKind.Drift, Id, $"whitelist of {Id} differed: {upserts.Count} entries missing or different, {deletes.Count} extra; repaired"), cancellationToken);
            }
        }

        if (!_writing)
        {
            // Recorded before the first batch goes out, so a kill at any point afterwards is recognised.
            _writing = true;
            await s.SaveAsync(cancellationToken);
        }

        Enqueue(upserts, deletes, loaded.Snapshot.OutboxSequence, verify: true);
    }

    /// <summary>
    /// True when every difference found is a card marked in the outbox after what this controller applied:
    /// the controller missed changes (it was down or its worker restarted), which is not drift. A controller
    /// that never applied anything holds nothing of the engine's: whatever it holds is drift.
    /// </summary>
    private async Task<bool> OnlyBehindAsync(IReadOnlyList<WhitelistEntry> upserts, IReadOnlyList<CardUid> deletes, SyncSnapshot snapshot, CancellationToken cancellationToken)
    {
        var applied = Session.Applied;
        if (applied == 0 || applied >= snapshot.OutboxSequence)
        {
            return false;
        }

        var marked = await Context.Store.ReadOutboxAsync(applied, snapshot.OutboxSequence, cancellationToken);
        var numbers = marked.Select(m => m.Number).ToHashSet();
        var changed = marked.Select(m => m.Uid).OfType<CardUid>()
            .Concat(snapshot.Cards.Where(c => numbers.Contains(c.Number)).Select(c => c.Uid))
            .ToHashSet();
        return upserts.All(e => changed.Contains(e.Uid)) && deletes.All(changed.Contains);
    }

    public override async Task OutboxAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Only the marked cards are read (one small query), not the whole site: a revoke with 20,000 cards
        // on file costs no more than with 20 (docs/benchmarks.md, "sync").
        var changes = await Context.Store.LoadChangesAsync(Session.Applied, cancellationToken);
        var target = changes.OutboxSequence;
        var byNumber = changes.Cards.ToDictionary(c => c.Number);
        var upserts = DesiredWhitelist.For(Zone, changes.Cards, Context.Rules, now);
        var keep = upserts.Select(e => e.Uid).ToHashSet();
        var deletes = changes.Marked
            .Select(m => byNumber.TryGetValue(m.Number, out var card) ? card.Uid : m.Uid)
            .OfType<CardUid>()
            .Where(uid => !keep.Contains(uid))
            .Distinct()
            .ToList();
        if (upserts.Count == 0 && deletes.Count == 0)
        {
            await Session.CommitAppliedAsync(target, cancellationToken);
            return;
        }

        Context.Logger.LogDebug("Controller {DeviceId}: outbox up to {Sequence}: {Upserts} upserts, {Deletes} deletes", Id, target, upserts.Count, deletes.Count);
        Enqueue(upserts, deletes, target, verify: false);

        // The first slice goes out in this turn: a single change reaches the controller without waiting for another.
        await Session.SendNextAsync(cancellationToken);
    }

    public override Task AppliedAsync(CancellationToken cancellationToken)
    {
        if (_verifyAfterPending)
        {
            Session.NeedsCheck = true;
            _verifying = true;
        }

        return Task.CompletedTask;
    }

    public override void Reset(bool restart)
    {
        // A failure leaves a verification under way as it was: the check after the reconnect finishes it.
        if (restart)
        {
            _verifyAfterPending = false;
            _verifying = false;
        }
    }

    private void Enqueue(IReadOnlyList<WhitelistEntry> upserts, IReadOnlyList<CardUid> deletes, long target, bool verify)
    {
        var pending = Session.Pending;

        // Deletes first: they free capacity the upserts may need.
        for (var i = 0; i < deletes.Count; i += DeleteSlice)
        {
            var slice = deletes.Skip(i).Take(DeleteSlice).ToArray();
            pending.Enqueue($"delete {slice.Length} entries", ct => _driver.DeleteWhitelistAsync(slice, ct));
        }

        for (var i = 0; i < upserts.Count; i += UpsertSlice)
        {
            var slice = upserts.Skip(i).Take(UpsertSlice).ToArray();
            pending.Enqueue($"upsert {slice.Length} entries", ct => _driver.UpsertWhitelistAsync(slice, ct));
        }

        pending.Target = target;
        _verifyAfterPending = verify;
        Session.Update(h => h with { PendingChanges = pending.Count });
    }
}
