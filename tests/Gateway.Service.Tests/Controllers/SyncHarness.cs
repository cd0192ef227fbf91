using Gateway.Drivers.Barriers;
using Gateway.Drivers.Channels;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Alarms;
using Gateway.Service.Events;
using Gateway.Service.Hosting;
using Gateway.Service.Storage;
using Gateway.Service.Controllers;
using Gateway.Simulators.Barrier;
using Gateway.Simulators.Uhppote;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Service.Tests.Controllers;

/// <summary>
/// The site's cards and outbox held in memory behind <see cref="ISyncStore"/> (the storage seam), so a
/// test states exactly which cards exist; the controllers' bookkeeping is kept here too.
/// </summary>
public sealed class InMemorySyncStore : ISyncStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, CardTruth> _cards = [];
    private readonly Dictionary<long, CardUid> _uids = [];
    private readonly List<(long Sequence, long Card)> _outbox = [];
    private readonly Dictionary<string, ControllerSyncState> _controllers = [];
    private Exception? _saveFault;

    /// <summary>Sets (or with null removes) a card and writes its outbox marker, as a change in one transaction would.</summary>
    public long Change(long number, CardTruth? card)
    {
        lock (_gate)
        {
            if (card is null)
            {
                _cards.Remove(number);
            }
            else
            {
                _cards[number] = card;
                _uids[number] = card.Uid;
            }

            var sequence = _outbox.Count + 1;
            _outbox.Add((sequence, number));
            OutboxCommitted?.Invoke(this, EventArgs.Empty);
            return sequence;
        }
    }

    public event EventHandler? OutboxCommitted;

    public ControllerSyncState? Controller(string id)
    {
        lock (_gate)
        {
            return _controllers.GetValueOrDefault(id);
        }
    }

    public Task<long> LatestOutboxSequenceAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult((long)_outbox.Count);
        }
    }

    public Task<SyncSnapshot> LoadSnapshotAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(new SyncSnapshot(_outbox.Count, _cards.Values.ToList()));
        }
    }

    /// <summary>
    /// Runs once at the start of the next <see cref="LoadChangesAsync"/>, before it reads: a change committed
    /// there lands between the watcher's last read of the outbox and the session's own.
    /// </summary>
    public Action? BeforeNextLoadChanges
    {
        get => _beforeNextLoadChanges;
        set => _beforeNextLoadChanges = value;
    }

    private Action? _beforeNextLoadChanges;

    /// <summary>As <see cref="Change"/>, without telling the watcher: it sees the change only at its next poll.</summary>
    public long ChangeUnannounced(long number, CardTruth card)
    {
        lock (_gate)
        {
            _cards[number] = card;
            _uids[number] = card.Uid;
            _outbox.Add((_outbox.Count + 1, number));
            return _outbox.Count;
        }
    }

    public async Task<SyncChanges> LoadChangesAsync(long after, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _beforeNextLoadChanges, null)?.Invoke();
        var upTo = await LatestOutboxSequenceAsync(cancellationToken);
        var marked = await ReadOutboxAsync(after, upTo, cancellationToken);
        lock (_gate)
        {
            return new SyncChanges(upTo, marked, marked.Select(m => _cards.GetValueOrDefault(m.Number)).OfType<CardTruth>().ToList());
        }
    }

    public Task<IReadOnlyList<MarkedCard>> ReadOutboxAsync(long after, long upTo, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<MarkedCard> list = _outbox.Where(o => o.Sequence > after && o.Sequence <= upTo).Select(o => o.Card).Distinct()
                .Select(n => new MarkedCard(n, _uids.TryGetValue(n, out var uid) ? uid : null)).ToList();
            return Task.FromResult(list);
        }
    }

    public Task<ControllerSyncState?> LoadControllerAsync(string controllerId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_controllers.GetValueOrDefault(controllerId));
        }
    }

    /// <summary>The next save of a controller's state throws <paramref name="fault"/> instead (once), as a failed write of the real store would.</summary>
    public void FailNextSave(Exception fault)
    {
        lock (_gate)
        {
            _saveFault = fault;
        }
    }

    public Task SaveControllerAsync(ControllerSyncState state, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_saveFault is { } fault)
            {
                _saveFault = null;
                SaveFailed?.Invoke(state);
                return Task.FromException(fault);
            }

            _controllers[state.ControllerId] = state;
            Saved?.Invoke(state);
            return Task.CompletedTask;
        }
    }

    /// <summary>Every state the engine saved, in order (called under the store's lock).</summary>
    public event Action<ControllerSyncState>? Saved;

    /// <summary>The save that <see cref="FailNextSave"/> made fail (called under the store's lock).</summary>
    public event Action<ControllerSyncState>? SaveFailed;
}

/// <summary>
/// A sync engine over a real SQLite file (events, alarms) and an in-memory card store, driving
/// simulated controllers served in process by the real slave engine on loopback sockets.
/// </summary>
public sealed class SyncHarness : IAsyncDisposable
{
    private readonly TempFolder _folder;

