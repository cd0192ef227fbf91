using Gateway.Service.Api;
using Gateway.Service.Cards;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Parking;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Parking;

/// <summary>
/// Change an active agreement's card, plate or space (<see cref="ParkingWorkflow.ChangeAgreementAsync"/>,
/// as <c>PATCH /api/parking/agreements/{id}</c>), or end it at move-out with a reason
/// (<see cref="ParkingWorkflow.EndAgreementAsync"/>).
/// </summary>
[Authorize(Policy = GatewayPolicies.FrontDesk)]
public sealed class EditModel : ConsolePage
{
    private readonly ParkingWorkflow _parking;
    private readonly CardWorkflow _cards;

    public EditModel(ParkingWorkflow parking, CardWorkflow cards)
    {
        _parking = parking;
        _cards = cards;
    }

    public AgreementView Agreement { get; private set; } = null!;

    /// <summary>The holder's issued cards of kind parking or both (the agreement's own among them).</summary>
    public IReadOnlyList<CardRecord> Cards { get; private set; } = [];

    [BindProperty]
    public string? CardNumber { get; set; }

    [BindProperty]
    public string? Plate { get; set; }

    [BindProperty]
    public string? Space { get; set; }

    [BindProperty]
    public string? Reason { get; set; }

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        CardNumber = Agreement.CardNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Plate = Agreement.Plate;
        Space = Agreement.Space;
        return Page();
    }

    public async Task<IActionResult> OnPostChangeAsync(long id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        var v = new Validator();
        var card = CardForms.Number(v, "cardNumber", CardNumber);
        var plate = ParkingInput.Plate(v, Plate);
        var space = ParkingInput.Space(v, Space);
        if (!v.IsValid)
        {
            Show(v);
            return Page();
        }

        var outcome = await _parking.ChangeAgreementAsync(Actor, id, new AgreementChange(card, plate, space), cancellationToken);
        if (!outcome.TryGetValue(out var change, out var refusal))
        {
            Show(refusal);
            return Page();
        }

        Notice = change.Changed.Count == 0
            ? Text["parking.unchanged"]
            : Text.Format("parking.changed", Agreement.AgreementNumber, string.Join(Text["parking.list-separator"], change.Changed.Select(f => Text["parking.field." + f])));
        return Redirect($"/parking/{id}");
    }

    public async Task<IActionResult> OnPostEndAsync(long id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        (CardNumber, Plate, Space) = (Agreement.CardNumber.ToString(System.Globalization.CultureInfo.InvariantCulture), Agreement.Plate, Agreement.Space);
        var v = new Validator();
        var reason = ParkingInput.Reason(v, Reason);
        if (!v.IsValid)
        {
            Show(v);
            return Page();
        }

        if (!(await _parking.EndAgreementAsync(Actor, id, reason!, cancellationToken)).TryGetValue(out var ended, out var refusal))
        {
            Show(refusal);
            return Page();
        }

        Notice = Text.Format("parking.ended", ended.AgreementNumber);
        return Redirect($"/parking/{id}");
    }

    private async Task<bool> LoadAsync(long id, CancellationToken cancellationToken)
    {
        if (await _parking.GetAgreementAsync(id, cancellationToken) is not { } agreement)
        {
            return false;
        }

        Agreement = agreement;
        Cards = (await _cards.ListAsync(new CardFilter(State: CardState.Issued, HolderId: agreement.HolderId), new PageRequest(PageRequest.MaxLimit, 0), cancellationToken)).Items
            .Select(c => c.Card).Where(c => c.Kind is CardKind.Parking or CardKind.Both).ToList();
        return true;
    }
}
