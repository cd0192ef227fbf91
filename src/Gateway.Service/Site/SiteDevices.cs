using System.Globalization;
using Gateway.Drivers.Channels;
using Gateway.Drivers.Uhppote;

namespace Gateway.Service.Site;

/// <summary>Kinds of device Gateway drives.</summary>
public enum DeviceKind
{
    /// <summary>A controller speaking the gateway-barrier/1 Modbus profile (barriers and doors).</summary>
    Barrier,

    /// <summary>A card encoder: a PN532 on a serial port, or a PC/SC reader (<c>pcsc://READER-NAME</c>).</summary>
    Encoder,

    /// <summary>A UHPPOTE / WG access controller board on the LAN (UDP; doors, or car-park lanes through a door relay).</summary>
    Uhppote,
}

/// <summary>One door of a UHPPOTE board (<c>Gateway:Devices:N:Doors:D</c>, D = 1-4).</summary>
/// <param name="Door">The door number on the board, 1-4.</param>
/// <param name="Zone">The zone it serves (<c>Zone</c>).</param>
/// <param name="Lane">The lane its events are reported on (<c>Lane</c>, default the door number).</param>
/// <param name="Direction">The direction its reader serves (<c>Direction</c>: <c>in</c> or <c>out</c>; null: as the board reports it).</param>
/// <param name="Format">Its reader's output (<c>ReaderFormat</c>: w34, w34-lsb, w26, w26-lsb; default w34).</param>
/// <param name="OpenSeconds">How long its lock stays released after a granted card (<c>OpenSeconds</c>, 1-255); null: left as the board has it.</param>
public sealed record UhppoteDoorOptions(int Door, string Zone, int Lane, string? Direction, ReaderFormat Format, byte? OpenSeconds = null);

/// <summary>A UHPPOTE board's settings: where it listens, its serial number, its doors, the opt-in event listener address and its anti-passback mode.</summary>
public sealed record UhppoteBoardOptions(UhppoteEndpoint Endpoint, uint Serial, IReadOnlyList<UhppoteDoorOptions> Doors, UhppoteEndpoint? Listener, UhppoteAntiPassback AntiPassback = UhppoteAntiPassback.Disabled);

/// <summary>One configured device (section <c>Gateway:Devices:N</c>).</summary>
public sealed record DeviceOptions(string Id, DeviceKind Kind, string Endpoint, int Unit, string? Zone)
{
    /// <summary>The parsed Modbus endpoint of a barrier; null for an encoder (named by its port path or <c>pcsc://</c> endpoint).</summary>
    public DeviceEndpoint? ModbusEndpoint { get; init; }

    /// <summary>
    /// A barrier or door controller's anti-passback option (<c>AntiPassback</c>: on or off; default on in the
    /// car park, off elsewhere), written to the controller and kept so. A board's mode is <see cref="UhppoteBoardOptions.AntiPassback"/>.
    /// </summary>
    public bool AntiPassback { get; init; }

    /// <summary>
    /// A barrier or door controller's open time (<c>OpenSeconds</c>, 0-3600: how long a lane stays open after a
    /// granted card before the controller lowers the arm or relocks the door; 0 until lowered); null: left as
    /// the controller has it. Profile 1.2 and later. A board's doors have their own (<see cref="UhppoteDoorOptions.OpenSeconds"/>).
    /// </summary>
    public ushort? OpenSeconds { get; init; }

    /// <summary>A UHPPOTE board's endpoint, serial number and doors; null for other kinds.</summary>
    public UhppoteBoardOptions? Board { get; init; }

    /// <summary>The zones the device serves: its zone, or a board's doors' zones.</summary>
    public IReadOnlyList<string> Zones => Board is { } board
        ? board.Doors.Select(d => d.Zone).Distinct(StringComparer.OrdinalIgnoreCase).ToList()
        : Zone is null ? [] : [Zone];

    /// <summary>True for the devices the sync engine keeps right (barrier controllers and UHPPOTE boards).</summary>
    public bool IsController => Kind is DeviceKind.Barrier or DeviceKind.Uhppote;
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
        var serials = new HashSet<uint>();
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

            if (parsed.Board is { } board && !serials.Add(board.Serial))
            {
                error = SiteOptions.Key($"Devices:{device.Key}:Controller", $"serial number {board.Serial} is used by another device");
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
            error = SiteOptions.Key($"{prefix}:Kind", $"'{kindText}' is not barrier, uhppote or encoder");
            return false;
        }

