using System.Net;
using System.Net.NetworkInformation;
using static Gateway.Drivers.Uhppote.Codec.PacketFields;

namespace Gateway.Drivers.Uhppote.Codec;

/// <summary>
/// A board's reply, carrying its request's function code and the board's serial number. Decoded by
/// the client, encoded by the simulator. Several functions share a layout (<see cref="AckResponse"/>,
/// <see cref="TimeResponse"/>, <see cref="CardRecordResponse"/>, <see cref="DoorControlResponse"/>,
/// <see cref="ValueResponse"/>), so those records carry their function code.
/// </summary>
public abstract record UhppoteResponse(UhppoteFunction Function, uint Controller)
{
    /// <summary>The 64-byte packet.</summary>
    public byte[] Encode()
    {
        var packet = new byte[UhppoteCodec.PacketLength];
        Encode(packet);
        return packet;
    }

    /// <summary>Writes the 64-byte packet into <paramref name="packet"/> (at least 64 bytes).</summary>
    public void Encode(Span<byte> packet) => WriteBody(UhppoteCodec.StartPacket(packet, StartByte, Function, Controller));

    /// <summary>Byte 0: 0x17, except for events pushed by v6.62 firmware.</summary>
    protected virtual byte StartByte => UhppoteCodec.StartOfMessage;

    protected abstract void WriteBody(Span<byte> packet);

    internal static UhppoteResponse DecodeBody(UhppoteFunction function, uint controller, ReadOnlySpan<byte> p) => function switch
    {
        UhppoteFunction.GetController => new GetControllerResponse(
            controller,
            ReadIPv4(p, 8),
            ReadIPv4(p, 12),
            ReadIPv4(p, 16),
            new PhysicalAddress(p.Slice(20, 6).ToArray()),
            ReadVersion(p, 26),
            ReadDate(p, 28, "release date")),
        UhppoteFunction.SetTime or UhppoteFunction.GetTime => new TimeResponse(function, controller, ReadDateTime(p, 8, "time")),
        UhppoteFunction.GetStatus => StatusResponse.Read(controller, p),
        UhppoteFunction.GetDoorControl or UhppoteFunction.SetDoorControl => new DoorControlResponse(function, controller, new UhppoteDoorControl(p[8], (DoorControlMode)p[9], p[10])),
        UhppoteFunction.OpenDoor or UhppoteFunction.PutCard or UhppoteFunction.DeleteCard or UhppoteFunction.DeleteAllCards
            or UhppoteFunction.SetEventIndex or UhppoteFunction.SetListener or UhppoteFunction.RecordSpecialEvents
            or UhppoteFunction.SetAntiPassback => new AckResponse(function, controller, ReadBool(p, 8)),
        UhppoteFunction.GetAntiPassback => new AntiPassbackResponse(controller, (UhppoteAntiPassback)p[8]),
        UhppoteFunction.GetCards or UhppoteFunction.GetEventIndex => new ValueResponse(function, controller, ReadUInt32(p, 8)),
        UhppoteFunction.GetCard or UhppoteFunction.GetCardByIndex => CardRecordResponse.Read(function, controller, p),
        UhppoteFunction.GetEvent => EventResponse.Read(controller, p),
        UhppoteFunction.GetListener => new ListenerResponse(controller, new IPEndPoint(ReadIPv4(p, 8), ReadUInt16(p, 12)), p[14]),
        _ => throw new UhppoteCodecException($"function 0x{(byte)function:X2} has no reply"),
    };

    private protected void Require(params UhppoteFunction[] functions)
    {
        if (!functions.Contains(Function))
        {
            throw new InvalidOperationException($"{GetType().Name} does not answer function {Function}");
        }
    }
}

