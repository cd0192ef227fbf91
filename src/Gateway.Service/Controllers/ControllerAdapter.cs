namespace Gateway.Service.Controllers;

/// <summary>What a session does next, as its family orders the work (outbox changes, checks and the clock first, routine work after).</summary>
public enum SessionWork
{
    /// <summary>Nothing is due.</summary>
    None,

    /// <summary>Read the clock (and set it), then the settings from configuration.</summary>
    Clock,

    /// <summary>Start a comparison with what the controller should hold.</summary>
    Check,

    /// <summary>Go on with a comparison begun in an earlier turn (a board's paced walk of its card table).</summary>
    ContinueCheck,

    /// <summary>Take the outbox's changes since the applied sequence.</summary>
    Outbox,

    /// <summary>Read the controller's events.</summary>
    Events,
}

/// <summary>The next step a family chose, and whether it was chosen among routine work (events, due clocks and checks).</summary>
public readonly record struct NextWork(SessionWork Work, bool Routine);

/// <summary>
/// A controller family's part of a <see cref="ControllerSession"/>: its driver's steps (identify on connecting,
/// compare and repair, the outbox's changes, an opening), the order its work goes in, its clock, and its
/// event collection and settings (<see cref="IEventCollection"/>, <see cref="IControllerSettings"/>). The
/// session keeps what every family shares: turns, back-off, health, alarms, the applied sequence, the
/// queue of requests a change is sent as, and what is due when.
/// </summary>
public abstract class ControllerAdapter
{
    private ControllerSession? _session;

    /// <summary>The session that drives this adapter (set once, when the session is built).</summary>
    protected internal ControllerSession Session => _session ?? throw new InvalidOperationException("the adapter is not attached to a session");

    protected SyncContext Context => Session.Context;

    protected string Id => Session.Device.Id;

    /// <summary>How logs name the family's device: "Controller", "Board".</summary>
    public abstract string Noun { get; }

    /// <summary>Where the device is beyond its endpoint, as logs and alarms say it: "unit 3", "(serial 405419896)".</summary>
    public abstract string Where { get; }

    /// <summary>The unit shown in health (0 where the family has none).</summary>
    public abstract int Unit { get; }

    /// <summary>The lanes (doors) the device opens, or null while it is not known.</summary>
    public abstract IReadOnlyList<int>? Lanes { get; }

    public abstract IEventCollection Events { get; }

    public abstract IControllerSettings Settings { get; }

    /// <summary>What is saved as the controller's boot id (a barrier's boot id, a board's event epoch).</summary>
    public abstract uint? SavedBootId { get; }

    /// <summary>A whitelist write of the engine's own is under way (saved, so a kill half-way is recognised).</summary>
    public virtual bool WritePending => false;

    /// <summary>The controller restarted since it was last found right: differences now are a restore, not drift.</summary>
    public virtual bool JustBooted => false;

    /// <summary>Something of the family's own that keeps the outbox waiting although the session could take it.</summary>
    public virtual bool HoldsOutbox => false;

    internal void Attach(ControllerSession session)
    {
        if (_session is not null)
        {
            throw new InvalidOperationException("the adapter is attached to a session already");
        }

        _session = session;
    }

    /// <summary>Why <paramref name="lane"/> cannot be opened (refused before it is queued), or null.</summary>
    public abstract string? LaneProblem(int lane);

    /// <summary>Takes the family's part of the saved state (the session took the applied sequence and the last check).</summary>
    public abstract Task LoadAsync(ControllerSyncState? saved, CancellationToken cancellationToken);

    /// <summary>The first step after being unconnected: identify the controller (the session then asks for a check and the clock).</summary>
    public abstract Task ConnectAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a lane (door) asked from the desk and completes <paramref name="completion"/> with the outcome; a
    /// device error or cancellation thrown is answered by the session (not confirmed) and goes on up.
    /// </summary>
    public abstract Task OpenAsync(GateOpenCommand command, TaskCompletionSource<GateOpenResult> completion, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>What to do next, once the session's own steps (connect, openings, queued requests) are done.</summary>
    public abstract NextWork Next(DateTimeOffset now);

    /// <summary>Reads the clock, sets it when it is off, and says what was found.</summary>
    public abstract Task<ClockFinding> ClockAsync(CancellationToken cancellationToken);

    /// <summary>Starts (or does) a comparison with what the controller should hold, queueing the repairs.</summary>
    public abstract Task CheckAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Goes on with a comparison begun earlier.</summary>
    public virtual Task ContinueCheckAsync(DateTimeOffset now, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Queues the outbox's changes since the applied sequence (the session sends the first at once).</summary>
    public abstract Task OutboxAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Every queued request was answered and the applied sequence recorded.</summary>
    public virtual Task AppliedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Drops the family's work in progress: the device failed, or (<paramref name="restart"/>) its worker restarts.</summary>
    public virtual void Reset(bool restart)
    {
    }
}

/// <summary>A clock reading: how far off it was, and the clock-skew alarm to raise (null: none).</summary>
public readonly record struct ClockFinding(TimeSpan Skew, bool Set, string? Alarm);

/// <summary>A family's collection of its controller's events (stored, then acknowledged on the controller).</summary>
public interface IEventCollection
{
    /// <summary>Reads a slice of events, stores them, raises their alarms, acknowledges them, and says when to read again.</summary>
    Task CollectAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Stores events the controller pushed since the last turn; false when there were none.</summary>
    Task<bool> TakePushedAsync(DateTimeOffset now, CancellationToken cancellationToken) => Task.FromResult(false);
}

/// <summary>A family's settings from configuration (anti-passback, open times...), checked with the clock.</summary>
public interface IControllerSettings
{
    /// <summary>Reads the settings and sets those that differ from configuration; returns what was set, in words.</summary>
    Task<IReadOnlyList<string>> ApplyAsync(CancellationToken cancellationToken);

    /// <summary>Forgets what was learnt of the firmware (a function it lacks): asked again after a reconnect.</summary>
    void Forget();
}
