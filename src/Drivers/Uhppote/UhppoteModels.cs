using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;

namespace Gateway.Drivers.Uhppote;

/// <summary>
/// A card record's permission for each of the board's doors (1-4): 0 none, 1 at any time, 2-254 the
/// time profile of that number (docs/uhppote.md, "put-card"). Gateway writes 0 or 1 only.
/// </summary>
public readonly record struct DoorPermissions(byte Door1, byte Door2, byte Door3, byte Door4)
{
    /// <summary>No door.</summary>
    public static DoorPermissions None => default;

    /// <summary>The permission of door <paramref name="door"/> (1-4).</summary>
    public byte this[int door] => door switch
    {
        1 => Door1,
        2 => Door2,
        3 => Door3,
        4 => Door4,
        _ => throw new ArgumentOutOfRangeException(nameof(door), door, "doors are 1-4"),
    };

    /// <summary>Permission at any time (1) for each of <paramref name="doors"/> (1-4), none for the others.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A door outside 1-4.</exception>
    public static DoorPermissions Of(IEnumerable<int> doors)
    {
        ArgumentNullException.ThrowIfNull(doors);
        var p = new byte[4];
        foreach (var door in doors)
        {
            if (door is < 1 or > 4)
            {
                throw new ArgumentOutOfRangeException(nameof(doors), door, "doors are 1-4");
            }

            p[door - 1] = 1;
        }

        return new DoorPermissions(p[0], p[1], p[2], p[3]);
    }

    /// <summary>True when door <paramref name="door"/> may be opened (at any time or under a time profile).</summary>
    public bool Allows(int door) => this[door] is >= 1 and <= 254;

    /// <summary>The doors with a permission, in order.</summary>
    public IReadOnlyList<int> Doors
    {
        get
        {
            var doors = new List<int>(4);
            for (var door = 1; door <= 4; door++)
            {
                if (Allows(door))
                {
                    doors.Add(door);
                }
            }

            return doors;
        }
    }

    /// <summary>"1:Y 2:N 3:29 4:Y" (Y at any time, N none, a number: the time profile).</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"1:{Describe(Door1)} 2:{Describe(Door2)} 3:{Describe(Door3)} 4:{Describe(Door4)}");

    private static string Describe(byte p) => p switch
    {
        0 => "N",
        1 => "Y",
        _ => p.ToString(CultureInfo.InvariantCulture),
    };
}

/// <summary>
/// One card record of a board: the card number its readers output, an inclusive date window in the
/// board's local calendar, the doors it opens and an optional keypad PIN.
/// </summary>
/// <param name="Number">The card number (see <see cref="CardNumbers"/>); 0, 0xFFFFFFFF and 0x00FFFFFF cannot be stored.</param>
/// <param name="From">First day the card opens, inclusive.</param>
/// <param name="To">Last day the card opens, inclusive.</param>
/// <param name="Doors">Permission per door.</param>
/// <param name="Pin">Keypad PIN, 0 (none) to 999999.</param>
public sealed record UhppoteCard(uint Number, DateOnly From, DateOnly To, DoorPermissions Doors, uint Pin = 0)
{
    /// <summary>Highest PIN a board stores.</summary>
    public const uint MaxPin = 999_999;

    /// <summary>Throws when the record cannot be stored: a reserved number, To before From, a PIN above 999999.</summary>
    /// <exception cref="ArgumentException">The record is not storable; the message says why.</exception>
    public void Validate()
    {
        if (!CardNumbers.IsStorable(Number))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"card number {Number} cannot be stored on a board (0, 4294967295 and 16777215 are reserved)"));
        }

        if (To < From)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"card {Number}: to-date {To:yyyy-MM-dd} is before from-date {From:yyyy-MM-dd}"));
        }

        if (Pin > MaxPin)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"card {Number}: PIN {Pin} is above {MaxPin}"));
        }
    }

    /// <summary>True when local day <paramref name="day"/> is inside the inclusive window [From, To].</summary>
    public bool ValidOn(DateOnly day) => day >= From && day <= To;
}

/// <summary>What a slot of the card table holds, read by index.</summary>
public enum UhppoteCardSlotKind
{
    /// <summary>A card record.</summary>
    Card,

    /// <summary>A record that was deleted (card number 0xFFFFFFFF): skip it and go on.</summary>
    Deleted,

    /// <summary>Past the end of the table (card number 0): the walk is over.</summary>
    End,
}

/// <summary>One slot of the card table, as get-card-by-index answers it.</summary>
public readonly record struct UhppoteCardSlot(uint Index, UhppoteCardSlotKind Kind, UhppoteCard? Card);

/// <summary>Event record types (byte 12 of get-event and get-status).</summary>
public enum UhppoteEventType : byte
{
    None = 0x00,

