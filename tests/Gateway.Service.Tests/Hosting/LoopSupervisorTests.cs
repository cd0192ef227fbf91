using Gateway.Service.Alarms;
using Gateway.Service.Hosting;
using Gateway.Service.Storage;
using Gateway.Service.Tests.Controllers;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Service.Tests.Hosting;

/// <summary>The loop supervisor over a real SQLite file (alarms) with loops that fail on cue; time is a fake clock, so back-offs pass at once.</summary>
public sealed class LoopSupervisorTests : IDisposable
{
    private readonly TempFolder _folder = new("gateway-supervisor");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly GatewayDatabase _database;
    private readonly AlarmStore _alarms;
    private readonly DeviceStatusBoard _board;
    private readonly TestLifetime _lifetime = new();
    private readonly ServiceExit _exit;
    private readonly LoopSupervisor _supervisor;

    public LoopSupervisorTests()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:DataFolder"] = _folder.Path,
            ["Gateway:Devices:0:Id"] = "gate-1",
            ["Gateway:Devices:0:Kind"] = "barrier",
            ["Gateway:Devices:0:Endpoint"] = "tcp://127.0.0.1:9",
            ["Gateway:Devices:0:Zone"] = "common",
        }).Build();
        Assert.True(GatewayOptions.TryLoad(configuration, out var options, out var error), error);
        _database = new GatewayDatabase(options.DatabasePath);
        _database.Initialize(options.SiteId, Migrator.Discover(), TimeProvider.System);
        _alarms = new AlarmStore(_database, new UnitOfWorkFactory(_database, TimeProvider.System, []), [], _time);
        _board = new DeviceStatusBoard(options.SiteDevices, _time);
        _exit = new ServiceExit(_lifetime);
        _supervisor = new LoopSupervisor(_board, _alarms, _exit, _time, NullLogger<LoopSupervisor>.Instance);
    }

    [Fact]
    public async Task Run_DatabaseFileDamaged_StopsTheServiceWithExitCode70AndDoesNotRestart()
    {
        var loop = new ScriptedLoop("gate-1", _ => throw new SqliteException("database disk image is malformed", 11));

        await _supervisor.RunAsync(loop, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, loop.Runs);
        Assert.Equal(LoopSupervisor.ExitCodeUnrecoverable, _exit.Code);
        Assert.True(_lifetime.StopRequested);
        Assert.Contains("database disk image is malformed", _exit.Reason, StringComparison.Ordinal);
        var alarm = Assert.Single(await ListAsync());
        Assert.Equal(AlarmKind.ServiceFault, alarm.Kind);
        Assert.Contains("exit code 70", alarm.Message, StringComparison.Ordinal);
        Assert.Equal("stopped", Assert.Single(_supervisor.Snapshot()).State);
    }

    [Fact]
    public async Task Run_ProgrammingErrorEveryRun_RestartsWithBackoffThenStopsWithExitCode70()
    {
        var loop = new ScriptedLoop("gate-1", _ => throw new InvalidOperationException("a bug"));
        var run = _supervisor.RunAsync(loop, CancellationToken.None);
        var waits = new List<TimeSpan>();
        while (!run.IsCompleted)
        {
            // Let the loop reach its back-off, then pass it.
            await Task.Delay(5);
            if (_supervisor.Snapshot().Single().State == "restarting")
            {
                var next = LoopSupervisor.Backoff(_supervisor.Snapshot().Single().Failures);
                waits.Add(next);
                _time.Advance(next);
            }
        }

        await run;
        Assert.Equal(LoopSupervisor.MaxFailures, loop.Runs);
        Assert.Equal(LoopSupervisor.MaxFailures - 1, loop.Resets);
        Assert.Equal([1, 2, 4, 8, 16, 32, 60], waits.Select(w => (int)w.TotalSeconds));
        Assert.Equal(LoopSupervisor.ExitCodeUnrecoverable, _exit.Code);

        // One alarm for the run of errors, one when it gave up: not one per restart.
        var alarms = await ListAsync();
        Assert.Equal(2, alarms.Count);
        Assert.Contains("failed 8 times in a row", alarms[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_DatabaseRefusesWritesManyTimes_NeverEscalatesAndRecoversWhenItAcceptsThem()
    {
        var failures = 0;
        var loop = new ScriptedLoop("gate-1", async heartbeat =>
        {
            if (++failures <= 2 * LoopSupervisor.MaxFailures)
            {
                throw new SqliteException("database or disk is full", 13);
            }

            await heartbeat.HealthyAsync(CancellationToken.None);
        });

        var run = _supervisor.RunAsync(loop, CancellationToken.None);
        var sawFaulted = false;
        while (!run.IsCompleted)
        {
            await Task.Delay(5);
            sawFaulted |= _board.Snapshot().Single().State == DeviceState.Faulted;
            if (_supervisor.Snapshot().Single().State == "restarting")
            {
                _time.Advance(LoopSupervisor.MaxBackoff);
            }
        }

        await run;
        Assert.Equal(0, _exit.Code);
        Assert.False(_lifetime.StopRequested);
        Assert.True(sawFaulted);
        var device = _board.Snapshot().Single();
        Assert.NotEqual(DeviceState.Faulted, device.State);
        Assert.Single(await ListAsync());
        Assert.Equal(2 * LoopSupervisor.MaxFailures, _supervisor.Snapshot().Single().Restarts);
    }

    [Fact]
    public async Task RaiseAlarm_DatabaseLockedByAnotherWriter_HeldListedAndStoredWithItsTimeOnceWritesAreAccepted()
    {
        var raisedAt = _time.GetUtcNow();
        AlarmView held;
        await using (var blocker = new SqliteConnection($"Data Source={_database.Path};Default Timeout=1"))
        {
            await blocker.OpenAsync();
            await using var exclusive = blocker.CreateCommand();
            exclusive.CommandText = "BEGIN EXCLUSIVE";
            await exclusive.ExecuteNonQueryAsync();

            held = await _alarms.RaiseAsync(new AlarmRaise(AlarmKind.ServiceFault, "gate-1", "sync worker stopped"), CancellationToken.None);

            Assert.True(held.Held);
            Assert.True(held.Id < 0);
            Assert.Equal(1, _alarms.HeldCount);
            _time.Advance(TimeSpan.FromMinutes(5));
            await _alarms.StoreHeldAsync(CancellationToken.None);
            Assert.Equal(1, _alarms.HeldCount);
        }

        var listed = Assert.Single(await ListAsync());
        Assert.True(listed.Held);

        await _alarms.StoreHeldAsync(CancellationToken.None);

        Assert.Equal(0, _alarms.HeldCount);
        var stored = Assert.Single(await ListAsync());
        Assert.False(stored.Held);
        Assert.True(stored.Id > 0);
        Assert.Equal("sync worker stopped", stored.Message);
        Assert.Equal(raisedAt, stored.RaisedUtc);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    private async Task<IReadOnlyList<AlarmView>> ListAsync() =>
        (await _alarms.ListAsync(null, null, null, new PageRequest(100, 0), CancellationToken.None)).Items;

    /// <summary>A loop whose every run does <paramref name="body"/>, counting runs and resets.</summary>
    private sealed class ScriptedLoop(string deviceId, Func<LoopHeartbeat, Task> body) : ISupervisedLoop
    {
        public int Runs { get; private set; }

        public int Resets { get; private set; }

        public string Name => "scripted loop";

        public IReadOnlyList<string> DeviceIds => [deviceId];

        public async Task RunAsync(LoopHeartbeat heartbeat, CancellationToken cancellationToken)
        {
            Runs++;
            await body(heartbeat);
        }

        public void Reset() => Resets++;
    }
}
