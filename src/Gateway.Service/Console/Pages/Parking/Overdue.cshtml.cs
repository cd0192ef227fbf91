using Gateway.Service.Api;
using Gateway.Service.Parking;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Console.Pages.Parking;

/// <summary>Active agreements whose paid period has lapsed or that were never paid, with the holder's phone (<see cref="ParkingWorkflow.OverdueAsync"/>, as <c>GET /api/parking/overdue</c>).</summary>
[Authorize(Policy = GatewayPolicies.ReadPayments)]
public sealed class OverdueModel : ConsolePage
{
    private readonly ParkingWorkflow _parking;
    private readonly TimeProvider _time;

    public OverdueModel(ParkingWorkflow parking, TimeProvider time)
    {
        _parking = parking;
        _time = time;
    }

    public Page<OverdueView> Results { get; private set; } = null!;

    public async Task OnGetAsync(long? after, CancellationToken cancellationToken) =>
        Results = await _parking.OverdueAsync(_time.GetUtcNow(), new PageRequest(PageRequest.MaxLimit, after is > 0 ? after.Value : 0), cancellationToken);
}
