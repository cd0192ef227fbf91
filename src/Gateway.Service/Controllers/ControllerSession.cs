using Gateway.Drivers;
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
/// One controller as the sync engine drives it, whatever its family. Its bus worker gives it turns; each
/// turn does at most one short step (connect, an opening asked from the desk, one queued request of a
/// change, the clock and settings, a comparison, the outbox, the events), so controllers sharing a bus are
/// served in turn and a long repair of one does not stop the others. What differs by family — the
/// driver's steps, the order of the work, the clock, the events and the settings — is the family's
/// <see cref="ControllerAdapter"/> (<see cref="BarrierAdapter"/>, <see cref="BoardAdapter"/>). What every
/// family shares is here: device errors are caught and the controller backs off (1 s doubling to
/// <see cref="SyncOptions.MaxBackoff"/>, costing its bus nothing while it waits), a second failure in a row
/// raises the device-down alarm, the applied outbox sequence is saved once every request of a change was
/// answered, and health is kept for the devices endpoint.
/// </summary>
public sealed class ControllerSession : IControllerSession
{
    private readonly ControllerAdapter _adapter;
    private readonly GateOpenQueue _openings = new();
    private bool _loaded;
    private volatile bool _connected;
    private DateTimeOffset _nextAttempt;
    private int _failures;

    // The settings from configuration were written or found right once: a later difference was made behind Gateway's back.
    private bool _settingsKept;

    // Health, read by other threads through Health().
    private volatile ControllerHealth _health;

