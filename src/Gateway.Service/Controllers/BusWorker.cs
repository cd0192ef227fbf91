using Gateway.Service.Hosting;

namespace Gateway.Service.Controllers;

/// <summary>
/// One worker per bus: a serial line or an RTU-over-TCP endpoint shared by several units, one Modbus
/// TCP controller, or one UHPPOTE board. RTU is half-duplex, so the worker gives its controllers turns in rotation, one step
/// each, until none has work; then it sleeps until the next poll or until the outbox moves. A controller
/// backing off is skipped, so one that is down costs the bus one timeout per back-off period, and a
/// bus never waits for another. Device errors are each controller's own (<see cref="IControllerSession"/>);
/// any other error stops the worker, and its <see cref="LoopSupervisor"/> restarts it with back-off, every
/// controller of the bus starting over as after a reconnect.
/// </summary>
public sealed class BusWorker : ISupervisedLoop, IAsyncDisposable
{
    private readonly IAsyncDisposable _transport;
    private readonly IReadOnlyList<IControllerSession> _sessions;
    private readonly SyncOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private int _next;

    public BusWorker(string bus, IAsyncDisposable transport, IReadOnlyList<IControllerSession> sessions, SyncOptions options, TimeProvider time, ILogger logger)
    {
        Bus = bus;
        _transport = transport;
        _sessions = sessions;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The longest a controller's routine work (events, clock, checks) waits while others apply outbox changes.</summary>
    public static readonly TimeSpan RoutineStarvationBound = TimeSpan.FromSeconds(10);

    public string Bus { get; }

    public IReadOnlyList<IControllerSession> Sessions => _sessions;

    public string Name => $"sync worker for bus {Bus}";

    public IReadOnlyList<string> DeviceIds => _sessions.Select(s => s.Device.Id).ToList();

    /// <summary>The index of the controller whose turn opens the next round (tests set it to make an order certain).</summary>
    internal int NextTurn
    {
        get => _next;
        set => _next = value % _sessions.Count;
    }

    /// <summary>Wakes the worker before its next poll (the outbox moved).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken: one wake-up is enough.
        }
    }

    public async Task RunAsync(LoopHeartbeat heartbeat, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        _logger.LogInformation("Sync worker for bus {Bus} started with {Count} controller(s)", Bus, _sessions.Count);
        while (!cancellationToken.IsCancellationRequested)
        {
            // Device errors are handled per controller; a storage or programming error ends the run, and the
            // supervisor restarts it (a storage error left a turn half-done as much as any other).
            await ServeAsync(cancellationToken);
            await heartbeat.HealthyAsync(cancellationToken);

            // A wake-up or the poll interval, whichever comes first (a PeriodicTimer cannot be woken early).
            await _wake.WaitAsync(_options.PollInterval, cancellationToken);
        }
    }

    /// <summary>After an unexpected error: every controller starts over as after a reconnect (reload, identify, check, clock).</summary>
    public void Reset()
    {
        foreach (var session in _sessions)
        {
            session.Restart();
        }
    }

    /// <summary>
    /// Gives every controller turns in rotation until none has anything to do. While the outbox has moved
    /// past some controller, only those controllers get turns: a revoke reaches every controller of the bus
    /// before any reads its events or clock (an event window takes ~150 ms at 19200 baud). A controller whose
    /// routine work has waited longer than <see cref="RoutineStarvationBound"/> gets its turn anyway.
    /// </summary>
    public async Task ServeAsync(CancellationToken cancellationToken)
    {
        bool worked;
        do
        {
            worked = false;
            for (var i = 0; i < _sessions.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var session = _sessions[(_next + i) % _sessions.Count];
                var now = _time.GetUtcNow();
                if (!session.HasOutboxChange(now) && !session.HasOpeningWaiting && now - session.LastRoutineTurn < RoutineStarvationBound && _sessions.Any(s => s.HasOutboxChange(now)))
                {
                    // Its routine work waits for the next round: others have a change to apply.
                    worked = true;
                    continue;
                }

                try
                {
                    worked |= await session.TurnAsync(cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Names the controller for the supervisor's log, health and alarm.
                    LoopSupervisor.Blame(ex, session.Device.Id);
                    throw;
                }
            }

            _next = (_next + 1) % _sessions.Count;
        }
        while (worked);
    }

    public ValueTask DisposeAsync() => _transport.DisposeAsync();
}
