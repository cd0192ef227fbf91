using Gateway.Service.Api;
using Gateway.Service.Parking;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Console.Pages.Parking;

/// <summary>Parking agreements, found by plate, space, holder's name, card or agreement number (<see cref="ParkingWorkflow.ListAgreementsAsync"/>, as <c>GET /api/parking/agreements</c>).</summary>
[Authorize(Policy = GatewayPolicies.ReadParking)]
public sealed class IndexModel : ConsolePage
{
    public const int Shown = 50;
    private static readonly string[] States = ["active", "ended", "all"];
    private readonly ParkingWorkflow _parking;

    public IndexModel(ParkingWorkflow parking)
    {
        _parking = parking;
    }

    public string? Q { get; private set; }

    public string State { get; private set; } = "active";

    public Page<AgreementView> Results { get; private set; } = null!;

    public async Task OnGetAsync(string? q, string? state, long? after, CancellationToken cancellationToken)
    {
        Q = q?.Trim() is { Length: > 0 and <= 64 } text ? text : null;
        State = state is not null && States.Contains(state) ? state : "active";
        var filter = new AgreementFilter(null, null, null, null, State == "all" ? null : State, null, Q);
        Results = await _parking.ListAgreementsAsync(filter, new PageRequest(Shown, after is > 0 ? after.Value : 0), cancellationToken);
    }
}