    /// <summary>A card presented at a reader, granted or not.</summary>
    Swipe = 0x01,

    /// <summary>Door status, push button, reboot, remote open.</summary>
    Door = 0x02,

    /// <summary>An alarm (forced open, open too long, ...).</summary>
    Alarm = 0x03,

    /// <summary>The index asked for has been overwritten by newer events.</summary>
    Overwritten = 0xFF,
}

/// <summary>Which reader of a door: entry or exit.</summary>
public enum UhppoteDirection : byte
{
    Unknown = 0,
    In = 1,
    Out = 2,
}

/// <summary>Event reason codes (byte 27), from uhppote-core <c>messages/events.go</c>.</summary>
public enum UhppoteEventReason : byte
{
    None = 0x00,
    Swipe = 0x01,
    DeniedPcControl = 0x05,
    DeniedNoPrivilege = 0x06,
    DeniedWrongPassword = 0x07,
    DeniedAntiPassback = 0x08,
    DeniedMoreCards = 0x09,
    DeniedFirstCardOpen = 0x0A,
    DeniedDoorNormallyClosed = 0x0B,
    DeniedInterlock = 0x0C,
    DeniedLimitedTimes = 0x0D,
    DeniedInvalidTimezone = 0x0F,
    Denied = 0x12,
    PushButton = 0x14,
    DoorOpen = 0x17,
    DoorClosed = 0x18,
    SuperPasswordOpenDoor = 0x19,
    ControllerPowerOn = 0x1C,
    ControllerReset = 0x1D,
    PushButtonInvalidForcedLock = 0x1F,
    PushButtonInvalidNotOnline = 0x20,
    PushButtonInvalidInterlock = 0x21,
    Threat = 0x22,
    OpenTooLong = 0x25,
    ForcedOpen = 0x26,
    Fire = 0x27,
    ForcedClose = 0x28,
    GuardAgainstTheft = 0x29,
    Zone24x7 = 0x2A,
    EmergencyCall = 0x2B,
    RemoteOpenDoor = 0x2C,
    RemoteOpenDoorByUsbReader = 0x2D,
}

/// <summary>One event of a board's log.</summary>
/// <param name="Index">Its index in the board's log, from 1.</param>
/// <param name="Type">Swipe, door, alarm.</param>
/// <param name="Granted">True when the door was opened.</param>
/// <param name="Door">Door 1-4.</param>
/// <param name="Direction">Entry or exit reader.</param>
/// <param name="Card">The card number read (swipes), or a code of the event.</param>
/// <param name="Timestamp">The board's local time of the event; null when the board sent none.</param>
/// <param name="Reason">Why: granted, the refusal's reason, the door event.</param>
public sealed record UhppoteEvent(
    uint Index,
    UhppoteEventType Type,
    bool Granted,
    byte Door,
    UhppoteDirection Direction,
    uint Card,
    DateTime? Timestamp,
    UhppoteEventReason Reason);

/// <summary>What get-event found at an index.</summary>
public enum UhppoteEventLookupKind
{
    /// <summary>An event is there.</summary>
    Found,

    /// <summary>Past the end of the log: no such event yet (the board answers index 0).</summary>
    NotYet,

    /// <summary>Overwritten by newer events (the board answers type 0xFF): lost.</summary>
    Overwritten,
}

/// <summary>The answer to get-event.</summary>
public readonly record struct UhppoteEventLookup(uint Index, UhppoteEventLookupKind Kind, UhppoteEvent? Event);

/// <summary>
/// The board's state as get-status (and a pushed event) reports it: its clock, doors, buttons, relays,
/// inputs and its most recent event.
/// </summary>
/// <param name="SystemTime">The board's local clock; null when it sent none.</param>
/// <param name="DoorsOpen">Bit n-1 set: door n's contact says open.</param>
/// <param name="ButtonsPressed">Bit n-1 set: door n's push button is pressed.</param>
/// <param name="Relays">Bit n-1 set: door n's lock relay is released (unlocked).</param>
/// <param name="Inputs">Bit 0 force lock, bit 1 fire alarm.</param>
/// <param name="SystemError">The board's error code, 0 when none.</param>
/// <param name="SpecialInfo">The board's special-information byte.</param>
/// <param name="SequenceNumber">The board's packet sequence number.</param>
/// <param name="LastEvent">The newest event, or null when the log is empty.</param>
public sealed record UhppoteStatus(
    DateTime? SystemTime,
    byte DoorsOpen,
    byte ButtonsPressed,
    byte Relays,
    byte Inputs,
    byte SystemError,
    byte SpecialInfo,
    uint SequenceNumber,
    UhppoteEvent? LastEvent)
{
    public bool IsDoorOpen(int door) => Bit(DoorsOpen, door);

    public bool IsButtonPressed(int door) => Bit(ButtonsPressed, door);

    public bool IsDoorUnlocked(int door) => Bit(Relays, door);

    private static bool Bit(byte mask, int door) => door is >= 1 and <= 4
        ? (mask & (1 << (door - 1))) != 0
        : throw new ArgumentOutOfRangeException(nameof(door), door, "doors are 1-4");
}

