using System.Globalization;
using Gateway.Service.Api;
using Gateway.Service.Domain;
using Gateway.Service.Parking;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Parking;

/// <summary>
/// The parking-card authorizer's grant: the page shows the period the payment buys and the validity the
/// car park's controllers will receive (<see cref="ParkingWorkflow.PreviewGrantAsync"/>: the grant itself,
/// rolled back); confirming grants it (<see cref="ParkingWorkflow.GrantAsync"/>, as <c>POST
/// /api/parking/payments/{id}/grant</c>) once per form key, and only if it still buys the period shown.
/// Any other role is refused, page and post alike.
/// </summary>
[Authorize(Policy = GatewayPolicies.ParkingAuthorizer)]
public sealed class GrantModel : ConsolePage
{
    private readonly ParkingWorkflow _parking;
    private readonly ConsoleForms _forms;

    public GrantModel(ParkingWorkflow parking, ConsoleForms forms)
    {
        _parking = parking;
        _forms = forms;
    }

    public PaymentView Payment { get; private set; } = null!;

    public AgreementView Agreement { get; private set; } = null!;

    /// <summary>What the grant would do now; null when it would be refused (the refusal is shown).</summary>
    public GrantView? Preview { get; private set; }

    public int GraceDays => _parking.Rules.GraceDays;

    [BindProperty(Name = ConsoleForms.KeyField)]
    public string? IdempotencyKey { get; set; }

    /// <summary>The period shown when the form was rendered (yyyy-MM-dd), checked again at the grant.</summary>
    [BindProperty]
    public string? Start { get; set; }

    [BindProperty]
    public string? End { get; set; }

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        IdempotencyKey = ConsoleForms.NewKey();
        await PreviewAsync(id, cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        if (!DateOnly.TryParseExact(Start, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
            || !DateOnly.TryParseExact(End, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var end))
        {
            FormErrors.Add(Text["grant.no-period"]);
            IdempotencyKey = ConsoleForms.NewKey();
            await PreviewAsync(id, cancellationToken);
            return Page();
        }

        GrantView? granted = null;
        var run = await _forms.OnceAsync(Actor, "parking-grant", IdempotencyKey, Request.Form, async () =>
        {
            if (!(await _parking.GrantAsync(Actor, id, CancellationToken.None, shown: (start, end))).TryGetValue(out var grant, out var refusal))
            {
                Show(refusal);
                return null;
            }

            granted = grant;
            return $"/parking/{Payment.AgreementId}";
        }, cancellationToken);

        if (run.Result == FormRunResult.Done)
        {
            Notice = granted is { } g
                ? Text.Format("grant.done", Payment.Id, Time(g.Period.StartUtc), Time(g.Period.EndUtc), Time(g.Validity.ValidToUtc))
                : Text.Format("grant.done-before", Payment.Id);
            return GoTo(run.Location);
        }

        Show(run);
        // Shown again as it is now: the authorizer confirms what they see (a new key, since the form is new).
        await LoadAsync(id, cancellationToken);
        IdempotencyKey = ConsoleForms.NewKey();
        await PreviewAsync(id, cancellationToken);
        return Page();
    }

    private async Task PreviewAsync(long id, CancellationToken cancellationToken)
    {
        if (Payment.State != "recorded")
        {
            return;
        }

        if ((await _parking.PreviewGrantAsync(Actor, id, cancellationToken)).TryGetValue(out var preview, out var refusal))
        {
            Preview = preview;
            Start = preview.Period.Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            End = preview.Period.End.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }
        else if (FormErrors.Count == 0)
        {
            Show(refusal);
        }
    }

    private async Task<bool> LoadAsync(long id, CancellationToken cancellationToken)
    {
        if (await _parking.GetPaymentAsync(id, cancellationToken) is not { } payment
            || await _parking.GetAgreementAsync(payment.AgreementId, cancellationToken) is not { } agreement)
        {
            return false;
        }

        (Payment, Agreement) = (payment, agreement);
        return true;
    }
}
