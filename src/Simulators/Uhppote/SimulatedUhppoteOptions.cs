using System.Net;
using System.Net.NetworkInformation;
using Gateway.Drivers.Uhppote;
using Gateway.Drivers.Uhppote.Codec;

namespace Gateway.Simulators.Uhppote;

/// <summary>Settings of one simulated board.</summary>
public sealed record SimulatedUhppoteOptions
{
    /// <summary>Doors: 1, 2 or 4 (UT0311-L01, -L02, -L04).</summary>
    public int Doors { get; init; } = 4;

    /// <summary>Card records the table holds.</summary>
    public int CardCapacity { get; init; } = 20_000;

    /// <summary>Events the log holds before the oldest are overwritten.</summary>
    public int EventCapacity { get; init; } = 1024;

    /// <summary>What every door's reader outputs for a UID, until set per door.</summary>
    public ReaderFormat ReaderFormat { get; init; } = ReaderFormat.Default;

    /// <summary>Time the board takes over each packet addressed to it, before it answers.</summary>
    public TimeSpan ProcessingTime { get; init; } = TimeSpan.Zero;

    /// <exception cref="ArgumentOutOfRangeException">A value outside its range.</exception>
    public void Validate()
    {
        if (Doors is not (1 or 2 or 4))
        {
            throw new ArgumentOutOfRangeException(nameof(Doors), Doors, "a board has 1, 2 or 4 doors");
        }

        if (CardCapacity is < 1 or > 1_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(CardCapacity), CardCapacity, "card capacity is 1-1000000");
        }

        if (EventCapacity is < 1 or > 1_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(EventCapacity), EventCapacity, "event capacity is 1-1000000");
        }

        if (ProcessingTime < TimeSpan.Zero || ProcessingTime > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentOutOfRangeException(nameof(ProcessingTime), ProcessingTime, "processing time is 0-10000 ms");
        }
    }
}

/// <summary>One door's settings and lock.</summary>
public sealed record SimulatedDoorState(int Door, DoorControlMode Mode, byte OpenSeconds, string Reader, bool Unlocked);

/// <summary>The answer of a card presented at a door: the event logged and why the board decided so.</summary>
/// <param name="Event">The event the board logged.</param>
/// <param name="Explanation">Why, in the simulator's words: granted, unknown, no-door-permission, not-yet-valid, expired, time-profile, anti-passback, door-normally-closed.</param>
public sealed record PresentOutcome(UhppoteEvent Event, string Explanation);

/// <summary>What a board keeps across restarts of the simulator (the --state file).</summary>
public sealed record UhppoteBoardSnapshot(
    IReadOnlyList<UhppoteCard?> Slots,
    IReadOnlyList<UhppoteEvent> Events,
    uint LastIndex,
    uint HostIndex,
    long ClockOffsetSeconds,
    IReadOnlyList<SimulatedDoorState> Doors,
    string? Listener,
    byte ListenerInterval,
    bool RecordSpecialEvents,
    UhppoteAntiPassback AntiPassback = UhppoteAntiPassback.Disabled);

