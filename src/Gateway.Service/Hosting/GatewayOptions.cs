using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Gateway.Drivers.Channels;

namespace Gateway.Service.Hosting;

/// <summary>Kinds of device Gateway drives.</summary>
public enum DeviceKind
{
    /// <summary>A controller speaking the gateway-barrier/1 Modbus profile (barriers and doors).</summary>
    Barrier,

    /// <summary>A PN532 card encoder on a serial port.</summary>
    Encoder,
}

/// <summary>One configured device (section <c>Gateway:Devices:N</c>).</summary>
public sealed record DeviceOptions(string Id, DeviceKind Kind, string Endpoint, int Unit, string? Zone)
{
    /// <summary>The parsed Modbus endpoint of a barrier; null for an encoder (named by its port path).</summary>
    public DeviceEndpoint? ModbusEndpoint { get; init; }
}

/// <summary>A secret configuration value: its <see cref="ToString"/> never shows it, so logging options or records cannot leak it.</summary>
public sealed class Secret(string value)
{
    /// <summary>The secret itself; compare it with <see cref="System.Security.Cryptography.CryptographicOperations.FixedTimeEquals"/>.</summary>
    public string Reveal() => value;

    public override string ToString() => "***";
}

/// <summary>
/// The service's configuration (section <c>Gateway</c>), read and validated at start. Values are
/// parsed here rather than by the binder so that an operator's mistake yields one line naming the
/// key and what is wrong, never a stack trace. See docs/configuration.md.
/// </summary>
public sealed partial record GatewayOptions(
    string DataFolder,
    string SiteId,
    TimeZoneInfo SiteTimeZone,
    HttpOptions Http,
    IReadOnlyList<DeviceOptions> Devices)
{
    public const string Section = "Gateway";

    /// <summary>Shortest bootstrap token accepted: a guessable token would open every policy.</summary>
    public const int MinimumBootstrapTokenLength = 32;

    /// <summary>
    /// The bootstrap admin token (<c>Gateway:BootstrapToken</c>), or null when unset (then the API
    /// accepts no token at all until operators exist). Wrapped so that printing the options never shows it.
    /// </summary>
    public Secret? BootstrapToken { get; init; }

    /// <summary>Operators, passwords, tokens, audit key and notifications (see docs/operators.md, docs/audit.md).</summary>
    public Operators.SecurityOptions Security { get; init; } = Operators.SecurityOptions.Defaults(Path.GetFullPath("data"));

    /// <summary>
    /// Where the site's card master key comes from (<c>Gateway:CardKeys</c>: KeyFile or
    /// EnvironmentVariable, Version); null when neither is set (then issuing answers 503). The key
    /// itself is loaded by the encoder port on first use, never here.
    /// </summary>
    public Gateway.Drivers.CardEncoders.Keys.CardKeyOptions? CardKeys { get; init; }

    /// <summary>The sync engine's pacing and retention (<c>Gateway:Sync:*</c>); see docs/sync.md.</summary>
    public Gateway.Service.Controllers.SyncOptions Sync { get; init; } = Gateway.Service.Controllers.SyncOptions.Default;

    /// <summary>The parking rules (<c>Gateway:Parking:*</c> with the site time zone); see docs/parking.md.</summary>
    public Domain.Parking.ParkingRules Parking { get; init; } = new(TimeZoneInfo.Utc, 0, false);

    /// <summary>The monthly inventory's settings (<c>Gateway:Inventory:*</c>); see docs/inventory.md.</summary>
    public Gateway.Service.Inventory.InventoryOptions Inventory { get; init; } = Gateway.Service.Inventory.InventoryOptions.Default;

    /// <summary>Size and age limits of the rolling log files (<c>Gateway:Logs:*</c>).</summary>
    public LogOptions Logs { get; init; } = LogOptions.Default;

    /// <summary>Full path of the SQLite database file.</summary>
    public string DatabasePath => Path.Combine(DataFolder, "gateway.db");

    /// <summary>Folder of the rolling log files.</summary>
    public string LogFolder => Path.Combine(DataFolder, "logs");

    /// <summary>Reads and validates the configuration; on failure <paramref name="error"/> names the key and the problem.</summary>
    public static bool TryLoad(IConfiguration configuration, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GatewayOptions? options, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        options = null;
        var section = configuration.GetSection(Section);

        var dataFolder = section["DataFolder"];
        if (string.IsNullOrWhiteSpace(dataFolder))
        {
            dataFolder = "data";
        }

        if (dataFolder.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            error = Key("DataFolder", $"'{dataFolder}' is not a valid path");
            return false;
        }

        dataFolder = Path.GetFullPath(dataFolder);

        var siteId = section["SiteId"] ?? "site-1";
        if (!SiteIdPattern().IsMatch(siteId))
        {
            error = Key("SiteId", $"'{siteId}' must be 1-32 characters of letters, digits, '-' or '_'");
            return false;
        }

        var zoneId = section["SiteTimeZone"];
        if (string.IsNullOrWhiteSpace(zoneId))
        {
            zoneId = "Asia/Shanghai";
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var timeZone))
        {
            error = Key("SiteTimeZone", $"'{zoneId}' is not a time zone known to this system (e.g. Asia/Shanghai)");
            return false;
        }

        if (!HttpOptions.TryLoad(section, out var http, out error))
        {
            return false;
        }

        var devices = new List<DeviceOptions>();
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var device in section.GetSection("Devices").GetChildren())
        {
            if (!TryLoadDevice(device, out var parsed, out error))
            {
                return false;
            }

            if (!ids.Add(parsed.Id))
            {
                error = Key($"Devices:{device.Key}:Id", $"'{parsed.Id}' is used by another device");
                return false;
            }

            devices.Add(parsed);
        }

        Secret? bootstrapToken = null;
        var tokenText = section["BootstrapToken"];
        if (!string.IsNullOrEmpty(tokenText))
        {
            // Never echo the value: the message names the key and the rule only.
            if (tokenText.Length < MinimumBootstrapTokenLength || tokenText.Length > 512 || tokenText.Any(c => c <= ' ' || c > '~'))
            {
                error = Key("BootstrapToken", $"must be {MinimumBootstrapTokenLength}-512 printable ASCII characters without spaces (e.g. the output of `openssl rand -hex 32`)");
                return false;
            }

            bootstrapToken = new Secret(tokenText);
        }

        if (!Operators.SecurityOptions.TryLoad(section, dataFolder, out var security, out error))
        {
            return false;
        }

        Gateway.Drivers.CardEncoders.Keys.CardKeyOptions? cardKeys = null;
        var keyFile = section["CardKeys:KeyFile"];
        var keyVariable = section["CardKeys:EnvironmentVariable"];
        var keyVersionText = section["CardKeys:Version"] ?? "1";
        if (!byte.TryParse(keyVersionText, NumberStyles.None, CultureInfo.InvariantCulture, out var keyVersion) || keyVersion == 0)
        {
            error = Key("CardKeys:Version", $"'{keyVersionText}' is not a key version from 1 to 255");
            return false;
        }

        if (!string.IsNullOrWhiteSpace(keyFile) || !string.IsNullOrWhiteSpace(keyVariable))
        {
            cardKeys = new Gateway.Drivers.CardEncoders.Keys.CardKeyOptions(
                string.IsNullOrWhiteSpace(keyFile) ? null : Path.GetFullPath(keyFile),
                string.IsNullOrWhiteSpace(keyVariable) ? null : keyVariable,
                keyVersion);
        }

        if (!Gateway.Service.Controllers.SyncOptions.TryLoad(section, out var sync, out error))
        {
            return false;
        }

        if (!ParkingOptions.TryLoad(section, timeZone, out var parking, out error))
        {
            return false;
        }

        if (!Gateway.Service.Inventory.InventoryOptions.TryLoad(section, out var inventory, out error))
        {
            return false;
        }

        if (!LogOptions.TryLoad(section, out var logs, out error))
        {
            return false;
        }

        options = new GatewayOptions(dataFolder, siteId, timeZone, http, devices) { BootstrapToken = bootstrapToken, Security = security, CardKeys = cardKeys, Sync = sync, Parking = parking, Inventory = inventory, Logs = logs };
        error = null;
        return true;
    }

    private static bool TryLoadDevice(IConfigurationSection device, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DeviceOptions? parsed, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        parsed = null;
        var prefix = $"Devices:{device.Key}";
        var id = device["Id"];
        if (string.IsNullOrWhiteSpace(id) || !SiteIdPattern().IsMatch(id))
        {
            error = Key($"{prefix}:Id", $"'{id}' must be 1-32 characters of letters, digits, '-' or '_'");
            return false;
        }

        var kindText = device["Kind"];
        if (!Enum.TryParse<DeviceKind>(kindText, ignoreCase: true, out var kind) || !Enum.IsDefined(kind) || int.TryParse(kindText, out _))
        {
            error = Key($"{prefix}:Kind", $"'{kindText}' is not barrier or encoder");
            return false;
        }

        var endpoint = device["Endpoint"];
        DeviceEndpoint? modbus = null;
        if (kind == DeviceKind.Barrier)
        {
            if (!DeviceEndpoint.TryParse(endpoint, out modbus, out var endpointError))
            {
                error = Key($"{prefix}:Endpoint", endpointError);
                return false;
            }

            if (modbus is TcpEndpoint { Port: 0 })
            {
                error = Key($"{prefix}:Endpoint", $"'{endpoint}' needs a port from 1 to 65535");
                return false;
            }
        }
        else if (string.IsNullOrWhiteSpace(endpoint))
        {
            error = Key($"{prefix}:Endpoint", "an encoder needs its serial port path (e.g. /dev/ttyUSB0 or COM4)");
            return false;
        }

        var unitText = device["Unit"] ?? "1";
        if (!int.TryParse(unitText, NumberStyles.None, CultureInfo.InvariantCulture, out var unit) || unit is < 1 or > 247)
        {
            error = Key($"{prefix}:Unit", $"'{unitText}' is not a Modbus unit id from 1 to 247");
            return false;
        }

        var zone = device["Zone"];
        if (kind == DeviceKind.Barrier && string.IsNullOrWhiteSpace(zone))
        {
            error = Key($"{prefix}:Zone", "a barrier or door controller needs the zone it serves (e.g. car-park, building-3, common)");
            return false;
        }

        parsed = new DeviceOptions(id, kind, endpoint!, unit, zone) { ModbusEndpoint = modbus };
        error = null;
        return true;
    }

    private static string Key(string key, string message) => $"{Section}:{key}: {message}";

    [GeneratedRegex("^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex SiteIdPattern();
}