    private SyncHarness(TempFolder folder, GatewayDatabase database, InMemorySyncStore store, EventStore events, AlarmStore alarms, DeviceStatusBoard board, SyncEngine engine, IReadOnlyList<BarrierSimulator> simulators)
    {
        _folder = folder;
        Database = database;
        Store = store;
        Events = events;
        Alarms = alarms;
        Board = board;
        Engine = engine;
        Simulators = simulators;
    }

    public static readonly DateTimeOffset Issued = DateTimeOffset.UtcNow.AddDays(-10);

    public GatewayDatabase Database { get; }

    public InMemorySyncStore Store { get; }

    public EventStore Events { get; }

    public AlarmStore Alarms { get; }

    public DeviceStatusBoard Board { get; }

    public SyncEngine Engine { get; }

    public IReadOnlyList<BarrierSimulator> Simulators { get; }

    /// <summary>The simulator serving the UHPPOTE boards, if any.</summary>
    public UhppoteSimulator? Uhppote { get; private init; }

    /// <summary>The supervisor the engine runs its loops under (when started as a hosted service).</summary>
    public LoopSupervisor Supervisor { get; private init; } = null!;

    /// <summary>The host lifetime the supervisor stops on an unrecoverable error.</summary>
    public TestLifetime Lifetime { get; private init; } = null!;

    /// <summary>
    /// Starts one simulator per entry of <paramref name="buses"/> (its listen scheme and the zones of its
    /// units 1..N) and an engine whose devices are named <c>c{bus}-{unit}</c>.
    /// </summary>
    public static Task<SyncHarness> StartAsync(params (string Scheme, string[] Zones)[] buses) =>
        StartAsync(new Dictionary<string, string?>(), buses);

    /// <summary>As <see cref="StartAsync(ValueTuple{string, string[]}[])"/>, with more configuration (e.g. <c>Gateway:Parking:GraceDays</c>).</summary>
    public static Task<SyncHarness> StartAsync(IReadOnlyDictionary<string, string?> settings, params (string Scheme, string[] Zones)[] buses) =>
        StartAsync(settings, NullLoggerFactory.Instance, buses);

    /// <summary>As <see cref="StartAsync(ValueTuple{string, string[]}[])"/>, the engine logging to <paramref name="loggers"/>.</summary>
    public static Task<SyncHarness> StartAsync(ILoggerFactory loggers, params (string Scheme, string[] Zones)[] buses) =>
        StartAsync(new Dictionary<string, string?>(), loggers, buses);

    /// <summary>
    /// As <see cref="StartAsync(ValueTuple{string, string[]}[])"/>, plus one simulated UHPPOTE board per entry of
    /// <paramref name="boards"/> (its serial number and the zones of its doors 1..N) served over loopback UDP
    /// by one simulator, configured as devices <c>u{serial}</c>.
    /// </summary>
    public static Task<SyncHarness> StartWithBoardsAsync((uint Serial, string[] DoorZones)[] boards, params (string Scheme, string[] Zones)[] buses) =>
        StartAsync(new Dictionary<string, string?>(), NullLoggerFactory.Instance, buses, boards);

    /// <summary>As the overload without settings, with more configuration (the boards are devices N.. after the barrier units).</summary>
    public static Task<SyncHarness> StartWithBoardsAsync(IReadOnlyDictionary<string, string?> settings, (uint Serial, string[] DoorZones)[] boards, params (string Scheme, string[] Zones)[] buses) =>
        StartAsync(settings, NullLoggerFactory.Instance, buses, boards);