        var endpoint = device["Endpoint"];
        if (kind == DeviceKind.Uhppote)
        {
            return TryLoadBoard(device, id, endpoint, out parsed, out error);
        }

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

        var antiPassback = kind == DeviceKind.Barrier && string.Equals(zone?.Trim(), Domain.Zones.ZoneMap.CarPark, StringComparison.OrdinalIgnoreCase);
        if (kind == DeviceKind.Barrier && device["AntiPassback"] is { } antiPassbackText && !TryParseSwitch(antiPassbackText, out antiPassback))
        {
            error = SiteOptions.Key($"{prefix}:AntiPassback", $"'{antiPassbackText}' is not on or off");
            return false;
        }

        ushort? openSeconds = null;
        if (kind == DeviceKind.Barrier && device["OpenSeconds"] is { } openText)
        {
            if (!ushort.TryParse(openText, NumberStyles.None, CultureInfo.InvariantCulture, out var open) || open > Gateway.Drivers.Barriers.BarrierProfile.MaxOpenSeconds)
            {
                error = SiteOptions.Key($"{prefix}:OpenSeconds", $"'{openText}' is not an open time from 0 to {Gateway.Drivers.Barriers.BarrierProfile.MaxOpenSeconds} seconds (0: open until lowered)");
                return false;
            }

            openSeconds = open;
        }

