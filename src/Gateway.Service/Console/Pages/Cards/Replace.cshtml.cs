using Gateway.Service.Api;
using Gateway.Service.Cards;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Cards;

/// <summary>
/// Replace a lost or damaged card: the old card becomes lost or damaged and linked to a new card written
/// on the encoder for the same holder and kind (<see cref="CardWorkflow.ReplaceAsync"/>, as
/// <c>POST /api/cards/{number}/replace</c>), once per form key.
/// </summary>
[Authorize(Policy = GatewayPolicies.FrontDesk)]
public sealed class ReplaceModel : IssueFormModel
{
    public ReplaceModel(CardWorkflow cards, ConsoleForms forms)
        : base(cards, forms)
    {
    }

    public CardView Old { get; private set; } = null!;

    [BindProperty]
    public string? Reason { get; set; }

    public async Task<IActionResult> OnGetAsync(long number, CancellationToken cancellationToken)
    {
        if (await Cards.GetAsync(number, cancellationToken) is not { } old)
        {
            return NotFound();
        }

        Old = old;
        Reason = old.Card.State == CardState.Damaged ? "damaged" : "lost";
        await NewFormAsync(old.Card.HolderId ?? 0, cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(long number, CancellationToken cancellationToken)
    {
        if (await Cards.GetAsync(number, cancellationToken) is not { } old)
        {
            return NotFound();
        }

        Old = old;
        var v = new Validator();
        ReplaceReason? reason = Wire.TryParse<ReplaceReason>(Reason, out var r) ? r : null;
        if (reason is null)
        {
            v.Add("reason", "is required (lost or damaged)", "one-of");
        }

        var newNumber = CardForms.Number(v, "cardNumber", CardNumber);
        if (newNumber == number)
        {
            v.Add("cardNumber", "must be another card than the one replaced", "same-card");
        }

        var handOver = HandOverInput.Validate(v, Items, ReceiptReference);
        var encoder = v.Text("encoder", Encoder, 32, required: false);
        if (!v.IsValid)
        {
            Show(v, Fields);
            await ReadEncoderAsync(cancellationToken);
            return Page();
        }

        var order = new ReplaceOrder(number, newNumber!.Value, reason!.Value, encoder, handOver!);
        var location = await WriteOnceAsync("replace", key => Cards.ReplaceAsync(Actor, order, key, CancellationToken.None), "cards.replace-submit", cancellationToken);
        if (location is null)
        {
            return Page();
        }

        Notice = Text.Format("cards.replaced", number, newNumber);
        return GoTo(location);
    }
}
