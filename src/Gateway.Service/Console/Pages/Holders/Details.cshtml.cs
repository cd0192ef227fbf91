using Gateway.Service.Api;
using Gateway.Service.Cards;
using Gateway.Service.Domain.Holders;
using Gateway.Service.Holders;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Holders;

/// <summary>A holder, their cards and what the desk can do with each.</summary>
[Authorize(Policy = GatewayPolicies.ReadOperational)]
public sealed class DetailsModel : ConsolePage
{
    private readonly HolderWorkflow _holders;
    private readonly CardWorkflow _cards;
    private readonly Service.Parking.ParkingWorkflow _parking;

    public DetailsModel(HolderWorkflow holders, CardWorkflow cards, Service.Parking.ParkingWorkflow parking)
    {
        _holders = holders;
        _cards = cards;
        _parking = parking;
    }

    /// <summary>The holder's parking agreements, active and ended.</summary>
    public IReadOnlyList<Service.Parking.AgreementView> Agreements { get; private set; } = [];

    public Holder Holder { get; private set; } = null!;

    public IReadOnlyList<CardView> Cards { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        if (await _holders.GetAsync(id, cancellationToken) is not { } holder)
        {
            return NotFound();
        }

        Holder = holder;
        Cards = (await _cards.ListAsync(new CardFilter(HolderId: id), new PageRequest(PageRequest.MaxLimit, 0), cancellationToken)).Items;
        Agreements = (await _parking.ListAgreementsAsync(new Service.Parking.AgreementFilter(null, id, null, null, null, null), new PageRequest(PageRequest.MaxLimit, 0), cancellationToken)).Items;
        return Page();
    }
}
