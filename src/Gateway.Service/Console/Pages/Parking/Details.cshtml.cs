using Gateway.Service.Api;
using Gateway.Service.Parking;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Parking;

/// <summary>One agreement: its terms, the paid periods, the validity the car park's controllers hold, and its payments with what each role may do with them.</summary>
[Authorize(Policy = GatewayPolicies.ReadParking)]
public sealed class DetailsModel : ConsolePage
{
    private readonly ParkingWorkflow _parking;

    public DetailsModel(ParkingWorkflow parking)
    {
        _parking = parking;
    }

    public AgreementView Agreement { get; private set; } = null!;

    public IReadOnlyList<PaymentView> Payments { get; private set; } = [];

    public int GraceDays => _parking.Rules.GraceDays;

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        if (await _parking.GetAgreementAsync(id, cancellationToken) is not { } agreement)
        {
            return NotFound();
        }

        Agreement = agreement;
        Payments = (await _parking.ListPaymentsAsync(id, null, new PageRequest(PageRequest.MaxLimit, 0), cancellationToken)).Items;
        return Page();
    }
}
