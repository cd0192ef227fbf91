using Gateway.Drivers.Uhppote;

namespace Gateway.Simulators.Uhppote;

/// <summary>
/// A simulated board's card table, as uhppoted's uhppote-simulator keeps it: records in slots read by
/// index (1-based), a deleted record leaves its slot marked deleted and the lowest such slot is reused
/// first; no more records than the capacity. Not thread-safe: the board's lock guards it.
/// </summary>
internal sealed class SimulatedCardTable(int capacity)
{
    private readonly List<UhppoteCard?> _slots = [];
    private readonly Dictionary<uint, int> _slotOf = [];
    private readonly SortedSet<int> _freeSlots = [];

    /// <summary>Live records.</summary>
    public int Count => _slotOf.Count;

    /// <summary>Slots used so far, deleted ones included.</summary>
    public int SlotCount => _slots.Count;

    /// <summary>The record of <paramref name="number"/>, or null.</summary>
    public UhppoteCard? Find(uint number) => _slotOf.TryGetValue(number, out var slot) ? _slots[slot] : null;

    /// <summary>The slot at 1-based <paramref name="index"/>: its record, whether it was deleted, and whether the table reaches that far.</summary>
    public (UhppoteCard? Card, bool Deleted) AtIndex(uint index) =>
        index >= 1 && index <= _slots.Count
            ? (_slots[(int)index - 1], _slots[(int)index - 1] is null)
            : (null, false);

    /// <summary>Adds or replaces the record of <paramref name="card"/>'s number; false when the table is full.</summary>
    public bool Put(UhppoteCard card)
    {
        if (_slotOf.TryGetValue(card.Number, out var existing))
        {
            _slots[existing] = card;
        }
        else if (_freeSlots.Count > 0)
        {
            var slot = _freeSlots.Min;
            _freeSlots.Remove(slot);
            _slots[slot] = card;
            _slotOf[card.Number] = slot;
        }
        else if (_slots.Count < capacity)
        {
            _slots.Add(card);
            _slotOf[card.Number] = _slots.Count - 1;
        }
        else
        {
            return false;
        }

        return true;
    }

    /// <summary>Deletes the record of <paramref name="number"/>; false when there is none.</summary>
    public bool Delete(uint number)
    {
        if (!_slotOf.Remove(number, out var slot))
        {
            return false;
        }

        // The slot stays, marked deleted (card number 0xFFFFFFFF when read by index), and is reused first.
        _slots[slot] = null;
        _freeSlots.Add(slot);
        return true;
    }

    public void Clear()
    {
        _slots.Clear();
        _slotOf.Clear();
        _freeSlots.Clear();
    }

    /// <summary>The live records in table order.</summary>
    public IReadOnlyList<UhppoteCard> Live() => [.. _slots.OfType<UhppoteCard>()];

    /// <summary>Every slot in order, null for a deleted one (what a state file keeps).</summary>
    public IReadOnlyList<UhppoteCard?> Slots() => [.. _slots];

    /// <summary>Fills an empty table with <paramref name="slots"/> as <see cref="Slots"/> gave them.</summary>
    public void Restore(IEnumerable<UhppoteCard?> slots)
    {
        foreach (var card in slots)
        {
            _slots.Add(card);
            if (card is null)
            {
                _freeSlots.Add(_slots.Count - 1);
            }
            else
            {
                _slotOf[card.Number] = _slots.Count - 1;
            }
        }
    }
}
