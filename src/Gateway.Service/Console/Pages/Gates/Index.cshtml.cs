using Gateway.Service.Alarms;
using Gateway.Service.Api;
using Gateway.Service.Controllers;
using Gateway.Service.Events;
using Gateway.Service.Hosting;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Console.Pages.Gates;

/// <summary>
/// The gates: every device and its health (both controller families, as <c>GET /api/devices</c>), the open
/// alarms with their acknowledgement (<c>GET /api/alarms</c>), and the recent events, filtered by card,
/// holder, plate, controller and decision, refreshing themselves every five seconds (<c>GET /api/events</c>).
/// </summary>
[Authorize(Policy = GatewayPolicies.ReadOperational)]
public sealed class IndexModel : ConsolePage
{
    private readonly DeviceStatusBoard _board;
    private readonly SyncEngine _engine;
    private readonly AlarmStore _alarms;
    private readonly EventStore _events;

    public IndexModel(DeviceStatusBoard board, SyncEngine engine, AlarmStore alarms, EventStore events)
    {
        _board = board;
        _engine = engine;
        _alarms = alarms;
        _events = events;
    }

    public IReadOnlyList<DeviceEndpoints.DeviceResponse> Devices { get; private set; } = [];

    public IReadOnlyList<AlarmView> Alarms { get; private set; } = [];

    public EventList Events { get; private set; } = null!;

    /// <summary>The controllers a lane or door can be opened on from the desk.</summary>
    public IReadOnlySet<string> Openable { get; private set; } = new HashSet<string>();

    public async Task OnGetAsync(string? card, string? holder, string? plate, string? controller, string? decision, CancellationToken cancellationToken)
    {
        Devices = DeviceEndpoints.List(_board, _engine);
        Openable = Devices.Where(d => _engine.FindOpener(d.Id) is not null).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        Alarms = (await _alarms.ListAsync(true, null, null, new PageRequest(PageRequest.MaxLimit, 0), cancellationToken)).Items;
        Events = await EventList.ReadAsync(_events, card, holder, plate, controller, decision, cancellationToken);
    }
}
