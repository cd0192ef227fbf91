using System.Globalization;
using Gateway.Drivers.Channels;

namespace Gateway.Service.Site;

/// <summary>Kinds of device Gateway drives.</summary>
public enum DeviceKind
{
    /// <summary>A controller speaking the gateway-barrier/1 Modbus profile (barriers and doors).</summary>
    Barrier,

    /// <summary>A card encoder: a PN532 on a serial port, or a PC/SC reader (<c>pcsc://READER-NAME</c>).</summary>
    Encoder,
}

/// <summary>One configured device (section <c>Gateway:Devices:N</c>).</summary>
public sealed record DeviceOptions(string Id, DeviceKind Kind, string Endpoint, int Unit, string? Zone)
{
    /// <summary>The parsed Modbus endpoint of a barrier; null for an encoder (named by its port path or <c>pcsc://</c> endpoint).</summary>
    public DeviceEndpoint? ModbusEndpoint { get; init; }
}

/// <summary>
/// The devices of the site (<c>Gateway:Devices:N:*</c>), in configuration order, ids unique without
/// regard to case. The controllers' feature drives the barriers, the cards' feature the encoders.
/// </summary>
public sealed record SiteDevices(IReadOnlyList<DeviceOptions> All)
{
    public IEnumerable<DeviceOptions> OfKind(DeviceKind kind) => All.Where(d => d.Kind == kind);

    /// <summary>Reads every <c>Devices:N</c> entry; the error names the first bad key.</summary>
    public static bool TryLoad(IConfigurationSection gateway, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SiteDevices? devices, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        devices = null;
        var list = new List<DeviceOptions>();
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var device in gateway.GetSection("Devices").GetChildren())
        {
            if (!TryLoadDevice(device, out var parsed, out error))
            {
                return false;
            }

            if (!ids.Add(parsed.Id))
            {
                error = SiteOptions.Key($"Devices:{device.Key}:Id", $"'{parsed.Id}' is used by another device");
                return false;
            }

            list.Add(parsed);
        }

        devices = new SiteDevices(list);
        error = null;
        return true;
    }

    private static bool TryLoadDevice(IConfigurationSection device, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DeviceOptions? parsed, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        parsed = null;
        var prefix = $"Devices:{device.Key}";
        var id = device["Id"];
        if (string.IsNullOrWhiteSpace(id) || !SiteOptions.IdPattern().IsMatch(id))
        {
            error = SiteOptions.Key($"{prefix}:Id", $"'{id}' must be 1-32 characters of letters, digits, '-' or '_'");
            return false;
        }

        var kindText = device["Kind"];
        if (!Enum.TryParse<DeviceKind>(kindText, ignoreCase: true, out var kind) || !Enum.IsDefined(kind) || int.TryParse(kindText, out _))
        {
            error = SiteOptions.Key($"{prefix}:Kind", $"'{kindText}' is not barrier or encoder");
            return false;
        }

        var endpoint = device["Endpoint"];
        DeviceEndpoint? modbus = null;
        if (kind == DeviceKind.Barrier)
        {
            if (!DeviceEndpoint.TryParse(endpoint, out modbus, out var endpointError))
            {
                error = SiteOptions.Key($"{prefix}:Endpoint", endpointError);
                return false;
            }

            if (modbus is TcpEndpoint { Port: 0 })
            {
                error = SiteOptions.Key($"{prefix}:Endpoint", $"'{endpoint}' needs a port from 1 to 65535");
                return false;
            }
        }
        else if (string.IsNullOrWhiteSpace(endpoint))
        {
            error = SiteOptions.Key($"{prefix}:Endpoint", "an encoder needs its serial port path (e.g. /dev/ttyUSB0 or COM4) or pcsc://READER-NAME for a PC/SC reader");
            return false;
        }
        else if (Gateway.Drivers.CardEncoders.Pcsc.PcscEndpoint.IsPcsc(endpoint) && !Gateway.Drivers.CardEncoders.Pcsc.PcscEndpoint.TryParse(endpoint, out _, out var pcscError))
        {
            error = SiteOptions.Key($"{prefix}:Endpoint", pcscError);
            return false;
        }

        var unitText = device["Unit"] ?? "1";
        if (!int.TryParse(unitText, NumberStyles.None, CultureInfo.InvariantCulture, out var unit) || unit is < 1 or > 247)
        {
            error = SiteOptions.Key($"{prefix}:Unit", $"'{unitText}' is not a Modbus unit id from 1 to 247");
            return false;
        }

        var zone = device["Zone"];
        if (kind == DeviceKind.Barrier && string.IsNullOrWhiteSpace(zone))
        {
            error = SiteOptions.Key($"{prefix}:Zone", "a barrier or door controller needs the zone it serves (e.g. car-park, building-3, common)");
            return false;
        }

        parsed = new DeviceOptions(id, kind, endpoint!, unit, zone) { ModbusEndpoint = modbus };
        error = null;
        return true;
    }
}
