using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Drivers.Uhppote;

namespace Gateway.Simulators.Uhppote;

/// <summary>
/// <c>gateway-sim uhppote --listen udp://127.0.0.1:PORT [--controllers SERIAL,...] [--doors 1|2|4] [--control URL] [--state FILE]</c>,
/// and the UHPPOTE form of <c>gateway-sim present --control URL --controller SERIAL --door N --uid HEX|--card NUMBER</c>.
/// </summary>
public static class UhppoteCommands
{
    /// <summary>Serial number simulated when none is given (the board of uhppoted's recorded replies).</summary>
    public const uint DefaultSerial = 405419896;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "Answer at udp://ADDRESS:PORT (port 0: any free port)", Required = true };
        var controllers = new Option<string>("--controllers") { Description = "Serial numbers of the boards, comma-separated", DefaultValueFactory = _ => DefaultSerial.ToString(CultureInfo.InvariantCulture) };
        var doors = new Option<int>("--doors") { Description = "Doors per board: 1, 2 or 4", DefaultValueFactory = _ => 4 };
        var control = new Option<string?>("--control") { Description = "Loopback control API, e.g. http://127.0.0.1:0" };
        var state = new Option<string?>("--state") { Description = "Keep the boards' cards, events and settings in FILE across restarts (default: in memory)" };
        var cardCapacity = new Option<int>("--card-capacity") { Description = "Card records a board holds", DefaultValueFactory = _ => 20_000 };
        var eventCapacity = new Option<int>("--event-capacity") { Description = "Events a board holds before the oldest are overwritten", DefaultValueFactory = _ => 1024 };
        var reader = new Option<string>("--reader") { Description = "What every door's reader outputs: w34, w34-lsb, w26 or w26-lsb", DefaultValueFactory = _ => "w34" };
        var processing = new Option<int>("--processing-ms") { Description = "Time a board takes over each packet, in milliseconds", DefaultValueFactory = _ => 0 };
        var parentPid = ParentWatch.CreateOption();

        var command = new Command("uhppote", "Simulated UHPPOTE / WG-series access controllers (docs/uhppote.md) behind one UDP address");
        foreach (var option in new Option[] { listen, controllers, doors, control, state, cardCapacity, eventCapacity, reader, processing, parentPid })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => SimulatorCommandLine.RunAsync(async () =>
        {
            var settings = new UhppoteSimulatorSettings
            {
                Listen = ParseListen(parse.GetValue(listen)!),
                Controllers = ParseSerials(parse.GetValue(controllers)!),
                ControlUrl = parse.GetValue(control) is { } url ? SimulatorCommandLine.ParseUrl(url, "--control") : null,
                StatePath = parse.GetValue(state),
                Board = new SimulatedUhppoteOptions
                {
                    Doors = parse.GetValue(doors),
                    CardCapacity = parse.GetValue(cardCapacity),
                    EventCapacity = parse.GetValue(eventCapacity),
                    ReaderFormat = ReaderFormat.TryParse(parse.GetValue(reader), out var format)
                        ? format
                        : throw new ArgumentException($"--reader '{parse.GetValue(reader)}' is not w34, w34-lsb, w26 or w26-lsb"),
                    ProcessingTime = TimeSpan.FromMilliseconds(parse.GetValue(processing)),
                },
            };
            CheckOptions(settings.Board);
            await using var lifetime = ParentWatch.Start(parse.GetValue(parentPid), cancellationToken);
            await using var simulator = await UhppoteSimulator.StartAsync(settings, cancellationToken: lifetime.Token);

            // Tests start the simulator on port 0 and read where it went from these lines.
            Console.WriteLine($"uhppote udp://{simulator.Endpoint} controllers {string.Join(',', settings.Controllers)}");
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
                // Ctrl+C, SIGTERM or the parent gone: stop answering, save the state, exit 0.
            }

            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Presents a card at a simulated board's door through the control API and prints the decision:
    /// <c>granted (event 3, door 1, card 10058400)</c> or <c>denied expired (event 4, door 1, card 10058400)</c>.
    /// </summary>
    public static async Task<int> PresentAsync(string control, uint controller, int door, string? uid, uint? card, string? direction, CancellationToken cancellationToken)
    {
        if ((uid is null) == (card is null))
        {
            throw new ArgumentException("give exactly one of --uid HEX and --card NUMBER");
        }

        var baseUrl = SimulatorCommandLine.ParseUrl(control, "--control");
        using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(10) };
        var path = string.Create(CultureInfo.InvariantCulture, $"controllers/{controller}/present");
        using var response = await http.PostAsJsonAsync(new Uri(path, UriKind.Relative), new UhppotePresentRequest(door, uid, card, direction), Json, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            var detail = problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty("detail", out var d) ? d.GetString() : response.ReasonPhrase;
            throw new ArgumentException(detail ?? "refused");
        }

        var answer = await response.Content.ReadFromJsonAsync<UhppotePresentResponse>(Json, cancellationToken)
            ?? throw new InvalidDataException("empty answer");
        var decision = answer.Granted ? "granted" : $"denied {answer.Explanation}";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{decision} (event {answer.Index}, door {answer.Door}, card {answer.Card})"));
        return 0;
    }

    internal static IPEndPoint ParseListen(string text)
    {
        if (!UhppoteEndpoint.TryParse(text, out var endpoint, out var error))
        {
            throw new ArgumentException($"--listen: {error}");
        }

        return IPAddress.TryParse(endpoint.Host, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? new IPEndPoint(address, endpoint.Port)
            : throw new ArgumentException($"--listen '{text}': give an IPv4 address (e.g. udp://127.0.0.1:0 or udp://0.0.0.0:60000)");
    }

    internal static IReadOnlyList<uint> ParseSerials(string text)
    {
        var serials = new List<uint>();
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!uint.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var serial) || serial == 0)
            {
                throw new ArgumentException($"--controllers: '{item}' is not a serial number (1-4294967295)");
            }

            if (serials.Contains(serial))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--controllers: {serial} appears twice"));
            }

            serials.Add(serial);
        }

        return serials;
    }

    private static void CheckOptions(SimulatedUhppoteOptions o)
    {
        static ArgumentException Bad(string message) => new(message);
        if (o.Doors is not (1 or 2 or 4))
        {
            throw Bad(string.Create(CultureInfo.InvariantCulture, $"--doors {o.Doors}: a board has 1, 2 or 4 doors"));
        }

        if (o.CardCapacity is < 1 or > 1_000_000)
        {
            throw Bad(string.Create(CultureInfo.InvariantCulture, $"--card-capacity {o.CardCapacity}: give 1-1000000"));
        }

        if (o.EventCapacity is < 1 or > 1_000_000)
        {
            throw Bad(string.Create(CultureInfo.InvariantCulture, $"--event-capacity {o.EventCapacity}: give 1-1000000"));
        }

        if (o.ProcessingTime < TimeSpan.Zero || o.ProcessingTime > TimeSpan.FromSeconds(10))
        {
            throw Bad(string.Create(CultureInfo.InvariantCulture, $"--processing-ms {o.ProcessingTime.TotalMilliseconds}: give 0-10000"));
        }
    }
}
