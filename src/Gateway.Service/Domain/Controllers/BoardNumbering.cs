using System.Globalization;
using Gateway.Drivers.Barriers;
using Gateway.Drivers.Uhppote;

namespace Gateway.Service.Domain.Controllers;

/// <summary>One door of a UHPPOTE board as the issue desk sees it: which board, which door, the zone it serves and its reader's format.</summary>
public sealed record BoardDoor(string DeviceId, int Door, string Zone, ReaderFormat Format);

/// <summary>
/// The numbers UHPPOTE boards know cards by, checked when a blank is issued (docs/uhppote.md, "Card numbers"):
/// a board matches the number its door's reader outputs, not the UID, and a Wiegand-26 reader keeps only 24
/// bits of it, so two UIDs can read as one number. A blank that would read, at a door of a zone the new card
/// is for, as a number another held card (issued, lost, revoked or damaged: a card with an entry, active or
/// blocked) reads as through the same reader format — or as a number a board cannot store — is refused before
/// anything is written; the clerk takes another blank.
/// </summary>
public sealed class BoardNumbering
{
    /// <summary>The refusal code (409) of a blank whose number a board could not tell apart or store.</summary>
    public const string CollisionCode = "board-card-number-taken";

    private readonly IReadOnlyList<BoardDoor> _doors;

    public BoardNumbering(IEnumerable<BoardDoor> doors)
    {
        _doors = [.. doors];
    }

    /// <summary>No boards: nothing to check.</summary>
    public static BoardNumbering None { get; } = new([]);

    /// <summary>True when some board door is configured (the issue then reads the blank's UID before writing it).</summary>
    public bool HasBoards => _doors.Count > 0;

    /// <summary>
    /// Why the blank <paramref name="uid"/> cannot be issued as card <paramref name="cardNumber"/> for the
    /// <paramref name="zones"/>, or null when every board serving them can tell it apart from <paramref name="held"/>.
    /// </summary>
    public Refusal? Check(long cardNumber, CardUid uid, IReadOnlyList<string> zones, IEnumerable<(long Number, CardUid Uid)> held)
    {
        ArgumentNullException.ThrowIfNull(zones);
        var doors = _doors.Where(d => zones.Contains(d.Zone, StringComparer.OrdinalIgnoreCase)).ToList();
        if (doors.Count == 0)
        {
            return null;
        }

        var numbers = new Dictionary<ReaderFormat, (uint Number, BoardDoor Door)>();
        foreach (var door in doors)
        {
            if (!CardNumbers.TryFromUid(uid, door.Format, out var number, out var error))
            {
                return Refusal.Conflict($"{error} (door {door.Door} of '{door.DeviceId}'): take another blank", CollisionCode);
            }

            numbers.TryAdd(door.Format, (number, door));
        }

        foreach (var (other, otherUid) in held)
        {
            if (other == cardNumber)
            {
                continue;
            }

            foreach (var (format, (number, door)) in numbers)
            {
                if (CardNumbers.TryFromUid(otherUid, format, out var theirs, out _) && theirs == number)
                {
                    return Refusal.Conflict(
                        string.Create(CultureInfo.InvariantCulture, $"the blank on the encoder (UID {uid}) reads as {CardNumbers.Describe(number, format.Wiegand)} through the {format} reader of door {door.Door} of '{door.DeviceId}', as card {other} (UID {otherUid}) does: the board could not tell them apart; take another blank"),
                        CollisionCode);
                }
            }
        }

        return null;
    }
}