    public ControllerSession(DeviceOptions device, ControllerAdapter adapter, SyncContext context)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(adapter);
        Device = device;
        Context = context;
        _adapter = adapter;
        adapter.Attach(this);
        _health = new ControllerHealth(device.Id, device.Endpoint, adapter.Unit, device.Zone ?? string.Empty, DeviceState.Unknown, false, null, null, null, null, null, 0, 0, 0, 0, 0, null);
    }

    public DeviceOptions Device { get; }

    /// <summary>The family's part.</summary>
    public ControllerAdapter Adapter => _adapter;

    internal SyncContext Context { get; }

    /// <summary>The outbox sequence this controller applied (saved).</summary>
    internal long Applied { get; set; }

    /// <summary>When the controller was last compared with what it should hold (saved).</summary>
    internal DateTimeOffset? LastCheck { get; set; }

    internal bool NeedsCheck { get; set; } = true;

    internal bool NeedsClock { get; set; } = true;

    internal DateTimeOffset NextClock { get; private set; }

    internal DateTimeOffset NextEvents { get; set; }

    /// <summary>The requests of the change or repair under way.</summary>
    internal PendingRequests Pending { get; } = new();

    private string Id => Device.Id;

    public ControllerHealth Health() => _health;

    /// <inheritdoc />
    public bool HasOpeningWaiting => _openings.HasWork;

    /// <inheritdoc />
    public bool IsConnected => _connected && Context.Time.GetUtcNow() >= _nextAttempt;

    /// <inheritdoc />
    public IReadOnlyList<int>? Lanes => _adapter.Lanes;

    /// <summary>When this controller last had a turn for routine work (the bus lets outbox changes go first, but not for ever).</summary>
    public DateTimeOffset LastRoutineTurn { get; private set; } = DateTimeOffset.MinValue;

    /// <summary>
    /// Starts over as after a reconnect: its bus worker stopped on an unexpected error, which may have left a
    /// turn half-done (a request sent but not recorded, an applied sequence raised in memory but not saved). The
    /// saved state is read again, and the next turns identify the controller, check it and set its clock.
    /// </summary>
    public void Restart()
    {
        _loaded = false;
        _connected = false;
        Pending.Clear();
        _adapter.Reset(restart: true);
        NeedsCheck = true;
        NeedsClock = true;
        _failures = 0;
        _nextAttempt = DateTimeOffset.MinValue;
        _openings.FailAll(GateOpenStatus.NotConnected, $"the sync worker of {Id} restarted; nothing was sent");
        Update(h => h with { PendingChanges = 0, NextAttemptUtc = null });
    }

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

        if (_adapter.LaneProblem(command.Lane) is { } problem)
        {
            return Task.FromResult(new GateOpenResult(GateOpenStatus.NoSuchLane, Detail: problem));
        }

        return _openings.Enqueue(command);
    }

    /// <summary>Asks for a comparison (and repair) at the next turn.</summary>
    public void RequestCheck() => NeedsCheck = true;

    /// <summary>Asks for a clock reading at the next turn.</summary>
    public void RequestClock() => NeedsClock = true;

    /// <summary>Asks for the events to be read at the next turn.</summary>
    public void RequestEvents() => NextEvents = DateTimeOffset.MinValue;

    /// <summary>
    /// True when the outbox moved past what this controller applied and it can take the change in its next
    /// turn: connected, not backing off, no requests of an earlier change pending, clock and first check done.
    /// Its bus serves such controllers before any routine work (events, clocks, checks), so a revoke is not
    /// queued behind them.
    /// </summary>
    public bool HasOutboxChange(DateTimeOffset now) =>
        _loaded && _connected && now >= _nextAttempt && Pending.Count == 0 && !NeedsClock && !_adapter.HoldsOutbox && LastCheck is not null && Context.Outbox.Latest > Applied;

    /// <summary>Does the next step, if one is due. False when there was nothing to do (or the controller is backing off).</summary>
    public async Task<bool> TurnAsync(CancellationToken cancellationToken)
    {
        var now = Context.Time.GetUtcNow();
        if (now < _nextAttempt)
        {
            return false;
        }

        if (!_loaded)
        {
            var saved = await Context.Store.LoadControllerAsync(Id, cancellationToken);
            Applied = saved?.AppliedSequence ?? 0;
            LastCheck = saved?.LastCheckUtc;
            await _adapter.LoadAsync(saved, cancellationToken);
            _loaded = true;
            Update(h => h with { AppliedSequence = Applied });
        }

        // Pushed events need nothing from the controller: taken first, and they say nothing of its connection.
        var took = await _adapter.Events.TakePushedAsync(now, cancellationToken);
        try
        {
            var worked = await StepAsync(now, cancellationToken) || took;
            if (_failures > 0 || !_connected)
            {
                Context.Logger.LogInformation("{Family:l} {DeviceId} at {Endpoint} {Where:l} is connected", _adapter.Noun, Id, Device.Endpoint, _adapter.Where);
                _failures = 0;
                _connected = true;
                Report(DeviceState.Connected, null);
            }

            Update(h => h with { LastContactUtc = Context.Time.GetUtcNow(), ConsecutiveFailures = 0, NextAttemptUtc = null });
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
            _adapter.Settings.Forget();
            await _adapter.ConnectAsync(now, cancellationToken);
            NeedsCheck = true;
            NeedsClock = true;
            return true;
        }

        // An opening asked from the desk goes before everything else: someone waits at the gate.
        if (_openings.TryTake(now, out var open, out var opened))
        {
            await OpenAsync(open, opened, now, cancellationToken);
            return true;
        }

        if (Pending.Count > 0)
        {
            await SendNextAsync(cancellationToken);
            return true;
        }

        var next = _adapter.Next(now);
        if (next.Routine)
        {
            LastRoutineTurn = now;
        }

        switch (next.Work)
        {
            case SessionWork.Clock:
                await ClockAsync(now, cancellationToken);
                return true;
            case SessionWork.Check:
                await _adapter.CheckAsync(now, cancellationToken);
                return true;
            case SessionWork.ContinueCheck:
                await _adapter.ContinueCheckAsync(now, cancellationToken);
                return true;
            case SessionWork.Outbox:
                await _adapter.OutboxAsync(now, cancellationToken);
                return true;
            case SessionWork.Events:
                await _adapter.Events.CollectAsync(now, cancellationToken);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The family opens the lane; whoever asked is answered even when the controller does not confirm it.</summary>
    private async Task OpenAsync(GateOpenCommand command, TaskCompletionSource<GateOpenResult> completion, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            await _adapter.OpenAsync(command, completion, now, cancellationToken);
        }
        catch (DeviceException ex)
        {
            completion.TrySetResult(new GateOpenResult(GateOpenStatus.Failed, Detail: $"{Id} did not confirm the opening: {ex.Message}"));
            throw;
        }
        catch (OperationCanceledException)
        {
            completion.TrySetResult(new GateOpenResult(GateOpenStatus.Failed, Detail: $"the service is stopping; the opening may or may not have reached the {_adapter.Noun.ToLowerInvariant()}"));
            throw;
        }
    }

    /// <summary>Sends the next queued request; after the last, records the change as applied.</summary>
    internal async Task SendNextAsync(CancellationToken cancellationToken)
    {
        if (await Pending.SendNextAsync(cancellationToken))
        {
            await CommitAppliedAsync(Pending.Target, cancellationToken);
            Pending.Target = -1;
            await _adapter.AppliedAsync(cancellationToken);
        }

        Update(h => h with { PendingChanges = Pending.Count });
    }

    /// <summary>Records <paramref name="target"/> as applied (only now: every request of the change was answered).</summary>
    internal async Task CommitAppliedAsync(long target, CancellationToken cancellationToken)
    {
        if (target > Applied)
        {
            Applied = target;
            await SaveAsync(cancellationToken);
            Update(h => h with { AppliedSequence = Applied });
        }
    }

    private async Task ClockAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var found = await _adapter.ClockAsync(cancellationToken);
        Update(h => h with { ClockSkewSeconds = Math.Round(found.Skew.TotalSeconds, 1) });
        if (found.Alarm is { } alarm)
        {
            await RaiseAsync(new AlarmRaise(AlarmKind.ClockSkew, Id, alarm), cancellationToken);
        }

        if (found.Set)
        {
            Update(h => h with { ClockSkewSeconds = 0 });
        }

        await SettingsAsync(cancellationToken);
        NeedsClock = false;
        Context.Board.ReportSync(Id, _health.Drifted, _health.ClockSkewSeconds);
        NextClock = now + Context.Options.ClockInterval;
    }

    /// <summary>
    /// The settings from configuration, checked with the clock: on connecting, after a restart and every
    /// <see cref="SyncOptions.ClockInterval"/>. A setting found changed on a controller already set (and not
    /// just restarted) is set again and raises a drift alarm.
    /// </summary>
    private async Task SettingsAsync(CancellationToken cancellationToken)
    {
        var changed = await _adapter.Settings.ApplyAsync(cancellationToken);
        if (changed.Count > 0)
        {
            Context.Logger.LogInformation("{Family:l} {DeviceId}: set as configured: {Settings}", _adapter.Noun, Id, string.Join("; ", changed));
            if (_settingsKept && !_adapter.JustBooted)
            {
                await RaiseAsync(new AlarmRaise(AlarmKind.Drift, Id, $"settings of {Id} differed: {string.Join("; ", changed)}; they were set"), cancellationToken);
            }
        }

        _settingsKept = true;
    }

    private async Task FailAsync(DeviceException ex, CancellationToken cancellationToken)
    {
        _failures++;
        _connected = false;
        Pending.Clear();
        _adapter.Reset(restart: false);
        NeedsCheck = true;
        _openings.FailAll(GateOpenStatus.NotConnected, $"{Id} does not answer ({ex.Message}); nothing was sent");
        var wait = Backoff(_failures, Context.Options.MaxBackoff);
        _nextAttempt = Context.Time.GetUtcNow() + wait;
        var state = _failures == 1 ? DeviceState.Degraded : DeviceState.Down;
        Context.Logger.LogWarning("{Family:l} {DeviceId} at {Endpoint} {Where:l} failed ({Failures} in a row), next attempt in {BackoffSeconds} s: {Error}", _adapter.Noun, Id, Device.Endpoint, _adapter.Where, _failures, wait.TotalSeconds, ex.Message);
        Update(h => h with { ConsecutiveFailures = _failures, NextAttemptUtc = _nextAttempt, LastError = ex.Message, PendingChanges = 0 });
        Report(state, ex.Message);
        if (_failures == 2)
        {
            await RaiseAsync(new AlarmRaise(AlarmKind.DeviceDown, Id, $"{Id} at {Device.Endpoint} {_adapter.Where} does not answer: {ex.Message}"), cancellationToken);
        }
    }

    /// <summary>The wait after <paramref name="failures"/> failures in a row: 1 s, 2 s, 4 s … capped at <paramref name="max"/>.</summary>
    public static TimeSpan Backoff(int failures, TimeSpan max)
    {
        var seconds = Math.Pow(2, Math.Clamp(failures - 1, 0, 30));
        return TimeSpan.FromSeconds(Math.Min(seconds, max.TotalSeconds));
    }

    internal async Task RaiseAsync(AlarmRaise raise, CancellationToken cancellationToken)
    {
        var alarm = await Context.Alarms.RaiseAsync(raise, cancellationToken);
        Context.Logger.LogWarning("Alarm {AlarmId} {AlarmKind} on {DeviceId}: {Message}", alarm.Id, AlarmStore.Name(alarm.Kind), Id, alarm.Message);
    }

    /// <summary>Raises a blocked-card alarm for every stored event whose card is lost, revoked or damaged.</summary>
    internal async Task AlarmBlockedAsync(IReadOnlyList<ControllerEventView> stored, CancellationToken cancellationToken)
    {
        foreach (var e in stored.Where(e => e.Reason == "blocked"))
        {
            var card = e.CardNumber is { } n ? $"card {n}" : "a card";
            var number = e.BoardCard is { } read ? $", number {read}" : string.Empty;
            await RaiseAsync(new AlarmRaise(AlarmKind.BlockedCard, Id, $"blocked {card} (UID {e.CardUid}{number}) presented at {Id} lane {e.Lane}", e.CardUid, e.CardNumber), cancellationToken);
        }
    }

    internal Task SaveAsync(CancellationToken cancellationToken) =>
        Context.Store.SaveControllerAsync(new ControllerSyncState(Id, Applied, _adapter.SavedBootId, LastCheck, _adapter.WritePending), cancellationToken);

    internal void SetDrifted(bool drifted)
    {
        Update(h => h with { Drifted = drifted });
        Context.Board.ReportSync(Id, drifted, _health.ClockSkewSeconds);
    }

    internal void Update(Func<ControllerHealth, ControllerHealth> change) => _health = change(_health);

    private void Report(DeviceState state, string? error)
    {
        _health = _health with { State = state, LastError = error ?? _health.LastError };
        Context.Board.Report(Id, state, error);
    }
}
