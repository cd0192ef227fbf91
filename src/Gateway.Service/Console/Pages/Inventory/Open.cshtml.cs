using System.Globalization;
using Gateway.Service.Api;
using Gateway.Service.Inventory;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Inventory;

/// <summary>Finance opens the inventory of a month that has ended (<see cref="InventoryWorkflow.OpenAsync"/>, as <c>POST /api/inventory/{month}</c>): the system's counts at month end.</summary>
[Authorize(Policy = GatewayPolicies.Finance)]
public sealed class OpenModel : ConsolePage
{
    private readonly InventoryWorkflow _inventory;
    private readonly TimeProvider _time;

    public OpenModel(InventoryWorkflow inventory, TimeProvider time)
    {
        _inventory = inventory;
        _time = time;
    }

    /// <summary>The last 24 months that have ended at the site, newest first.</summary>
    public IReadOnlyList<string> Choices { get; private set; } = [];

    [BindProperty]
    public string? Month { get; set; }

    public void OnGet()
    {
        Choices = Ended();
        Month = Choices[0];
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        Choices = Ended();
        if (!DateOnly.TryParseExact(Month + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var first) || first.Year is < InventoryWorkflow.FirstYear or > InventoryWorkflow.LastYear)
        {
            ModelState.AddModelError("month", Text["error.one-of"]);
            return Page();
        }

        if (!(await _inventory.OpenAsync(Actor, first.Year, first.Month, cancellationToken)).TryGetValue(out var report, out var refusal))
        {
            Show(refusal);
            return Page();
        }

        Notice = Text.Format("inventory.opened-done", report.Month);
        return Redirect($"/inventory/{report.Month}/count");
    }

    private List<string> Ended()
    {
        var today = TimeZoneInfo.ConvertTime(_time.GetUtcNow(), Site.SiteTimeZone);
        var month = new DateOnly(today.Year, today.Month, 1);
        return Enumerable.Range(1, 24).Select(i => month.AddMonths(-i).ToString("yyyy-MM", CultureInfo.InvariantCulture)).ToList();
    }
}
