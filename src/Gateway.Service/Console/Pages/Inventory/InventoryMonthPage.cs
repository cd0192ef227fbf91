using Gateway.Service.Inventory;

namespace Gateway.Service.Console.Pages.Inventory;

/// <summary>A page showing one month's inventory (<see cref="InventoryWorkflow.GetAsync"/>): the report and the printed sheet.</summary>
public abstract class InventoryMonthPage : ConsolePage
{
    private readonly InventoryWorkflow _inventory;

    protected InventoryMonthPage(InventoryWorkflow inventory)
    {
        _inventory = inventory;
    }

    public InventoryReport Report { get; private set; } = null!;

    /// <summary>Loads <paramref name="month"/> (YYYY-MM) into <see cref="Report"/>; false when there is no such month.</summary>
    protected async Task<bool> LoadAsync(string month, CancellationToken cancellationToken)
    {
        if (month.Length != 7 || await _inventory.GetAsync(month, cancellationToken) is not { } report)
        {
            return false;
        }

        Report = report;
        return true;
    }
}
