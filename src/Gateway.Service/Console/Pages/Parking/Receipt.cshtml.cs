using Gateway.Service.Api;
using Gateway.Service.Parking;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Parking;

/// <summary>
/// The receipt of a parking payment taken at the desk, an A4 page with the site's name and address, the
/// amount in figures and in capital numerals, and the period once granted: always in Chinese (the payer's
/// copy), whatever language the operator reads the console in.
/// </summary>
[Authorize(Policy = GatewayPolicies.ReadPayments)]
public sealed class ReceiptModel : ConsolePage
{
    private readonly ParkingWorkflow _parking;

    public ReceiptModel(ParkingWorkflow parking)
    {
        _parking = parking;
    }

    public PaymentView Payment { get; private set; } = null!;

    public AgreementView Agreement { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        if (await _parking.GetPaymentAsync(id, cancellationToken) is not { } payment
            || await _parking.GetAgreementAsync(payment.AgreementId, cancellationToken) is not { } agreement)
        {
            return NotFound();
        }

        (Payment, Agreement) = (payment, agreement);
        PrintInChinese();
        return Page();
    }
}
