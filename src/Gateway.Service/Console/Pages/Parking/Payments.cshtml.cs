using Gateway.Service.Api;
using Gateway.Service.Parking;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Console.Pages.Parking;

/// <summary>The payment records, newest last, filtered by state (<see cref="ParkingWorkflow.ListPaymentsAsync"/>, as <c>GET /api/parking/payments</c>): the authorizer's queue of payments to grant, finance's records.</summary>
[Authorize(Policy = GatewayPolicies.ReadPayments)]
public sealed class PaymentsModel : ConsolePage
{
    public const int Shown = 50;
    private static readonly string[] States = ["recorded", "granted", "reversed"];
    private readonly ParkingWorkflow _parking;

    public PaymentsModel(ParkingWorkflow parking)
    {
        _parking = parking;
    }

    /// <summary>The state shown, or null for all.</summary>
    public string? State { get; private set; }

    public Page<PaymentView> Results { get; private set; } = null!;

    public async Task OnGetAsync(string? state, long? after, CancellationToken cancellationToken)
    {
        State = state is not null && States.Contains(state) ? state : null;
        Results = await _parking.ListPaymentsAsync(null, State, new PageRequest(Shown, after is > 0 ? after.Value : 0), cancellationToken);
    }
}