        parsed = new DeviceOptions(id, kind, endpoint!, unit, zone) { ModbusEndpoint = modbus, AntiPassback = antiPassback, OpenSeconds = openSeconds };
        error = null;
        return true;
    }

    private static bool TryLoadBoard(IConfigurationSection device, string id, string? endpointText, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DeviceOptions? parsed, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        parsed = null;
        var prefix = $"Devices:{device.Key}";
        if (!UhppoteEndpoint.TryParse(endpointText, out var endpoint, out var endpointError))
        {
            error = SiteOptions.Key($"{prefix}:Endpoint", endpointError);
            return false;
        }

        if (endpoint.Port == 0)
        {
            error = SiteOptions.Key($"{prefix}:Endpoint", $"'{endpointText}' needs a port from 1 to 65535 (60000 when left out)");
            return false;
        }

        var serialText = device["Controller"];
        if (!uint.TryParse(serialText, NumberStyles.None, CultureInfo.InvariantCulture, out var serial) || serial is 0 or uint.MaxValue)
        {
            error = SiteOptions.Key($"{prefix}:Controller", $"'{serialText}' is not a board's serial number (1 to 4294967294, printed on the board and shown by 'gatewayctl uhppote find')");
            return false;
        }

        UhppoteEndpoint? listener = null;
        if (device["Listener"] is { } listenerText && !UhppoteEndpoint.TryParse(listenerText, out listener, out var listenerError))
        {
            error = SiteOptions.Key($"{prefix}:Listener", listenerError);
            return false;
        }

        if (listener is not null && (!System.Net.IPAddress.TryParse(listener.Host, out var listenAddress) || listenAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || listenAddress.Equals(System.Net.IPAddress.Any)))
        {
            error = SiteOptions.Key($"{prefix}:Listener", $"'{device["Listener"]}' must name this computer's IPv4 address as the board reaches it (e.g. udp://192.168.10.5:60001): the board is told that address");
            return false;
        }

        var doors = new List<UhppoteDoorOptions>();
        foreach (var door in device.GetSection("Doors").GetChildren())
        {
            var key = $"{prefix}:Doors:{door.Key}";
            if (!int.TryParse(door.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 4)
            {
                error = SiteOptions.Key(key, $"'{door.Key}' is not a door number from 1 to 4");
                return false;
            }

            var zone = door["Zone"];
            if (string.IsNullOrWhiteSpace(zone))
            {
                error = SiteOptions.Key($"{key}:Zone", "a door needs the zone it serves (e.g. car-park, building-3, common)");
                return false;
            }

            var laneText = door["Lane"] ?? number.ToString(CultureInfo.InvariantCulture);
            if (!int.TryParse(laneText, NumberStyles.None, CultureInfo.InvariantCulture, out var lane) || lane is < 1 or > 255)
            {
                error = SiteOptions.Key($"{key}:Lane", $"'{laneText}' is not a lane number from 1 to 255");
                return false;
            }

            var direction = door["Direction"]?.Trim().ToLowerInvariant();
            if (direction is not (null or "in" or "out"))
            {
                error = SiteOptions.Key($"{key}:Direction", $"'{door["Direction"]}' is not in or out (leave it out to take the direction the board reports)");
                return false;
            }

            var formatText = door["ReaderFormat"];
            var format = ReaderFormat.Default;
            if (formatText is not null && !ReaderFormat.TryParse(formatText, out format))
            {
                error = SiteOptions.Key($"{key}:ReaderFormat", $"'{formatText}' is not a reader format (w34, w34-lsb, w26 or w26-lsb)");
                return false;
            }

            byte? openSeconds = null;
            if (door["OpenSeconds"] is { } openText)
            {
                if (!byte.TryParse(openText, NumberStyles.None, CultureInfo.InvariantCulture, out var open) || open == 0)
                {
                    error = SiteOptions.Key($"{key}:OpenSeconds", $"'{openText}' is not a door open time from 1 to 255 seconds");
                    return false;
                }

                openSeconds = open;
            }

            doors.Add(new UhppoteDoorOptions(number, zone.Trim(), lane, direction, format, openSeconds));
        }

        if (doors.Count == 0)
        {
            error = SiteOptions.Key($"{prefix}:Doors", "a UHPPOTE board needs at least one door (Doors:1:Zone = the zone door 1 serves)");
            return false;
        }

        var carPark = doors.Where(d => string.Equals(d.Zone, Domain.Zones.ZoneMap.CarPark, StringComparison.OrdinalIgnoreCase)).ToList();
        if (carPark.Count > 0 && carPark.Count < doors.Count)
        {
            error = SiteOptions.Key($"{prefix}:Doors", $"doors {string.Join(", ", carPark.Select(d => d.Door))} serve the car park and doors {string.Join(", ", doors.Except(carPark).Select(d => d.Door))} access zones: a board holds one date window per card for all its doors, so use one board for each");
            return false;
        }

        doors.Sort((a, b) => a.Door.CompareTo(b.Door));
        var antiPassback = DefaultAntiPassback(doors);
        if (device["AntiPassback"] is { } antiPassbackText && !UhppoteAntiPassbackModes.TryParse(antiPassbackText, out antiPassback))
        {
            error = SiteOptions.Key($"{prefix}:AntiPassback", $"'{antiPassbackText}' is not a board's anti-passback mode (off, 1:2;3:4, 1,3:2,4, 1:2,3 or 1:2,3,4)");
            return false;
        }

        var board = new UhppoteBoardOptions(endpoint, serial, doors, listener, antiPassback);
        parsed = new DeviceOptions(id, DeviceKind.Uhppote, endpoint.ToString(), 0, string.Join(",", board.Doors.Select(d => d.Zone).Distinct(StringComparer.OrdinalIgnoreCase))) { Board = board };
        error = null;
        return true;
    }

    /// <summary>
    /// A board's anti-passback when configuration names none: off for access doors; for a car-park board whose
    /// doors 1 and 2 (and 3 and 4, when used) are an entry and an exit reader, 1:2;3:4, so a card that entered
    /// must leave before it enters again.
    /// </summary>
    public static UhppoteAntiPassback DefaultAntiPassback(IReadOnlyList<UhppoteDoorOptions> doors)
    {
        ArgumentNullException.ThrowIfNull(doors);
        if (doors.Count < 2 || !doors.All(d => string.Equals(d.Zone, Domain.Zones.ZoneMap.CarPark, StringComparison.OrdinalIgnoreCase)))
        {
            return UhppoteAntiPassback.Disabled;
        }

        string? Direction(int number) => doors.FirstOrDefault(d => d.Door == number)?.Direction;
        bool Pair(int a, int b) => Direction(a) is { } x && Direction(b) is { } y && x != y;
        bool Unused(int a, int b) => Direction(a) is null && Direction(b) is null && !doors.Any(d => d.Door == a || d.Door == b);
        return Pair(1, 2) && (Pair(3, 4) || Unused(3, 4)) ? UhppoteAntiPassback.Doors12And34 : UhppoteAntiPassback.Disabled;
    }

    private static bool TryParseSwitch(string text, out bool value)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "on" or "true" or "1":
                value = true;
                return true;
            case "off" or "false" or "0":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }
}
