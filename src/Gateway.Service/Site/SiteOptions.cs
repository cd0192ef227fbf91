using System.Text.RegularExpressions;

namespace Gateway.Service.Site;

/// <summary>
/// Who this site is and where it keeps its data (<c>Gateway:DataFolder</c>, <c>Gateway:SiteId</c>,
/// <c>Gateway:SiteTimeZone</c>): what every feature may read, read and validated at start. See docs/configuration.md.
/// </summary>
/// <param name="DataFolder">Full path of the folder of the database, the logs and the keys created at start.</param>
/// <param name="SiteId">This site's id, stamped on the database and written on every card.</param>
/// <param name="TimeZone">The site's time zone: periods, months and local days are counted in it.</param>
public sealed partial record SiteOptions(string DataFolder, string SiteId, TimeZoneInfo TimeZone)
{
    /// <summary>The configuration section every key of the service lives under.</summary>
    public const string Section = "Gateway";

    /// <summary>Full path of the SQLite database file.</summary>
    public string DatabasePath => Path.Combine(DataFolder, "gateway.db");

    /// <summary>Folder of the rolling log files.</summary>
    public string LogFolder => Path.Combine(DataFolder, "logs");

    /// <summary>The error text for <paramref name="key"/> under <see cref="Section"/>: <c>Gateway:KEY: message</c>.</summary>
    public static string Key(string key, string message) => $"{Section}:{key}: {message}";

    /// <summary>Reads <c>DataFolder</c> (default <c>data</c>, from the working directory), <c>SiteId</c> (default <c>site-1</c>) and <c>SiteTimeZone</c> (default Asia/Shanghai).</summary>
    public static bool TryLoad(IConfigurationSection gateway, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SiteOptions? options, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        options = null;
        var dataFolder = gateway["DataFolder"];
        if (string.IsNullOrWhiteSpace(dataFolder))
        {
            dataFolder = "data";
        }

        if (dataFolder.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            error = Key("DataFolder", $"'{dataFolder}' is not a valid path");
            return false;
        }

        var siteId = gateway["SiteId"] ?? "site-1";
        if (!IdPattern().IsMatch(siteId))
        {
            error = Key("SiteId", $"'{siteId}' must be 1-32 characters of letters, digits, '-' or '_'");
            return false;
        }

        var zoneId = gateway["SiteTimeZone"];
        if (string.IsNullOrWhiteSpace(zoneId))
        {
            zoneId = "Asia/Shanghai";
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var timeZone))
        {
            error = Key("SiteTimeZone", $"'{zoneId}' is not a time zone known to this system (e.g. Asia/Shanghai)");
            return false;
        }

        options = new SiteOptions(Path.GetFullPath(dataFolder), siteId, timeZone);
        error = null;
        return true;
    }

    /// <summary>Site and device ids: 1-32 letters, digits, '-' or '_'.</summary>
    [GeneratedRegex("^[A-Za-z0-9_-]{1,32}$")]
    internal static partial Regex IdPattern();
}

/// <summary>A secret configuration value: its <see cref="ToString"/> never shows it, so logging options or records cannot leak it.</summary>
public sealed class Secret(string value)
{
    /// <summary>The secret itself; compare it with <see cref="System.Security.Cryptography.CryptographicOperations.FixedTimeEquals"/>.</summary>
    public string Reveal() => value;

    public override string ToString() => "***";
}
