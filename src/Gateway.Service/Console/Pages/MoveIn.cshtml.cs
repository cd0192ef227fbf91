using Gateway.Service.Api;
using Gateway.Service.Cards;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Holders;
using Gateway.Service.Holders;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages;

/// <summary>
/// Move-in: find the holder, then issue a card in stock on the encoder (its live state beside the form)
/// with the hand-over checklist, exactly as <c>POST /api/cards/{number}/issue</c> does
/// (<see cref="CardWorkflow.IssueAsync(Storage.Actor, IssueOrder, string, CancellationToken)"/>). The form's hidden key names the attempt: a double click
/// issues once, and after a failed encoder step the same form posted again resumes the same attempt.
/// </summary>
[Authorize(Policy = GatewayPolicies.FrontDesk)]
public sealed class MoveInModel : IssueFormModel
{
    private readonly HolderWorkflow _holders;

    public MoveInModel(HolderWorkflow holders, CardWorkflow cards, ConsoleForms forms)
        : base(cards, forms)
    {
        _holders = holders;
    }

    public string? Q { get; private set; }

    public IReadOnlyList<Holder>? Found { get; private set; }

    public Holder? Holder { get; private set; }

    [BindProperty]
    public string? Kind { get; set; } = "access";

    public async Task<IActionResult> OnGetAsync(long? holder, string? q, CancellationToken cancellationToken)
    {
        if (holder is null)
        {
            Q = q?.Trim();
            if (Q is { Length: > 0 and <= 64 })
            {
                Found = await _holders.SearchAsync(Q, Holders.IndexModel.MaxResults, cancellationToken);
            }

            return Page();
        }

        if (await _holders.GetAsync(holder.Value, cancellationToken) is not { } found)
        {
            return NotFound();
        }

        Holder = found;
        await NewFormAsync(found.Id, cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(long? holder, CancellationToken cancellationToken)
    {
        if (holder is null || await _holders.GetAsync(holder.Value, cancellationToken) is not { } found)
        {
            return NotFound();
        }

        Holder = found;
        var v = new Validator();
        var number = CardForms.Number(v, "cardNumber", CardNumber);
        CardKind? kind = Wire.TryParse<CardKind>(Kind, out var k) ? k : null;
        if (kind is null)
        {
            v.Add("kind", "is required (access, parking or both)", "one-of");
        }

        var handOver = HandOverInput.Validate(v, Items, ReceiptReference);
        var encoder = v.Text("encoder", Encoder, 32, required: false);
        if (!v.IsValid)
        {
            Show(v, Fields);
            await ReadEncoderAsync(cancellationToken);
            return Page();
        }

        var order = new IssueOrder(number!.Value, found.Id, kind!.Value, encoder, handOver!);

        // Not the request's token: a browser that goes away (a double click) must not tear the card mid-write.
        var location = await WriteOnceAsync("move-in", key => Cards.IssueAsync(Actor, order, key, CancellationToken.None), "movein.submit", cancellationToken);
        if (location is null)
        {
            return Page();
        }

        Notice = Text.Format("movein.issued", number, found.Name);
        return GoTo(location);
    }
}
