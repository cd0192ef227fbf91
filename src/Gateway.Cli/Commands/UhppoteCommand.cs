using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.Drivers.Uhppote;

namespace Gateway.Cli.Commands;

/// <summary>
/// Field diagnostics straight to UHPPOTE / WG-series boards over UDP (docs/uhppote.md):
/// <c>gatewayctl uhppote find [--broadcast ADDR:PORT]</c> and
/// <c>gatewayctl uhppote COMMAND udp://HOST:PORT --controller SERIAL [ARGS] [--json]</c>.
/// Input is checked before anything is sent; a failure is one stderr line naming the board and the cause.
/// </summary>
public static class UhppoteCommand
{
    /// <summary>Exit code for input refused before anything was sent.</summary>
    public const int UsageExitCode = 2;

    /// <summary>Exit code when the board answered that it holds no such card.</summary>
    public const int NotFoundExitCode = 3;

    private const string DateFormat = "yyyy-MM-dd";
    private const string TimeFormat = "yyyy-MM-dd HH:mm:ss";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static Command Create()
    {
        var command = new Command("uhppote", "Diagnose UHPPOTE / WG-series access controllers on the LAN (udp://HOST:PORT, port 60000 by default)");
        command.Subcommands.Add(CreateFind());
        command.Subcommands.Add(Board("get-controller", "Serial number, network settings and firmware of the board", [], async (b, _, ct) =>
        {
            var c = await b.GetControllerAsync(ct);
            return new Reply(
                new { controller = c.Controller, address = c.Address.ToString(), netmask = c.Netmask.ToString(), gateway = c.Gateway.ToString(), macAddress = Mac(c), version = c.Version, date = Date(c.Released) },
                [$"controller {c.Controller}", $"address    {c.Address}", $"netmask    {c.Netmask}", $"gateway    {c.Gateway}", $"MAC        {Mac(c)}", $"firmware   {c.Version} ({Date(c.Released) ?? "-"})"]);
        }));
        command.Subcommands.Add(Board("get-time", "The board's clock (its local time)", [], async (b, _, ct) => TimeReply(b.Serial, await b.GetTimeAsync(ct))));
        var time = new Option<string?>("--time") { Description = "Local time \"YYYY-MM-DD HH:MM:SS\" (default: this computer's local time now)" };
        command.Subcommands.Add(Board("set-time", "Set the board's clock (its local time)", [time], async (b, p, ct) =>
        {
            var local = p.GetValue(time) is { } text ? ParseTime(text, "--time") : DateTime.Now;
            return TimeReply(b.Serial, await b.SetTimeAsync(local, ct));
        }));
        command.Subcommands.Add(Board("get-status", "Clock, doors, buttons, relays, inputs and the newest event", [], async (b, _, ct) => StatusReply(b.Serial, await b.GetStatusAsync(ct))));
        var importFile = new Option<string?>("--import-file")
        {
            Description = "Also write the numbers as a site-import cards file to fill in (card_number,kind,holder_ref,board_number; docs/migration.md)",
        };
        command.Subcommands.Add(Board("get-cards", "Every card record, read by index", [importFile], async (b, p, ct) =>
        {
            var cards = new List<UhppoteCard>();
            await foreach (var card in b.ReadCardsAsync(ct))
            {
                cards.Add(card);
            }

            if (p.GetValue(importFile) is { } path)
            {
                await ParkingCommand.WriteCsvAsync(ImportTemplate(cards), path, "card numbers", ct);
            }

            return new Reply(
                new { controller = b.Serial, count = cards.Count, cards = cards.Select(CardJson) },
                [$"controller {b.Serial}: {cards.Count} cards", .. cards.Select(CardLine)]);
        }));
        var card = new Argument<string>("CARD") { Description = "Card number" };
        command.Subcommands.Add(Board("get-card", "One card's record", [card], async (b, p, ct) =>
        {
            var number = ParseCard(p.GetValue(card)!);
            var record = await b.GetCardAsync(number, ct)
                ?? throw new CliException(string.Create(CultureInfo.InvariantCulture, $"controller {b.Serial} holds no card {number}"), NotFoundExitCode);
            return new Reply(new { controller = b.Serial, card = record.Number, from = Date(record.From), to = Date(record.To), doors = DoorsJson(record.Doors), pin = record.Pin }, [CardLine(record)]);
        }));
        var from = new Option<string>("--from") { Description = "First day, YYYY-MM-DD", Required = true };
        var to = new Option<string>("--to") { Description = "Last day (inclusive), YYYY-MM-DD", Required = true };
        var doors = new Option<string>("--doors") { Description = "Doors it opens, e.g. 1 or 1,2,4", Required = true };
        var pin = new Option<uint>("--pin") { Description = "Keypad PIN, 0 (none) to 999999", DefaultValueFactory = _ => 0 };
        command.Subcommands.Add(Board("put-card", "Add or replace a card's record", [card, from, to, doors, pin], async (b, p, ct) =>
        {
            var record = new UhppoteCard(ParseCard(p.GetValue(card)!), ParseDate(p.GetValue(from)!, "--from"), ParseDate(p.GetValue(to)!, "--to"), ParseDoors(p.GetValue(doors)!), p.GetValue(pin));
            Usage(record.Validate);
            await b.PutCardAsync(record, ct);
            return new Reply(new { controller = b.Serial, card = record.Number, stored = true }, [$"stored {CardLine(record)}"]);
        }));
        command.Subcommands.Add(Board("delete-card", "Remove a card's record", [card], async (b, p, ct) =>
        {
            var number = ParseCard(p.GetValue(card)!);
            var deleted = await b.DeleteCardAsync(number, ct);
            return new Reply(new { controller = b.Serial, card = number, deleted }, [deleted ? $"deleted card {number}" : $"controller {b.Serial} held no card {number}"]);
        }));
        var index = new Argument<string>("INDEX") { Description = "Event index, from 1" };
        command.Subcommands.Add(Board("get-event", "The event at an index", [index], async (b, p, ct) => EventReply(b.Serial, await b.GetEventAsync(ParseIndex(p.GetValue(index)!), ct))));
        command.Subcommands.Add(Board("get-event-index", "The event index the host last stored on the board", [], async (b, _, ct) =>
        {
            var value = await b.GetEventIndexAsync(ct);
            return new Reply(new { controller = b.Serial, index = value }, [string.Create(CultureInfo.InvariantCulture, $"controller {b.Serial}: event index {value}")]);
        }));
        command.Subcommands.Add(Board("set-event-index", "Store the host's event index on the board", [index], async (b, p, ct) =>
        {
            var value = ParseIndex(p.GetValue(index)!);
            var changed = await b.SetEventIndexAsync(value, ct);
            return new Reply(new { controller = b.Serial, index = value, changed }, [string.Create(CultureInfo.InvariantCulture, $"controller {b.Serial}: event index {value}{(changed ? string.Empty : " (unchanged)")}")]);
        }));
        var door = new Argument<string>("DOOR") { Description = "Door, 1-4" };
        command.Subcommands.Add(Board("open-door", "Release a door's lock as a granted card would", [door], async (b, p, ct) =>
        {
            var d = ParseDoor(p.GetValue(door)!);
            await b.OpenDoorAsync(d, ct);
            return new Reply(new { controller = b.Serial, door = d, opened = true }, [string.Create(CultureInfo.InvariantCulture, $"door {d} opened")]);
        }));
        command.Subcommands.Add(Board("get-door-control", "A door's control mode and open time", [door], async (b, p, ct) => DoorReply(b.Serial, await b.GetDoorControlAsync(ParseDoor(p.GetValue(door)!), ct))));
        var mode = new Option<string>("--mode") { Description = "controlled, normally-open or normally-closed", Required = true };
        var delay = new Option<int>("--delay") { Description = "Seconds the door stays unlocked, 0-255", DefaultValueFactory = _ => 3 };
        command.Subcommands.Add(Board("set-door-control", "Set a door's control mode and open time", [door, mode, delay], async (b, p, ct) =>
            DoorReply(b.Serial, await b.SetDoorControlAsync(ParseDoor(p.GetValue(door)!), ParseMode(p.GetValue(mode)!), ParseDelay(p.GetValue(delay)), ct))));
        command.Subcommands.Add(Board("get-listener", "Where the board pushes its events", [], async (b, _, ct) =>
        {
            var l = await b.GetListenerAsync(ct);
            return new Reply(new { controller = b.Serial, listener = l.Endpoint.ToString(), interval = l.IntervalSeconds }, [string.Create(CultureInfo.InvariantCulture, $"controller {b.Serial}: listener {(l.IsSet ? l.Endpoint.ToString() : "none")}, interval {l.IntervalSeconds} s")]);
        }));
        var address = new Argument<string>("ADDR:PORT") { Description = "IPv4 address and port of the listener, as the board sees it" };
        var interval = new Option<int>("--interval") { Description = "Also push the status every N seconds, 0-255 (0: events only)", DefaultValueFactory = _ => 0 };
        command.Subcommands.Add(Board("set-listener", "Make the board push its events to ADDR:PORT (takes the board's one listener from any other software)", [address, interval], async (b, p, ct) =>
        {
            var (endpoint, seconds) = (ParseListener(p.GetValue(address)!), ParseInterval(p.GetValue(interval)));
            await b.SetListenerAsync(endpoint, seconds, ct);
            return new Reply(new { controller = b.Serial, listener = endpoint.ToString(), interval = seconds, ok = true }, [$"controller {b.Serial}: listener {endpoint}"]);
        }));
        var onOff = new Argument<string>("on|off") { Description = "on: also log door open/close and push-button events" };
        command.Subcommands.Add(Board("record-special-events", "Log door open/close and push-button events too, or not", [onOff], async (b, p, ct) =>
        {
            var enable = ParseOnOff(p.GetValue(onOff)!);
            await b.RecordSpecialEventsAsync(enable, ct);
            return new Reply(new { controller = b.Serial, recordSpecialEvents = enable }, [$"controller {b.Serial}: special events {(enable ? "on" : "off")}"]);
        }));
        return command;
    }

