using System.Globalization;
using Gateway.Drivers;
using Gateway.Drivers.Barriers;
using Gateway.Service.Alarms;
using Gateway.Service.Events;
using Gateway.Service.Hosting;
using Gateway.Service.Site;

namespace Gateway.Service.Controllers;

/// <summary>What a controller session needs from the engine, shared by every controller.</summary>
public sealed record SyncContext(
    ISyncStore Store,
    SnapshotCache Snapshots,
    OutboxWatcher Outbox,
    EventStore Events,
    AlarmStore Alarms,
    DeviceStatusBoard Board,
    WhitelistRules Rules,
    SyncOptions Options,
    TimeProvider Time,
    ILogger Logger);

/// <summary>
/// One controller as the sync engine drives it. Its bus worker gives it turns; each turn does at most
/// one step of a few Modbus transactions (connect, a slice of pending whitelist changes, the clock, a
/// count+digest check, the outbox, the events), so controllers sharing a bus are served in turn and a
/// 10,000-entry repair of one does not stop the others. Device errors are caught here: the controller
/// backs off (1 s doubling to <see cref="SyncOptions.MaxBackoff"/>), and while it waits it costs its bus nothing.
/// </summary>
public sealed class ControllerSession : IControllerSession
{
    private const int UpsertSlice = 4 * 15;
    private const int DeleteSlice = 4 * 30;
    private static readonly TimeSpan SnapshotMaxAge = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset UnsetClockBefore = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly SyncContext _context;
    private readonly BarrierController _driver;
    private readonly Queue<Func<CancellationToken, Task>> _pending = new();
    private readonly GateOpenQueue _openings = new();
    private long _pendingTarget = -1;
    private bool _verifyAfterPending;

    private bool _loaded;
    private volatile bool _connected;
    private bool _needsCheck = true;
    private bool _needsClock = true;
    private bool _verifying;

    // A whitelist write of the engine's own (a restore or a repair) started and not yet found complete by
    // a check. Persisted: a service killed half-way leaves the controller partly written, and finding it so
    // after the restart is the engine's unfinished work, not drift.
    private bool _writing;
    private bool _justBooted;

    // The settings from configuration (anti-passback) were written or found right once: a later difference was made behind Gateway's back.
    private bool _settingsKept;
    private bool _noOpenTime;
    private long _applied;
    private uint? _bootId;
    private DateTimeOffset? _lastCheck;
    private DateTimeOffset _nextEvents;
    private DateTimeOffset _nextClock;
    private DateTimeOffset _nextAttempt;
    private int _failures;

    // Health, read by other threads through Health().
    private volatile ControllerHealth _health;

    public ControllerSession(DeviceOptions device, BarrierController driver, SyncContext context)
    {
        Device = device;
        _driver = driver;
        _context = context;
        _health = new ControllerHealth(device.Id, device.Endpoint, device.Unit, device.Zone ?? string.Empty, DeviceState.Unknown, false, null, null, null, null, null, 0, 0, 0, 0, 0, null);
    }

    public DeviceOptions Device { get; }

    private string Id => Device.Id;

    private string Zone => Device.Zone ?? string.Empty;

    public ControllerHealth Health() => _health;

    /// <summary>
    /// Starts over as after a reconnect: its bus worker stopped on an unexpected error, which may have left a
    /// turn half-done (a batch sent but not recorded, an applied sequence raised in memory but not saved). The
    /// saved state is read again, and the next turns identify the controller, check it and set its clock.
    /// </summary>
    public void Restart()
    {
        _loaded = false;
        _connected = false;
        _pending.Clear();
        _pendingTarget = -1;
        _verifyAfterPending = false;
        _verifying = false;
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
    public IReadOnlyList<int>? Lanes => _driver.Identity is { } identity ? [.. Enumerable.Range(1, identity.Lanes)] : null;

    /// <summary>
    /// Queues a remote opening for this controller's next turn. Refused at once, unsent, when the controller is
    /// not connected (an opening is for now: it is not kept for when the controller comes back).
    /// </summary>
    public Task<GateOpenResult> RequestOpenAsync(GateOpenCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!IsConnected)
        {
            var why = _health.LastError is { } error ? $"{Id} is not connected ({error}); nothing was sent" : $"{Id} is not connected; nothing was sent";
            return Task.FromResult(new GateOpenResult(GateOpenStatus.NotConnected, Detail: why));
        }

        if (_driver.Identity is { } identity && (command.Lane < 1 || command.Lane > identity.Lanes))
        {
            return Task.FromResult(new GateOpenResult(GateOpenStatus.NoSuchLane, Detail: $"{Id} has lanes 1..{identity.Lanes}"));
        }

        return _openings.Enqueue(command);
    }

