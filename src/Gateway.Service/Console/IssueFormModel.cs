using Gateway.Service.Api;
using Gateway.Service.Cards;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console;

/// <summary>
/// What the two forms that write a card on the encoder share (move-in and replacement): the hidden
/// idempotency key, the hand-over checklist and receipt reference, the encoder and its live state, and
/// the mapping of the card rules' field names to the form's.
/// </summary>
public abstract class IssueFormModel : ConsolePage
{
    protected static readonly IReadOnlyDictionary<string, string> Fields = new Dictionary<string, string>
    {
        ["cardNumber"] = "cardNumber",
        ["newCardNumber"] = "cardNumber",
        ["kind"] = "kind",
        ["reason"] = "reason",
        ["handOver.items"] = "items",
        ["handOver.receiptReference"] = "receiptReference",
        ["encoder"] = "encoder",
    };

    protected IssueFormModel(CardWorkflow cards, ConsoleForms forms)
    {
        Cards = cards;
        Forms = forms;
    }

    protected CardWorkflow Cards { get; }

    protected ConsoleForms Forms { get; }

    [BindProperty(Name = ConsoleForms.KeyField)]
    public string? IdempotencyKey { get; set; }

    [BindProperty]
    public string? CardNumber { get; set; }

    [BindProperty]
    public List<string> Items { get; set; } = ["card"];

    [BindProperty]
    public string? ReceiptReference { get; set; }

    [BindProperty]
    public string? Encoder { get; set; }

    public IReadOnlyList<string> Encoders => Cards.Encoders;

    public EncoderStateView EncoderState { get; private set; } = null!;

    /// <summary>A fresh form: a new key, the lowest card number in stock, the only (or first) encoder.</summary>
    protected async Task NewFormAsync(long holderId, CancellationToken cancellationToken)
    {
        IdempotencyKey = ConsoleForms.NewKey();
        var next = (await Cards.ListAsync(new CardFilter(State: CardState.InStock), new Storage.PageRequest(1, 0), cancellationToken)).Items;
        CardNumber = next.Count == 1 ? next[0].Card.Number.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        ReceiptReference = CardForms.SuggestedReceipt(HttpContext, holderId);
        Encoder = Encoders.Count > 0 ? Encoders[0] : null;
        await ReadEncoderAsync(cancellationToken);
    }

    protected async Task ReadEncoderAsync(CancellationToken cancellationToken) =>
        EncoderState = await EncoderStateView.ReadAsync(Cards, Encoder, EncoderPurpose.Issue, Text, cancellationToken);

    /// <summary>
    /// Writes the card through <paramref name="write"/> once per form key (the key is also the workflow's
    /// attempt key, so a post after a failed step resumes the same attempt). Returns where to go, or null
    /// with the errors and the next step on the page.
    /// </summary>
    protected async Task<string?> WriteOnceAsync(string form, Func<string, Task<Outcome<CardView>>> write, string buttonKey, CancellationToken cancellationToken)
    {
        var run = await Forms.OnceAsync(Actor, form, IdempotencyKey, Request.Form, async () =>
        {
            var outcome = await write(IdempotencyKey!);
            if (!outcome.TryGetValue(out var issued, out var refusal))
            {
                Show(refusal, Fields);
                NextStep = CardForms.NextStep(refusal, Text, buttonKey);
                return null;
            }

            return $"/cards/{issued.Card.Number}/receipt";
        }, cancellationToken);

        if (run.Result == FormRunResult.Done)
        {
            return run.Location;
        }

        Show(run);
        await ReadEncoderAsync(cancellationToken);
        return null;
    }
}
