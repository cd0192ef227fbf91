using System.Collections.Concurrent;
using Gateway.Service.Alarms;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Hosting;

/// <summary>
/// A long-running loop of the service (a bus's sync worker, the card outbox watcher, notification
/// delivery) as <see cref="LoopSupervisor"/> runs it. The loop handles the errors it expects itself (a
/// device that does not answer, a notice that was not delivered); whatever else escapes it is the
/// supervisor's.
/// </summary>
public interface ISupervisedLoop
{
    /// <summary>What the loop is, for people: <c>sync worker for bus serial:///dev/ttyUSB0</c>.</summary>
    string Name { get; }

    /// <summary>The devices whose work stops while the loop is down (shown as faulted meanwhile); empty for none.</summary>
    IReadOnlyList<string> DeviceIds { get; }

    /// <summary>Runs until <paramref name="cancellationToken"/> stops it; calls <see cref="LoopHeartbeat.HealthyAsync"/> after each pass that went through.</summary>
    Task RunAsync(LoopHeartbeat heartbeat, CancellationToken cancellationToken);

    /// <summary>Before a restart: forget what the failed run may have left half-done (as after a reconnect).</summary>
    void Reset();
}

/// <summary>What a supervised loop tells its supervisor: a pass went through.</summary>
public sealed class LoopHeartbeat
{
    private readonly LoopSupervisor _supervisor;
    private readonly LoopSupervisor.LoopState _state;

    internal LoopHeartbeat(LoopSupervisor supervisor, LoopSupervisor.LoopState state)
    {
        _supervisor = supervisor;
        _state = state;
    }

    /// <summary>The loop did a pass without an unexpected error: its devices show their own state again.</summary>
    public Task HealthyAsync(CancellationToken cancellationToken) => _supervisor.HealthyAsync(_state, cancellationToken);
}

/// <summary>One supervised loop's state, as /health shows it.</summary>
/// <param name="Name">The loop.</param>
/// <param name="State"><c>running</c>, <c>restarting</c> (waiting out its back-off after an error) or <c>stopped</c>.</param>
/// <param name="Failures">Unexpected errors in a row (reset after a healthy <see cref="LoopSupervisor.HealthyAfter"/>).</param>
/// <param name="Restarts">Restarts since the service started.</param>
/// <param name="LastError">The last unexpected error, kept after recovery.</param>
/// <param name="LastErrorUtc">When it happened.</param>
public sealed record LoopStatus(string Name, string State, int Failures, int Restarts, string? LastError, DateTimeOffset? LastErrorUtc);

/// <summary>
/// Runs the service's long-running loops and keeps them running. An error a loop did not expect is
/// logged with the loop and device named, shows at once in the devices' health (state <c>faulted</c>)
/// and as a <c>service-fault</c> alarm (held in memory while the database refuses writes), and the loop
/// restarts after a back-off (1 s doubling to 60 s). What cannot be recovered stops the service with
/// exit code 70 so that the service manager starts a fresh process: a damaged database file, the
/// runtime out of memory, or a loop failing <see cref="MaxFailures"/> times in a row with an error that
/// is not the database refusing writes (a fresh process is then the better bet; a full disk is not cured
/// by restarting, so storage errors are waited out instead). See docs/operations.md.
/// </summary>
public sealed class LoopSupervisor
{
    /// <summary>The process exit code for "failed, restart me" (BSD's EX_SOFTWARE).</summary>
    public const int ExitCodeUnrecoverable = 70;

    /// <summary>Unexpected failures in a row (not storage) after which the service stops with exit code 70.</summary>
    public const int MaxFailures = 8;