/// <summary>get-controller's reply.</summary>
public sealed record GetControllerResponse(uint Controller, IPAddress Address, IPAddress Netmask, IPAddress Gateway, PhysicalAddress MacAddress, string Version, DateOnly? Released)
    : UhppoteResponse(UhppoteFunction.GetController, Controller)
{
    public UhppoteControllerInfo ToInfo() => new(Controller, Address, Netmask, Gateway, MacAddress, Version, Released);

    protected override void WriteBody(Span<byte> packet)
    {
        WriteIPv4(packet, 8, Address);      // 08-11 IP address
        WriteIPv4(packet, 12, Netmask);     // 12-15 subnet mask
        WriteIPv4(packet, 16, Gateway);     // 16-19 gateway
        var mac = MacAddress.GetAddressBytes();
        if (mac.Length != 6)
        {
            throw new ArgumentException("a MAC address has 6 bytes", nameof(MacAddress));
        }

        mac.CopyTo(packet[20..26]);         // 20-25 MAC address
        WriteVersion(packet, 26, Version);  // 26-27 firmware version, BCD
        WriteDate(packet, 28, Released);    // 28-31 firmware date YYYYMMDD BCD
    }
}

/// <summary>get-time's and set-time's reply: the board's clock (local time).</summary>
public sealed record TimeResponse(UhppoteFunction Function, uint Controller, DateTime? Time) : UhppoteResponse(Function, Controller)
{
    protected override void WriteBody(Span<byte> packet)
    {
        Require(UhppoteFunction.GetTime, UhppoteFunction.SetTime);
        WriteDateTime(packet, 8, Time); // 08-14 YYYYMMDDhhmmss BCD
    }
}

/// <summary>
/// get-status's reply, and the event a board pushes to its listener (same layout, function 0x20; start
/// byte 0x19 from v6.62 firmware when <paramref name="V662"/>).
/// </summary>
public sealed record StatusResponse(uint Controller, UhppoteStatus Status, bool V662 = false) : UhppoteResponse(UhppoteFunction.GetStatus, Controller)
{
    protected override byte StartByte => V662 ? UhppoteCodec.StartOfEventV662 : UhppoteCodec.StartOfMessage;

    internal static StatusResponse Read(uint controller, ReadOnlySpan<byte> p)
    {
        // 08-27: the newest event as get-event lays it out; index 0 means the log is empty.
        var index = ReadUInt32(p, 8);
        var last = index == 0 ? null : EventResponse.ReadEvent(index, p);
        var status = new UhppoteStatus(
            ReadSystemTime(p, 51, 37),  // 51-53 YYMMDD, 37-39 hhmmss
            Mask(p, 28),                // 28-31 door contacts 1-4
            Mask(p, 32),                // 32-35 push buttons 1-4
            p[49],                      // 49 relays
            p[50],                      // 50 inputs
            p[36],                      // 36 system error
            p[48],                      // 48 special info
            ReadUInt32(p, 40),          // 40-43 sequence number
            last);
        return new StatusResponse(controller, status, p[0] == UhppoteCodec.StartOfEventV662);
    }

    protected override void WriteBody(Span<byte> packet)
    {
        if (Status.LastEvent is { } e)
        {
            EventResponse.WriteEvent(packet, e);
        }

        for (var door = 0; door < 4; door++)
        {
            packet[28 + door] = (byte)((Status.DoorsOpen >> door) & 1);
            packet[32 + door] = (byte)((Status.ButtonsPressed >> door) & 1);
        }

        packet[36] = Status.SystemError;
        WriteSystemTime(packet, 51, 37, Status.SystemTime);
        WriteUInt32(packet, 40, Status.SequenceNumber);
        packet[48] = Status.SpecialInfo;
        packet[49] = Status.Relays;
        packet[50] = Status.Inputs;
    }

    private static byte Mask(ReadOnlySpan<byte> p, int offset)
    {
        var mask = 0;
        for (var i = 0; i < 4; i++)
        {
            mask |= (p[offset + i] != 0 ? 1 : 0) << i;
        }

        return (byte)mask;
    }
}

/// <summary>get-door-control's and set-door-control's reply.</summary>
public sealed record DoorControlResponse(UhppoteFunction Function, uint Controller, UhppoteDoorControl Control) : UhppoteResponse(Function, Controller)
{
    protected override void WriteBody(Span<byte> packet)
    {
        Require(UhppoteFunction.GetDoorControl, UhppoteFunction.SetDoorControl);
        packet[8] = Control.Door;          // 08 door
        packet[9] = (byte)Control.Mode;    // 09 mode
        packet[10] = Control.OpenSeconds;  // 10 unlock time, seconds
    }
}

