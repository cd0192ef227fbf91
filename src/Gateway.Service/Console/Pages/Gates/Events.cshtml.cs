using Gateway.Service.Api;
using Gateway.Service.Events;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Console.Pages.Gates;

/// <summary>The recent events as a fragment the gates page refreshes every five seconds, with the same filters.</summary>
[Authorize(Policy = GatewayPolicies.ReadOperational)]
public sealed class EventsModel : ConsolePage
{
    private readonly EventStore _events;

    public EventsModel(EventStore events)
    {
        _events = events;
    }

    public EventList Events { get; private set; } = null!;

    public async Task OnGetAsync(string? card, string? holder, string? plate, string? controller, string? decision, CancellationToken cancellationToken) =>
        Events = await EventList.ReadAsync(_events, card, holder, plate, controller, decision, cancellationToken);
}