    /// <summary>First back-off after an unexpected error; it doubles with each error in a row.</summary>
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);

    /// <summary>Longest back-off.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    /// <summary>A loop running this long after its last error counts its errors from zero again.</summary>
    public static readonly TimeSpan HealthyAfter = TimeSpan.FromMinutes(2);

    private const string BlameKey = "Gateway.DeviceId";

    private readonly DeviceStatusBoard _board;
    private readonly AlarmStore _alarms;
    private readonly ServiceExit _exit;
    private readonly TimeProvider _time;
    private readonly ILogger<LoopSupervisor> _logger;
    private readonly ConcurrentDictionary<string, LoopState> _loops = new(StringComparer.Ordinal);

    public LoopSupervisor(DeviceStatusBoard board, AlarmStore alarms, ServiceExit exit, TimeProvider time, ILogger<LoopSupervisor> logger)
    {
        _board = board;
        _alarms = alarms;
        _exit = exit;
        _time = time;
        _logger = logger;
    }

    /// <summary>Marks <paramref name="exception"/> as met while serving <paramref name="deviceId"/> (rethrow it after): the supervisor names the device.</summary>
    public static void Blame(Exception exception, string deviceId)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (!exception.Data.Contains(BlameKey))
        {
            exception.Data[BlameKey] = deviceId;
        }
    }

    /// <summary>Every loop run so far, by name.</summary>
    public IReadOnlyList<LoopStatus> Snapshot() =>
        _loops.Values.Select(s => s.Status()).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    /// <summary>Runs <paramref name="loop"/> until <paramref name="stoppingToken"/> stops it, restarting it after unexpected errors.</summary>
    public async Task RunAsync(ISupervisedLoop loop, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(loop);
        var state = _loops.GetOrAdd(loop.Name, name => new LoopState(name));
        var heartbeat = new LoopHeartbeat(this, state);
        while (!stoppingToken.IsCancellationRequested)
        {
            state.Set("running");
            try
            {
                await loop.RunAsync(heartbeat, stoppingToken);
                state.Set("stopped");
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                state.Set("stopped");
                return;
            }
            catch (Exception ex)
            {
                if (!await OnFaultAsync(loop, state, ex, stoppingToken))
                {
                    state.Set("stopped");
                    return;
                }
            }

            loop.Reset();
            _logger.LogInformation("Restarting {Loop} ({Failures} unexpected error(s) in a row)", loop.Name, state.Failures);
        }
    }

    /// <summary>Whether <paramref name="exception"/> leaves nothing to retry in this process.</summary>
    public static bool IsUnrecoverable(Exception exception) => Chain(exception).Any(e => e
        is OutOfMemoryException
        or InsufficientExecutionStackException
        or SqliteException { SqliteErrorCode: SqliteCorrupt or SqliteNotADatabase });

    /// <summary>Whether <paramref name="exception"/> is the database refusing work (busy, full, I/O error): waited out, never escalated.</summary>
    public static bool IsStorage(Exception exception) => Chain(exception).Any(e => e is SqliteException);

    internal async Task HealthyAsync(LoopState state, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (state.FaultedDevices is { } devices)
        {
            foreach (var id in devices)
            {
                _board.ClearFault(id);
            }

            state.FaultedDevices = null;
            _logger.LogInformation("{Loop} is working again after {Failures} unexpected error(s)", state.Name, state.Failures);
        }

        if (state.Failures > 0 && now - state.LastErrorUtc >= HealthyAfter)
        {
            state.Failures = 0;
        }

        if (_alarms.HeldCount > 0)
        {
            await _alarms.StoreHeldAsync(cancellationToken);
        }
    }

    /// <summary>Handles one unexpected error; false when the loop must not restart (the service is stopping).</summary>
    private async Task<bool> OnFaultAsync(ISupervisedLoop loop, LoopState state, Exception ex, CancellationToken stoppingToken)
    {
        var now = _time.GetUtcNow();
        if (state.Failures > 0 && now - state.LastErrorUtc >= HealthyAfter)
        {
            state.Failures = 0;
        }

        state.Failures++;
        state.Restarts++;
        state.LastError = $"{ex.GetType().Name}: {ex.Message}";
        state.LastErrorUtc = now;
        var device = ex.Data[BlameKey] as string;
        var where = device is null ? string.Empty : $" while serving {device}";
        var alarmDevice = device ?? (loop.DeviceIds.Count == 1 ? loop.DeviceIds[0] : AlarmStore.ServiceDeviceId);

        var fatal = IsUnrecoverable(ex) || (state.Failures >= MaxFailures && !IsStorage(ex));
        if (fatal)
        {
            var reason = IsUnrecoverable(ex) ? "it cannot be recovered in this process" : $"it failed {state.Failures} times in a row";
            _logger.LogCritical(ex, "{Loop} stopped on an unexpected error{Where}; {Reason}: stopping Gateway with exit code {ExitCode} so that the service manager starts it afresh", loop.Name, where, reason, ExitCodeUnrecoverable);
            ReportFault(loop, state, $"{loop.Name} stopped{where}: {state.LastError}; the service is stopping (exit code {ExitCodeUnrecoverable})");
            await RaiseAsync(new AlarmRaise(AlarmKind.ServiceFault, alarmDevice, $"{loop.Name} stopped on an unexpected error{where}: {state.LastError}; {reason}: Gateway stopped with exit code {ExitCodeUnrecoverable}"));
            _exit.Fail(ExitCodeUnrecoverable, $"{loop.Name}: {state.LastError}");
            return false;
        }

        var backoff = Backoff(state.Failures);
        _logger.LogError(ex, "{Loop} stopped on an unexpected error{Where} ({Failures} in a row); restarting in {BackoffSeconds} s", loop.Name, where, state.Failures, backoff.TotalSeconds);
        ReportFault(loop, state, $"{loop.Name} stopped{where}: {state.LastError}; restarting in {backoff.TotalSeconds:0} s");

        // One alarm per run of errors: a loop failing again at once would otherwise raise one at every restart.
        if (state.Failures == 1)
        {
            await RaiseAsync(new AlarmRaise(AlarmKind.ServiceFault, alarmDevice, $"{loop.Name} stopped on an unexpected error{where}: {state.LastError}; it restarts with back-off (health shows whether it is working again)"));
        }

        state.Set("restarting");
        try
        {
            await Task.Delay(backoff, _time, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        return true;
    }

    /// <summary>The wait after <paramref name="failures"/> errors in a row: 1 s, 2 s, 4 s … capped at <see cref="MaxBackoff"/>.</summary>
    public static TimeSpan Backoff(int failures) =>
        TimeSpan.FromSeconds(Math.Min(FirstBackoff.TotalSeconds * Math.Pow(2, Math.Clamp(failures - 1, 0, 30)), MaxBackoff.TotalSeconds));

    private void ReportFault(ISupervisedLoop loop, LoopState state, string message)
    {
        foreach (var id in loop.DeviceIds)
        {
            _board.Fault(id, message);
        }

        state.FaultedDevices = loop.DeviceIds;
    }

    private async Task RaiseAsync(AlarmRaise raise)
    {
        try
        {
            // Not the stopping token: the alarm is worth its few milliseconds even while the service stops.
            await _alarms.RaiseAsync(raise, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The store holds what it cannot write; anything else is logged and the loop still restarts.
            _logger.LogError(ex, "The {AlarmKind} alarm on {DeviceId} could not be raised: {Message}", AlarmStore.Name(raise.Kind), raise.DeviceId, raise.Message);
        }
    }

    private const int SqliteCorrupt = 11;
    private const int SqliteNotADatabase = 26;

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    internal sealed class LoopState(string name)
    {
        private volatile string _state = "running";

        public string Name { get; } = name;

        public int Failures { get; set; }

        public int Restarts { get; set; }

        public string? LastError { get; set; }

        public DateTimeOffset LastErrorUtc { get; set; }

        public IReadOnlyList<string>? FaultedDevices { get; set; }

        public void Set(string state) => _state = state;

        public LoopStatus Status() => new(Name, _state, Failures, Restarts, LastError, LastError is null ? null : LastErrorUtc);
    }
}

/// <summary>
/// The exit code the service ends with: 0 unless a supervised loop met what it cannot recover from, then
/// 70 (and the host is asked to stop). Program returns it. Run as a Windows service, the code is also the
/// service's exit code reported with its stop, so that the service control manager's recovery actions
/// apply (with <c>sc.exe failureflag Gateway 1</c>; docs/operations.md).
/// </summary>
public sealed class ServiceExit
{
    private readonly IHostApplicationLifetime _lifetime;
    private readonly IHostLifetime? _host;
    private int _code;

    public ServiceExit(IHostApplicationLifetime lifetime, IHostLifetime? host = null)
    {
        _lifetime = lifetime;
        _host = host;
    }

    /// <summary>The code to exit with: 0, or the first failure's.</summary>
    public int Code => Volatile.Read(ref _code);

    /// <summary>Why, when <see cref="Code"/> is not 0.</summary>
    public string? Reason { get; private set; }

    /// <summary>Records the failure (the first one wins) and stops the host.</summary>
    public void Fail(int code, string reason)
    {
        if (Interlocked.CompareExchange(ref _code, code, 0) == 0)
        {
            Reason = reason;
            if (OperatingSystem.IsWindows() && _host is System.ServiceProcess.ServiceBase service)
            {
                // WindowsServiceLifetime is a ServiceBase: its ExitCode goes with the SERVICE_STOPPED it reports.
                service.ExitCode = code;
            }
        }

        _lifetime.StopApplication();
    }
}
