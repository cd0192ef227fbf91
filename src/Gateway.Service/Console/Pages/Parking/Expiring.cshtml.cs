using Gateway.Service.Api;
using Gateway.Service.Parking;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Console.Pages.Parking;

/// <summary>Active agreements whose paid period ends within N days (<see cref="ParkingWorkflow.ExpiringAsync"/>, as <c>GET /api/parking/expiring</c>).</summary>
[Authorize(Policy = GatewayPolicies.ReadParking)]
public sealed class ExpiringModel : ConsolePage
{
    private readonly ParkingWorkflow _parking;
    private readonly TimeProvider _time;

    public ExpiringModel(ParkingWorkflow parking, TimeProvider time)
    {
        _parking = parking;
        _time = time;
    }

    public int Days { get; private set; } = 30;

    public Page<ExpiringView> Results { get; private set; } = null!;

    public async Task OnGetAsync(int? days, long? after, CancellationToken cancellationToken)
    {
        Days = days is >= 1 and <= 366 ? days.Value : 30;
        Results = await _parking.ExpiringAsync(_time.GetUtcNow(), Days, new PageRequest(PageRequest.MaxLimit, after is > 0 ? after.Value : 0), cancellationToken);
    }
}