    private static async Task<SyncHarness> StartAsync(IReadOnlyDictionary<string, string?> settings, ILoggerFactory loggers, (string Scheme, string[] Zones)[] buses, (uint Serial, string[] DoorZones)[]? boards = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var folder = new TempFolder("gateway-sync");
        var simulators = new List<BarrierSimulator>();
        var config = new Dictionary<string, string?> { ["Gateway:DataFolder"] = folder.Path, ["Gateway:Sync:TimeoutMs"] = "1000", ["Gateway:Sync:EventIntervalMs"] = "3600000" };
        foreach (var (key, value) in settings)
        {
            config[key] = value;
        }

        var n = 0;
        for (var b = 0; b < buses.Length; b++)
        {
            var units = Enumerable.Range(1, buses[b].Zones.Length).Select(u => (byte)u).ToList();
            var simulator = await BarrierSimulator.StartAsync(new BarrierSimulatorSettings
            {
                Listen = DeviceEndpoint.Parse($"{buses[b].Scheme}://127.0.0.1:0"),
                Units = units,
                Controller = new SimulatedBarrierOptions { ArmTravelTime = TimeSpan.FromMilliseconds(10), EventCapacity = 64 },
            });
            simulators.Add(simulator);
            for (var u = 0; u < units.Count; u++)
            {
                config[$"Gateway:Devices:{n}:Id"] = $"c{b}-{u + 1}";
                config[$"Gateway:Devices:{n}:Kind"] = "barrier";
                config[$"Gateway:Devices:{n}:Endpoint"] = simulator.ModbusEndpoint;
                config[$"Gateway:Devices:{n}:Unit"] = (u + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                config[$"Gateway:Devices:{n}:Zone"] = buses[b].Zones[u];
                n++;
            }
        }

        UhppoteSimulator? uhppote = null;
        if (boards is { Length: > 0 })
        {
            uhppote = await UhppoteSimulator.StartAsync(new UhppoteSimulatorSettings { Controllers = boards.Select(b => b.Serial).ToList() });
            foreach (var (serial, zones) in boards)
            {
                config[$"Gateway:Devices:{n}:Id"] = $"u{serial}";
                config[$"Gateway:Devices:{n}:Kind"] = "uhppote";
                config[$"Gateway:Devices:{n}:Endpoint"] = $"udp://127.0.0.1:{uhppote.Endpoint.Port}";
                config[$"Gateway:Devices:{n}:Controller"] = serial.ToString(System.Globalization.CultureInfo.InvariantCulture);
                for (var d = 0; d < zones.Length; d++)
                {
                    config[$"Gateway:Devices:{n}:Doors:{d + 1}:Zone"] = zones[d];
                }

                n++;
            }
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(config).Build();
        Assert.True(GatewayOptions.TryLoad(configuration, out var options, out var error), error);
        var time = TimeProvider.System;
        var database = new GatewayDatabase(options.DatabasePath);
        database.Initialize(options.SiteId, Migrator.Discover(), time);
        var writes = new UnitOfWorkFactory(database, time, []);
        var store = new InMemorySyncStore();
        var events = new EventStore(database, writes, time);
        var alarms = new AlarmStore(database, writes, [], time);
        var board = new DeviceStatusBoard(options.SiteDevices, time);
        var lifetime = new TestLifetime();
        var supervisor = new LoopSupervisor(board, alarms, new ServiceExit(lifetime), time, loggers.CreateLogger<LoopSupervisor>());
        var engine = new SyncEngine(options.Sync, options.SiteDevices, SyncEngine.RulesFrom(options.Parking, options.SiteTimeZone, options.Sync), store, events, alarms, board, supervisor, time, loggers);
        return new SyncHarness(folder, database, store, events, alarms, board, engine, simulators) { Supervisor = supervisor, Lifetime = lifetime, Uhppote = uhppote };
    }

    public SimulatedBarrierController Unit(int bus, int unit) => Simulators[bus].Units[(byte)unit];

    public ControllerHealth Health(string id) => Engine.Health().Single(h => h.Id == id);

    /// <summary>The session of controller <paramref name="id"/>.</summary>
    public IControllerSession Session(string id) => Engine.Buses.SelectMany(b => b.Sessions).Single(s => s.Device.Id == id);

    public static CardTruth Card(long number, string uid, CardState state, string kind, DateTimeOffset? since = null) =>
        new(number, CardUid.Parse(uid), state, Wire.Parse<CardKind>(kind), "3", since ?? Issued, Issued, []);

    /// <summary>Lets the engine work until no controller has anything left to do.</summary>
    public Task ServeAsync() => Engine.ServeOnceAsync(CancellationToken.None);

    /// <summary>
    /// Serves until <paramref name="done"/> holds (a transient failure on a loaded machine backs a controller
    /// off for a second; this rides it out), at most 60 s.
    /// </summary>
    public async Task ServeUntilAsync(Func<Task<bool>> done)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        await ServeAsync();
        while (!await done())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "not done within 60 s: " + string.Join("; ", Engine.Health()));
            await Task.Delay(100);
            await ServeAsync();
        }
    }

    public async Task<IReadOnlyList<AlarmView>> AlarmsAsync(AlarmKind kind) =>
        (await Alarms.ListAsync(null, kind, null, new Gateway.Service.Storage.PageRequest(500, 0), CancellationToken.None)).Items;

    public async ValueTask DisposeAsync()
    {
        foreach (var bus in Engine.Buses)
        {
            await bus.DisposeAsync();
        }

        await Engine.DisposeListenersAsync();

        foreach (var simulator in Simulators)
        {
            await simulator.DisposeAsync();
        }

        if (Uhppote is not null)
        {
            await Uhppote.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}

/// <summary>A host lifetime that records whether the application was asked to stop.</summary>
public sealed class TestLifetime : IHostApplicationLifetime
{
    private readonly CancellationTokenSource _stopping = new();

    public CancellationToken ApplicationStarted => CancellationToken.None;

    public CancellationToken ApplicationStopping => _stopping.Token;

    public CancellationToken ApplicationStopped => CancellationToken.None;

    public bool StopRequested => _stopping.IsCancellationRequested;

    public void StopApplication() => _stopping.Cancel();
}

/// <summary>Keeps every message logged at Debug and above, in order, to check what the engine did first.</summary>
public sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly List<string> _messages = [];

    public IReadOnlyList<string> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    public void Clear()
    {
        lock (_messages)
        {
            _messages.Clear();
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                lock (owner._messages)
                {
                    owner._messages.Add(formatter(state, exception));
                }
            }
        }
    }
}
