using Gateway.Service.Api;
using Gateway.Service.Cards;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Cards;

/// <summary>
/// The move-in hand-over receipt of a card's latest issue, an A4 page to print and sign: always in
/// Chinese (the resident's copy), whatever language the operator reads the console in.
/// </summary>
[Authorize(Policy = GatewayPolicies.ReadOperational)]
public sealed class ReceiptModel : ConsolePage
{
    private readonly CardWorkflow _cards;

    public ReceiptModel(CardWorkflow cards)
    {
        _cards = cards;
    }

    public CardHandOver HandOver { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(long number, CancellationToken cancellationToken)
    {
        if (!(await _cards.HandOverAsync(number, cancellationToken)).TryGetValue(out var handOver, out _))
        {
            return NotFound();
        }

        HandOver = handOver;
        PrintInChinese();
        return Page();
    }
}
