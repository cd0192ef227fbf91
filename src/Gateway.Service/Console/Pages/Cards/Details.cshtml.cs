using Gateway.Service.Api;
using Gateway.Service.Cards;
using Gateway.Service.Domain.Cards;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Cards;

/// <summary>A card: its state, holder, links to the cards it replaced or was replaced by, and its history.</summary>
[Authorize(Policy = GatewayPolicies.ReadOperational)]
public sealed class DetailsModel : ConsolePage
{
    private readonly CardWorkflow _cards;

    public DetailsModel(CardWorkflow cards)
    {
        _cards = cards;
    }

    public CardView Card { get; private set; } = null!;

    public IReadOnlyList<CardEvent> History { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(long number, CancellationToken cancellationToken)
    {
        if (await _cards.GetAsync(number, cancellationToken) is not { } card)
        {
            return NotFound();
        }

        Card = card;
        History = (await _cards.HistoryAsync(number, cancellationToken)).Value;
        return Page();
    }
}
