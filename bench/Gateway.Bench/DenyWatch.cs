using System.Diagnostics;

namespace Gateway.Bench;

/// <summary>
/// Revoke latency to several controllers: after a revoke, polls every 5 ms (at most 60 s) until every
/// controller denies the card, and keeps the figures: until all deny, until the first does, and by rank.
/// </summary>
internal sealed class DenyWatch
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public DenyWatch(int controllers)
    {
        PerRank = Enumerable.Range(0, controllers).Select(_ => new Stats()).ToList();
    }

    /// <summary>From the revoke until every controller denied.</summary>
    public Stats All { get; } = new();

    /// <summary>From the revoke until the first controller denied.</summary>
    public Stats First { get; } = new();

    /// <summary>From the revoke until the n-th controller denied.</summary>
    public IReadOnlyList<Stats> PerRank { get; }

    /// <summary>Revokes that some controller did not deny within 60 s.</summary>
    public int Missed { get; private set; }

    /// <summary>
    /// Polls <paramref name="deniedNow"/> (given the controllers that denied already, it answers those that
    /// deny now) until <paramref name="controllers"/> of them denied or 60 s passed since <paramref name="start"/>;
    /// records the figures when all did. Returns when each denied (Stopwatch timestamps), by controller.
    /// </summary>
    public async Task<IReadOnlyDictionary<TKey, long>> UntilAllDenyAsync<TKey>(int controllers, long start, Func<IReadOnlyCollection<TKey>, Task<IEnumerable<TKey>>> deniedNow)
        where TKey : notnull
    {
        var deniedAt = new Dictionary<TKey, long>();
        while (deniedAt.Count < controllers && Stopwatch.GetElapsedTime(start) < Limit)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var key in await deniedNow(deniedAt.Keys))
            {
                deniedAt.TryAdd(key, now);
            }

            if (deniedAt.Count < controllers)
            {
                await Task.Delay(5);
            }
        }

        if (deniedAt.Count < controllers)
        {
            Missed++;
            return deniedAt;
        }

        var sorted = deniedAt.Values.Order().ToList();
        All.AddTicks(sorted[^1] - start);
        First.AddTicks(sorted[0] - start);
        for (var i = 0; i < sorted.Count; i++)
        {
            PerRank[i].AddTicks(sorted[i] - start);
        }

        return deniedAt;
    }
}
