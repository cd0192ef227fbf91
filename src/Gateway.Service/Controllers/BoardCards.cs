using Gateway.Drivers.Barriers;
using Gateway.Drivers.Uhppote;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Site;

namespace Gateway.Service.Controllers;

/// <summary>
/// The UHPPOTE boards' side of the desired entries (docs/uhppote.md, "How Gateway keeps a board right"):
/// <see cref="DesiredEntries"/> decides what a controller of a zone must hold; this projects it onto a
/// board's card records. A card is keyed by the number each door's reader outputs for its UID; one record
/// holds the doors it opens and an inclusive local date window. A blocked entry is no record (a board has
/// no blocked list): lost, revoked, damaged and expired-and-purged cards are deleted.
/// </summary>
public static class BoardCards
{
    /// <summary>The last day a board's calendar holds: "no end".</summary>
    public static readonly DateOnly NoEnd = new(2099, 12, 31);

    /// <summary>The records <paramref name="board"/> should hold, by card number, and the numbers two cards share (the older card left off).</summary>
    public static (IReadOnlyDictionary<uint, UhppoteCard> Records, IReadOnlyList<uint> Collisions) For(UhppoteBoardOptions board, IEnumerable<CardTruth> cards, EntryRules rules, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(board);
        var list = cards as IReadOnlyCollection<CardTruth> ?? [.. cards];
        var records = new Dictionary<uint, (UhppoteCard Card, long Owner)>();
        var collisions = new List<uint>();
        foreach (var door in board.Doors)
        {
            foreach (var entry in DesiredEntries.ForZone(door.Zone, list, rules, now))
            {
                if (entry.Blocked || !CardNumbers.TryFromUid(entry.Uid, door.Format, out var number, out _))
                {
                    continue;
                }

                var to = entry.LastDay is { } last && last < NoEnd ? last : NoEnd;
                var from = entry.FirstDay > to ? to : entry.FirstDay;
                if (records.TryGetValue(number, out var held))
                {
                    if (held.Owner != entry.CardNumber)
                    {
                        // Two cards read as one number: the newer card keeps it (the issue desk refuses such blanks).
                        collisions.Add(number);
                        if (held.Owner > entry.CardNumber)
                        {
                            continue;
                        }

                        held = (held.Card with { Doors = DoorPermissions.None }, entry.CardNumber);
                    }

                    var doors = held.Card.Doors.Doors.Append(door.Door);
                    records[number] = (new UhppoteCard(number, Min(held.Card.From, from, held.Card.Doors), Max(held.Card.To, to, held.Card.Doors), DoorPermissions.Of(doors)), entry.CardNumber);
                }
                else
                {
                    records[number] = (new UhppoteCard(number, from, to, DoorPermissions.Of([door.Door])), entry.CardNumber);
                }
            }
        }

        return (records.ToDictionary(r => r.Key, r => r.Value.Card), collisions.Distinct().ToList());
    }

    /// <summary>Every number a card of <paramref name="uid"/> reads as at the doors of <paramref name="board"/> (what to delete when it leaves).</summary>
    public static IReadOnlyList<uint> NumbersOf(UhppoteBoardOptions board, CardUid uid)
    {
        ArgumentNullException.ThrowIfNull(board);
        return board.Doors.Select(d => CardNumbers.TryFromUid(uid, d.Format, out var n, out _) ? n : 0u).Where(n => n != 0).Distinct().ToList();
    }

    /// <summary>
    /// The card each number read at the doors of <paramref name="board"/> belongs to, by reader format and number,
    /// so an event's number is mapped back to a card (an issued card before a lost one of the same number, then the newer).
    /// </summary>
    public static IReadOnlyDictionary<(ReaderFormat Format, uint Number), CardTruth> Owners(UhppoteBoardOptions board, IEnumerable<CardTruth> cards)
    {
        ArgumentNullException.ThrowIfNull(board);
        var formats = board.Doors.Select(d => d.Format).Distinct().ToList();
        var owners = new Dictionary<(ReaderFormat, uint), CardTruth>();
        foreach (var card in cards)
        {
            foreach (var format in formats)
            {
                if (CardNumbers.TryFromUid(card.Uid, format, out var number, out _)
                    && (!owners.TryGetValue((format, number), out var held) || Outranks(card, held)))
                {
                    owners[(format, number)] = card;
                }
            }
        }

        return owners;
    }

    private static bool Outranks(CardTruth card, CardTruth held) =>
        (card.State == Domain.Cards.CardState.Issued) != (held.State == Domain.Cards.CardState.Issued)
            ? card.State == Domain.Cards.CardState.Issued
            : card.Number > held.Number;

    private static DateOnly Min(DateOnly held, DateOnly from, DoorPermissions doors) => doors.Doors.Count == 0 || from < held ? from : held;

    private static DateOnly Max(DateOnly held, DateOnly to, DoorPermissions doors) => doors.Doors.Count == 0 || to > held ? to : held;
}
