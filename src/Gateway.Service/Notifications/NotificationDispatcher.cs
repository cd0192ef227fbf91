using Gateway.Service.Hosting;
using Gateway.Service.Storage;

namespace Gateway.Service.Notifications;

/// <summary>
/// Delivers the outbox at least once: every poll it sends the notices that are due; a failure counts
/// the attempt and schedules the next one with capped exponential back-off. Nothing is ever dropped:
/// with no transport configured the notices wait in the outbox. A delivery failure is expected and
/// retried here; any other error (the database refusing the bookkeeping, say) stops the pass loop, and the
/// <see cref="LoopSupervisor"/> restarts it with back-off.
/// </summary>
public sealed class NotificationDispatcher : BackgroundService, ISupervisedLoop
{
    private readonly NotificationOutbox _outbox;
    private readonly UnitOfWorkFactory _units;
    private readonly INotificationSender? _sender;
    private readonly NotificationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<NotificationDispatcher> _logger;
    private readonly LoopSupervisor? _supervisor;
    private readonly SemaphoreSlim _pass = new(1, 1);

    public NotificationDispatcher(NotificationOutbox outbox, UnitOfWorkFactory units, NotificationOptions options, TimeProvider time, ILogger<NotificationDispatcher> logger, INotificationSender? sender = null, LoopSupervisor? supervisor = null)
    {
        _outbox = outbox;
        _units = units;
        _options = options;
        _time = time;
        _logger = logger;
        _sender = sender;
        _supervisor = supervisor;
    }

    public string Name => "notification delivery";

    public IReadOnlyList<string> DeviceIds => [];

    /// <summary>Sends every due notice once; returns how many were delivered.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        if (_sender is null || _options.Transport == NotificationTransport.None)
        {
            return 0;
        }

        // One pass at a time: a notice is never sent twice by two overlapping passes.
        await _pass.WaitAsync(cancellationToken);
        try
        {
            return await DeliverDueOnceAsync(_sender, cancellationToken);
        }
        finally
        {
            _pass.Release();
        }
    }

    private async Task<int> DeliverDueOnceAsync(INotificationSender sender, CancellationToken cancellationToken)
    {
        var delivered = 0;
        foreach (var notice in await _outbox.DueAsync(_time.GetUtcNow(), 20, cancellationToken))
        {
            string? error = null;
            try
            {
                await sender.SendAsync(notice, cancellationToken);
            }
            catch (NotificationDeliveryException ex)
            {
                error = ex.Message;
            }

            var now = _time.GetUtcNow();
            var attempts = notice.Attempts + 1;
            var next = now + NotificationOutbox.BackOff(attempts, _options.RetryMin, _options.RetryMax);
            await _units.RunExclusiveAsync(
                async (connection, transaction) =>
                {
                    await using var update = connection.CreateCommand();
                    update.Transaction = transaction;
                    update.CommandText = "UPDATE notification_outbox SET attempts = $a, last_error = $e, delivered_utc = $d, next_attempt_utc = $n WHERE id = $id";
                    update.Parameters.AddWithValue("$a", attempts);
                    update.Parameters.AddWithValue("$e", (object?)error ?? DBNull.Value);
                    update.Parameters.AddWithValue("$d", error is null ? UnitOfWork.Timestamp(now) : DBNull.Value);
                    update.Parameters.AddWithValue("$n", UnitOfWork.Timestamp(error is null ? now : next));
                    update.Parameters.AddWithValue("$id", notice.Id);
                    return await update.ExecuteNonQueryAsync(cancellationToken);
                },
                cancellationToken);
            if (error is null)
            {
                delivered++;
                _logger.LogInformation("Delivered notification {MessageId} ({Kind}) after {Attempts} attempt(s)", notice.MessageId, notice.Kind, attempts);
            }
            else
            {
                _logger.LogWarning("Notification {MessageId} not delivered (attempt {Attempts}), next attempt at {NextAttemptUtc}: {Reason}", notice.MessageId, attempts, next, error);
            }
        }

        return delivered;
    }

    public override void Dispose()
    {
        _pass.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_sender is null || _options.Transport == NotificationTransport.None)
        {
            _logger.LogInformation("Gateway:Notifications:Transport is none: rotation notices are queued in the outbox and not sent");
            return;
        }

        if (_supervisor is null)
        {
            throw new InvalidOperationException("the notification dispatcher runs under the loop supervisor (register LoopSupervisor)");
        }

        await _supervisor.RunAsync(this, stoppingToken);
    }

    /// <summary>The delivery passes, one per poll interval (the supervised loop).</summary>
    public async Task RunAsync(LoopHeartbeat heartbeat, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        using var timer = new PeriodicTimer(_options.PollInterval, _time);
        do
        {
            await DeliverDueAsync(cancellationToken);
            await heartbeat.HealthyAsync(cancellationToken);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    public void Reset()
    {
        // Nothing half-done: each notice's attempt is recorded in its own transaction.
    }
}
