namespace Gateway.Service.Api;

/// <summary>
/// Lets at most <c>perWindow</c> messages of one kind through in each window and counts the rest, so
/// something outside Gateway's control (a script retrying a stale token thousands of times a second)
/// cannot turn the log into a flood. The first message let through after a quiet or full window says
/// how many were left out before it. Thread-safe.
/// </summary>
public sealed class LogRateLimit
{
    private readonly Lock _gate = new();
    private readonly int _perWindow;
    private readonly TimeSpan _window;
    private readonly TimeProvider _time;
    private DateTimeOffset _windowStart = DateTimeOffset.MinValue;
    private int _passed;
    private long _suppressed;

    public LogRateLimit(int perWindow, TimeSpan window, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perWindow, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        _perWindow = perWindow;
        _window = window;
        _time = time;
    }

    /// <summary>
    /// True when this message may be logged; <paramref name="suppressed"/> is then how many were left out
    /// since the last one logged (0 mostly). False: leave it out (it is counted).
    /// </summary>
    public bool TryEnter(out long suppressed)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (now - _windowStart >= _window)
            {
                _windowStart = now;
                _passed = 0;
            }

            if (_passed < _perWindow)
            {
                _passed++;
                suppressed = _suppressed;
                _suppressed = 0;
                return true;
            }

            _suppressed++;
            suppressed = 0;
            return false;
        }
    }
}
