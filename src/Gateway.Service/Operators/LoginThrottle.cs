using System.Collections.Concurrent;

namespace Gateway.Service.Operators;

/// <summary>
/// Rate limits on password logins, in memory (docs/operators.md, "Failed logins"):
/// <list type="bullet">
/// <item>per <b>operator and remote address</b>: <see cref="SecurityOptions.MaxFailedLogins"/> consecutive
/// failures lock that pair for <see cref="SecurityOptions.Lockout"/>. The lock never reaches the operator
/// at another address, so failing on purpose from one machine cannot lock the admin out of another;</item>
/// <item>per <b>remote address</b>: <see cref="SecurityOptions.MaxFailedLoginsPerAddress"/> failures within
/// the lockout window refuse the address before any password is hashed or anything is written, so one
/// address cannot try a few passwords on every user name;</item>
/// <item>per <b>operator</b>, across all addresses: once <see cref="SecurityOptions.SlowDownAfterFailedLogins"/>
/// failures have accumulated without a quiet lockout period, password checks of that operator run one at
/// a time and each failure holds the line for <see cref="SecurityOptions.SlowDown"/>. Guessing from many
/// addresses is bounded to one guess per slow-down interval, while the operator's own login still
/// succeeds, after a wait, from anywhere. Each address may have one check in the line (waiting or being
/// checked) per operator.</item>
/// </list>
/// An IPv6 client is counted by its /64 network, not its full address: one host usually holds a whole
/// /64 and can pick a new address in it for every attempt (RFC 4941 privacy addresses, or simply by choice).
/// </summary>
public sealed class LoginThrottle
{
    private const int SweepAbove = 10_000;
    private readonly ConcurrentDictionary<string, Window> _addresses = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Operator, string Address), Pair> _pairs = new();
    private readonly ConcurrentDictionary<string, Window> _operators = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Operator, string Address), byte> _waiting = new();
    private readonly TimeProvider _time;
    private readonly int _maxPerPair;
    private readonly int _maxPerAddress;
    private readonly int _slowDownAfter;
    private readonly TimeSpan _window;
    private readonly TimeSpan _slowDown;

    public LoginThrottle(SecurityOptions options, TimeProvider time)
    {
        _time = time;
        _maxPerPair = options.MaxFailedLogins;
        _maxPerAddress = options.MaxFailedLoginsPerAddress;
        _slowDownAfter = options.SlowDownAfterFailedLogins;
        _window = options.Lockout;
        _slowDown = options.SlowDown;
    }

    /// <summary>How long a failed check holds an operator's line while its logins are slowed down.</summary>
    public TimeSpan SlowDown => _slowDown;

    /// <summary>When the address may try again, or null when it may try now.</summary>
    public DateTimeOffset? BlockedUntil(string address)
    {
        var now = _time.GetUtcNow();
        if (_addresses.TryGetValue(AddressKey(address), out var window) && window.Start + _window > now && window.Count >= _maxPerAddress)
        {
            return window.Start + _window;
        }

        return null;
    }

    /// <summary>Until when <paramref name="username"/> is locked for logins from <paramref name="address"/>, or null.</summary>
    public DateTimeOffset? LockedUntil(string username, string address) =>
        _pairs.TryGetValue((Key(username), AddressKey(address)), out var pair) && pair.LockedUntil > _time.GetUtcNow() ? pair.LockedUntil : null;

    /// <summary>The latest lock of <paramref name="username"/> at any address (for the admin's view), or null.</summary>
    public DateTimeOffset? LockedUntil(string username)
    {
        var key = Key(username);
        var now = _time.GetUtcNow();
        return _pairs.Where(p => p.Key.Operator == key && p.Value.LockedUntil > now).Select(p => p.Value.LockedUntil).Max();
    }

    /// <summary>Whether logins of <paramref name="username"/> are being slowed down (too many failures from anywhere).</summary>
    public bool IsSlowedDown(string username) =>
        _operators.TryGetValue(Key(username), out var window) && window.Start + _window > _time.GetUtcNow() && window.Count >= _slowDownAfter;

    /// <summary>
    /// Waits for the operator's turn when its logins are slowed down (immediately otherwise). Null when this
    /// address already has a check in this operator's line: refuse the attempt.
    /// </summary>
    public async Task<Turn?> EnterAsync(string username, string address, CancellationToken cancellationToken)
    {
        var key = Key(username);
        address = AddressKey(address);
        if (!IsSlowedDown(key))
        {
            return new Turn(this, null, default);
        }

        if (!_waiting.TryAdd((key, address), 0))
        {
            return null;
        }

        try
        {
            var gate = _gates.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
            await gate.WaitAsync(cancellationToken);
            return new Turn(this, gate, (key, address));
        }
        catch
        {
            _waiting.TryRemove((key, address), out _);
            throw;
        }
    }

    /// <summary>Counts a failed login; returns the end of the lock when this failure locked the operator at this address.</summary>
    public DateTimeOffset? Failed(string username, string address)
    {
        var key = Key(username);
        address = AddressKey(address);
        var now = _time.GetUtcNow();
        _addresses.AddOrUpdate(address, _ => new Window(now, 1), (_, w) => w.Start + _window <= now ? new Window(now, 1) : w with { Count = w.Count + 1 });

        // The operator's count starts over only after a quiet lockout period, so a steady attack keeps the slow-down on.
        _operators.AddOrUpdate(key, _ => new Window(now, 1), (_, w) => w.Start + _window <= now ? new Window(now, 1) : new Window(now, w.Count + 1));
        var until = now + _window;
        var pair = _pairs.AddOrUpdate(
            (key, address),
            _ => Next(new Pair(0, null, now), now, until),
            (_, p) => Next(p, now, until));
        Sweep(now);
        return pair.LockedUntil == until && pair.Failures == 0 ? until : null;
    }

    /// <summary>A successful login: the consecutive failures of this operator at this address start over.</summary>
    public void Succeeded(string username, string address) => _pairs.TryRemove((Key(username), AddressKey(address)), out _);

    /// <summary>Lifts every lock of <paramref name="username"/> (an admin set a new password or enabled the operator).</summary>
    public void Clear(string username)
    {
        var key = Key(username);
        foreach (var pair in _pairs.Keys.Where(k => k.Operator == key))
        {
            _pairs.TryRemove(pair, out _);
        }
    }

    // User names are matched case-insensitively here so that "Admin" and "admin" share one counter.
    private static string Key(string username) => username.ToLowerInvariant();

    /// <summary>
    /// What the per-address counts are keyed by: an IPv4 address as is (an IPv4-mapped IPv6 address as
    /// its IPv4 form), an IPv6 address by its /64 network (<c>2001:db8:1:2::/64</c>); anything else as given.
    /// </summary>
    public static string AddressKey(string address)
    {
        if (!System.Net.IPAddress.TryParse(address, out var ip))
        {
            return address;
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            return ip.MapToIPv4().ToString();
        }

        if (ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return ip.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        ip.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new System.Net.IPAddress(bytes).ToString() + "/64";
    }

    private Pair Next(Pair pair, DateTimeOffset now, DateTimeOffset until)
    {
        var failures = (pair.LastFailure + _window <= now ? 0 : pair.Failures) + 1;
        return failures >= _maxPerPair ? new Pair(0, until, now) : new Pair(failures, pair.LockedUntil, now);
    }

    private void Sweep(DateTimeOffset now)
    {
        // Bound the memory a sweep over addresses or names can take: forget windows that have ended.
        if (_addresses.Count > SweepAbove)
        {
            foreach (var (key, w) in _addresses)
            {
                if (w.Start + _window <= now)
                {
                    _addresses.TryRemove(key, out _);
                }
            }
        }

        if (_pairs.Count > SweepAbove)
        {
            foreach (var (key, p) in _pairs)
            {
                if (p.LastFailure + _window <= now && !(p.LockedUntil > now))
                {
                    _pairs.TryRemove(key, out _);
                }
            }
        }

        if (_operators.Count > SweepAbove)
        {
            foreach (var (key, w) in _operators)
            {
                if (w.Start + _window <= now)
                {
                    _operators.TryRemove(key, out _);
                }
            }
        }
    }

    /// <summary>
    /// One password check's place in the operator's line. Dispose it after the check: a failure noted with
    /// <see cref="Failed"/> keeps the line held for the slow-down interval first.
    /// </summary>
    public sealed class Turn : IAsyncDisposable
    {
        private readonly LoginThrottle _throttle;
        private readonly (string Operator, string Address) _place;
        private SemaphoreSlim? _gate;
        private bool _failed;

        internal Turn(LoginThrottle throttle, SemaphoreSlim? gate, (string Operator, string Address) place)
        {
            _throttle = throttle;
            _gate = gate;
            _place = place;
        }

        /// <summary>Whether this check waited in a slowed-down operator's line.</summary>
        public bool Gated => _gate is not null;

        public void Failed() => _failed = true;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _gate, null) is not { } gate)
            {
                return;
            }

            try
            {
                if (_failed)
                {
                    // Not the caller's token: an abandoned request must not shorten the pause.
                    await Task.Delay(_throttle._slowDown, _throttle._time, CancellationToken.None);
                }
            }
            finally
            {
                _throttle._waiting.TryRemove(_place, out _);
                gate.Release();
            }
        }
    }

    private sealed record Window(DateTimeOffset Start, int Count);

    private sealed record Pair(int Failures, DateTimeOffset? LockedUntil, DateTimeOffset LastFailure);
}
