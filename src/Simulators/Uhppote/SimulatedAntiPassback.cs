using Gateway.Drivers.Uhppote;

namespace Gateway.Simulators.Uhppote;

/// <summary>
/// A simulated board's anti-passback (docs/uhppote.md, "Simulator"): the mode set by set-anti-passback
/// (off at first) and, per card and door pair, the side the card last passed; a card is refused at the
/// side it last passed until it passes the other. Not thread-safe: the board's lock guards it.
/// </summary>
internal sealed class SimulatedAntiPassback
{
    private readonly Dictionary<(uint Card, int Pair), int> _lastSide = [];

    public UhppoteAntiPassback Mode { get; private set; }

    /// <summary>set-anti-passback: false for a mode the board does not know. A new mode forgets every card's side.</summary>
    public bool Set(UhppoteAntiPassback mode)
    {
        if (!Enum.IsDefined(mode))
        {
            return false;
        }

        if (mode != Mode)
        {
            _lastSide.Clear();
        }

        Mode = mode;
        return true;
    }

    /// <summary>Whether <paramref name="card"/> passing <paramref name="door"/> again now is passing back.</summary>
    public bool Refuses(uint card, int door) =>
        UhppoteAntiPassbackModes.SideOf(Mode, door) is { } side && _lastSide.TryGetValue((card, side.Pair), out var last) && last == side.Side;

    /// <summary>Records that <paramref name="card"/> was granted at <paramref name="door"/>.</summary>
    public void Passed(uint card, int door)
    {
        if (UhppoteAntiPassbackModes.SideOf(Mode, door) is { } side)
        {
            _lastSide[(card, side.Pair)] = side.Side;
        }
    }

    /// <summary>Takes back a mode a state file kept (an unknown one reads as off); sides are not kept.</summary>
    public void Restore(UhppoteAntiPassback mode) => Mode = Enum.IsDefined(mode) ? mode : UhppoteAntiPassback.Disabled;
}
