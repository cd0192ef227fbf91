using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Drivers.Barriers;
using Gateway.Drivers.Uhppote;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Simulators.Uhppote;

/// <summary>A card at a door: by UID (read through the door's reader format) or by card number.</summary>
public sealed record UhppotePresentRequest(int Door, string? Uid = null, uint? Card = null, string? Direction = null);

/// <summary>The board's decision on a presented card and the event it logged.</summary>
public sealed record UhppotePresentResponse(uint Controller, int Door, uint Card, bool Granted, string Explanation, uint Index, byte Reason, string Time, string Direction);

/// <summary>What the board would decide now, logging nothing.</summary>
public sealed record UhppoteDecisionResponse(uint Controller, int Door, uint Card, bool Granted, string Explanation);

/// <summary>Clock to set: a local time "YYYY-MM-DD HH:MM:SS", or seconds to move it by.</summary>
public sealed record UhppoteClockRequest(string? Time, long? AdvanceSeconds);

/// <summary>Faults for the next replies: drop, delay (delayMs), duplicate, foreign, impostor, garbage.</summary>
public sealed record UhppoteFaultRequest(string Kind, int Count = 1, int DelayMs = 0);

/// <summary>Per-packet processing time.</summary>
public sealed record UhppoteProcessingRequest(int Ms);

/// <summary>A door reader's output format.</summary>
public sealed record UhppoteReaderRequest(string Format);

/// <summary>A reboot, optionally erasing the event log (indexes restart at 1) or the card table.</summary>
public sealed record UhppoteRebootRequest(bool EraseEvents = false, bool EraseCards = false);

/// <summary>Events to log; null count: the log's capacity plus one, so the oldest is overwritten.</summary>
public sealed record UhppoteFloodRequest(int? Count);

/// <summary>A board's state as the control API reports it.</summary>
public sealed record UhppoteBoardState(
    uint Controller,
    string Time,
    int Cards,
    int Slots,
    uint FirstEvent,
    uint LastEvent,
    uint HostIndex,
    string? Listener,
    byte ListenerInterval,
    bool RecordSpecialEvents,
    string AntiPassback,
    double ProcessingMs,
    int PendingFaults,
    IReadOnlyList<SimulatedDoorState> Doors);

/// <summary>A card record as the control API lists it.</summary>
public sealed record UhppoteCardResponse(uint Card, string From, string To, IReadOnlyDictionary<string, int> Doors, uint Pin);

/// <summary>An event as the control API lists it.</summary>
public sealed record UhppoteEventResponse(uint Index, UhppoteEventType Type, bool Granted, int Door, UhppoteDirection Direction, uint Card, string? Time, byte Reason);

/// <summary>
/// The loopback HTTP control API of <c>gateway-sim uhppote</c>: present cards, read and move clocks,
/// list card tables and events, inject faults (docs/uhppote.md, "Simulator").
/// </summary>
public static class UhppoteControlApi
{
    private const string TimeFormat = "yyyy-MM-dd HH:mm:ss";

