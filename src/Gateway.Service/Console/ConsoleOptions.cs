using System.Globalization;

namespace Gateway.Service.Console;

/// <summary>
/// The web console's settings (<c>Gateway:Console:*</c>): the site's name and address printed on the
/// hand-over receipt, and how long a signed-in browser may stay idle before it must sign in again.
/// </summary>
public sealed record ConsoleOptions(string SiteName, string SiteAddress, TimeSpan IdleTimeout)
{
    public static ConsoleOptions Default { get; } = new("Gateway", string.Empty, TimeSpan.FromMinutes(30));

    /// <summary>Reads <c>Console:*</c> under <paramref name="section"/> (the <c>Gateway</c> section); the error names the key.</summary>
    public static bool TryLoad(IConfigurationSection section, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ConsoleOptions? options, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        options = null;
        var name = section["Console:SiteName"];
        name = string.IsNullOrWhiteSpace(name) ? Default.SiteName : name.Trim();
        if (name.Length > 100 || name.Any(char.IsControl))
        {
            error = "Gateway:Console:SiteName: must be at most 100 characters without control characters";
            return false;
        }

        var address = section["Console:SiteAddress"]?.Trim() ?? string.Empty;
        if (address.Length > 200 || address.Any(char.IsControl))
        {
            error = "Gateway:Console:SiteAddress: must be at most 200 characters without control characters";
            return false;
        }

        var idleText = section["Console:IdleMinutes"] ?? "30";
        if (!int.TryParse(idleText, NumberStyles.None, CultureInfo.InvariantCulture, out var idle) || idle is < 1 or > 1440)
        {
            error = $"Gateway:Console:IdleMinutes: '{idleText}' is not a whole number of minutes from 1 to 1440";
            return false;
        }

        options = new ConsoleOptions(name, address, TimeSpan.FromMinutes(idle));
        error = null;
        return true;
    }
}
