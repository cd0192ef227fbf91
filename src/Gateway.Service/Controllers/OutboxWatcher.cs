namespace Gateway.Service.Controllers;

/// <summary>
/// Watches the card outbox's newest sequence (one cheap query per poll for the whole site) and wakes the
/// bus workers when it moves. A change committed in this process (the API) nudges it to read at once, so
/// a revoke reaches the buses without waiting for the poll; the poll remains for anything else.
/// </summary>
public sealed class OutboxWatcher
{
    private readonly ISyncStore _store;
    private readonly List<Action> _listeners = [];
    private readonly SemaphoreSlim _nudge = new(0, 1);
    private long _latest;

    public OutboxWatcher(ISyncStore store)
    {
        _store = store;
        _store.OutboxCommitted += (_, _) => Nudge();
    }

    /// <summary>The newest outbox sequence seen.</summary>
    public long Latest => Interlocked.Read(ref _latest);

    /// <summary>Calls <paramref name="listener"/> whenever the outbox moves. Register before the loop starts.</summary>
    public void OnChange(Action listener) => _listeners.Add(listener);

    /// <summary>Asks for a read now rather than at the next poll.</summary>
    public void Nudge()
    {
        try
        {
            _nudge.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already nudged: one read covers every change committed before it.
        }
    }

    /// <summary>Waits for a nudge or <paramref name="interval"/>, whichever comes first; true when nudged.</summary>
    public Task<bool> WaitAsync(TimeSpan interval, CancellationToken cancellationToken) => _nudge.WaitAsync(interval, cancellationToken);

    /// <summary>Reads the outbox once; true when it moved.</summary>
    public async Task<bool> PollAsync(CancellationToken cancellationToken)
    {
        var latest = await _store.LatestOutboxSequenceAsync(cancellationToken);
        if (latest == Interlocked.Exchange(ref _latest, latest))
        {
            return false;
        }

        foreach (var listener in _listeners)
        {
            listener();
        }

        return true;
    }
}
