using Gateway.Service.Api;
using Gateway.Service.Cards;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Cards;

/// <summary>Receive a numbered range of blank cards into stock (<see cref="CardWorkflow.ReceiveAsync"/>, as <c>POST /api/cards/stock</c>), once per form key.</summary>
[Authorize(Policy = GatewayPolicies.FrontDesk)]
public sealed class StockModel : ConsolePage
{
    private const int Shown = 20;
    private readonly CardWorkflow _cards;
    private readonly ConsoleForms _forms;

    public StockModel(CardWorkflow cards, ConsoleForms forms)
    {
        _cards = cards;
        _forms = forms;
    }

    [BindProperty(Name = ConsoleForms.KeyField)]
    public string? IdempotencyKey { get; set; }

    [BindProperty]
    public string? From { get; set; }

    [BindProperty]
    public string? To { get; set; }

    [BindProperty]
    public string? Batch { get; set; }

    public IReadOnlyList<CardView> InStock { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        IdempotencyKey = ConsoleForms.NewKey();
        await LoadAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var v = new Validator();
        var from = CardForms.Number(v, "from", From);
        var to = CardForms.Number(v, "to", To);
        var batch = v.Text("batch", Batch, 64, required: false);
        if (from is not null && to is not null)
        {
            if (to < from)
            {
                v.Add("to", "must not be below from", "range-order");
            }
            else if (to - from + 1 > CardWorkflow.MaxRange)
            {
                v.Add("to", $"one receipt may hold at most {CardWorkflow.MaxRange} cards", "range-size", CardWorkflow.MaxRange);
            }
        }

        if (!v.IsValid)
        {
            Show(v);
            await LoadAsync(cancellationToken);
            return Page();
        }

        var run = await _forms.OnceAsync(Actor, "stock", IdempotencyKey, Request.Form, async () =>
        {
            if (!(await _cards.ReceiveAsync(Actor, from!.Value, to!.Value, batch, CancellationToken.None)).TryGetValue(out var receipt, out var refusal))
            {
                Show(refusal);
                return null;
            }

            return "/cards/stock";
        }, cancellationToken);

        if (run.Result == FormRunResult.Done)
        {
            Notice = Text.Format("stock.received-done", to!.Value - from!.Value + 1, from, to);
            return GoTo(run.Location);
        }

        Show(run);
        await LoadAsync(cancellationToken);
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken) =>
        InStock = (await _cards.ListAsync(new CardFilter(State: CardState.InStock), new PageRequest(Shown, 0), cancellationToken)).Items;
}