/// <summary>A board's identity and network settings, as get-controller answers them.</summary>
public sealed record UhppoteControllerInfo(
    uint Controller,
    IPAddress Address,
    IPAddress Netmask,
    IPAddress Gateway,
    PhysicalAddress MacAddress,
    string Version,
    DateOnly? Released);

/// <summary>How a door's lock is driven.</summary>
public enum DoorControlMode : byte
{
    NormallyOpen = 1,
    NormallyClosed = 2,
    Controlled = 3,
}

/// <summary>
/// A board's anti-passback mode (get/set-anti-passback, newer firmware; uhppoted's documentation of
/// <c>set-antipassback</c>): the doors on either side of a colon alternate, so a card that passed one side
/// is refused there again (reason 8) until it has passed the other side.
/// </summary>
public enum UhppoteAntiPassback : byte
{
    /// <summary>No anti-passback.</summary>
    Disabled = 0,

    /// <summary>(1:2);(3:4): doors 1 and 2 alternate, doors 3 and 4 alternate.</summary>
    Doors12And34 = 1,

    /// <summary>(1,3):(2,4): doors 1 and 3 alternate with doors 2 and 4.</summary>
    Doors13To24 = 2,

    /// <summary>1:(2,3): door 1 alternates with doors 2 and 3.</summary>
    Door1To23 = 3,

    /// <summary>1:(2,3,4): door 1 alternates with doors 2, 3 and 4.</summary>
    Door1To234 = 4,
}

/// <summary>The anti-passback modes as configuration and the tools write them: <c>off</c>, <c>1:2;3:4</c>, <c>1,3:2,4</c>, <c>1:2,3</c>, <c>1:2,3,4</c>.</summary>
public static class UhppoteAntiPassbackModes
{
    private static readonly string[] Texts = ["off", "1:2;3:4", "1,3:2,4", "1:2,3", "1:2,3,4"];

    /// <summary>The mode's text (<c>off</c>, <c>1:2;3:4</c>, ...); a mode outside 0-4 as its number.</summary>
    public static string ToText(UhppoteAntiPassback mode) => (byte)mode < Texts.Length ? Texts[(byte)mode] : ((byte)mode).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Reads a mode's text, ignoring spaces and brackets (<c>(1:2);(3:4)</c> as uhppoted writes it is <c>1:2;3:4</c>).</summary>
    public static bool TryParse(string? text, out UhppoteAntiPassback mode)
    {
        var plain = new string((text ?? string.Empty).Where(c => c is not (' ' or '(' or ')')).ToArray()).ToLowerInvariant();
        var index = Array.IndexOf(Texts, plain is "disabled" or "none" ? "off" : plain);
        mode = (UhppoteAntiPassback)Math.Max(index, 0);
        return index >= 0;
    }

    /// <summary>
    /// Which side of which pair door <paramref name="door"/> is under <paramref name="mode"/>: a card that passed
    /// one side of a pair is refused on that side until it has passed the other. Null: the door is in no pair.
    /// </summary>
    public static (int Pair, int Side)? SideOf(UhppoteAntiPassback mode, int door) => (mode, door) switch
    {
        (UhppoteAntiPassback.Doors12And34, 1 or 2) => (0, door - 1),
        (UhppoteAntiPassback.Doors12And34, 3 or 4) => (1, door - 3),
        (UhppoteAntiPassback.Doors13To24, 1 or 3) => (0, 0),
        (UhppoteAntiPassback.Doors13To24, 2 or 4) => (0, 1),
        (UhppoteAntiPassback.Door1To23 or UhppoteAntiPassback.Door1To234, 1) => (0, 0),
        (UhppoteAntiPassback.Door1To23, 2 or 3) => (0, 1),
        (UhppoteAntiPassback.Door1To234, 2 or 3 or 4) => (0, 1),
        _ => null,
    };
}

/// <summary>A door's control mode and how long it stays unlocked after a granted card.</summary>
public readonly record struct UhppoteDoorControl(byte Door, DoorControlMode Mode, byte OpenSeconds);

/// <summary>Where the board pushes its events (0.0.0.0:0: nowhere) and its auto-send interval in seconds (0: off).</summary>
public sealed record UhppoteListener(IPEndPoint Endpoint, byte IntervalSeconds)
{
    /// <summary>True when the board pushes events somewhere.</summary>
    public bool IsSet => !Endpoint.Address.Equals(IPAddress.Any) && Endpoint.Port != 0;
}
