using System.Globalization;

namespace Gateway.Service.Controllers;

/// <summary>
/// How the sync engine paces itself (section <c>Gateway:Sync</c>), read and validated at start with the
/// rest of the configuration. Every value has a default that suits a site; tests shorten them.
/// </summary>
/// <param name="PollInterval">How often each bus looks for work: outbox markers, events (<c>PollMs</c>, default 250 ms).</param>
/// <param name="EventInterval">How often each controller's events are read (<c>EventIntervalMs</c>, default 2,000 ms).</param>
/// <param name="CheckInterval">How often each controller's count and digest are compared (<c>CheckIntervalSeconds</c>, default 300 s).</param>
/// <param name="ClockInterval">How often each controller's clock is read (<c>ClockIntervalSeconds</c>, default 600 s).</param>
/// <param name="Timeout">One Modbus attempt (<c>TimeoutMs</c>, default 1,000 ms). The master does not retry: the engine's back-off does.</param>
/// <param name="MaxBackoff">Longest wait between two attempts at a controller that is down (<c>MaxBackoffSeconds</c>, default 60 s); the wait doubles from 1 s.</param>
/// <param name="BlockedRetention">How long a lost, revoked or damaged card stays on its controllers as blocked (<c>BlockedRetentionDays</c>, default 90).</param>
/// <param name="ExpiredRetention">How long an expired parking entry stays after its end (<c>ExpiredRetentionDays</c>, default 30).</param>
/// <param name="Hold">
/// Cut-over hold (<c>Hold</c>, default false): the engine touches no controller, so the previous system's
/// entries stay while a site is moved in; a site import's dry run then reads each controller's table
/// itself (docs/migration.md). Never left on: nothing reaches the controllers while it is.
/// </param>
public sealed record SyncOptions(
    TimeSpan PollInterval,
    TimeSpan EventInterval,
    TimeSpan CheckInterval,
    TimeSpan ClockInterval,
    TimeSpan Timeout,
    TimeSpan MaxBackoff,
    TimeSpan BlockedRetention,
    TimeSpan ExpiredRetention,
    bool Hold = false)
{
    /// <summary>Largest clock difference left alone; beyond it the clock is set (the profile's resolution is 1 s, the promise 2 s).</summary>
    public static readonly TimeSpan ClockTolerance = TimeSpan.FromSeconds(1);

    /// <summary>A clock found further off than this raises a clock-skew alarm (unless the controller just rebooted).</summary>
    public static readonly TimeSpan ClockAlarmThreshold = TimeSpan.FromSeconds(2);

    public static SyncOptions Default { get; } = new(
        TimeSpan.FromMilliseconds(250),
        TimeSpan.FromSeconds(2),
        TimeSpan.FromMinutes(5),
        TimeSpan.FromMinutes(10),
        TimeSpan.FromSeconds(1),
        TimeSpan.FromSeconds(60),
        TimeSpan.FromDays(90),
        TimeSpan.FromDays(30));

    /// <summary>Reads <c>Gateway:Sync:*</c>; on failure <paramref name="error"/> names the key.</summary>
    public static bool TryLoad(IConfigurationSection gateway, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SyncOptions? options, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        options = null;
        var d = Default;
        if (!Read(gateway, "PollMs", d.PollInterval, TimeSpan.FromMilliseconds, 10, 60_000, out var poll, out error)
            || !Read(gateway, "EventIntervalMs", d.EventInterval, TimeSpan.FromMilliseconds, 10, 3_600_000, out var events, out error)
            || !Read(gateway, "CheckIntervalSeconds", d.CheckInterval, TimeSpan.FromSeconds, 1, 86_400, out var check, out error)
            || !Read(gateway, "ClockIntervalSeconds", d.ClockInterval, TimeSpan.FromSeconds, 1, 86_400, out var clock, out error)
            || !Read(gateway, "TimeoutMs", d.Timeout, TimeSpan.FromMilliseconds, 20, 60_000, out var timeout, out error)
            || !Read(gateway, "MaxBackoffSeconds", d.MaxBackoff, TimeSpan.FromSeconds, 1, 3_600, out var backoff, out error)
            || !Read(gateway, "BlockedRetentionDays", d.BlockedRetention, TimeSpan.FromDays, 0, 3_650, out var blocked, out error)
            || !Read(gateway, "ExpiredRetentionDays", d.ExpiredRetention, TimeSpan.FromDays, 0, 3_650, out var expired, out error))
        {
            return false;
        }

        var hold = false;
        if (gateway["Sync:Hold"] is { } holdText && !bool.TryParse(holdText, out hold))
        {
            error = $"Gateway:Sync:Hold: '{holdText}' is not true or false";
            return false;
        }

        options = new SyncOptions(poll, events, check, clock, timeout, backoff, blocked, expired, hold);
        return true;
    }

    private static bool Read(IConfigurationSection gateway, string key, TimeSpan fallback, Func<double, TimeSpan> unit, int min, int max, out TimeSpan value, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        value = fallback;
        error = null;
        var text = gateway[$"Sync:{key}"];
        if (text is null)
        {
            return true;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
        {
            error = $"Gateway:Sync:{key}: '{text}' is not a whole number from {min} to {max}";
            return false;
        }

        value = unit(number);
        return true;
    }
}
