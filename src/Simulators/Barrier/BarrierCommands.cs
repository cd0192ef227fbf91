using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Drivers;
using Gateway.Drivers.Channels;

namespace Gateway.Simulators.Barrier;

/// <summary>
/// <c>gateway-sim barrier --listen ENDPOINT|--pty LINKPATH [--units LIST] [--baud B] [--control URL] [--state FILE] [--parent-pid PID]</c>
/// and <c>gateway-sim present --control URL --unit N --lane L --uid HEX</c>.
/// </summary>
public static class BarrierCommands
{
    public static Command CreateBarrier()
    {
        var listen = new Option<string?>("--listen") { Description = "Serve at tcp://HOST:PORT, rtu+tcp://HOST:PORT or serial://PORT?baud=B (port 0: any free port)" };
        var pty = new Option<string?>("--pty") { Description = "Create a pseudo-terminal, publish it at LINKPATH and serve RTU on it" };
        var units = new Option<string>("--units") { Description = "Unit ids served on the bus: 1, 1-8, 1,3,5", DefaultValueFactory = _ => "1" };
        var baud = new Option<int?>("--baud") { Description = "Emulate the line rate of B baud (11 bits a character plus t3.5)" };
        var control = new Option<string?>("--control") { Description = "Loopback control API, e.g. http://127.0.0.1:0" };
        var state = new Option<string?>("--state") { Description = "Keep the controllers' whitelists and events in FILE across restarts (default: volatile)" };
        var lanes = new Option<int>("--lanes") { Description = "Lanes per controller", DefaultValueFactory = _ => 2 };
        var capacity = new Option<int>("--capacity") { Description = "Whitelist capacity per controller", DefaultValueFactory = _ => 20_000 };
        var events = new Option<int>("--event-capacity") { Description = "Unacknowledged events a controller holds", DefaultValueFactory = _ => 1024 };
        var armTime = new Option<int>("--arm-time-ms") { Description = "Time the arm takes to move, in milliseconds", DefaultValueFactory = _ => 1000 };
        var parentPid = ParentWatch.CreateOption();

        var command = new Command("barrier", "Simulated gateway-barrier/1 controllers (docs/barrier-profile.md) on one bus");
        foreach (var option in new Option[] { listen, pty, units, baud, control, state, lanes, capacity, events, armTime, parentPid })
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            if ((result.GetValue(listen) is null) == (result.GetValue(pty) is null))
            {
                result.AddError("give exactly one of --listen ENDPOINT and --pty LINKPATH");
            }
        });

        command.SetAction((parse, cancellationToken) => RunAsync(async () =>
        {
            var settings = new BarrierSimulatorSettings
            {
                Listen = parse.GetValue(listen) is { } text ? DeviceEndpoint.Parse(text) : null,
                PtyLink = parse.GetValue(pty),
                Units = UnitList.Parse(parse.GetValue(units)!),
                Baud = parse.GetValue(baud),
                ControlUrl = parse.GetValue(control) is { } url ? ParseUrl(url, "--control") : null,
                StatePath = parse.GetValue(state),
                Controller = new SimulatedBarrierOptions
                {
                    Lanes = parse.GetValue(lanes),
                    Capacity = parse.GetValue(capacity),
                    EventCapacity = parse.GetValue(events),
                    ArmTravelTime = TimeSpan.FromMilliseconds(parse.GetValue(armTime)),
                },
            };
            settings.Controller.Validate();
            if (settings.PtyLink is not null && !OperatingSystem.IsLinux())
            {
                throw new ArgumentException("--pty needs Linux pseudo-terminals");
            }

            await using var lifetime = ParentWatch.Start(parse.GetValue(parentPid), cancellationToken);
            await using var simulator = await BarrierSimulator.StartAsync(settings, cancellationToken: lifetime.Token);

            // Tests start the simulator on port 0 and read where it went from these lines.
            Console.WriteLine($"modbus {simulator.ModbusEndpoint} units {string.Join(',', settings.Units)}{(simulator.PtyDevice is { } device ? $" pty {device}" : string.Empty)}{(settings.Baud is { } b ? $" baud {b}" : string.Empty)}");
            if (simulator.ControlUrl is { } bound)
            {
                Console.WriteLine($"control {bound.GetLeftPart(UriPartial.Authority)}");
            }

            Console.WriteLine("ready");
            await Console.Out.FlushAsync(lifetime.Token);
            try
            {
                await Task.Delay(Timeout.Infinite, lifetime.Token);
            }
            catch (OperationCanceledException) when (lifetime.Token.IsCancellationRequested)
            {
                // Ctrl+C, SIGTERM or the parent gone: stop serving, save the state, exit 0.
            }

            return 0;
        }));
        return command;
    }

    public static Command CreatePresent()
    {
        var control = new Option<string>("--control") { Description = "The simulator's control API URL", Required = true };
        var unit = new Option<int>("--unit") { Description = "Unit id of the barrier controller", DefaultValueFactory = _ => 1 };
        var lane = new Option<int>("--lane") { Description = "Lane, from 1", DefaultValueFactory = _ => 1 };
        var uid = new Option<string?>("--uid") { Description = "Card UID, 8 or 14 hex digits" };
        var controller = new Option<uint?>("--controller") { Description = "Serial number of a UHPPOTE board (gateway-sim uhppote) instead of a barrier unit" };
        var door = new Option<int>("--door") { Description = "UHPPOTE door, 1-4", DefaultValueFactory = _ => 1 };
        var card = new Option<uint?>("--card") { Description = "UHPPOTE card number, instead of --uid" };
        var direction = new Option<string?>("--direction") { Description = "UHPPOTE reader: in or out (default in)" };
        var command = new Command("present", "Present a card at a simulated barrier's lane or a simulated UHPPOTE board's door and print the decision");
        foreach (var option in new Option[] { control, unit, lane, uid, controller, door, card, direction })
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            if (result.GetValue(controller) is null && (result.GetValue(uid) is null || result.GetValue(card) is not null))
            {
                result.AddError("a barrier card is given by --uid HEX (--card and --door are for --controller SERIAL)");
            }
        });

        command.SetAction((parse, cancellationToken) => RunAsync(async () =>
        {
            if (parse.GetValue(controller) is { } serial)
            {
                return await Uhppote.UhppoteCommands.PresentAsync(parse.GetValue(control)!, serial, parse.GetValue(door), parse.GetValue(uid), parse.GetValue(card), parse.GetValue(direction), cancellationToken);
            }

            var baseUrl = ParseUrl(parse.GetValue(control)!, "--control");
            using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(10) };
            var path = string.Create(CultureInfo.InvariantCulture, $"units/{parse.GetValue(unit)}/present");
            using var response = await http.PostAsJsonAsync(new Uri(path, UriKind.Relative), new PresentRequest(parse.GetValue(lane), parse.GetValue(uid)!), Json, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var problem = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                var detail = problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty("detail", out var d) ? d.GetString() : response.ReasonPhrase;
                throw new ArgumentException(detail ?? "refused");
            }

            var answer = await response.Content.ReadFromJsonAsync<PresentResponse>(Json, cancellationToken)
                ?? throw new InvalidDataException("empty answer");
            var decision = answer.Decision == Drivers.Barriers.AccessDecision.Granted ? "granted" : $"denied {Kebab(answer.Reason)}";
            Console.WriteLine($"{decision} (sequence {answer.Sequence}, {Kebab(answer.Direction)})");
            return 0;
        }));
        return command;
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private static string Kebab<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());

    private static Uri ParseUrl(string text, string option) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp
            ? new Uri(uri.GetLeftPart(UriPartial.Authority) + "/")
            : throw new ArgumentException($"{option} '{text}' is not an http:// URL");

    private static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (ex is DeviceException or ArgumentException or FormatException or InvalidDataException or IOException or HttpRequestException or UnauthorizedAccessException or JsonException)
        {
            await Console.Error.WriteLineAsync($"gateway-sim: {ex.Message}");
            return 1;
        }
    }
}
