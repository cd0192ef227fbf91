using Gateway.Service.Api;
using Gateway.Service.Cards;
using Gateway.Service.Domain;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Cards;

/// <summary>Report a card lost (it is blocked on every controller of its zones) or found again (<see cref="CardWorkflow.ReportLostAsync"/>, <see cref="CardWorkflow.ReportFoundAsync"/>).</summary>
[Authorize(Policy = GatewayPolicies.FrontDesk)]
public sealed class LostModel : ConsolePage
{
    private readonly CardWorkflow _cards;

    public LostModel(CardWorkflow cards)
    {
        _cards = cards;
    }

    public CardView Card { get; private set; } = null!;

    [BindProperty]
    public string? Note { get; set; }

    public async Task<IActionResult> OnGetAsync(long number, CancellationToken cancellationToken) =>
        await LoadAsync(number, cancellationToken) ? Page() : NotFound();

    public Task<IActionResult> OnPostLostAsync(long number, CancellationToken cancellationToken) =>
        ChangeAsync(number, note => _cards.ReportLostAsync(Actor, number, note, cancellationToken), "cards.lost-done", cancellationToken);

    public Task<IActionResult> OnPostFoundAsync(long number, CancellationToken cancellationToken) =>
        ChangeAsync(number, note => _cards.ReportFoundAsync(Actor, number, note, cancellationToken), "cards.found-done", cancellationToken);

    private async Task<IActionResult> ChangeAsync(long number, Func<string?, Task<Outcome<CardView>>> change, string doneKey, CancellationToken cancellationToken)
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

        if (!(await change(note)).TryGetValue(out var card, out var refusal))
        {
            Show(refusal);
            await LoadAsync(number, cancellationToken);
            return Page();
        }

        Notice = Text.Format(doneKey, number, Text.State(Wire.Name(card.Card.State)));
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
