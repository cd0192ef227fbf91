using System.Diagnostics;

namespace Gateway.Testing;

/// <summary>Waits on a condition the test can observe, instead of sleeping for a time that stands in for it.</summary>
public static class Eventually
{
    /// <summary>
    /// Returns as soon as <paramref name="condition"/> holds (checked every millisecond or so); throws
    /// <see cref="TimeoutException"/> naming <paramref name="what"/> when it still does not after <paramref name="bound"/>
    /// (default 30 s: a bound for a hung test, not a timing assertion).
    /// </summary>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? bound = null)
    {
        var limit = bound ?? TimeSpan.FromSeconds(30);
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"still waiting after {limit.TotalSeconds:0.#} s for {what}");
            }

            await Task.Delay(1);
        }
    }
}
