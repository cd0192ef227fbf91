using Gateway.Service.Api;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Parking;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Parking;

/// <summary>
/// Record a payment taken at the desk (<see cref="ParkingWorkflow.RecordPaymentAsync"/>, the input rules of
/// <c>POST /api/parking/agreements/{id}/payments</c>), in yuan, once per form key. An amount the period
/// rules cannot grant is refused here, with the amounts that would do; the period is bought when the
/// parking-card authorizer grants it.
/// </summary>
[Authorize(Policy = GatewayPolicies.FrontDesk)]
public sealed class PayModel : ConsolePage
{
    private readonly ParkingWorkflow _parking;
    private readonly ConsoleForms _forms;

    public PayModel(ParkingWorkflow parking, ConsoleForms forms)
    {
        _parking = parking;
        _forms = forms;
    }

    public AgreementView Agreement { get; private set; } = null!;

    /// <summary>One billing cycle's amount: what the desk usually takes.</summary>
    public long CycleFen { get; private set; }

    [BindProperty(Name = ConsoleForms.KeyField)]
    public string? IdempotencyKey { get; set; }

    [BindProperty]
    public string? Amount { get; set; }

    [BindProperty]
    public string? Method { get; set; } = "cash";

    [BindProperty]
    public string? ReceiptNumber { get; set; }

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        IdempotencyKey = ConsoleForms.NewKey();
        Amount = ConsoleFormat.Yuan(CycleFen).TrimStart('¥');
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        var v = new Validator();
        var amount = Yuan(v, "amount", Amount, ParkingInput.MaxPaymentFen);

        var method = v.OneOf("method", Method, ParkingInput.Methods);
        var receipt = ParkingInput.ReceiptNumber(v, ReceiptNumber);
        if (!v.IsValid)
        {
            Show(v);
            return Page();
        }

        ParkingNames.TryParseMethod(method, out var paymentMethod);
        PaymentView? recorded = null;
        var run = await _forms.OnceAsync(Actor, "parking-payment", IdempotencyKey, Request.Form, async () =>
        {
            if (!(await _parking.RecordPaymentAsync(Actor, new NewPayment(id, amount!.Value, paymentMethod, receipt!), CancellationToken.None)).TryGetValue(out var payment, out var refusal))
            {
                ShowPaymentRefusal(refusal);
                return null;
            }

            recorded = payment;
            return $"/parking/{id}";
        }, cancellationToken);

        if (run.Result == FormRunResult.Done)
        {
            Notice = Text.Format("payments.recorded-done", ConsoleFormat.Yuan(amount!.Value), receipt);
            return GoTo(run.Location);
        }

        Show(run);
        return Page();
    }

    /// <summary>A refusal, and for an amount the rules cannot grant, the amounts they would.</summary>
    private void ShowPaymentRefusal(Refusal refusal)
    {
        Show(refusal, new Dictionary<string, string> { ["receiptNumber"] = "receiptNumber" });
        if (ParkingText.ValidAmounts(refusal) is { } valid)
        {
            NextStep = Text.Format("payments.valid-amounts", valid);
        }
    }

    private async Task<bool> LoadAsync(long id, CancellationToken cancellationToken)
    {
        if (await _parking.GetAgreementAsync(id, cancellationToken) is not { } agreement)
        {
            return false;
        }

        Agreement = agreement;
        ParkingNames.TryParseCycle(agreement.BillingCycle, out var cycle);
        CycleFen = agreement.MonthlyFeeFen * cycle.Months();
        return true;
    }
}
