using Gateway.Service.Api;
using Gateway.Service.Inventory;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Inventory;

/// <summary>
/// One month's inventory, read-only (<see cref="InventoryWorkflow.GetAsync"/>, as <c>GET /api/inventory/{month}</c>):
/// system, written-register and physical counts per card state with their variances and explanations, the
/// month's movements, the anomalies, and who signed it off with the audit head. A signed month is frozen.
/// </summary>
[Authorize(Policy = GatewayPolicies.ReadInventory)]
public sealed class ReportModel : InventoryMonthPage
{
    public ReportModel(InventoryWorkflow inventory)
        : base(inventory)
    {
    }

    public async Task<IActionResult> OnGetAsync(string month, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(month, cancellationToken))
        {
            return NotFound();
        }

        return Page();
    }
}
