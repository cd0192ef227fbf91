using System.Net;
using Gateway.Drivers.Uhppote;

namespace Gateway.Service.Controllers;

/// <summary>
/// One UDP port where UHPPOTE boards push their events (<c>Gateway:Devices:N:Listener</c>; boards that name
/// the same address share it). Bound on first use at the configured address (port 0: a free port, which is
/// what the boards are then told), it hands each pushed event to the session of the board whose serial
/// number it carries and wakes that board's worker. Pushed events are a prompt: the session stores them at
/// once, and its walk of the board's log by index, which stays the record, finds them again and stores
/// nothing twice (docs/uhppote.md, "Pushed events").
/// </summary>
public sealed class BoardListener : IAsyncDisposable
{
    private readonly IPEndPoint _bind;
    private readonly ILogger _logger;
    private readonly Dictionary<uint, Action<UhppotePushedEvent>> _boards = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private UhppoteEventListener? _listener;
    private Task? _dispatch;
    private long _unknown;

    public BoardListener(IPEndPoint bind, ILogger logger)
    {
        _bind = bind;
        _logger = logger;
    }

    /// <summary>Pushed events from serial numbers no configured board has (dropped).</summary>
    public long Unknown => Interlocked.Read(ref _unknown);

    /// <summary>Routes the events pushed by board <paramref name="serial"/> to <paramref name="deliver"/>.</summary>
    public void Subscribe(uint serial, Action<UhppotePushedEvent> deliver)
    {
        lock (_gate)
        {
            _boards[serial] = deliver;
        }
    }

    /// <summary>The bound address and port the boards are told to push to; binds on first use.</summary>
    /// <exception cref="Gateway.Drivers.DeviceConnectionException">The address cannot be bound (not this computer's, or the port is taken).</exception>
    public IPEndPoint Endpoint
    {
        get
        {
            lock (_gate)
            {
                if (_listener is null)
                {
                    _listener = UhppoteEventListener.Start(_bind, logger: _logger);
                    _dispatch = DispatchAsync(_listener, _stop.Token);
                    _logger.LogInformation("Listening for events pushed by UHPPOTE boards at {Endpoint}", _listener.LocalEndPoint);
                }

                return _listener.LocalEndPoint;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        UhppoteEventListener? listener;
        Task? dispatch;
        lock (_gate)
        {
            listener = _listener;
            dispatch = _dispatch;
        }

        if (listener is not null)
        {
            await listener.DisposeAsync();
        }

        if (dispatch is not null)
        {
            await dispatch;
        }

        _stop.Dispose();
    }

    private async Task DispatchAsync(UhppoteEventListener listener, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var pushed in listener.ReadAllAsync(cancellationToken))
            {
                Action<UhppotePushedEvent>? deliver;
                lock (_gate)
                {
                    deliver = _boards.GetValueOrDefault(pushed.Controller);
                }

                if (deliver is null)
                {
                    Interlocked.Increment(ref _unknown);
                    _logger.LogDebug("Event pushed to {Endpoint} by controller {Serial}, which no configured board has: dropped", listener.LocalEndPoint, pushed.Controller);
                    continue;
                }

                deliver(pushed);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
