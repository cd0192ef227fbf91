using Gateway.Drivers.Barriers;
using Gateway.Service.Alarms;

namespace Gateway.Service.Controllers;

/// <summary>
/// A barrier controller's events (docs/sync.md): read from the controller's unacknowledged sequence, stored
/// keyed by (boot id, sequence), then acknowledged; a new boot id is a restart; a full buffer is alarmed with
/// the events it lost, a blocked card presented with the card.
/// </summary>
internal sealed class BarrierEvents(BarrierAdapter adapter, BarrierController driver) : IEventCollection
{
    public async Task CollectAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var session = adapter.Session;
        var context = session.Context;
        var id = session.Device.Id;
        var batch = await driver.ReadEventsAsync(cancellationToken);
        if (batch.BootId != adapter.SavedBootId)
        {
            await adapter.OnBootIdAsync(batch.BootId, cancellationToken);
        }

        var stored = await context.Events.StoreAsync(id, batch.BootId, batch.Events, cancellationToken);
        if (batch.Lost > 0)
        {
            await session.RaiseAsync(new AlarmRaise(AlarmKind.BufferOverflow, id, $"{id} lost {batch.Lost} events to a full buffer (boot {batch.BootId:X8}, after sequence {batch.Acknowledged})", Lost: batch.Lost), cancellationToken);
        }

        await session.AlarmBlockedAsync(stored, cancellationToken);
        if (batch.Events.Count > 0)
        {
            try
            {
                await driver.AcknowledgeEventsAsync(batch, cancellationToken);
            }
            catch (BarrierAcknowledgeRejectedException)
            {
                // It restarted since the read: what was stored stays stored, and the next read starts on the new boot.
                context.Logger.LogInformation("Controller {DeviceId} refused an acknowledgement for boot id {BootId}: it restarted", id, batch.BootId);
                session.NextEvents = now;
                return;
            }

            context.Logger.LogDebug("Controller {DeviceId}: {Count} events collected ({New} new) up to sequence {Sequence}", id, batch.Events.Count, stored.Count, batch.LastSequence);
            session.Update(h => h with { EventsCollected = h.EventsCollected + stored.Count });
        }

        session.NextEvents = batch.More ? now : now + context.Options.EventInterval;
    }
}