/// <summary>get-anti-passback's reply: the board's mode at offset 8.</summary>
public sealed record AntiPassbackResponse(uint Controller, UhppoteAntiPassback Mode) : UhppoteResponse(UhppoteFunction.GetAntiPassback, Controller)
{
    protected override void WriteBody(Span<byte> packet) => packet[8] = (byte)Mode; // 08 mode
}

/// <summary>
/// The one-byte answer (at offset 8) of open-door (opened), put-card (stored), delete-card and
/// delete-all-cards (deleted), set-event-index (changed), set-listener, record-special-events and set-anti-passback (done).
/// </summary>
public sealed record AckResponse(UhppoteFunction Function, uint Controller, bool Ok) : UhppoteResponse(Function, Controller)
{
    protected override void WriteBody(Span<byte> packet)
    {
        Require(UhppoteFunction.OpenDoor, UhppoteFunction.PutCard, UhppoteFunction.DeleteCard, UhppoteFunction.DeleteAllCards, UhppoteFunction.SetEventIndex, UhppoteFunction.SetListener, UhppoteFunction.RecordSpecialEvents, UhppoteFunction.SetAntiPassback);
        WriteBool(packet, 8, Ok);
    }
}

/// <summary>The 32-bit answer (at offset 8) of get-cards (the record count) and get-event-index (the host's index).</summary>
public sealed record ValueResponse(UhppoteFunction Function, uint Controller, uint Value) : UhppoteResponse(Function, Controller)
{
    protected override void WriteBody(Span<byte> packet)
    {
        Require(UhppoteFunction.GetCards, UhppoteFunction.GetEventIndex);
        WriteUInt32(packet, 8, Value);
    }
}

/// <summary>
/// get-card's and get-card-by-index's reply: a card record. Card number 0: no such card (or past the end
/// of the table); 0xFFFFFFFF: a deleted record. Dates are decoded only for a real record.
/// </summary>
public sealed record CardRecordResponse(UhppoteFunction Function, uint Controller, uint Card, DateOnly? From, DateOnly? To, DoorPermissions Doors, uint Pin = 0, byte FirstCard = 0)
    : UhppoteResponse(Function, Controller)
{
    /// <summary>Card number of an empty answer.</summary>
    public const uint NoCard = 0;

    /// <summary>Card number of a deleted record.</summary>
    public const uint DeletedCard = 0xFFFFFFFF;

    internal static CardRecordResponse Read(UhppoteFunction function, uint controller, ReadOnlySpan<byte> p)
    {
        var card = ReadUInt32(p, 8);
        if (card is NoCard or DeletedCard)
        {
            return new CardRecordResponse(function, controller, card, null, null, DoorPermissions.None);
        }

        return new CardRecordResponse(
            function,
            controller,
            card,
            ReadDate(p, 12, "from-date"),
            ReadDate(p, 16, "to-date"),
            new DoorPermissions(p[20], p[21], p[22], p[23]),
            ReadUInt24(p, 24),
            p[27]);
    }

    protected override void WriteBody(Span<byte> packet)
    {
        Require(UhppoteFunction.GetCard, UhppoteFunction.GetCardByIndex);
        WriteUInt32(packet, 8, Card);   // 08-11 card number
        WriteDate(packet, 12, From);    // 12-15 from-date
        WriteDate(packet, 16, To);      // 16-19 to-date
        packet[20] = Doors.Door1;       // 20-23 door permissions
        packet[21] = Doors.Door2;
        packet[22] = Doors.Door3;
        packet[23] = Doors.Door4;
        WriteUInt24(packet, 24, Pin);   // 24-26 PIN
        packet[27] = FirstCard;         // 27 first-card doors
    }
}

