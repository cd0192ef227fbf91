using Gateway.Service.Audit;

namespace Gateway.Service.Operators;

/// <summary>
/// Once at start and then every day: writes the audit chain's head outside the database
/// (<see cref="AuditHeadRecorder"/>) and deletes expired operator tokens. A failed pass is logged and
/// the next day's pass runs as usual.
/// </summary>
public sealed class SecurityHousekeeping : BackgroundService
{
    /// <summary>How often the pass runs.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromDays(1);

    private readonly AuditHeadRecorder _heads;
    private readonly OperatorStore _operators;
    private readonly TimeProvider _time;
    private readonly ILogger<SecurityHousekeeping> _logger;

    public SecurityHousekeeping(AuditHeadRecorder heads, OperatorStore operators, TimeProvider time, ILogger<SecurityHousekeeping> logger)
    {
        _heads = heads;
        _operators = operators;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, _time);
        do
        {
            try
            {
                await _heads.RecordAsync("daily", stoppingToken);
                if (await _operators.PurgeExpiredTokensAsync(stoppingToken) is var purged and > 0)
                {
                    _logger.LogInformation("Deleted {TokenCount} expired operator token(s)", purged);
                }
            }
            catch (Microsoft.Data.Sqlite.SqliteException ex)
            {
                _logger.LogWarning(ex, "The daily security pass (audit head, expired tokens) failed; it runs again tomorrow");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
