using Gateway.Service.Notifications;
using Gateway.Service.Site;
using Gateway.Service.Storage;

namespace Gateway.Service.Alarms;

/// <summary>
/// Queues every alarm in the operators feature's notification outbox, in the alarm's own transaction,
/// when a transport is configured (<c>Gateway:Notifications:Transport</c> smtp or webhook); with
/// <c>none</c> alarms are only listed. The recipients are the notification options' own.
/// </summary>
public sealed class NotificationOutboxAlarmNotifier : IAlarmNotifier
{
    private readonly NotificationOutbox _outbox;
    private readonly bool _enabled;
    private readonly string _siteId;

    public NotificationOutboxAlarmNotifier(NotificationOutbox outbox, NotificationOptions options, SiteOptions site)
    {
        _outbox = outbox;
        _enabled = options.Transport != NotificationTransport.None;
        _siteId = site.SiteId;
    }

    public async Task NotifyAsync(UnitOfWork unit, AlarmView alarm, CancellationToken cancellationToken)
    {
        if (!_enabled)
        {
            return;
        }

        var kind = AlarmStore.Name(alarm.Kind);
        await _outbox.EnqueueAsync(
            unit,
            $"alarm.{kind}",
            $"[{_siteId}] {kind} on {alarm.DeviceId}",
            $"Alarm {alarm.Id} ({kind}) on {alarm.DeviceId} at {alarm.RaisedUtc:u}:\n{alarm.Message}\n\nAcknowledge with: gatewayctl alarms ack {alarm.Id}",
            cancellationToken);
    }
}
