using Gateway.Service.Api;
using Gateway.Service.Cards;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Cards;

/// <summary>
/// Move-out: revoke a card (moved out, or another reason written out), and record it handed back at the
/// desk, now or later (<see cref="CardWorkflow.RevokeAsync"/>, <see cref="CardWorkflow.ReturnAsync"/>).
/// </summary>
[Authorize(Policy = GatewayPolicies.FrontDesk)]
public sealed class RevokeModel : ConsolePage
{
    private readonly CardWorkflow _cards;

    public RevokeModel(CardWorkflow cards)
    {
        _cards = cards;
    }

    public CardView Card { get; private set; } = null!;

    [BindProperty]
    public string? Reason { get; set; } = "moved-out";

    [BindProperty(Name = "text")]
    public string? ReasonText { get; set; }

    [BindProperty]
    public bool HandedBack { get; set; } = true;

    [BindProperty]
    public string? Note { get; set; }

    public async Task<IActionResult> OnGetAsync(long number, CancellationToken cancellationToken) =>
        await LoadAsync(number, cancellationToken) ? Page() : NotFound();

    public async Task<IActionResult> OnPostRevokeAsync(long number, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(number, cancellationToken))
        {
            return NotFound();
        }

        var v = new Validator();
        RevokeReason? reason = Wire.TryParse<RevokeReason>(Reason, out var r) ? r : null;
        if (reason is null)
        {
            v.Add("reason", "is required (moved-out or other)", "one-of");
        }

        var text = v.Text("text", ReasonText, CardEndpoints.MaxNote, required: reason == RevokeReason.Other);
        if (!v.IsValid)
        {
            Show(v);
            return Page();
        }

        if (!(await _cards.RevokeAsync(Actor, number, reason!.Value, text, cancellationToken)).TryGetValue(out var card, out var refusal))
        {
            Show(refusal);
            return Page();
        }

        if (HandedBack && !(await _cards.ReturnAsync(Actor, number, null, cancellationToken)).TryGetValue(out card, out refusal))
        {
            // Revoked all the same (blocked at the controllers); the hand-back can be recorded again from the card.
            Notice = Text.Format("cards.revoked-not-returned", number, Text.Refusal(refusal));
            return Redirect($"/cards/{number}");
        }

        Notice = Text.Format("cards.revoke-done", number, Text.State(Wire.Name(card.Card.State)));
        return Redirect($"/cards/{number}");
    }

    public async Task<IActionResult> OnPostReturnAsync(long number, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(number, cancellationToken))
        {
            return NotFound();
        }

        var v = new Validator();
        var note = v.Text("note", Note, CardEndpoints.MaxNote, required: false);
        if (!v.IsValid)
        {
            Show(v);
            return Page();
        }

        if (!(await _cards.ReturnAsync(Actor, number, note, cancellationToken)).TryGetValue(out var card, out var refusal))
        {
            Show(refusal);
            return Page();
        }

        Notice = Text.Format("cards.return-done", number, Text.State(Wire.Name(card.Card.State)));
        return Redirect($"/cards/{number}");
    }

    private async Task<bool> LoadAsync(long number, CancellationToken cancellationToken)
    {
        if (await _cards.GetAsync(number, cancellationToken) is not { } card)
        {
            return false;
        }

        Card = card;
        return true;
    }
}
