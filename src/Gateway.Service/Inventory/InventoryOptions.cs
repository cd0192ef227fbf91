using System.Globalization;
using Gateway.Service.Site;

namespace Gateway.Service.Inventory;

/// <summary>
/// The monthly inventory's settings (section <c>Gateway:Inventory</c>): how long an issued card may go
/// unseen at every controller before the report flags it. See docs/inventory.md.
/// </summary>
public sealed record InventoryOptions(int NotSeenDays)
{
    public const int DefaultNotSeenDays = 90;

    public const int MaxNotSeenDays = 3650;

    public static InventoryOptions Default { get; } = new(DefaultNotSeenDays);

    /// <summary>Reads <c>Gateway:Inventory:NotSeenDays</c> (1-3650, default 90).</summary>
    public static bool TryLoad(IConfigurationSection gateway, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out InventoryOptions? options, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        options = null;
        var text = gateway["Inventory:NotSeenDays"] ?? DefaultNotSeenDays.ToString(CultureInfo.InvariantCulture);
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var days) || days is < 1 or > MaxNotSeenDays)
        {
            error = $"{SiteOptions.Section}:Inventory:NotSeenDays: '{text}' is not a whole number of days from 1 to {MaxNotSeenDays}";
            return false;
        }

        options = new InventoryOptions(days);
        error = null;
        return true;
    }
}
