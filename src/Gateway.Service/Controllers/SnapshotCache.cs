using Gateway.Service.Domain.Controllers;

namespace Gateway.Service.Controllers;

/// <summary>
/// The latest <see cref="SyncSnapshot"/>, shared by every controller: reloaded only when the outbox moved
/// past it or it grew older than asked, so fifty controllers checking at once read the cards once.
/// </summary>
public sealed class SnapshotCache
{
    private readonly ISyncStore _store;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Loaded? _current;

    public SnapshotCache(ISyncStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
    }

    /// <summary>A snapshot reflecting at least outbox sequence <paramref name="minSequence"/> and loaded within <paramref name="maxAge"/>.</summary>
    public async Task<Loaded> GetAsync(long minSequence, TimeSpan maxAge, CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _current);
        if (Fresh(current, minSequence, maxAge))
        {
            return current!;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            current = _current;
            if (Fresh(current, minSequence, maxAge))
            {
                return current!;
            }

            var snapshot = await _store.LoadSnapshotAsync(cancellationToken);
            var byNumber = new Dictionary<long, CardTruth>(snapshot.Cards.Count);
            foreach (var card in snapshot.Cards)
            {
                byNumber[card.Number] = card;
            }

            current = new Loaded(snapshot, byNumber, _time.GetUtcNow());
            Volatile.Write(ref _current, current);
            return current;
        }
        finally
        {
            _gate.Release();
        }
    }

    private bool Fresh(Loaded? loaded, long minSequence, TimeSpan maxAge) =>
        loaded is not null && loaded.Snapshot.OutboxSequence >= minSequence && _time.GetUtcNow() - loaded.LoadedUtc <= maxAge;

    /// <summary>A loaded snapshot and its cards by number.</summary>
    public sealed record Loaded(SyncSnapshot Snapshot, IReadOnlyDictionary<long, CardTruth> ByNumber, DateTimeOffset LoadedUtc);
}
