using System.Collections.Concurrent;
using Gateway.Service.Hosting;

namespace Gateway.Service.Operators;

/// <summary>
/// Failed logins per remote address, in memory: after <see cref="SecurityOptions.MaxFailedLoginsPerAddress"/>
/// failures within the lockout window, that address is refused before any password is hashed or
/// anything is written. Complements the per-operator lock, which alone would let one address try a
/// few passwords on every user name (and fill the audit log with failures).
/// </summary>
public sealed class LoginThrottle
{
    private readonly ConcurrentDictionary<string, Window> _failures = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly int _max;
    private readonly TimeSpan _window;

    public LoginThrottle(GatewayOptions options, TimeProvider time)
    {
        _time = time;
        _max = options.Security.MaxFailedLoginsPerAddress;
        _window = options.Security.Lockout;
    }

    /// <summary>When the address may try again, or null when it may try now.</summary>
    public DateTimeOffset? BlockedUntil(string address)
    {
        var now = _time.GetUtcNow();
        if (_failures.TryGetValue(address, out var window) && window.Start + _window > now && window.Count >= _max)
        {
            return window.Start + _window;
        }

        return null;
    }

    public void Failed(string address)
    {
        var now = _time.GetUtcNow();
        _failures.AddOrUpdate(address, _ => new Window(now, 1), (_, w) => w.Start + _window <= now ? new Window(now, 1) : w with { Count = w.Count + 1 });
        if (_failures.Count > 10_000)
        {
            // Bound the memory an address sweep can take: forget windows that have ended.
            foreach (var (key, w) in _failures)
            {
                if (w.Start + _window <= now)
                {
                    _failures.TryRemove(key, out _);
                }
            }
        }
    }

    private sealed record Window(DateTimeOffset Start, int Count);
}