    /// <summary>Asks for a count+digest check (and repair) at the next turn.</summary>
    public void RequestCheck() => _needsCheck = true;

    /// <summary>Asks for a clock reading at the next turn.</summary>
    public void RequestClock() => _needsClock = true;

    /// <summary>Asks for the events to be read at the next turn.</summary>
    public void RequestEvents() => _nextEvents = DateTimeOffset.MinValue;

    /// <summary>When this controller last had a turn for routine work (the bus lets outbox changes go first, but not for ever).</summary>
    public DateTimeOffset LastRoutineTurn { get; private set; } = DateTimeOffset.MinValue;

    /// <summary>
    /// True when the outbox moved past what this controller applied and it can take the change in its next
    /// turn: connected, not backing off, no slices of an earlier change pending. Its bus serves such
    /// controllers before any routine work (events, clocks, checks), so a revoke is not queued behind them.
    /// </summary>
    public bool HasOutboxChange(DateTimeOffset now) =>
        _loaded && _connected && now >= _nextAttempt && _pending.Count == 0 && !_needsClock && !_needsCheck && _lastCheck is not null && _context.Outbox.Latest > _applied;

    /// <summary>Does the next step, if one is due. False when there was nothing to do (or the controller is backing off).</summary>
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
            _bootId = saved?.BootId;
            _lastCheck = saved?.LastCheckUtc;
            _writing = saved?.WritePending ?? false;
            _loaded = true;
            Update(h => h with { AppliedSequence = _applied });
        }

        try
        {
            var worked = await StepAsync(now, cancellationToken);
            if (_failures > 0 || !_connected)
            {
                _context.Logger.LogInformation("Controller {DeviceId} at {Endpoint} unit {UnitId} is connected", Id, Device.Endpoint, Device.Unit);
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
            var identity = await _driver.IdentifyAsync(cancellationToken);
            _noOpenTime = false;
            await OnBootIdAsync(identity.BootId, cancellationToken);
            _needsCheck = true;
            _needsClock = true;
            _nextEvents = now;
            return true;
        }

        // An opening asked from the desk goes before everything else: someone waits at the gate.
        if (_openings.TryTake(now, out var open, out var opened))
        {
            await OpenAsync(open, opened, now, cancellationToken);
            return true;
        }

        if (_pending.Count > 0)
        {
            await _pending.Dequeue()(cancellationToken);
            if (_pending.Count == 0)
            {
                await CompletePendingAsync(cancellationToken);
            }

            Update(h => h with { PendingChanges = _pending.Count });
            return true;
        }

        // A clock reading or check asked for (after connecting, a restart, a repair) comes before the outbox:
        // a restarted controller's clock counts from 0 and denies every card until set, and the check brings
        // the applied sequence up to date by itself. Readings and checks that are merely due wait for it.
        if (_needsClock)
        {
            await ClockAsync(now, cancellationToken);
            return true;
        }

        if (_needsCheck || _lastCheck is null)
        {
            await CheckAsync(now, cancellationToken);
            return true;
        }

        if (_context.Outbox.Latest > _applied)
        {
            await OutboxAsync(now, cancellationToken);
            return true;
        }

        LastRoutineTurn = now;
        if (now >= _nextClock)
        {
            await ClockAsync(now, cancellationToken);
            return true;
        }

        if (now >= _lastCheck + _context.Options.CheckInterval)
        {
            await CheckAsync(now, cancellationToken);
            return true;
        }

        if (now >= _nextEvents)
        {
            await EventsAsync(now, cancellationToken);
            return true;
        }

        return false;
    }

    private async Task OpenAsync(GateOpenCommand command, TaskCompletionSource<GateOpenResult> completion, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lanes = _driver.Identity?.Lanes ?? 0;
        if (command.Lane < 1 || command.Lane > lanes)
        {
            completion.TrySetResult(new GateOpenResult(GateOpenStatus.NoSuchLane, Detail: $"{Id} has lanes 1..{lanes}"));
            return;
        }

        try
        {
            var logged = await _driver.OpenLaneAsync(command.Lane, command.Tag, cancellationToken);
            completion.TrySetResult(new GateOpenResult(GateOpenStatus.Opened, logged));
            _context.Logger.LogInformation("Controller {DeviceId}: lane {Lane} opened remotely (opening {OpeningId})", Id, command.Lane, command.Tag);

            // The opening's event is collected at once, so the desk sees it with who and why.
            _nextEvents = now;
        }
        catch (DeviceException ex)
        {
            completion.TrySetResult(new GateOpenResult(GateOpenStatus.Failed, Detail: $"{Id} did not confirm the opening: {ex.Message}"));
            throw;
        }
        catch (OperationCanceledException)
        {
            completion.TrySetResult(new GateOpenResult(GateOpenStatus.Failed, Detail: "the service is stopping; the opening may or may not have reached the controller"));
            throw;
        }
    }

    private async Task OnBootIdAsync(uint bootId, CancellationToken cancellationToken)
    {
        if (_bootId == bootId)
        {
            return;
        }

        if (_bootId is not null)
        {
            _context.Logger.LogWarning("Controller {DeviceId} restarted (boot id {OldBootId:X8} → {BootId:X8}): checking its whitelist and clock", Id, _bootId, bootId);
            _justBooted = true;
        }

        _bootId = bootId;
        _pending.Clear();
        _pendingTarget = -1;
        _needsCheck = true;
        _needsClock = true;
        await SaveAsync(cancellationToken);
        Update(h => h with { BootId = bootId });
    }

    private async Task ClockAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reading = await _driver.ReadClockAsync(cancellationToken);
        var skew = reading.Drift;

        // A clock before 2020 was never set (it counts from 0 after a restart without a battery-backed clock): set it, no alarm.
        var unset = reading.ControllerTime < UnsetClockBefore;
        Update(h => h with { ClockSkewSeconds = Math.Round(skew.TotalSeconds, 1) });
        if (skew.Duration() > SyncOptions.ClockTolerance)
        {
            await _driver.SetClockAsync(null, cancellationToken);
            _context.Logger.LogInformation("Controller {DeviceId} clock was {SkewSeconds:F1} s off; set to UTC", Id, skew.TotalSeconds);
            if (skew.Duration() > SyncOptions.ClockAlarmThreshold && !_justBooted && !unset)
            {
                await RaiseAsync(new AlarmRaise(AlarmKind.ClockSkew, Id, $"clock of {Id} was {skew.TotalSeconds:F0} s off UTC; it was set"), cancellationToken);
            }

            Update(h => h with { ClockSkewSeconds = 0 });
        }

        await SettingsAsync(cancellationToken);
        _needsClock = false;
        _context.Board.ReportSync(Id, _health.Drifted, _health.ClockSkewSeconds);
        _nextClock = now + _context.Options.ClockInterval;
    }

    /// <summary>
    /// The controller's settings from configuration (its anti-passback option and, from profile 1.2, its open
    /// time), checked with the clock: on connecting, after a restart (a controller with volatile storage comes
    /// back with the profile's defaults: anti-passback on, open time 0) and every <see cref="SyncOptions.ClockInterval"/>.
    /// A setting found changed on a controller already set is set again and raises a drift alarm.
    /// </summary>
    private async Task SettingsAsync(CancellationToken cancellationToken)
    {
        var status = await _driver.ReadStatusAsync(cancellationToken);
        var changed = new List<string>();
        if (status.AntiPassback != Device.AntiPassback)
        {
            await _driver.SetAntiPassbackAsync(Device.AntiPassback, cancellationToken);
            changed.Add($"anti-passback {OnOff(status.AntiPassback)} (configured {OnOff(Device.AntiPassback)})");
        }

        if (Device.OpenSeconds is { } open && status.OpenSeconds != open && !_noOpenTime)
        {
            if (await _driver.SetOpenTimeAsync(open, cancellationToken))
            {
                changed.Add(string.Create(CultureInfo.InvariantCulture, $"open time {status.OpenSeconds} s (configured {open} s)"));
            }
            else
            {
                _noOpenTime = true;
                _context.Logger.LogWarning("Controller {DeviceId} speaks profile {Major}.{Minor}, which has no open time: configured {OpenSeconds} s, not set", Id, _driver.Identity?.MajorVersion, _driver.Identity?.MinorVersion, open);
            }
        }

        if (changed.Count > 0)
        {
            _context.Logger.LogInformation("Controller {DeviceId}: set as configured: {Settings}", Id, string.Join("; ", changed));
            if (_settingsKept && !_justBooted)
            {
                await RaiseAsync(new AlarmRaise(AlarmKind.Drift, Id, $"settings of {Id} differed: {string.Join("; ", changed)}; they were set"), cancellationToken);
            }
        }

        _settingsKept = true;
    }

    private static string OnOff(bool on) => on ? "on" : "off";

    private async Task CheckAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        // At least what this controller applied: its own read of the outbox can run ahead of the watcher's, and a
        // cached snapshot between the two would undo the changes in between as if they were drift.
        var loaded = await _context.Snapshots.GetAsync(Math.Max(_context.Outbox.Latest, _applied), SnapshotMaxAge, cancellationToken);
        var cards = loaded.Snapshot.Cards;
        var expected = DesiredWhitelist.For(Zone, cards, _context.Rules, now);

        // Entries whose retention ended since the last check go first, so the comparison below sees a purge as planned, not as drift.
        if (_lastCheck is { } before && before < now)
        {
            var purge = DesiredWhitelist.PurgedBetween(Zone, cards, _context.Rules, before, now);
            if (purge.Count > 0)
            {
                await _driver.DeleteWhitelistAsync(purge, cancellationToken);
                _context.Logger.LogInformation("Controller {DeviceId}: purged {Count} entries whose retention ended", Id, purge.Count);
            }
        }

        var check = await _driver.CheckDriftAsync(expected, cancellationToken);
        _needsCheck = false;
        _lastCheck = now;
        Update(h => h with { WhitelistCount = check.ActualCount, ExpectedCount = check.ExpectedCount });
        if (check.InSync)
        {
            _applied = Math.Max(_applied, loaded.Snapshot.OutboxSequence);
            _verifying = false;
            _writing = false;
            _justBooted = false;
            await SaveAsync(cancellationToken);
            SetDrifted(false);
            Update(h => h with { AppliedSequence = _applied });
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

        var restoring = check.ActualCount == 0 && (_justBooted || _applied == 0);
        if (restoring)
        {
            _context.Logger.LogInformation("Controller {DeviceId} holds no whitelist: writing {Count} entries", Id, upserts.Count);
        }
        else if (_writing && !_verifying)
        {
            _context.Logger.LogInformation("Controller {DeviceId}: finishing an interrupted whitelist write: {Count} of {Expected} entries held; {Upserts} upserts and {Deletes} deletes left", Id, check.ActualCount, check.ExpectedCount, upserts.Count, deletes.Count);
        }
        else if (await OnlyBehindAsync(upserts, deletes, loaded.Snapshot, cancellationToken))
        {
            // Down, backing off or restarted while cards changed: it missed changes, it did not drift.
            _context.Logger.LogInformation("Controller {DeviceId} is behind: it applied the outbox up to {Applied} of {Sequence}; {Upserts} upserts and {Deletes} deletes bring it up to date", Id, _applied, loaded.Snapshot.OutboxSequence, upserts.Count, deletes.Count);
        }
        else
        {
            _context.Logger.LogWarning("Controller {DeviceId} drifted: {Count} of {Expected} entries expected, digest {Digest:X16} instead of {ExpectedDigest:X16}; repairing {Upserts} upserts and {Deletes} deletes", Id, check.ActualCount, check.ExpectedCount, check.ActualDigest, check.ExpectedDigest, upserts.Count, deletes.Count);
            SetDrifted(true);
            if (!_verifying)
            {
                await RaiseAsync(new AlarmRaise(AlarmKind.Drift, Id, $"whitelist of {Id} differed: {upserts.Count} entries missing or different, {deletes.Count} extra; repaired"), cancellationToken);
            }
        }

        if (!_writing)
        {
            // Recorded before the first batch goes out, so a kill at any point afterwards is recognised.
            _writing = true;
            await SaveAsync(cancellationToken);
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
        if (_applied == 0 || _applied >= snapshot.OutboxSequence)
        {
            return false;
        }

        var marked = await _context.Store.ReadOutboxAsync(_applied, snapshot.OutboxSequence, cancellationToken);
        var numbers = marked.Select(m => m.Number).ToHashSet();
        var changed = marked.Select(m => m.Uid).OfType<CardUid>()
            .Concat(snapshot.Cards.Where(c => numbers.Contains(c.Number)).Select(c => c.Uid))
            .ToHashSet();
        return upserts.All(e => changed.Contains(e.Uid)) && deletes.All(changed.Contains);
    }

    private async Task OutboxAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Only the marked cards are read (one small query), not the whole site: a revoke with 20,000 cards
        // on file costs no more than with 20 (docs/benchmarks.md, "sync").
        var changes = await _context.Store.LoadChangesAsync(_applied, cancellationToken);
        var target = changes.OutboxSequence;
        var byNumber = changes.Cards.ToDictionary(c => c.Number);
        var upserts = DesiredWhitelist.For(Zone, changes.Cards, _context.Rules, now);
        var keep = upserts.Select(e => e.Uid).ToHashSet();
        var deletes = changes.Marked
            .Select(m => byNumber.TryGetValue(m.Number, out var card) ? card.Uid : m.Uid)
            .OfType<CardUid>()
            .Where(uid => !keep.Contains(uid))
            .Distinct()
            .ToList();
        if (upserts.Count == 0 && deletes.Count == 0)
        {
            await CommitAppliedAsync(target, cancellationToken);
            return;
        }

        _context.Logger.LogDebug("Controller {DeviceId}: outbox up to {Sequence}: {Upserts} upserts, {Deletes} deletes", Id, target, upserts.Count, deletes.Count);
        Enqueue(upserts, deletes, target, verify: false);

        // The first slice goes out in this turn: a single change reaches the controller without waiting for another.
        await _pending.Dequeue()(cancellationToken);
        if (_pending.Count == 0)
        {
            await CompletePendingAsync(cancellationToken);
        }

        Update(h => h with { PendingChanges = _pending.Count });
    }

    private async Task EventsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var batch = await _driver.ReadEventsAsync(cancellationToken);
        if (batch.BootId != _bootId)
        {
            await OnBootIdAsync(batch.BootId, cancellationToken);
        }

        var stored = await _context.Events.StoreAsync(Id, batch.BootId, batch.Events, cancellationToken);
        if (batch.Lost > 0)
        {
            await RaiseAsync(new AlarmRaise(AlarmKind.BufferOverflow, Id, $"{Id} lost {batch.Lost} events to a full buffer (boot {batch.BootId:X8}, after sequence {batch.Acknowledged})", Lost: batch.Lost), cancellationToken);
        }

        foreach (var e in stored.Where(e => e.Reason == "blocked"))
        {
            var card = e.CardNumber is { } n ? $"card {n}" : "a card";
            await RaiseAsync(new AlarmRaise(AlarmKind.BlockedCard, Id, $"blocked {card} (UID {e.CardUid}) presented at {Id} lane {e.Lane}", e.CardUid, e.CardNumber), cancellationToken);
        }

        if (batch.Events.Count > 0)
        {
            try
            {
                await _driver.AcknowledgeEventsAsync(batch, cancellationToken);
            }
            catch (BarrierAcknowledgeRejectedException)
            {
                // It restarted since the read: what was stored stays stored, and the next read starts on the new boot.
                _context.Logger.LogInformation("Controller {DeviceId} refused an acknowledgement for boot id {BootId}: it restarted", Id, batch.BootId);
                _nextEvents = now;
                return;
            }

            _context.Logger.LogDebug("Controller {DeviceId}: {Count} events collected ({New} new) up to sequence {Sequence}", Id, batch.Events.Count, stored.Count, batch.LastSequence);
            Update(h => h with { EventsCollected = h.EventsCollected + stored.Count });
        }

        _nextEvents = batch.More ? now : now + _context.Options.EventInterval;
    }

    private void Enqueue(IReadOnlyList<WhitelistEntry> upserts, IReadOnlyList<CardUid> deletes, long target, bool verify)
    {
        // Deletes first: they free capacity the upserts may need.
        for (var i = 0; i < deletes.Count; i += DeleteSlice)
        {
            var slice = deletes.Skip(i).Take(DeleteSlice).ToArray();
            _pending.Enqueue(ct => _driver.DeleteWhitelistAsync(slice, ct));
        }

        for (var i = 0; i < upserts.Count; i += UpsertSlice)
        {
            var slice = upserts.Skip(i).Take(UpsertSlice).ToArray();
            _pending.Enqueue(ct => _driver.UpsertWhitelistAsync(slice, ct));
        }

        _pendingTarget = target;
        _verifyAfterPending = verify;
        Update(h => h with { PendingChanges = _pending.Count });
    }

    private async Task CompletePendingAsync(CancellationToken cancellationToken)
    {
        // Recorded only now: every batch of this change was confirmed by the controller's result register.
        if (_pendingTarget >= 0)
        {
            await CommitAppliedAsync(_pendingTarget, cancellationToken);
        }

        _pendingTarget = -1;
        if (_verifyAfterPending)
        {
            _needsCheck = true;
            _verifying = true;
        }
    }

    private async Task CommitAppliedAsync(long target, CancellationToken cancellationToken)
    {
        if (target > _applied)
        {
            _applied = target;
            await SaveAsync(cancellationToken);
            Update(h => h with { AppliedSequence = _applied });
        }
    }

    private async Task FailAsync(DeviceException ex, CancellationToken cancellationToken)
    {
        _failures++;
        _connected = false;
        _pending.Clear();
        _pendingTarget = -1;
        _needsCheck = true;
        _openings.FailAll(GateOpenStatus.NotConnected, $"{Id} does not answer ({ex.Message}); nothing was sent");
        var wait = Backoff(_failures, _context.Options.MaxBackoff);
        _nextAttempt = _context.Time.GetUtcNow() + wait;
        var state = _failures == 1 ? DeviceState.Degraded : DeviceState.Down;
        _context.Logger.LogWarning("Controller {DeviceId} at {Endpoint} unit {UnitId} failed ({Failures} in a row), next attempt in {BackoffSeconds} s: {Error}", Id, Device.Endpoint, Device.Unit, _failures, wait.TotalSeconds, ex.Message);
        Update(h => h with { ConsecutiveFailures = _failures, NextAttemptUtc = _nextAttempt, LastError = ex.Message, PendingChanges = 0 });
        Report(state, ex.Message);
        if (_failures == 2)
        {
            await RaiseAsync(new AlarmRaise(AlarmKind.DeviceDown, Id, $"{Id} at {Device.Endpoint} unit {Device.Unit} does not answer: {ex.Message}"), cancellationToken);
        }
    }

    /// <summary>The wait after <paramref name="failures"/> failures in a row: 1 s, 2 s, 4 s … capped at <paramref name="max"/>.</summary>
    public static TimeSpan Backoff(int failures, TimeSpan max)
    {
        var seconds = Math.Pow(2, Math.Clamp(failures - 1, 0, 30));
        return TimeSpan.FromSeconds(Math.Min(seconds, max.TotalSeconds));
    }

    private async Task RaiseAsync(AlarmRaise raise, CancellationToken cancellationToken)
    {
        var alarm = await _context.Alarms.RaiseAsync(raise, cancellationToken);
        _context.Logger.LogWarning("Alarm {AlarmId} {AlarmKind} on {DeviceId}: {Message}", alarm.Id, AlarmStore.Name(alarm.Kind), Id, alarm.Message);
    }

    private Task SaveAsync(CancellationToken cancellationToken) =>
        _context.Store.SaveControllerAsync(new ControllerSyncState(Id, _applied, _bootId, _lastCheck, _writing), cancellationToken);

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
}
