using Gateway.Service.Api;
using Gateway.Service.Inventory;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Console.Pages.Inventory;

/// <summary>The monthly smart-card inventories with their state (<see cref="InventoryWorkflow.ListAsync"/>, as <c>GET /api/inventory</c>).</summary>
[Authorize(Policy = GatewayPolicies.ReadInventory)]
public sealed class IndexModel : ConsolePage
{
    private readonly InventoryWorkflow _inventory;

    public IndexModel(InventoryWorkflow inventory)
    {
        _inventory = inventory;
    }

    public IReadOnlyList<InventoryReport> Months { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Months = (await _inventory.ListAsync(cancellationToken)).OrderByDescending(m => m.Month, StringComparer.Ordinal).ToList();
}
