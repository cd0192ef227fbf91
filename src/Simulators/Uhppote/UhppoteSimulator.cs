using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Gateway.Drivers.Uhppote;
using Gateway.Drivers.Uhppote.Codec;
using Microsoft.AspNetCore.Builder;

namespace Gateway.Simulators.Uhppote;

/// <summary>What <c>gateway-sim uhppote</c> runs.</summary>
public sealed record UhppoteSimulatorSettings
{
    /// <summary>The UDP address and port the boards answer on (port 0: any free port).</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>Serial numbers of the boards behind that address.</summary>
    public IReadOnlyList<uint> Controllers { get; init; } = [405419896];

    /// <summary>Loopback URL of the control API (port 0: any free port); null: none.</summary>
    public Uri? ControlUrl { get; init; }

    /// <summary>Keep the boards' cards, events and settings in this file across restarts; null: in memory only.</summary>
    public string? StatePath { get; init; }

    /// <summary>Settings of every board.</summary>
    public SimulatedUhppoteOptions Board { get; init; } = new();
}

/// <summary>A fault for a board's next replies.</summary>
public enum UhppoteFaultKind
{
    /// <summary>No reply (a lost datagram).</summary>
    Drop,

    /// <summary>The reply sent late, after the fault's delay.</summary>
    Delay,

    /// <summary>The reply sent twice.</summary>
    Duplicate,

    /// <summary>A copy of the reply with another board's serial number sent first, then the reply.</summary>
    Foreign,

    /// <summary>Only a copy of the reply with another board's serial number: as if the address held another board.</summary>
    Impostor,

    /// <summary>A malformed datagram (32 bytes) sent first, then the reply.</summary>
    Garbage,

    /// <summary>The reply held back until <see cref="UhppoteSimulator.ReleaseHeld"/>: late by exactly as much as a test wants.</summary>
    Hold,
}

/// <summary>A fault to apply to one reply.</summary>
public sealed record UhppoteFault(UhppoteFaultKind Kind, TimeSpan Delay = default);

/// <summary>Counters of the simulator's UDP traffic.</summary>
/// <param name="Received">Datagrams received.</param>
/// <param name="Sent">Datagrams sent: replies, fault copies and pushed events.</param>
/// <param name="Ignored">Datagrams no board answered (unreadable, another serial number, a door it lacks).</param>
/// <param name="Faulted">Replies a fault was applied to.</param>
/// <param name="Pushed">Events pushed to listeners.</param>
/// <param name="ProcessingMs">Time the boards spent on their per-packet processing time, measured.</param>
/// <param name="MaxQueueDepth">Most packets ever waiting at one board at once (1 when every requester waits for its reply).</param>
public sealed record UhppoteSimulatorStatistics(long Received, long Sent, long Ignored, long Faulted, long Pushed, double ProcessingMs, int MaxQueueDepth);

/// <summary>
/// A running UHPPOTE simulator: several boards behind one UDP address, each answering the packets
/// addressed to its serial number one at a time (a board has one processor: with a processing time,
/// packets queue), faults on command, events pushed to each board's listener, an optional loopback
/// control API and state file.
/// </summary>
public sealed class UhppoteSimulator : IAsyncDisposable
{
    private static readonly TimeSpan SaveInterval = TimeSpan.FromMilliseconds(500);
    private readonly UhppoteSimulatorSettings _settings;
    private readonly Dictionary<uint, SimulatedUhppoteBoard> _boards;
    private readonly Dictionary<uint, Queue<UhppoteFault>> _faults;
    private readonly Dictionary<uint, BoardQueue> _queues;
    private readonly Channel<(IPEndPoint To, byte[] Packet)> _pushes = Channel.CreateUnbounded<(IPEndPoint, byte[])>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _loops = [];
    private readonly List<(byte[] Packet, IPEndPoint To)> _held = [];
    private readonly Socket _socket;
    private WebApplication? _control;
    private long _received;
    private long _sent;
    private long _ignored;
    private long _faulted;
    private long _pushed;
    private long _processingTicks;

