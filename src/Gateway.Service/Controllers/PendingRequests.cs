namespace Gateway.Service.Controllers;

/// <summary>
/// The requests a change or a repair is sent as, one per turn, and the outbox sequence that counts as
/// applied once every one was answered. A failure drops the rest: the next turns compare again.
/// </summary>
public sealed class PendingRequests
{
    private readonly Queue<(string What, Func<CancellationToken, Task> Send)> _queue = new();

    public int Count => _queue.Count;

    /// <summary>The outbox sequence applied when the queue is emptied (-1: none).</summary>
    public long Target { get; set; } = -1;

    public void Enqueue(string what, Func<CancellationToken, Task> send) => _queue.Enqueue((what, send));

    /// <summary>Sends the next request; true when it was the last.</summary>
    public async Task<bool> SendNextAsync(CancellationToken cancellationToken)
    {
        var (_, send) = _queue.Peek();
        await send(cancellationToken);
        _queue.Dequeue();
        return _queue.Count == 0;
    }

    public void Clear()
    {
        _queue.Clear();
        Target = -1;
    }
}
