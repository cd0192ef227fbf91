using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Drivers.Barriers;
using Gateway.Drivers.Modbus;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Simulators.Barrier;

/// <summary>A card presented at a lane.</summary>
public sealed record PresentRequest(int Lane, string Uid);

/// <summary>The controller's answer to a presented card.</summary>
public sealed record PresentResponse(uint Sequence, AccessDecision Decision, DenyReason Reason, LaneDirection Direction, long Time);

/// <summary>Clock to set: UTC seconds, or an ISO 8601 time.</summary>
public sealed record ClockRequest(uint? Seconds, DateTimeOffset? Time);

/// <summary>Faults for the next replies: kind delay, drop, corrupt or busy.</summary>
public sealed record FaultRequest(string Kind, int Count = 1, int DelayMs = 0);

/// <summary>Events to log (unknown cards at lane 1); null count: the ring's capacity plus one, so it overflows.</summary>
public sealed record FloodRequest(int? Count);

/// <summary>Lane inputs to set.</summary>
public sealed record LaneRequest(bool? VehiclePresent, bool? Fault);

/// <summary>A whitelist record changed behind the master's back.</summary>
public sealed record TamperRequest(uint ValidFrom, uint ValidTo, bool Blocked = false);

/// <summary>A controller's state as the control API reports it.</summary>
public sealed record UnitStateResponse(
    int Unit,
    uint BootId,
    uint Clock,
    int WhitelistCount,
    string Digest,
    uint LastSequence,
    uint Acknowledged,
    uint Overflow,
    IReadOnlyList<SimulatedLaneState> Lanes,
    int AcknowledgementsToRefuse = 0);

/// <summary>One controller's view of a card, from <c>GET /whitelist/{uid}</c>: its entry (if any) and the decision it would make at lane 1 now.</summary>
public sealed record WhitelistLookupResponse(int Unit, bool Held, uint? ValidFrom, uint? ValidTo, bool? Blocked, AccessDecision Decision, DenyReason Reason);

/// <summary>One whitelist record as the control API lists it.</summary>
public sealed record WhitelistEntryResponse(string Uid, uint ValidFrom, uint ValidTo, bool Blocked);

/// <summary>What the Modbus engine saw on the line or connections.</summary>
public sealed record StatisticsResponse(long BytesReceived, long BytesSent, long FramesReceived, long FramesSent, long CorruptFrames, long ExceptionsSent, double EmulatedLineMs);

