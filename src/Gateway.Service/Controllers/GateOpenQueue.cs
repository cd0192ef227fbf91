using Gateway.Service.Site;

namespace Gateway.Service.Controllers;

/// <summary>A remote opening asked of one controller: the lane (a door on a door controller), the opening's tag, and when it is too late to send.</summary>
/// <param name="Lane">1..the controller's lane (or door) count.</param>
/// <param name="Tag">The opening's id; a controller that logs openings logs it with the event, so the collected event names the opening.</param>
/// <param name="DeadlineUtc">After this instant the command is dropped unsent: an arm rising long after the desk asked opens for nobody.</param>
public sealed record GateOpenCommand(int Lane, uint Tag, DateTimeOffset DeadlineUtc);

/// <summary>What became of a remote opening.</summary>
public enum GateOpenStatus
{
    /// <summary>The controller confirmed the command: the arm is rising, the door released.</summary>
    Opened,

    /// <summary>The controller was reached and did not confirm (no answer, an exception reply); the lane may or may not have opened.</summary>
    Failed,

    /// <summary>The controller is not connected (down, backing off, not yet reached): nothing was sent.</summary>
    NotConnected,

    /// <summary>The controller has no such lane or door: nothing was sent.</summary>
    NoSuchLane,

    /// <summary>The controller's bus did not get to it before the deadline: nothing was sent.</summary>
    TimedOut,
}

/// <summary>The answer to a <see cref="GateOpenCommand"/>.</summary>
/// <param name="Status">What became of it.</param>
/// <param name="Logged">True when the controller logs the opening as an event carrying the tag (gateway-barrier 1.1 and later).</param>
/// <param name="Detail">For people: why it failed, or null.</param>
public sealed record GateOpenResult(GateOpenStatus Status, bool Logged = false, string? Detail = null);

/// <summary>
/// A controller that opens a lane or a door on command. Each controller family's session implements it
/// and performs the opening in its own turn on its bus (one request in flight per bus), so an opening
/// never interleaves with a whitelist batch: the gateway-barrier session with the profile's remote opening,
/// a UHPPOTE board's session with the board's open-door request (function 0x40).
/// </summary>
public interface IGateOpener
{
    DeviceOptions Device { get; }

    /// <summary>True while the controller answers (an opening is for now: none is kept for when it comes back).</summary>
    bool IsConnected { get; }

    /// <summary>The lanes (doors) it can open, ascending; null while not known (a barrier controller tells its lane count when it identifies itself).</summary>
    IReadOnlyList<int>? Lanes { get; }

    /// <summary>True while an opening waits for this controller's next turn (its bus serves it before routine work).</summary>
    bool HasOpeningWaiting { get; }

    /// <summary>Queues <paramref name="command"/> for the next turn; the task completes when it was sent and answered, refused, or dropped at its deadline.</summary>
    Task<GateOpenResult> RequestOpenAsync(GateOpenCommand command);
}

/// <summary>
/// The openings waiting for a controller's turn. Enqueued from request threads, taken by the bus worker;
/// every command's task completes exactly once: answered, failed with the controller, or dropped unsent at its deadline.
/// </summary>
public sealed class GateOpenQueue
{
    private readonly Lock _lock = new();
    private readonly Queue<Pending> _queue = new();

    /// <summary>True while a command waits.</summary>
    public bool HasWork
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count > 0;
            }
        }
    }

    public Task<GateOpenResult> Enqueue(GateOpenCommand command)
    {
        var pending = new Pending(command, new TaskCompletionSource<GateOpenResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_lock)
        {
            _queue.Enqueue(pending);
        }

        return pending.Completion.Task;
    }

    /// <summary>The oldest command still within its deadline; those past it are completed as <see cref="GateOpenStatus.TimedOut"/>.</summary>
    public bool TryTake(DateTimeOffset now, out GateOpenCommand command, out TaskCompletionSource<GateOpenResult> completion)
    {
        lock (_lock)
        {
            while (_queue.TryDequeue(out var pending))
            {
                if (now <= pending.Command.DeadlineUtc)
                {
                    command = pending.Command;
                    completion = pending.Completion;
                    return true;
                }

                pending.Completion.TrySetResult(new GateOpenResult(GateOpenStatus.TimedOut, Detail: "the controller's bus did not reach it in time; nothing was sent"));
            }
        }

        command = null!;
        completion = null!;
        return false;
    }

    /// <summary>Completes every waiting command unsent (the controller failed or its worker restarted).</summary>
    public void FailAll(GateOpenStatus status, string detail)
    {
        lock (_lock)
        {
            while (_queue.TryDequeue(out var pending))
            {
                pending.Completion.TrySetResult(new GateOpenResult(status, Detail: detail));
            }
        }
    }

    private sealed record Pending(GateOpenCommand Command, TaskCompletionSource<GateOpenResult> Completion);
}
