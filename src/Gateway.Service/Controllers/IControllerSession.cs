using Gateway.Service.Site;

namespace Gateway.Service.Controllers;

/// <summary>
/// The seam between the sync engine and a controller family: one controller as its worker drives it.
/// Each turn does at most one short step of the family's own work — apply a slice of an outbox change,
/// compare the controller with what it should hold and repair the differences, read its events, set its
/// clock — and the session reports its health. Implemented by <see cref="ControllerSession"/> for every
/// family, over the family's <see cref="ControllerAdapter"/> (<see cref="BarrierAdapter"/> for the
/// gateway-barrier/1 profile, <see cref="BoardAdapter"/> for UHPPOTE boards). Every family opens a lane or
/// door on command (<see cref="IGateOpener"/>, its <see cref="IGateOpener.Device"/> included).
/// </summary>
public interface IControllerSession : IGateOpener
{
    /// <summary>When this controller last had a turn for routine work (outbox changes go first, but not for ever).</summary>
    DateTimeOffset LastRoutineTurn { get; }

    /// <summary>What the engine knows of the controller now.</summary>
    ControllerHealth Health();

    /// <summary>True when the outbox moved past what this controller applied and its next turn can take the change.</summary>
    bool HasOutboxChange(DateTimeOffset now);

    /// <summary>Does the next step, if one is due. False when there was nothing to do (or the controller is backing off).</summary>
    Task<bool> TurnAsync(CancellationToken cancellationToken);

    /// <summary>Starts over as after a reconnect (the worker stopped on an unexpected error).</summary>
    void Restart();

    /// <summary>Asks for a comparison with the expected state (and a repair) at the next turn.</summary>
    void RequestCheck();

    /// <summary>Asks for a clock reading at the next turn.</summary>
    void RequestClock();

    /// <summary>Asks for the events to be read at the next turn.</summary>
    void RequestEvents();
}