    private UhppoteSimulator(UhppoteSimulatorSettings settings, Dictionary<uint, SimulatedUhppoteBoard> boards, Socket socket)
    {
        _settings = settings;
        _boards = boards;
        _socket = socket;
        _faults = boards.Keys.ToDictionary(k => k, _ => new Queue<UhppoteFault>());
        _queues = boards.Keys.ToDictionary(k => k, _ => new BoardQueue());
        Endpoint = (IPEndPoint)socket.LocalEndPoint!;
        foreach (var board in boards.Values)
        {
            board.EventLogged += OnEventLogged;
        }
    }

    public IReadOnlyDictionary<uint, SimulatedUhppoteBoard> Boards => _boards;

    /// <summary>The bound UDP address and port.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>The bound control API URL, if any.</summary>
    public Uri? ControlUrl { get; private set; }

    public UhppoteSimulatorStatistics Statistics => new(
        Interlocked.Read(ref _received),
        Interlocked.Read(ref _sent),
        Interlocked.Read(ref _ignored),
        Interlocked.Read(ref _faulted),
        Interlocked.Read(ref _pushed),
        TimeSpan.FromTicks(Interlocked.Read(ref _processingTicks)).TotalMilliseconds,
        _queues.Values.Max(q => Volatile.Read(ref q.MaxDepth)));

    /// <summary>Starts everything; on failure nothing is left running.</summary>
    /// <exception cref="ArgumentException">Bad settings (a serial of 0 or twice, a control URL off loopback).</exception>
    public static async Task<UhppoteSimulator> StartAsync(UhppoteSimulatorSettings settings, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Board.Validate();
        if (settings.Controllers.Count == 0 || settings.Controllers.Contains(0u) || settings.Controllers.Distinct().Count() != settings.Controllers.Count)
        {
            throw new ArgumentException("give one or more distinct serial numbers, none of them 0", nameof(settings));
        }

        if (settings.ControlUrl is { } url && !ControlApiHost.IsLoopback(url))
        {
            throw new ArgumentException($"the control API listens on loopback only (http://127.0.0.1:PORT), not {url}", nameof(settings));
        }

        var restored = settings.StatePath is { } path
            ? await UhppoteStateFile.LoadAsync(path, cancellationToken)
            : new Dictionary<uint, UhppoteBoardSnapshot>();
        var boards = settings.Controllers.ToDictionary(
            s => s,
            s => new SimulatedUhppoteBoard(s, settings.Board, time, restored.TryGetValue(s, out var snapshot) ? snapshot : null));

        var socket = new Socket(settings.Listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(settings.Listen);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new ArgumentException($"cannot listen at udp://{settings.Listen}: {ex.Message}", nameof(settings), ex);
        }

        var simulator = new UhppoteSimulator(settings, boards, socket);
        try
        {
            await simulator.StartServingAsync(cancellationToken);
            return simulator;
        }
        catch
        {
            await simulator.DisposeAsync();
            throw;
        }
    }

    /// <summary>Applies <paramref name="fault"/> to the next <paramref name="count"/> replies of board <paramref name="serial"/>.</summary>
    public void InjectFaults(uint serial, UhppoteFault fault, int count)
    {
        var queue = _faults[serial];
        lock (queue)
        {
            for (var i = 0; i < count; i++)
            {
                queue.Enqueue(fault);
            }
        }
    }

    /// <summary>Sends every reply a <see cref="UhppoteFaultKind.Hold"/> fault kept back, oldest first; returns how many.</summary>
    public int ReleaseHeld()
    {
        (byte[] Packet, IPEndPoint To)[] held;
        lock (_held)
        {
            held = [.. _held];
            _held.Clear();
        }

        foreach (var (packet, to) in held)
        {
            Send(packet, to);
        }

        return held.Length;
    }

    /// <summary>Removes board <paramref name="serial"/>'s pending faults; returns how many there were.</summary>
    public int ClearFaults(uint serial)
    {
        var queue = _faults[serial];
        lock (queue)
        {
            var n = queue.Count;
            queue.Clear();
            return n;
        }
    }