    public static void AddServices(IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
        });
    }

    public static void Map(IEndpointRouteBuilder app, UhppoteSimulator simulator)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(simulator);
        app.MapGet("/controllers", () => Results.Ok(simulator.Boards.Values.OrderBy(b => b.Serial).Select(b => State(simulator, b))));
        app.MapGet("/controllers/{serial}", (string serial) => With(simulator, serial, b => Results.Ok(State(simulator, b))));
        app.MapGet("/statistics", () => Results.Ok(simulator.Statistics));
        app.MapPost("/held/release", () => Results.Ok(new { released = simulator.ReleaseHeld() }));
        app.MapPost("/controllers/{serial}/present", (string serial, UhppotePresentRequest request) => With(simulator, serial, b =>
        {
            if (!TryCardAt(b, request.Door, request.Uid, request.Card, out var card, out var problem))
            {
                return problem;
            }

            UhppoteDirection? direction = request.Direction?.ToLowerInvariant() switch
            {
                null or "in" => UhppoteDirection.In,
                "out" => UhppoteDirection.Out,
                _ => null,
            };
            if (direction is null)
            {
                return Invalid($"direction '{request.Direction}' is not in or out");
            }

            var outcome = b.Present(request.Door, card, direction.Value);
            var e = outcome.Event;
            return Results.Ok(new UhppotePresentResponse(b.Serial, request.Door, card, e.Granted, outcome.Explanation, e.Index, (byte)e.Reason, Time(e.Timestamp), direction == UhppoteDirection.In ? "in" : "out"));
        }));
        app.MapGet("/controllers/{serial}/doors/{door:int}/decision", (string serial, int door, string? uid, uint? card) => With(simulator, serial, b =>
        {
            if (!TryCardAt(b, door, uid, card, out var number, out var problem))
            {
                return problem;
            }

            var (granted, explanation) = b.Decide(door, number);
            return Results.Ok(new UhppoteDecisionResponse(b.Serial, door, number, granted, explanation));
        }));
        app.MapPut("/controllers/{serial}/clock", (string serial, UhppoteClockRequest request) => With(simulator, serial, b =>
        {
            if (request.Time is { } text)
            {
                if (!DateTime.TryParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) || time.Year is < 2000 or > 2099)
                {
                    return Invalid($"time '{text}' is not YYYY-MM-DD HH:MM:SS in 2000-2099");
                }

                b.SetClock(time);
            }
            else if (request.AdvanceSeconds is { } seconds)
            {
                b.AdvanceClock(TimeSpan.FromSeconds(seconds));
            }
            else
            {
                return Invalid("give time or advanceSeconds");
            }

            return Results.Ok(State(simulator, b));
        }));
        app.MapGet("/controllers/{serial}/cards", (string serial) => With(simulator, serial, b => Results.Ok(b.Cards().Select(CardResponse))));
        app.MapGet("/controllers/{serial}/cards/{card}", (string serial, uint card) => With(simulator, serial, b =>
            b.Card(card) is { } record
                ? Results.Ok(CardResponse(record))
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "no such card", detail: string.Create(CultureInfo.InvariantCulture, $"controller {b.Serial} holds no card {card}"))));
        app.MapGet("/controllers/{serial}/events", (string serial, uint? from, int? count) => With(simulator, serial, b =>
            Results.Ok(b.Events(from ?? 0, Math.Clamp(count ?? 1000, 1, 100_000)).Select(e =>
                new UhppoteEventResponse(e.Index, e.Type, e.Granted, e.Door, e.Direction, e.Card, Time(e.Timestamp), (byte)e.Reason)))));
        app.MapPost("/controllers/{serial}/faults", (string serial, UhppoteFaultRequest request) => With(simulator, serial, b =>
        {
            if (!Enum.TryParse<UhppoteFaultKind>(request.Kind, ignoreCase: true, out var kind) || !Enum.IsDefined(kind) || int.TryParse(request.Kind, out _)
                || request.Count is < 1 or > 100_000 || request.DelayMs is < 0 or > 600_000)
            {
                return Invalid("kind is drop, delay, duplicate, foreign, impostor, garbage or hold; count 1-100000; delayMs 0-600000");
            }

            simulator.InjectFaults(b.Serial, new UhppoteFault(kind, TimeSpan.FromMilliseconds(request.DelayMs)), request.Count);
            return Results.Ok(State(simulator, b));
        }));
        app.MapDelete("/controllers/{serial}/faults", (string serial) => With(simulator, serial, b => Results.Ok(new { cleared = simulator.ClearFaults(b.Serial) })));
        app.MapPut("/controllers/{serial}/processing", (string serial, UhppoteProcessingRequest request) => With(simulator, serial, b =>
        {
            if (request.Ms is < 0 or > 10_000)
            {
                return Invalid("ms is 0-10000");
            }

            b.ProcessingTime = TimeSpan.FromMilliseconds(request.Ms);
            return Results.Ok(State(simulator, b));
        }));
        app.MapPut("/controllers/{serial}/doors/{door:int}/reader", (string serial, int door, UhppoteReaderRequest request) => With(simulator, serial, b =>
        {
            if (door < 1 || door > b.Options.Doors)
            {
                return Invalid($"door {door}: the board has doors 1-{b.Options.Doors}");
            }

            if (!ReaderFormat.TryParse(request.Format, out var format))
            {
                return Invalid($"format '{request.Format}' is not w34, w34-lsb, w26 or w26-lsb");
            }

            b.SetReader(door, format);
            return Results.Ok(State(simulator, b));
        }));
        app.MapPost("/controllers/{serial}/reboot", (string serial, UhppoteRebootRequest? request) => With(simulator, serial, b =>
        {
            b.Reboot(request?.EraseEvents ?? false, request?.EraseCards ?? false);
            return Results.Ok(State(simulator, b));
        }));
        app.MapPost("/controllers/{serial}/flood", (string serial, UhppoteFloodRequest? request) => With(simulator, serial, b =>
        {
            var count = request?.Count ?? (b.Options.EventCapacity + 1);
            if (count is < 0 or > 1_000_000)
            {
                return Invalid("count is 0-1000000");
            }

            b.Flood(count);
            return Results.Ok(State(simulator, b));
        }));
    }

    private static bool TryCardAt(SimulatedUhppoteBoard board, int door, string? uid, uint? card, out uint number, out IResult problem)
    {
        number = 0;
        problem = Results.Empty;
        if (door < 1 || door > board.Options.Doors)
        {
            problem = Invalid($"door {door}: the board has doors 1-{board.Options.Doors}");
            return false;
        }

        if ((uid is null) == (card is null))
        {
            problem = Invalid("give exactly one of uid and card");
            return false;
        }

        if (card is { } n)
        {
            number = n;
            return true;
        }

        if (!CardUid.TryParse(uid, out var parsed))
        {
            problem = Invalid($"'{uid}' is not a card UID (8 or 14 hex digits)");
            return false;
        }

        number = board.CardNumberOf(door, parsed);
        return true;
    }

    private static IResult With(UhppoteSimulator simulator, string serial, Func<SimulatedUhppoteBoard, IResult> action) =>
        uint.TryParse(serial, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && simulator.Boards.TryGetValue(s, out var board)
            ? action(board)
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "no such controller", detail: $"controller {serial} is not simulated here");

    private static IResult Invalid(string detail) => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "invalid request", detail: detail);

    private static string Time(DateTime? time) => time?.ToString(TimeFormat, CultureInfo.InvariantCulture) ?? string.Empty;

    private static UhppoteCardResponse CardResponse(UhppoteCard c) => new(
        c.Number,
        c.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        c.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        new Dictionary<string, int> { ["1"] = c.Doors.Door1, ["2"] = c.Doors.Door2, ["3"] = c.Doors.Door3, ["4"] = c.Doors.Door4 },
        c.Pin);

    private static UhppoteBoardState State(UhppoteSimulator simulator, SimulatedUhppoteBoard b)
    {
        var listener = b.Listener;
        return new UhppoteBoardState(
            b.Serial,
            Time(b.Now),
            b.CardCount,
            b.SlotCount,
            b.FirstIndex,
            b.LastIndex,
            b.HostIndex,
            listener.Port == 0 ? null : listener.ToString(),
            b.ListenerInterval,
            b.RecordSpecialEvents,
            UhppoteAntiPassbackModes.ToText(b.AntiPassback),
            b.ProcessingTime.TotalMilliseconds,
            simulator.PendingFaults(b.Serial),
            b.DoorStates());
    }
}
