using Gateway.Service.Api;
using Gateway.Service.Domain.Holders;
using Gateway.Service.Holders;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Holders;

/// <summary>
/// Register a holder (<c>/holders/new</c>) or change one (<c>/holders/{id}/edit</c>): the same rules as the
/// API (<see cref="HolderInput"/>). The ID-document number is never shown back: only its masked last four.
/// </summary>
[Authorize(Policy = GatewayPolicies.FrontDesk)]
public sealed class EditModel : ConsolePage
{
    private readonly HolderWorkflow _holders;

    public EditModel(HolderWorkflow holders)
    {
        _holders = holders;
    }

    [FromRoute]
    public long? Id { get; set; }

    [BindProperty]
    public string? Name { get; set; }

    [BindProperty]
    public string? Building { get; set; }

    [BindProperty]
    public string? Unit { get; set; }

    [BindProperty]
    public string? Room { get; set; }

    [BindProperty]
    public string? Phone { get; set; }

    [BindProperty]
    public string? Email { get; set; }

    [BindProperty]
    public string? IdDocumentNumber { get; set; }

    /// <summary>The stored ID-document number, masked (<c>****123X</c>).</summary>
    public string? StoredId { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (Id is { } id)
        {
            if (await _holders.GetAsync(id, cancellationToken) is not { } holder)
            {
                return NotFound();
            }

            (Name, Building, Unit, Room, Phone, Email) = (holder.Name, holder.Address.Building, holder.Address.Unit, holder.Address.Room, holder.Phone, holder.Email);
            StoredId = holder.IdLastFour is null ? null : IdDocument.Display(holder.IdLastFour);
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        Holder? existing = null;
        if (Id is { } id && (existing = await _holders.GetAsync(id, cancellationToken)) is null)
        {
            return NotFound();
        }

        StoredId = existing?.IdLastFour is null ? null : IdDocument.Display(existing.IdLastFour);
        var v = new Validator();
        var form = new HolderForm(Name, Building, Unit, Room, Blank(Phone), Blank(Email), Blank(IdDocumentNumber));
        var fields = HolderInput.Validate(v, form, required: true);
        if (!v.IsValid)
        {
            Show(v);
            return Page();
        }

        var outcome = existing is null
            ? await _holders.CreateAsync(Actor, fields.ToNew(), cancellationToken)
            : await _holders.UpdateAsync(Actor, existing.Id, fields.ToChanges(), cancellationToken);
        if (!outcome.TryGetValue(out var holder, out var refusal))
        {
            Show(refusal);
            return Page();
        }

        Notice = Text.Format(existing is null ? "holders.created" : "holders.saved", holder.Name);
        return Redirect($"/holders/{holder.Id}");
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
