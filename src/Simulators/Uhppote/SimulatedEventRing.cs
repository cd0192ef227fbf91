using Gateway.Drivers.Uhppote;
using Gateway.Drivers.Uhppote.Codec;

namespace Gateway.Simulators.Uhppote;

/// <summary>
/// A simulated board's event log: indexes count up from 1, the ring holds the newest
/// <c>capacity</c> events and overwrites the oldest, and the host's acknowledged index is kept beside it
/// (get/set-event-index). Not thread-safe: the board's lock guards it.
/// </summary>
internal sealed class SimulatedEventRing(int capacity)
{
    private readonly UhppoteEvent?[] _ring = new UhppoteEvent?[capacity];

    public int Capacity => _ring.Length;

    /// <summary>Index of the newest event logged (0 when none).</summary>
    public uint LastIndex { get; private set; }

    /// <summary>The index the host acknowledged (set-event-index).</summary>
    public uint HostIndex { get; private set; }

    /// <summary>Index of the oldest event still held (0 when none).</summary>
    public uint OldestIndex => LastIndex == 0 ? 0 : LastIndex - Math.Min(LastIndex, (uint)_ring.Length) + 1;

    /// <summary>The newest event, or null.</summary>
    public UhppoteEvent? Latest => LastIndex == 0 ? null : At(LastIndex);

    /// <summary>Logs an event at the next index, overwriting the oldest when the ring is full.</summary>
    public UhppoteEvent Append(UhppoteEventType type, bool granted, byte door, UhppoteDirection direction, uint card, DateTime time, UhppoteEventReason reason)
    {
        LastIndex++;
        var e = new UhppoteEvent(LastIndex, type, granted, door, direction, card, time, reason);
        _ring[(LastIndex - 1) % (uint)_ring.Length] = e;
        return e;
    }

    /// <summary>The events held with index from <paramref name="from"/>, at most <paramref name="count"/>.</summary>
    public IReadOnlyList<UhppoteEvent> From(uint from, int count)
    {
        var list = new List<UhppoteEvent>();
        for (var index = Math.Max(from, OldestIndex); index != 0 && index <= LastIndex && list.Count < count; index++)
        {
            list.Add(At(index));
        }

        return list;
    }

    /// <summary>
    /// get-event's answer for <paramref name="index"/>: 0 asks for the oldest event held, 0xFFFFFFFF for the
    /// newest (uhppote-simulator eventslist.go); past the end, index 0; overwritten, type 0xFF.
    /// </summary>
    public EventResponse Read(uint serial, uint index)
    {
        var oldest = OldestIndex;
        if (oldest == 0)
        {
            return EventResponse.NotYet(serial);
        }

        var at = index switch
        {
            0 => oldest,
            uint.MaxValue => LastIndex,
            _ => index,
        };
        if (at < oldest)
        {
            return EventResponse.Overwritten(serial);
        }

        return at > LastIndex ? EventResponse.NotYet(serial) : EventResponse.Of(serial, At(at));
    }

    /// <summary>set-event-index: false when the index is unchanged or beyond the last event.</summary>
    public bool SetHostIndex(uint index)
    {
        if (index == HostIndex || index > LastIndex)
        {
            return false;
        }

        HostIndex = index;
        return true;
    }

    /// <summary>Empties the log: indexes restart at 1 (a reset).</summary>
    public void Erase()
    {
        Array.Clear(_ring);
        LastIndex = 0;
        HostIndex = 0;
    }

    /// <summary>Takes back what a state file kept: the events still within the ring, the last and the host's index.</summary>
    public void Restore(IEnumerable<UhppoteEvent> events, uint lastIndex, uint hostIndex)
    {
        foreach (var e in events.Where(e => e.Index > lastIndex - Math.Min(lastIndex, (uint)_ring.Length)))
        {
            _ring[(e.Index - 1) % (uint)_ring.Length] = e;
        }

        LastIndex = lastIndex;
        HostIndex = hostIndex;
    }

    private UhppoteEvent At(uint index) => _ring[(index - 1) % (uint)_ring.Length]!;
}
