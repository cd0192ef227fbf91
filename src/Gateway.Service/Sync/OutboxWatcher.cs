namespace Gateway.Service.Sync;

/// <summary>
/// Watches the card outbox's newest sequence (one cheap query per poll for the whole site) and wakes the
/// bus workers when it moves, so a change reaches the controllers within a poll interval.
/// </summary>
public sealed class OutboxWatcher
{
    private readonly ISyncStore _store;
    private readonly List<Action> _listeners = [];
    private long _latest;

    public OutboxWatcher(ISyncStore store)
    {
        _store = store;
    }

    /// <summary>The newest outbox sequence seen.</summary>
    public long Latest => Interlocked.Read(ref _latest);

    /// <summary>Calls <paramref name="listener"/> whenever the outbox moves. Register before the loop starts.</summary>
    public void OnChange(Action listener) => _listeners.Add(listener);

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