/// <summary>get-event's reply. Index 0: past the end of the log; type 0xFF: the index was overwritten.</summary>
public sealed record EventResponse(uint Controller, uint Index, UhppoteEventType Type, bool Granted, byte Door, UhppoteDirection Direction, uint Card, DateTime? Timestamp, UhppoteEventReason Reason)
    : UhppoteResponse(UhppoteFunction.GetEvent, Controller)
{
    /// <summary>An "index past the end" answer.</summary>
    public static EventResponse NotYet(uint controller) => new(controller, 0, UhppoteEventType.None, false, 0, UhppoteDirection.Unknown, 0, null, UhppoteEventReason.None);

    /// <summary>An "overwritten" answer: type 0xFF, the rest zero.</summary>
    public static EventResponse Overwritten(uint controller) => new(controller, 0, UhppoteEventType.Overwritten, false, 0, UhppoteDirection.Unknown, 0, null, UhppoteEventReason.None);

    /// <summary>The answer for <paramref name="event"/>.</summary>
    public static EventResponse Of(uint controller, UhppoteEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        return new(controller, @event.Index, @event.Type, @event.Granted, @event.Door, @event.Direction, @event.Card, @event.Timestamp, @event.Reason);
    }

    /// <summary>What the reply says about <paramref name="requested"/>: found, not yet, or overwritten.</summary>
    public UhppoteEventLookup ToLookup(uint requested) =>
        Type == UhppoteEventType.Overwritten ? new UhppoteEventLookup(requested, UhppoteEventLookupKind.Overwritten, null)
        : Index == 0 ? new UhppoteEventLookup(requested, UhppoteEventLookupKind.NotYet, null)
        : new UhppoteEventLookup(Index, UhppoteEventLookupKind.Found, new UhppoteEvent(Index, Type, Granted, Door, Direction, Card, Timestamp, Reason));

    internal static EventResponse Read(uint controller, ReadOnlySpan<byte> p)
    {
        var index = ReadUInt32(p, 8);
        var type = (UhppoteEventType)p[12];
        if (index == 0 || type == UhppoteEventType.Overwritten)
        {
            // Nothing else is meaningful in these answers; real boards leave zeros there.
            return new EventResponse(controller, index, type, false, 0, UhppoteDirection.Unknown, 0, null, UhppoteEventReason.None);
        }

        var e = ReadEvent(index, p);
        return Of(controller, e);
    }

    internal static UhppoteEvent ReadEvent(uint index, ReadOnlySpan<byte> p) => new(
        index,                                   // 08-11 index
        (UhppoteEventType)p[12],                 // 12 type
        ReadBool(p, 13),                         // 13 granted
        p[14],                                   // 14 door
        (UhppoteDirection)p[15],                 // 15 direction: 1 in, 2 out
        ReadUInt32(p, 16),                       // 16-19 card number
        ReadDateTime(p, 20, "event timestamp", lenient: true), // 20-26 YYYYMMDDhhmmss BCD; invalid: none
        (UhppoteEventReason)p[27]);              // 27 reason

    internal static void WriteEvent(Span<byte> packet, UhppoteEvent e)
    {
        WriteUInt32(packet, 8, e.Index);
        packet[12] = (byte)e.Type;
        WriteBool(packet, 13, e.Granted);
        packet[14] = e.Door;
        packet[15] = (byte)e.Direction;
        WriteUInt32(packet, 16, e.Card);
        WriteDateTime(packet, 20, e.Timestamp);
        packet[27] = (byte)e.Reason;
    }

    protected override void WriteBody(Span<byte> packet) =>
        WriteEvent(packet, new UhppoteEvent(Index, Type, Granted, Door, Direction, Card, Timestamp, Reason));
}

/// <summary>get-listener's reply: where the board pushes events and its auto-send interval.</summary>
public sealed record ListenerResponse(uint Controller, IPEndPoint Listener, byte IntervalSeconds) : UhppoteResponse(UhppoteFunction.GetListener, Controller)
{
    protected override void WriteBody(Span<byte> packet)
    {
        WriteIPv4(packet, 8, Listener.Address);                     // 08-11 address
        WriteUInt16(packet, 12, checked((ushort)Listener.Port));    // 12-13 port
        packet[14] = IntervalSeconds;                               // 14 interval
    }
}
