using Gateway.Service.Api;
using Gateway.Service.Cards;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Holders;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Holders;
using Gateway.Service.Parking;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Parking;

/// <summary>
/// A new parking agreement for a holder's issued parking card (<see cref="ParkingWorkflow.CreateAgreementAsync"/>,
/// the input rules of <c>POST /api/parking/agreements</c>, <see cref="ParkingInput"/>); the monthly fee in yuan.
/// Without a holder the page first finds one.
/// </summary>
[Authorize(Policy = GatewayPolicies.FrontDesk)]
public sealed class NewModel : ConsolePage
{
    private readonly ParkingWorkflow _parking;
    private readonly HolderWorkflow _holders;
    private readonly CardWorkflow _cards;

    public NewModel(ParkingWorkflow parking, HolderWorkflow holders, CardWorkflow cards)
    {
        _parking = parking;
        _holders = holders;
        _cards = cards;
    }

    public Holder? Holder { get; private set; }

    /// <summary>The holder's issued cards of kind parking or both: the cards an agreement may name.</summary>
    public IReadOnlyList<CardRecord> Cards { get; private set; } = [];

    public string? Q { get; private set; }

    public IReadOnlyList<Holder>? Found { get; private set; }

    [BindProperty]
    public string? AgreementNumber { get; set; }

    [BindProperty]
    public string? CardNumber { get; set; }

    [BindProperty]
    public string? Plate { get; set; }

    [BindProperty]
    public string? Space { get; set; }

    [BindProperty]
    public string? MonthlyFee { get; set; }

    [BindProperty]
    public string? BillingCycle { get; set; } = "month";

    [BindProperty]
    public string? PaymentMethod { get; set; } = "cash";

    [BindProperty]
    public string? BankAccountName { get; set; }

    [BindProperty]
    public string? BankAccountNumber { get; set; }

    [BindProperty]
    public string? SignedCopyRef { get; set; }

    public async Task<IActionResult> OnGetAsync(long? holder, string? q, CancellationToken cancellationToken)
    {
        if (holder is { } id)
        {
            return await LoadAsync(id, cancellationToken) ? Page() : NotFound();
        }

        Q = q?.Trim();
        if (Q is { Length: > 0 and <= 64 })
        {
            Found = await _holders.SearchAsync(Q, Holders.IndexModel.MaxResults, cancellationToken);
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAsync(long holder, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(holder, cancellationToken))
        {
            return NotFound();
        }

        var v = new Validator();
        var number = ParkingInput.AgreementNumber(v, AgreementNumber);
        var card = CardForms.Number(v, "cardNumber", CardNumber);
        var plate = ParkingInput.Plate(v, Plate);
        var space = ParkingInput.Space(v, Space);
        var fee = Yuan(v, "monthlyFee", MonthlyFee, ParkingInput.MaxMonthlyFeeFen);

        var cycle = v.OneOf("billingCycle", BillingCycle, ParkingInput.Cycles);
        var method = v.OneOf("paymentMethod", PaymentMethod, ParkingInput.Methods);
        var copy = v.Text("signedCopyRef", SignedCopyRef, ParkingInput.MaxSignedCopyRef);
        // The account is asked for bank-debit agreements only; for cash the fields are not shown and not kept.
        var account = method == "bank-debit" ? ParkingInput.Account(v, Blank(BankAccountName), Blank(BankAccountNumber), required: true) : null;
        if (!v.IsValid)
        {
            Show(v);
            return Page();
        }

        ParkingNames.TryParseCycle(cycle, out var billingCycle);
        ParkingNames.TryParseMethod(method, out var paymentMethod);
        var outcome = await _parking.CreateAgreementAsync(Actor, new NewAgreement(number!, holder, card!.Value, plate!, space!, fee!.Value, billingCycle, paymentMethod, copy!, account), cancellationToken);
        if (!outcome.TryGetValue(out var created, out var refusal))
        {
            Show(refusal);
            return Page();
        }

        Notice = Text.Format("parking.created", created.AgreementNumber, Holder!.Name);
        return Redirect($"/parking/{created.Id}");
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    private async Task<bool> LoadAsync(long holderId, CancellationToken cancellationToken)
    {
        if (await _holders.GetAsync(holderId, cancellationToken) is not { } holder)
        {
            return false;
        }

        Holder = holder;
        Cards = (await _cards.ListAsync(new CardFilter(State: CardState.Issued, HolderId: holderId), new PageRequest(PageRequest.MaxLimit, 0), cancellationToken)).Items
            .Select(c => c.Card).Where(c => c.Kind is CardKind.Parking or CardKind.Both).ToList();
        CardNumber ??= Cards.Count == 1 ? Cards[0].Number.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return true;
    }
}