    /// <summary>Faults still pending for board <paramref name="serial"/>.</summary>
    public int PendingFaults(uint serial)
    {
        var queue = _faults[serial];
        lock (queue)
        {
            return queue.Count;
        }
    }

    /// <summary>What a state file keeps, now, by serial.</summary>
    public IReadOnlyDictionary<uint, UhppoteBoardSnapshot> Snapshot() => _boards.ToDictionary(b => b.Key, b => b.Value.Snapshot());

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_control is not null)
        {
            await _control.StopAsync(CancellationToken.None);
            await _control.DisposeAsync();
        }

        _socket.Dispose();
        foreach (var queue in _queues.Values)
        {
            queue.Items.CompleteAdding();
            queue.Thread?.Join(TimeSpan.FromSeconds(15));
            queue.Items.Dispose();
        }

        _pushes.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_loops);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopping is what was asked.
        }

        if (_settings.StatePath is { } path)
        {
            await UhppoteStateFile.SaveAsync(path, Snapshot(), CancellationToken.None);
        }

        foreach (var board in _boards.Values)
        {
            board.EventLogged -= OnEventLogged;
        }

        _stop.Dispose();
    }

    private async Task StartServingAsync(CancellationToken cancellationToken)
    {
        _loops.Add(ReceiveLoopAsync(_stop.Token));
        _loops.Add(PushLoopAsync(_stop.Token));
        foreach (var (serial, queue) in _queues)
        {
            var board = _boards[serial];
            queue.Thread = new Thread(() => BoardLoop(board, queue, _stop.Token)) { IsBackground = true, Name = $"uhppote board {serial}" };
            queue.Thread.Start();
        }

        if (_settings.ControlUrl is { } url)
        {
            (_control, var bound) = await ControlApiHost.StartAsync(url, UhppoteControlApi.AddServices, app => UhppoteControlApi.Map(app, this), cancellationToken);
            ControlUrl = bound;
        }

        if (_settings.StatePath is { } path)
        {
            _loops.Add(SaveLoopAsync(path, _stop.Token));
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[2048];
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancellationToken);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused)
            {
                continue; // an ICMP error for an earlier reply (Windows reports those here)
            }

            Interlocked.Increment(ref _received);
            UhppoteRequest request;
            try
            {
                request = UhppoteCodec.DecodeRequest(buffer.AsSpan(0, r.ReceivedBytes));
            }
            catch (UhppoteCodecException)
            {
                // A real board ignores what it cannot read.
                Interlocked.Increment(ref _ignored);
                continue;
            }

            var inbound = new Inbound(request, (IPEndPoint)r.RemoteEndPoint);
            if (request is GetControllerRequest { Controller: 0 })
            {
                foreach (var queue in _queues.Values)
                {
                    queue.Enqueue(inbound);
                }
            }
            else if (_queues.TryGetValue(request.Controller, out var queue))
            {
                queue.Enqueue(inbound);
            }
            else
            {
                Interlocked.Increment(ref _ignored);
            }
        }
    }

    /// <summary>
    /// A board's processor: one packet at a time, on a thread of its own so that the processing time is
    /// slept precisely (a timer-based delay overshoots by one to three milliseconds under load).
    /// </summary>
    private void BoardLoop(SimulatedUhppoteBoard board, BoardQueue queue, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var item in queue.Items.GetConsumingEnumerable(cancellationToken))
            {
                Interlocked.Decrement(ref queue.Depth);
                var processing = board.ProcessingTime;
                if (processing > TimeSpan.Zero)
                {
                    var started = Stopwatch.GetTimestamp();
                    Thread.Sleep(processing);
                    Interlocked.Add(ref _processingTicks, Stopwatch.GetElapsedTime(started).Ticks);
                }

                if (board.Handle(item.Request) is { } response)
                {
                    Reply(board.Serial, response, item.From, cancellationToken);
                }
                else
                {
                    Interlocked.Increment(ref _ignored);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // Stopping.
        }
    }

    private void Reply(uint serial, UhppoteResponse response, IPEndPoint to, CancellationToken cancellationToken)
    {
        UhppoteFault? fault = null;
        var queue = _faults[serial];
        lock (queue)
        {
            if (queue.Count > 0)
            {
                fault = queue.Dequeue();
            }
        }

        var packet = response.Encode();
        if (fault is null)
        {
            Send(packet, to);
            return;
        }

        Interlocked.Increment(ref _faulted);
        var other = response with { Controller = serial + 1 };
        switch (fault.Kind)
        {
            case UhppoteFaultKind.Drop:
                break;
            case UhppoteFaultKind.Delay:
                // Late, and without holding up the board: it goes on answering meanwhile.
                _loops.Add(SendLaterAsync(packet, to, fault.Delay, cancellationToken));
                break;
            case UhppoteFaultKind.Duplicate:
                Send(packet, to);
                Send(packet, to);
                break;
            case UhppoteFaultKind.Foreign:
                Send(other.Encode(), to);
                Send(packet, to);
                break;
            case UhppoteFaultKind.Impostor:
                Send(other.Encode(), to);
                break;
            case UhppoteFaultKind.Garbage:
                Send(packet.AsSpan(0, 32), to);
                Send(packet, to);
                break;
            case UhppoteFaultKind.Hold:
                lock (_held)
                {
                    _held.Add((packet, to));
                }

                break;
        }
    }

    private void Send(ReadOnlySpan<byte> packet, IPEndPoint to)
    {
        try
        {
            _socket.SendTo(packet, SocketFlags.None, to);
            Interlocked.Increment(ref _sent);
        }
        catch (SocketException)
        {
            // The requester went away: UDP does not care, neither does a board.
        }
    }

    private async Task SendLaterAsync(byte[] packet, IPEndPoint to, TimeSpan delay, CancellationToken cancellationToken)
    {
        await Task.Delay(delay, cancellationToken);
        await SendAsync(packet, to, cancellationToken);
    }

    private async Task SendAsync(ReadOnlyMemory<byte> packet, IPEndPoint to, CancellationToken cancellationToken)
    {
        try
        {
            await _socket.SendToAsync(packet, SocketFlags.None, to, cancellationToken);
            Interlocked.Increment(ref _sent);
        }
        catch (SocketException)
        {
            // The requester went away: UDP does not care, neither does a board.
        }
    }

    private void OnEventLogged(SimulatedUhppoteBoard board, UhppoteEvent e)
    {
        var listener = board.Listener;
        if (listener.Port == 0 || listener.Address.Equals(IPAddress.Any))
        {
            return;
        }

        var status = board.Status() with { LastEvent = e };
        _pushes.Writer.TryWrite((listener, new StatusResponse(board.Serial, status).Encode()));
    }

    private async Task PushLoopAsync(CancellationToken cancellationToken)
    {
        await foreach (var (to, packet) in _pushes.Reader.ReadAllAsync(cancellationToken))
        {
            await SendAsync(packet, to, cancellationToken);
            Interlocked.Increment(ref _pushed);
        }
    }

    private async Task SaveLoopAsync(string path, CancellationToken cancellationToken)
    {
        var saved = _boards.Values.Sum(b => b.Revision);
        using var timer = new PeriodicTimer(SaveInterval);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var revision = _boards.Values.Sum(b => b.Revision);
            if (revision != saved)
            {
                await UhppoteStateFile.SaveAsync(path, Snapshot(), cancellationToken);
                saved = revision;
            }
        }
    }

    private sealed record Inbound(UhppoteRequest Request, IPEndPoint From);

    /// <summary>Packets waiting for one board, the most that ever waited, and the board's thread.</summary>
    private sealed class BoardQueue
    {
        public readonly BlockingCollection<Inbound> Items = [];
        public int Depth;
        public int MaxDepth;
        public Thread? Thread;

        public void Enqueue(Inbound inbound)
        {
            var depth = Interlocked.Increment(ref Depth);
            int max;
            while (depth > (max = Volatile.Read(ref MaxDepth)) && Interlocked.CompareExchange(ref MaxDepth, depth, max) != max)
            {
            }

            try
            {
                Items.Add(inbound);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
            {
                // Stopping: no more packets are taken.
            }
        }
    }
}