    private static Command CreateFind()
    {
        var broadcast = new Option<string>("--broadcast") { Description = "Where to send the discovery request, ADDR:PORT", DefaultValueFactory = _ => "255.255.255.255:60000" };
        var wait = new Option<int>("--wait-ms") { Description = "How long to collect answers, in milliseconds", DefaultValueFactory = _ => 1500 };
        var json = CommonOptions.Json();
        var command = new Command("find", "Find the boards on this segment (a get-controller broadcast)");
        command.Options.Add(broadcast);
        command.Options.Add(wait);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            var target = IPEndPoint.TryParse(parse.GetValue(broadcast)!, out var parsed) && parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && parsed.Port != 0
                ? parsed
                : throw new CliException($"--broadcast '{parse.GetValue(broadcast)}' is not an IPv4 ADDR:PORT", UsageExitCode);
            var ms = parse.GetValue(wait);
            if (ms is < 100 or > 60_000)
            {
                throw new CliException(string.Create(CultureInfo.InvariantCulture, $"--wait-ms {ms} is outside 100-60000"), UsageExitCode);
            }

            var boards = await UhppoteDiscovery.FindAsync(target, TimeSpan.FromMilliseconds(ms), cancellationToken);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    controllers = boards.Select(c => new { controller = c.Controller, address = c.Address.ToString(), netmask = c.Netmask.ToString(), gateway = c.Gateway.ToString(), macAddress = Mac(c), version = c.Version, date = Date(c.Released) }),
                }, Json));
            }
            else if (boards.Count == 0)
            {
                Console.WriteLine($"no board answered at {target} within {ms} ms");
            }
            else
            {
                foreach (var c in boards)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.Controller,-10}  {c.Address,-15}  {c.Netmask,-15}  {c.Gateway,-15}  {Mac(c)}  {c.Version}  {Date(c.Released) ?? "-"}"));
                }
            }

            return 0;
        }));
        return command;
    }

    private sealed record Reply(object Json, IReadOnlyList<string> Lines);

    /// <summary>
    /// A site-import cards file (docs/migration.md) holding a board's numbers, for the site to fill in each
    /// card's kind and holder: <c>board_number</c> is the board's number; <c>card_number</c> the same number
    /// where it fits Gateway's card numbers (1-99999999), to be checked against what is printed on the card.
    /// UTF-8 with a byte-order mark, so a spreadsheet opens it as such.
    /// </summary>
    private static byte[] ImportTemplate(IEnumerable<UhppoteCard> cards)
    {
        var text = new StringBuilder("card_number,kind,holder_ref,board_number\r\n");
        foreach (var card in cards.OrderBy(c => c.Number))
        {
            var number = card.Number.ToString(CultureInfo.InvariantCulture);
            text.Append(card.Number <= 99_999_999 ? number : string.Empty).Append(",,,").Append(number).Append("\r\n");
        }

        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text.ToString())];
    }

    private static Command Board(string name, string description, Symbol[] symbols, Func<UhppoteController, ParseResult, CancellationToken, Task<Reply>> action)
    {
        var endpoint = new Argument<string>("ENDPOINT") { Description = "udp://HOST:PORT of the board (port 60000 by default)" };
        var controller = new Option<string>("--controller") { Description = "The board's serial number", Required = true };
        var timeout = new Option<int>("--timeout-ms") { Description = "Deadline of each request, resends included, in milliseconds", DefaultValueFactory = _ => 2000 };
        var json = CommonOptions.Json();
        var command = new Command(name, description);
        command.Arguments.Add(endpoint);
        foreach (var symbol in symbols)
        {
            if (symbol is Argument argument)
            {
                command.Arguments.Add(argument);
            }
            else
            {
                command.Options.Add((Option)symbol);
            }
        }

        command.Options.Add(controller);
        command.Options.Add(timeout);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            var target = UhppoteEndpoint.TryParse(parse.GetValue(endpoint), out var parsed, out var error)
                ? parsed
                : throw new CliException(error, UsageExitCode);
            if (target.Port == 0)
            {
                throw new CliException($"'{target}': give the board's port (60000 by default)", UsageExitCode);
            }

            var serial = uint.TryParse(parse.GetValue(controller), NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s != 0
                ? s
                : throw new CliException($"--controller '{parse.GetValue(controller)}' is not a serial number (1-4294967295)", UsageExitCode);
            var ms = parse.GetValue(timeout);
            if (ms is < 100 or > 60_000)
            {
                throw new CliException(string.Create(CultureInfo.InvariantCulture, $"--timeout-ms {ms} is outside 100-60000"), UsageExitCode);
            }

            var options = new UhppoteControllerOptions { Timeout = TimeSpan.FromMilliseconds(ms), RetryInterval = TimeSpan.FromMilliseconds(Math.Min(500, ms)) };
            await using var board = new UhppoteController(target, serial, options);
            var reply = await action(board, parse, cancellationToken);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(reply.Json, Json));
            }
            else
            {
                foreach (var line in reply.Lines)
                {
                    Console.WriteLine(line);
                }
            }

            return 0;
        }));
        return command;
    }

    private static Reply TimeReply(uint serial, DateTime time) =>
        new(new { controller = serial, time = Time(time) }, [$"controller {serial}: {Time(time)}"]);

    private static Reply StatusReply(uint serial, UhppoteStatus s)
    {
        var doors = Enumerable.Range(1, 4).ToDictionary(
            d => d.ToString(CultureInfo.InvariantCulture),
            d => new { open = s.IsDoorOpen(d), button = s.IsButtonPressed(d), unlocked = s.IsDoorUnlocked(d) });
        var json = new
        {
            controller = serial,
            systemTime = Time(s.SystemTime),
            doors,
            relays = s.Relays,
            inputs = s.Inputs,
            systemError = s.SystemError,
            specialInfo = s.SpecialInfo,
            sequenceNumber = s.SequenceNumber,
            @event = s.LastEvent is { } e ? EventJson(e) : null,
        };
        var lines = new List<string>
        {
            $"controller {serial}: {Time(s.SystemTime) ?? "no clock"}",
            string.Join("  ", Enumerable.Range(1, 4).Select(d => string.Create(CultureInfo.InvariantCulture, $"door {d}: {(s.IsDoorOpen(d) ? "open" : "closed")}{(s.IsDoorUnlocked(d) ? ", unlocked" : string.Empty)}{(s.IsButtonPressed(d) ? ", button" : string.Empty)}"))),
            string.Create(CultureInfo.InvariantCulture, $"relays 0x{s.Relays:X2}  inputs 0x{s.Inputs:X2}  system error {s.SystemError}  special info {s.SpecialInfo}  sequence {s.SequenceNumber}"),
            s.LastEvent is { } last ? $"last event: {EventLine(last)}" : "no events",
        };
        return new Reply(json, lines);
    }

    private static Reply EventReply(uint serial, UhppoteEventLookup lookup) => lookup.Kind switch
    {
        UhppoteEventLookupKind.Found => new Reply(new { controller = serial, index = lookup.Index, status = "found", @event = EventJson(lookup.Event!) }, [EventLine(lookup.Event!)]),
        UhppoteEventLookupKind.NotYet => new Reply(new { controller = serial, index = lookup.Index, status = "not-yet", @event = (object?)null }, [string.Create(CultureInfo.InvariantCulture, $"controller {serial}: no event {lookup.Index} yet")]),
        _ => new Reply(new { controller = serial, index = lookup.Index, status = "overwritten", @event = (object?)null }, [string.Create(CultureInfo.InvariantCulture, $"controller {serial}: event {lookup.Index} was overwritten")]),
    };

    private static Reply DoorReply(uint serial, UhppoteDoorControl c) =>
        new(new { controller = serial, door = c.Door, mode = ModeName(c.Mode), delay = c.OpenSeconds }, [string.Create(CultureInfo.InvariantCulture, $"door {c.Door}: {ModeName(c.Mode)}, open {c.OpenSeconds} s")]);

    private static object EventJson(UhppoteEvent e) => new
    {
        index = e.Index,
        type = Name(e.Type),
        granted = e.Granted,
        door = e.Door,
        direction = Name(e.Direction),
        card = e.Card,
        timestamp = Time(e.Timestamp),
        reason = (byte)e.Reason,
        reasonText = Name(e.Reason),
    };

    private static string EventLine(UhppoteEvent e) => string.Create(
        CultureInfo.InvariantCulture,
        $"{e.Index,-6} {Time(e.Timestamp) ?? "-",-19}  {Name(e.Type),-6} door {e.Door} {Name(e.Direction),-3}  card {e.Card,-10}  {(e.Granted ? "granted" : "denied")}  {Name(e.Reason)} ({(byte)e.Reason})");

    private static object CardJson(UhppoteCard c) => new { card = c.Number, from = Date(c.From), to = Date(c.To), doors = DoorsJson(c.Doors), pin = c.Pin };

    private static string CardLine(UhppoteCard c) => string.Create(CultureInfo.InvariantCulture, $"{c.Number,-10}  {Date(c.From)}  {Date(c.To)}  {c.Doors}{(c.Pin == 0 ? string.Empty : $"  PIN {c.Pin}")}");

    private static Dictionary<string, object> DoorsJson(DoorPermissions p) => Enumerable.Range(1, 4).ToDictionary(
        d => d.ToString(CultureInfo.InvariantCulture),
        d => p[d] switch
        {
            0 => (object)false,
            1 => true,
            var profile => profile,
        });

    private static string Name<T>(T value)
        where T : struct, Enum => Enum.IsDefined(value) ? JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString()) : Convert.ToInt32(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);

    private static string ModeName(DoorControlMode mode) => Name(mode);

    private static string Mac(UhppoteControllerInfo c) => string.Join(':', c.MacAddress.GetAddressBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

    private static string? Date(DateOnly? date) => date?.ToString(DateFormat, CultureInfo.InvariantCulture);

    private static string? Time(DateTime? time) => time?.ToString(TimeFormat, CultureInfo.InvariantCulture);

    private static uint ParseCard(string text) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && CardNumbers.IsStorable(n)
            ? n
            : throw new CliException($"card '{text}' is not a card number a board can hold (1-4294967294, not 16777215)", UsageExitCode);

    private static uint ParseIndex(string text) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new CliException($"index '{text}' is not a whole number 0-4294967295", UsageExitCode);

    private static int ParseDoor(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d is >= 1 and <= 4
            ? d
            : throw new CliException($"door '{text}' is not 1-4", UsageExitCode);

    private static DoorPermissions ParseDoors(string text)
    {
        var doors = text.Split(',', StringSplitOptions.TrimEntries).Select(ParseDoor).ToList();
        return doors.Count == doors.Distinct().Count()
            ? DoorPermissions.Of(doors)
            : throw new CliException($"--doors '{text}' names a door twice", UsageExitCode);
    }

    private static DateOnly ParseDate(string text, string option) =>
        DateOnly.TryParseExact(text, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d
            : throw new CliException($"{option} '{text}' is not a date YYYY-MM-DD", UsageExitCode);

    private static DateTime ParseTime(string text, string option) =>
        DateTime.TryParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) && t.Year is >= 2000 and <= 2099
            ? t
            : throw new CliException($"{option} '{text}' is not a time \"YYYY-MM-DD HH:MM:SS\" in 2000-2099", UsageExitCode);

    private static DoorControlMode ParseMode(string text) => text.ToLowerInvariant() switch
    {
        "controlled" => DoorControlMode.Controlled,
        "normally-open" => DoorControlMode.NormallyOpen,
        "normally-closed" => DoorControlMode.NormallyClosed,
        _ => throw new CliException($"--mode '{text}' is not controlled, normally-open or normally-closed", UsageExitCode),
    };

    private static byte ParseDelay(int seconds) => seconds is >= 0 and <= 255
        ? (byte)seconds
        : throw new CliException(string.Create(CultureInfo.InvariantCulture, $"--delay {seconds} is outside 0-255"), UsageExitCode);

    private static byte ParseInterval(int seconds) => seconds is >= 0 and <= 255
        ? (byte)seconds
        : throw new CliException(string.Create(CultureInfo.InvariantCulture, $"--interval {seconds} is outside 0-255"), UsageExitCode);

    private static IPEndPoint ParseListener(string text) =>
        IPEndPoint.TryParse(text, out var e) && e.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && e.Port != 0
            ? e
            : throw new CliException($"listener '{text}' is not an IPv4 ADDR:PORT", UsageExitCode);

    private static bool ParseOnOff(string text) => text.ToLowerInvariant() switch
    {
        "on" or "true" or "1" => true,
        "off" or "false" or "0" => false,
        _ => throw new CliException($"'{text}' is not on or off", UsageExitCode),
    };

    private static void Usage(Action check)
    {
        try
        {
            check();
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ex.Message, UsageExitCode);
        }
    }
}
