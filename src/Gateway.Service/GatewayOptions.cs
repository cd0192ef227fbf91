using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Service.Api;
using Gateway.Service.Cards;
using Gateway.Service.Cards.Encoders;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Inventory;
using Gateway.Service.Operators;
using Gateway.Service.Parking;
using Gateway.Service.Site;
using Gateway.Service.Controllers;
using Gateway.Service.Hosting;

namespace Gateway.Service;

/// <summary>
/// The service's whole configuration (section <c>Gateway</c>), read and validated at start by asking each
/// part for its own section: the site and its devices (<see cref="SiteOptions"/>, <see cref="SiteDevices"/>),
/// the HTTP listener, the API's bootstrap token, operators and notifications, card keys, sync, parking,
/// inventory, logs. Values are parsed rather than bound so that an operator's mistake yields one line
/// naming the key and what is wrong, never a stack trace; the first bad key is the one reported.
/// <see cref="GatewayComposition"/> hands each feature its own part; no feature takes this whole
/// (checked by ArchitectureTests). See docs/configuration.md.
/// </summary>
public sealed record GatewayOptions(
    string DataFolder,
    string SiteId,
    TimeZoneInfo SiteTimeZone,
    HttpOptions Http,
    IReadOnlyList<DeviceOptions> Devices)
{
    public const string Section = SiteOptions.Section;

    /// <summary>The site: data folder, id and time zone.</summary>
    public SiteOptions Site => new(DataFolder, SiteId, SiteTimeZone);

    /// <summary>The configured devices.</summary>
    public SiteDevices SiteDevices => new(Devices);

    /// <summary>
    /// The bootstrap admin token (<c>Gateway:BootstrapToken</c>), or null when unset (then the API
    /// accepts no token at all until operators exist). Wrapped so that printing the options never shows it.
    /// </summary>
    public Secret? BootstrapToken { get; init; }

    /// <summary>Operators, passwords, tokens, audit key and notifications (see docs/operators.md, docs/audit.md).</summary>
    public SecurityOptions Security { get; init; } = SecurityOptions.Defaults(Path.GetFullPath("data"));

    /// <summary>
    /// Where the site's card master key comes from (<c>Gateway:CardKeys</c>: KeyFile or
    /// EnvironmentVariable, Version); null when neither is set (then issuing answers 503). The key
    /// itself is loaded by the encoder port on first use, never here.
    /// </summary>
    public CardKeyOptions? CardKeys { get; init; }

    /// <summary>The sync engine's pacing and retention (<c>Gateway:Sync:*</c>); see docs/sync.md.</summary>
    public SyncOptions Sync { get; init; } = SyncOptions.Default;

    /// <summary>The parking rules (<c>Gateway:Parking:*</c> with the site time zone); see docs/parking.md.</summary>
    public ParkingRules Parking { get; init; } = new(TimeZoneInfo.Utc, 0, false);

    /// <summary>The card fee schedule (<c>Gateway:CardFees:*</c>): card fee, replacement fee, deposit.</summary>
    public Domain.Cards.CardFeeSchedule CardFees { get; init; } = Domain.Cards.CardFeeSchedule.None;

    /// <summary>The monthly inventory's settings (<c>Gateway:Inventory:*</c>); see docs/inventory.md.</summary>
    public InventoryOptions Inventory { get; init; } = InventoryOptions.Default;

    /// <summary>Size and age limits of the rolling log files (<c>Gateway:Logs:*</c>).</summary>
    public LogOptions Logs { get; init; } = LogOptions.Default;

    /// <summary>The web console's site name and address and idle timeout (<c>Gateway:Console:*</c>); see docs/console.md.</summary>
    public Gateway.Service.Console.ConsoleOptions Console { get; init; } = Gateway.Service.Console.ConsoleOptions.Default;

    /// <summary>Full path of the SQLite database file.</summary>
    public string DatabasePath => Site.DatabasePath;

    /// <summary>Folder of the rolling log files.</summary>
    public string LogFolder => Site.LogFolder;

    /// <summary>Reads and validates the configuration; on failure <paramref name="error"/> names the key and the problem.</summary>
    public static bool TryLoad(IConfiguration configuration, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GatewayOptions? options, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        options = null;
        var section = configuration.GetSection(Section);
        if (!SiteOptions.TryLoad(section, out var site, out error)
            || !HttpOptions.TryLoad(section, out var http, out error)
            || !SiteDevices.TryLoad(section, out var devices, out error)
            || !BootstrapTokenAuthenticator.TryLoad(section, out var bootstrapToken, out error)
            || !SecurityOptions.TryLoad(section, site.DataFolder, out var security, out error)
            || !CardEncoderOptions.TryLoadKeys(section, out var cardKeys, out error)
            || !SyncOptions.TryLoad(section, out var sync, out error)
            || !ParkingOptions.TryLoad(section, site.TimeZone, out var parking, out error)
            || !InventoryOptions.TryLoad(section, out var inventory, out error)
            || !CardFeeOptions.TryLoad(section, out var cardFees, out error)
            || !LogOptions.TryLoad(section, out var logs, out error)
            || !Gateway.Service.Console.ConsoleOptions.TryLoad(section, out var console, out error))
        {
            return false;
        }

        options = new GatewayOptions(site.DataFolder, site.SiteId, site.TimeZone, http, devices.All) { BootstrapToken = bootstrapToken, Security = security, CardKeys = cardKeys, Sync = sync, Parking = parking, Inventory = inventory, CardFees = cardFees, Logs = logs, Console = console };
        return true;
    }
}