/// <summary>
/// The loopback HTTP control API of <c>gateway-sim barrier</c>: present cards, set clocks, inject
/// faults, read state and the engine's byte and frame counters (docs/barrier-profile.md, "Simulator").
/// </summary>
public static class BarrierControlApi
{
    public static void AddServices(IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
        });
    }

    public static void Map(IEndpointRouteBuilder app, BarrierSimulator simulator)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(simulator);
        app.MapGet("/units", () => Results.Ok(simulator.Units.Select(u => State(u.Key, u.Value))));
        app.MapGet("/units/{unit:int}", (int unit) => WithUnit(simulator, unit, sim => Results.Ok(State(unit, sim))));
        app.MapGet("/statistics", () =>
        {
            var s = simulator.Statistics;
            return Results.Ok(new StatisticsResponse(s.BytesReceived, s.BytesSent, s.FramesReceived, s.FramesSent, s.CorruptFrames, s.ExceptionsSent, s.EmulatedLineTime.TotalMilliseconds));
        });
        // Every unit's view of one card in one request, with no event logged and nothing on the bus.
        app.MapGet("/whitelist/{uid}", (string uid) =>
        {
            if (!CardUid.TryParse(uid, out var card))
            {
                return Invalid($"'{uid}' is not a card UID (8 or 14 hex digits)");
            }

            return Results.Ok(simulator.Units.OrderBy(u => u.Key).Select(u =>
            {
                var (reason, entry) = u.Value.Lookup(1, card);
                return new WhitelistLookupResponse(u.Key, entry is not null, entry?.ValidFromSeconds, entry?.ValidToSeconds, entry?.Blocked, reason == DenyReason.None ? AccessDecision.Granted : AccessDecision.Denied, reason);
            }).ToList());
        });
        app.MapPost("/units/{unit:int}/present", (int unit, PresentRequest request) => WithUnit(simulator, unit, sim =>
        {
            if (!CardUid.TryParse(request.Uid, out var uid))
            {
                return Invalid($"'{request.Uid}' is not a card UID (8 or 14 hex digits)");
            }

            if (request.Lane < 1 || request.Lane > sim.Options.Lanes)
            {
                return Invalid($"lane {request.Lane}: lanes are 1..{sim.Options.Lanes}");
            }

            var e = sim.Present(request.Lane, uid);
            return Results.Ok(new PresentResponse(e.Sequence, e.Decision, e.Reason, e.Direction, e.Time.ToUnixTimeSeconds()));
        }));
        app.MapPut("/units/{unit:int}/clock", (int unit, ClockRequest request) => WithUnit(simulator, unit, sim =>
        {
            var seconds = request.Seconds ?? (request.Time is { } t ? (uint)Math.Clamp(t.ToUnixTimeSeconds(), 0, uint.MaxValue) : (uint?)null);
            if (seconds is not { } value)
            {
                return Invalid("give seconds or time");
            }

            sim.SetClock(value);
            return Results.Ok(State(unit, sim));
        }));
        app.MapPost("/units/{unit:int}/faults", (int unit, FaultRequest request) => WithUnit(simulator, unit, sim =>
        {
            if (string.Equals(request.Kind, "refuse-ack", StringComparison.OrdinalIgnoreCase))
            {
                if (request.Count is < 0 or > 100_000)
                {
                    return Invalid("count 0..100000");
                }

                sim.RefuseAcknowledgements(request.Count);
                return Results.NoContent();
            }

            ModbusFaultKind? kind = request.Kind.ToLowerInvariant() switch
            {
                "delay" => ModbusFaultKind.Delay,
                "drop" => ModbusFaultKind.Drop,
                "corrupt" => ModbusFaultKind.CorruptChecksum,
                "busy" => ModbusFaultKind.Busy,
                _ => null,
            };
            if (kind is null || request.Count is < 1 or > 100_000 || request.DelayMs is < 0 or > 600_000)
            {
                return Invalid("kind is delay, drop, corrupt, busy or refuse-ack; count 1..100000; delayMs 0..600000");
            }

            sim.InjectFaults(new ModbusFault(kind.Value, TimeSpan.FromMilliseconds(request.DelayMs)), request.Count);
            return Results.NoContent();
        }));
        app.MapDelete("/units/{unit:int}/faults", (int unit) => WithUnit(simulator, unit, sim => Results.Ok(new { cleared = sim.ClearFaults() })));
        app.MapPost("/units/{unit:int}/reboot", (int unit) => WithUnit(simulator, unit, sim =>
        {
            sim.Reboot();
            return Results.Ok(State(unit, sim));
        }));
        app.MapPost("/units/{unit:int}/flood", (int unit, FloodRequest? request) => WithUnit(simulator, unit, sim =>
        {
            var count = request?.Count ?? (sim.Options.EventCapacity + 1);
            if (count is < 0 or > 1_000_000)
            {
                return Invalid("count is 0..1000000");
            }

            sim.FloodEvents(count);
            return Results.Ok(State(unit, sim));
        }));
        app.MapPut("/units/{unit:int}/lanes/{lane:int}", (int unit, int lane, LaneRequest request) => WithUnit(simulator, unit, sim =>
        {
            if (lane < 1 || lane > sim.Options.Lanes)
            {
                return Invalid($"lane {lane}: lanes are 1..{sim.Options.Lanes}");
            }

            if (request.VehiclePresent is { } present)
            {
                sim.SetVehiclePresent(lane, present);
            }

            if (request.Fault is { } fault)
            {
                sim.SetLaneFault(lane, fault);
            }

            return Results.Ok(sim.LaneState(lane));
        }));
        app.MapPut("/units/{unit:int}/whitelist/{uid}", (int unit, string uid, TamperRequest request) => WithUnit(simulator, unit, sim =>
        {
            if (!CardUid.TryParse(uid, out var card))
            {
                return Invalid($"'{uid}' is not a card UID");
            }

            if (request.ValidTo < request.ValidFrom)
            {
                return Invalid("validTo is before validFrom");
            }

            sim.Tamper(upsert: new WhitelistEntry(card, request.ValidFrom, request.ValidTo, request.Blocked));
            return Results.Ok(State(unit, sim));
        }));
        app.MapGet("/units/{unit:int}/whitelist", (int unit) => WithUnit(simulator, unit, sim => Results.Ok(
            sim.Whitelist().OrderBy(e => e.Uid).Select(e => new WhitelistEntryResponse(e.Uid.ToString(), e.ValidFromSeconds, e.ValidToSeconds, e.Blocked)))));
        app.MapDelete("/units/{unit:int}/whitelist/{uid}", (int unit, string uid) => WithUnit(simulator, unit, sim =>
        {
            if (!CardUid.TryParse(uid, out var card))
            {
                return Invalid($"'{uid}' is not a card UID");
            }

            sim.Tamper(delete: card);
            return Results.Ok(State(unit, sim));
        }));
    }

    private static IResult WithUnit(BarrierSimulator simulator, int unit, Func<SimulatedBarrierController, IResult> action) =>
        unit is >= 1 and <= 247 && simulator.Units.TryGetValue((byte)unit, out var sim)
            ? action(sim)
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "no such unit", detail: $"unit {unit} is not simulated here");

    private static IResult Invalid(string detail) => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "invalid request", detail: detail);

    private static UnitStateResponse State(int unit, SimulatedBarrierController sim) => new(
        unit,
        sim.BootId,
        sim.ClockSeconds,
        sim.WhitelistCount,
        sim.Digest.ToString("X16", CultureInfo.InvariantCulture),
        sim.LastSequence,
        sim.Acknowledged,
        sim.Overflow,
        [.. Enumerable.Range(1, sim.Options.Lanes).Select(sim.LaneState)],
        sim.AcknowledgementsToRefuse);
}
