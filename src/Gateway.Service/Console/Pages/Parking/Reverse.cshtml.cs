using Gateway.Service.Api;
using Gateway.Service.Parking;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Parking;

/// <summary>
/// The authorizer reverses a payment with a reason (<see cref="ParkingWorkflow.ReverseAsync"/>, as <c>POST
/// /api/parking/payments/{id}/reverse</c>): a granted one loses its period and the later periods of its
/// chain move earlier; the controllers follow.
/// </summary>
[Authorize(Policy = GatewayPolicies.ParkingAuthorizer)]
public sealed class ReverseModel : ConsolePage
{
    private readonly ParkingWorkflow _parking;

    public ReverseModel(ParkingWorkflow parking)
    {
        _parking = parking;
    }

    public PaymentView Payment { get; private set; } = null!;

    [BindProperty]
    public string? Reason { get; set; }

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken) =>
        await LoadAsync(id, cancellationToken) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        var v = new Validator();
        var reason = ParkingInput.Reason(v, Reason);
        if (!v.IsValid)
        {
            Show(v);
            return Page();
        }

        if (!(await _parking.ReverseAsync(Actor, id, reason!, cancellationToken)).TryGetValue(out var reversal, out var refusal))
        {
            Show(refusal);
            return Page();
        }

        Notice = reversal.Validity is { } validity
            ? Text.Format("reverse.done-valid", id, Time(validity.ValidToUtc), reversal.Moved.Count)
            : Text.Format("reverse.done", id);
        return Redirect($"/parking/{Payment.AgreementId}");
    }

    private async Task<bool> LoadAsync(long id, CancellationToken cancellationToken)
    {
        if (await _parking.GetPaymentAsync(id, cancellationToken) is not { } payment)
        {
            return false;
        }

        Payment = payment;
        return true;
    }
}
