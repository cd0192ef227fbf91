using Gateway.Service.Api;
using Gateway.Service.Inventory;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Inventory;

/// <summary>
/// The monthly smart-card inventory sheet (智能卡月度盘点表), an A4 page to print and sign: the written,
/// system and physical counts with their variances and explanations, the month's movements and anomalies,
/// the sign-off when there is one, and signature lines; always in Chinese, with the site's name and address.
/// </summary>
[Authorize(Policy = GatewayPolicies.ReadInventory)]
public sealed class SheetModel : InventoryMonthPage
{
    public SheetModel(InventoryWorkflow inventory)
        : base(inventory)
    {
    }

    public async Task<IActionResult> OnGetAsync(string month, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(month, cancellationToken))
        {
            return NotFound();
        }

        PrintInChinese();
        return Page();
    }
}
