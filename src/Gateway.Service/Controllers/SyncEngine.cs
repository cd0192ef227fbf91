using Gateway.Drivers.Barriers;
using Gateway.Drivers.Channels;
using Gateway.Drivers.Modbus;
using Gateway.Drivers.Uhppote;
using Gateway.Service.Alarms;
using Gateway.Service.Events;
using Gateway.Service.Hosting;
using Gateway.Service.Site;

namespace Gateway.Service.Controllers;

/// <summary>
/// Keeps every configured barrier and door controller equal to the site's truth (docs/sync.md): one
/// <see cref="BusWorker"/> per bus, an <see cref="OutboxWatcher"/> that wakes them when cards change.
/// A controller that is down never stops the others; a storage or programming error stops the worker it
/// happened in, and the <see cref="LoopSupervisor"/> restarts it (docs/operations.md).
/// </summary>
public sealed class SyncEngine : BackgroundService
{
    private readonly SyncOptions _sync;
    private readonly SyncContext _context;
    private readonly LoopSupervisor _supervisor;
    private readonly List<BusWorker> _buses = [];
    private readonly Dictionary<string, BoardListener> _listeners = new(StringComparer.OrdinalIgnoreCase);
    private volatile bool _running;

    public SyncEngine(SyncOptions sync, SiteDevices devices, WhitelistRules rules, ISyncStore store, EventStore events, AlarmStore alarms, DeviceStatusBoard board, LoopSupervisor supervisor, TimeProvider time, ILoggerFactory loggers)
    {
        _sync = sync;
        _supervisor = supervisor;
        _context = new SyncContext(store, new SnapshotCache(store, time), new OutboxWatcher(store), events, alarms, board, rules, sync, time, loggers.CreateLogger<SyncEngine>());
        foreach (var bus in devices.All.Where(d => d.Kind == DeviceKind.Barrier && d.ModbusEndpoint is not null).GroupBy(BusKey, StringComparer.Ordinal))
        {
            var endpoint = bus.First().ModbusEndpoint!;
            var master = ModbusMaster.Create(endpoint, new ModbusMasterOptions
            {
                Timeout = sync.Timeout,
                // The engine's back-off is the one retry layer.
                Retries = 0,
                Logger = loggers.CreateLogger("Gateway.Drivers.Modbus"),
            });
            var driverOptions = new BarrierControllerOptions { TransactionTimeout = sync.Timeout * 3, TimeProvider = time };
            var sessions = bus.Select(d => new ControllerSession(d, new BarrierAdapter(d, new BarrierController(master, (byte)d.Unit, driverOptions, loggers.CreateLogger<BarrierController>())), _context)).ToList();
            var worker = new BusWorker(bus.Key, master, sessions, sync, time, loggers.CreateLogger<BusWorker>());
            _context.Outbox.OnChange(worker.Wake);
            _buses.Add(worker);
        }

        // A UHPPOTE board is a bus of its own: requests go out on fresh UDP sockets, one at a time.
        foreach (var device in devices.All.Where(d => d.Kind == DeviceKind.Uhppote && d.Board is not null))
        {
            var settings = device.Board!;
            var driver = new UhppoteController(settings.Endpoint, settings.Serial, new UhppoteControllerOptions
            {
                Timeout = sync.Timeout,
                RetryInterval = sync.Timeout / 4,
                TimeProvider = time,
            }, loggers.CreateLogger<UhppoteController>());
            BoardListener? listener = null;
            if (settings.Listener is { } address)
            {
                // Boards that name one address share one port; each pushed event goes to its board's session.
                if (!_listeners.TryGetValue(address.ToString(), out listener))
                {
                    listener = new BoardListener(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(address.Host), address.Port), loggers.CreateLogger<BoardListener>());
                    _listeners[address.ToString()] = listener;
                }
            }

            var adapter = new BoardAdapter(device, driver, listener);
            var session = new ControllerSession(device, adapter, _context);
            var worker = new BusWorker($"{settings.Endpoint}#{settings.Serial}", driver, [session], sync, time, loggers.CreateLogger<BusWorker>());
            listener?.Subscribe(settings.Serial, pushed =>
            {
                adapter.Push(pushed);
                worker.Wake();
            });
            _context.Outbox.OnChange(worker.Wake);
            _buses.Add(worker);
        }
    }

    internal IReadOnlyList<BusWorker> Buses => _buses;

    internal OutboxWatcher Outbox => _context.Outbox;

    /// <summary>The ports boards push their events to, by configured address.</summary>
    internal IReadOnlyDictionary<string, BoardListener> Listeners => _listeners;

    /// <summary>Closes the boards' event listeners (also done when the engine stops).</summary>
    internal async ValueTask DisposeListenersAsync()
    {
        foreach (var listener in _listeners.Values)
        {
            await listener.DisposeAsync();
        }

        _listeners.Clear();
    }

    /// <summary>Asks every controller for a clock reading at its next turn.</summary>
    internal void RequestClock()
    {
        foreach (var session in _buses.SelectMany(b => b.Sessions))
        {
            session.RequestClock();
        }
    }

    /// <summary>Asks every controller for its events at its next turn.</summary>
    internal void RequestEvents()
    {
        foreach (var session in _buses.SelectMany(b => b.Sessions))
        {
            session.RequestEvents();
        }
    }

    /// <summary>Reads the outbox once and gives every bus's controllers their turns until none has work (tests drive the engine this way).</summary>
    internal async Task ServeOnceAsync(CancellationToken cancellationToken)
    {
        _running = true;
        await _context.Outbox.PollAsync(cancellationToken);
        foreach (var bus in _buses)
        {
            await bus.ServeAsync(cancellationToken);
        }
    }

    /// <summary>
    /// The site's whitelist rules from the configuration: the parking rules of <c>Gateway:Parking:*</c>
    /// (grace days, added to the end written to car-park controllers) in the site's time zone, and the
    /// retention periods of <c>Gateway:Sync:*</c>.
    /// </summary>
    public static WhitelistRules RulesFrom(Domain.Parking.ParkingRules parking, TimeZoneInfo siteTimeZone, SyncOptions sync)
    {
        ArgumentNullException.ThrowIfNull(parking);
        ArgumentNullException.ThrowIfNull(sync);

        // Built anew rather than with `with`: the calendar is derived from the zone at construction, and the
        // site's zone is the one periods are laid out in (the grant path uses the same Gateway:Parking rules).
        return new(new Domain.Parking.ParkingRules(siteTimeZone, parking.GraceDays, parking.ProrationAllowed), sync.BlockedRetention, sync.ExpiredRetention);
    }

    /// <summary>How long an opening may wait for its controller's turn before it is dropped unsent.</summary>
    public static readonly TimeSpan OpenDeadline = TimeSpan.FromSeconds(10);

    /// <summary>True once the engine runs (in-process API test hosts build it but never start it).</summary>
    public bool IsRunning => _running;

    /// <summary>
    /// The controller that opens lanes or doors on command by its id (every family's session does), or null when
    /// there is no such controller.
    /// </summary>
    public IGateOpener? FindOpener(string id) =>
        _buses.SelectMany(b => b.Sessions).FirstOrDefault(s => string.Equals(s.Device.Id, id, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Opens lane <paramref name="lane"/> of controller <paramref name="id"/> from afar, in the controller's own
    /// turn on its bus, and waits for the answer. Null when there is no such controller. An opening its bus does
    /// not reach within <see cref="OpenDeadline"/> is dropped unsent (<see cref="GateOpenStatus.TimedOut"/>).
    /// </summary>
    public async Task<GateOpenResult?> OpenAsync(string id, int lane, uint tag, CancellationToken cancellationToken)
    {
        var bus = _buses.FirstOrDefault(b => b.Sessions.Any(s => string.Equals(s.Device.Id, id, StringComparison.OrdinalIgnoreCase)));
        if (bus is null || FindOpener(id) is not { } opener)
        {
            return null;
        }

        if (!_running)
        {
            return new GateOpenResult(GateOpenStatus.NotConnected, Detail: "the sync engine does not run; nothing was sent");
        }

        var answer = opener.RequestOpenAsync(new GateOpenCommand(lane, tag, _context.Time.GetUtcNow() + OpenDeadline));
        bus.Wake();

        // The deadline drops a command still queued; one already on the wire has the driver's transaction timeout
        // to be answered. Past both the worker is stuck (its supervisor restarts it): say so rather than hang.
        var patience = OpenDeadline + (_sync.Timeout * 3) + TimeSpan.FromSeconds(2);
        try
        {
            return await answer.WaitAsync(patience, _context.Time, cancellationToken);
        }
        catch (TimeoutException)
        {
            return new GateOpenResult(GateOpenStatus.Failed, Detail: $"no answer from {id}'s bus within {patience.TotalSeconds:F0} s; the lane may or may not have opened");
        }
    }

    /// <summary>
    /// The newest card outbox sequence the engine has read (0 until it runs): a controller whose applied
    /// sequence is below it has changes still to take.
    /// </summary>
    public long OutboxSequence => _context.Outbox.Latest;

    /// <summary>Every controller's health, by id.</summary>
    public IReadOnlyList<ControllerHealth> Health() =>
        _buses.SelectMany(b => b.Sessions).Select(s => s.Health()).OrderBy(h => h.Id, StringComparer.Ordinal).ToList();

    /// <summary>Asks controller <paramref name="id"/> (or every controller) for a count+digest check now; false when no such controller.</summary>
    public bool RequestCheck(string? id)
    {
        var found = false;
        foreach (var bus in _buses)
        {
            foreach (var session in bus.Sessions.Where(s => id is null || string.Equals(s.Device.Id, id, StringComparison.OrdinalIgnoreCase)))
            {
                session.RequestCheck();
                found = true;
                bus.Wake();
            }
        }

        return found;
    }

    /// <summary>
    /// The bus a controller is on: tcp:// controllers are each their own (one connection each); RTU over
    /// TCP and serial endpoints are shared by every unit configured on them.
    /// </summary>
    public static string BusKey(DeviceOptions device) => device.ModbusEndpoint switch
    {
        TcpEndpoint { RtuFraming: false } => $"{device.ModbusEndpoint}#{device.Unit}",
        TcpEndpoint tcp => $"rtu+tcp://{tcp.Host.ToLowerInvariant()}:{tcp.Port}",
        SerialEndpoint serial => $"serial://{serial.PortName}",
        _ => device.Endpoint,
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_buses.Count == 0)
        {
            return;
        }

        if (_sync.Hold)
        {
            _context.Logger.LogWarning("Sync held (Gateway:Sync:Hold): no controller is read or written until the setting is removed and the service restarted; {Controllers} controller(s) keep what they hold", _buses.Sum(b => b.DeviceIds.Count));
            return;
        }

        // Let the host finish starting (HTTP, readiness) before the first device I/O.
        await Task.Yield();
        _running = true;
        var tasks = _buses.Select(b => _supervisor.RunAsync(b, stoppingToken)).ToList();
        tasks.Add(_supervisor.RunAsync(new OutboxLoop(this), stoppingToken));
        await Task.WhenAll(tasks);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        foreach (var bus in _buses)
        {
            await bus.DisposeAsync();
        }

        await DisposeListenersAsync();
    }

    /// <summary>
    /// Reads the outbox's newest sequence and wakes the buses when it moved. While it is down no change
    /// reaches any controller, so every controller shows faulted meanwhile.
    /// </summary>
    private sealed class OutboxLoop(SyncEngine engine) : ISupervisedLoop
    {
        public string Name => "card outbox watcher";

        public IReadOnlyList<string> DeviceIds { get; } = engine._buses.SelectMany(b => b.DeviceIds).ToList();

        public async Task RunAsync(LoopHeartbeat heartbeat, CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await engine._context.Outbox.PollAsync(cancellationToken);
                await heartbeat.HealthyAsync(cancellationToken);

                // A change committed here (the API) nudges at once; the poll catches anything else.
                await engine._context.Outbox.WaitAsync(engine._sync.PollInterval, cancellationToken);
            }
        }

        public void Reset()
        {
            // Nothing half-done: the next poll reads the newest sequence afresh.
        }
    }
}
