using System.Net;
using static Gateway.Drivers.Uhppote.Codec.PacketFields;

namespace Gateway.Drivers.Uhppote.Codec;

/// <summary>
/// A request to one board (or, for get-controller with serial 0, to every board that hears it).
/// Encoded into 64 bytes; decoded by the simulator. Offsets in the comments are byte offsets of the
/// packet (docs/uhppote.md, "Packets").
/// </summary>
public abstract record UhppoteRequest(UhppoteFunction Function, uint Controller)
{
    /// <summary>The 64-byte packet.</summary>
    public byte[] Encode()
    {
        var packet = new byte[UhppoteCodec.PacketLength];
        Encode(packet);
        return packet;
    }

    /// <summary>Writes the 64-byte packet into <paramref name="packet"/> (at least 64 bytes).</summary>
    public void Encode(Span<byte> packet) => WriteBody(UhppoteCodec.StartPacket(packet, UhppoteCodec.StartOfMessage, Function, Controller));

    /// <summary>Writes the fields after the serial number.</summary>
    protected virtual void WriteBody(Span<byte> packet)
    {
    }

    internal static UhppoteRequest DecodeBody(UhppoteFunction function, uint controller, ReadOnlySpan<byte> p) => function switch
    {
        UhppoteFunction.GetController => new GetControllerRequest(controller),
        UhppoteFunction.SetTime => new SetTimeRequest(controller, ReadDateTime(p, 8, "time") ?? throw new UhppoteCodecException("set-time carries no time")),
        UhppoteFunction.GetTime => new GetTimeRequest(controller),
        UhppoteFunction.GetStatus => new GetStatusRequest(controller),
        UhppoteFunction.GetDoorControl => new GetDoorControlRequest(controller, p[8]),
        UhppoteFunction.SetDoorControl => new SetDoorControlRequest(controller, p[8], (DoorControlMode)p[9], p[10]),
        UhppoteFunction.OpenDoor => new OpenDoorRequest(controller, p[8]),
        UhppoteFunction.GetAntiPassback => new GetAntiPassbackRequest(controller),
        UhppoteFunction.SetAntiPassback => new SetAntiPassbackRequest(controller, (UhppoteAntiPassback)p[8]),
        UhppoteFunction.GetCards => new GetCardsRequest(controller),
        UhppoteFunction.GetCard => new GetCardRequest(controller, ReadUInt32(p, 8)),
        UhppoteFunction.GetCardByIndex => new GetCardByIndexRequest(controller, ReadUInt32(p, 8)),
        UhppoteFunction.PutCard => new PutCardRequest(
            controller,
            ReadUInt32(p, 8),
            ReadDate(p, 12, "from-date"),
            ReadDate(p, 16, "to-date"),
            new DoorPermissions(p[20], p[21], p[22], p[23]),
            ReadUInt24(p, 24),
            p[27]),
        UhppoteFunction.DeleteCard => new DeleteCardRequest(controller, ReadUInt32(p, 8)),
        UhppoteFunction.DeleteAllCards => new DeleteAllCardsRequest(controller, ReadUInt32(p, 8)),
        UhppoteFunction.GetEvent => new GetEventRequest(controller, ReadUInt32(p, 8)),
        UhppoteFunction.GetEventIndex => new GetEventIndexRequest(controller),
        UhppoteFunction.SetEventIndex => new SetEventIndexRequest(controller, ReadUInt32(p, 8), ReadUInt32(p, 12)),
        UhppoteFunction.GetListener => new GetListenerRequest(controller),
        UhppoteFunction.SetListener => new SetListenerRequest(controller, new IPEndPoint(ReadIPv4(p, 8), ReadUInt16(p, 12)), p[14]),
        UhppoteFunction.RecordSpecialEvents => new RecordSpecialEventsRequest(controller, ReadBool(p, 8)),
        _ => throw new UhppoteCodecException($"function 0x{(byte)function:X2} is not a request"),
    };
}

/// <summary>get-controller (0x94): identity and network settings. Serial 0 asks every board (discovery).</summary>
public sealed record GetControllerRequest(uint Controller) : UhppoteRequest(UhppoteFunction.GetController, Controller);

/// <summary>set-time (0x30): the board's clock, local time, to the second.</summary>
public sealed record SetTimeRequest(uint Controller, DateTime Time) : UhppoteRequest(UhppoteFunction.SetTime, Controller)
{
    protected override void WriteBody(Span<byte> packet) => WriteDateTime(packet, 8, Time); // 08-14 YYYYMMDDhhmmss BCD
}

/// <summary>get-time (0x32).</summary>
public sealed record GetTimeRequest(uint Controller) : UhppoteRequest(UhppoteFunction.GetTime, Controller);

/// <summary>get-status (0x20).</summary>
public sealed record GetStatusRequest(uint Controller) : UhppoteRequest(UhppoteFunction.GetStatus, Controller);

/// <summary>get-door-control (0x82) of door 1-4.</summary>
public sealed record GetDoorControlRequest(uint Controller, byte Door) : UhppoteRequest(UhppoteFunction.GetDoorControl, Controller)
{
    protected override void WriteBody(Span<byte> packet) => packet[8] = Door; // 08 door
}

/// <summary>set-door-control (0x80): mode and open time of door 1-4.</summary>
public sealed record SetDoorControlRequest(uint Controller, byte Door, DoorControlMode Mode, byte OpenSeconds) : UhppoteRequest(UhppoteFunction.SetDoorControl, Controller)
{
    protected override void WriteBody(Span<byte> packet)
    {
        packet[8] = Door;           // 08 door
        packet[9] = (byte)Mode;     // 09 mode: 1 normally open, 2 normally closed, 3 controlled
        packet[10] = OpenSeconds;   // 10 unlock time, seconds
    }
}

/// <summary>get-anti-passback (0x86): the board's anti-passback mode.</summary>
public sealed record GetAntiPassbackRequest(uint Controller) : UhppoteRequest(UhppoteFunction.GetAntiPassback, Controller);

/// <summary>set-anti-passback (0x84): the board's anti-passback mode, 0 (off) to 4.</summary>
public sealed record SetAntiPassbackRequest(uint Controller, UhppoteAntiPassback Mode) : UhppoteRequest(UhppoteFunction.SetAntiPassback, Controller)
{
    protected override void WriteBody(Span<byte> packet) => packet[8] = (byte)Mode; // 08 mode
}

/// <summary>open-door (0x40): release door 1-4's lock as a granted card would.</summary>
public sealed record OpenDoorRequest(uint Controller, byte Door) : UhppoteRequest(UhppoteFunction.OpenDoor, Controller)
{
    protected override void WriteBody(Span<byte> packet) => packet[8] = Door; // 08 door
}

/// <summary>get-cards (0x58): how many card records the board holds.</summary>
public sealed record GetCardsRequest(uint Controller) : UhppoteRequest(UhppoteFunction.GetCards, Controller);

/// <summary>get-card (0x5A): the record of one card number.</summary>
public sealed record GetCardRequest(uint Controller, uint Card) : UhppoteRequest(UhppoteFunction.GetCard, Controller)
{
    protected override void WriteBody(Span<byte> packet) => WriteUInt32(packet, 8, Card); // 08-11 card number
}

/// <summary>get-card-by-index (0x5C): the record in slot 1, 2, ... of the card table.</summary>
public sealed record GetCardByIndexRequest(uint Controller, uint Index) : UhppoteRequest(UhppoteFunction.GetCardByIndex, Controller)
{
    protected override void WriteBody(Span<byte> packet) => WriteUInt32(packet, 8, Index); // 08-11 index, from 1
}

/// <summary>
/// put-card (0x50): add or replace a card record. Null dates are sent as zeros (which a board refuses);
/// <paramref name="FirstCard"/> is the first-card bit mask of newer firmware (bit n-1: door n), 0 otherwise.
/// </summary>
public sealed record PutCardRequest(uint Controller, uint Card, DateOnly? From, DateOnly? To, DoorPermissions Doors, uint Pin = 0, byte FirstCard = 0)
    : UhppoteRequest(UhppoteFunction.PutCard, Controller)
{
    /// <summary>put-card of <paramref name="card"/>.</summary>
    public PutCardRequest(uint controller, UhppoteCard card)
        : this(controller, (card ?? throw new ArgumentNullException(nameof(card))).Number, card.From, card.To, card.Doors, card.Pin)
    {
    }

    protected override void WriteBody(Span<byte> packet)
    {
        if (Pin > UhppoteCard.MaxPin)
        {
            throw new ArgumentOutOfRangeException(nameof(Pin), Pin, "a PIN is 0-999999");
        }

        WriteUInt32(packet, 8, Card);   // 08-11 card number
        WriteDate(packet, 12, From);    // 12-15 from-date YYYYMMDD BCD
        WriteDate(packet, 16, To);      // 16-19 to-date YYYYMMDD BCD
        packet[20] = Doors.Door1;       // 20-23 per door: 0 none, 1 always, 2-254 time profile
        packet[21] = Doors.Door2;
        packet[22] = Doors.Door3;
        packet[23] = Doors.Door4;
        WriteUInt24(packet, 24, Pin);   // 24-26 PIN, little-endian
        packet[27] = FirstCard;         // 27 first-card doors (newer firmware)
    }
}

/// <summary>delete-card (0x52).</summary>
public sealed record DeleteCardRequest(uint Controller, uint Card) : UhppoteRequest(UhppoteFunction.DeleteCard, Controller)
{
    protected override void WriteBody(Span<byte> packet) => WriteUInt32(packet, 8, Card); // 08-11 card number
}

/// <summary>delete-all-cards (0x54); the board acts only when <paramref name="Magic"/> is the magic word.</summary>
public sealed record DeleteAllCardsRequest(uint Controller, uint Magic = UhppoteCodec.MagicWord) : UhppoteRequest(UhppoteFunction.DeleteAllCards, Controller)
{
    protected override void WriteBody(Span<byte> packet) => WriteUInt32(packet, 8, Magic); // 08-11 55 AA AA 55
}

/// <summary>get-event (0xB0): the event at an index (0: the oldest held, 0xFFFFFFFF: the newest).</summary>
public sealed record GetEventRequest(uint Controller, uint Index) : UhppoteRequest(UhppoteFunction.GetEvent, Controller)
{
    protected override void WriteBody(Span<byte> packet) => WriteUInt32(packet, 8, Index); // 08-11 index
}

/// <summary>get-event-index (0xB4): the index the host last acknowledged (stored on the board).</summary>
public sealed record GetEventIndexRequest(uint Controller) : UhppoteRequest(UhppoteFunction.GetEventIndex, Controller);

/// <summary>set-event-index (0xB2): store the host's acknowledged index; needs the magic word.</summary>
public sealed record SetEventIndexRequest(uint Controller, uint Index, uint Magic = UhppoteCodec.MagicWord) : UhppoteRequest(UhppoteFunction.SetEventIndex, Controller)
{
    protected override void WriteBody(Span<byte> packet)
    {
        WriteUInt32(packet, 8, Index);  // 08-11 index
        WriteUInt32(packet, 12, Magic); // 12-15 55 AA AA 55
    }
}

/// <summary>get-listener (0x92).</summary>
public sealed record GetListenerRequest(uint Controller) : UhppoteRequest(UhppoteFunction.GetListener, Controller);

/// <summary>set-listener (0x90): where the board pushes events (IPv4), and the auto-send interval in seconds (0: off).</summary>
public sealed record SetListenerRequest(uint Controller, IPEndPoint Listener, byte IntervalSeconds = 0) : UhppoteRequest(UhppoteFunction.SetListener, Controller)
{
    protected override void WriteBody(Span<byte> packet)
    {
        WriteIPv4(packet, 8, Listener.Address);            // 08-11 address
        WriteUInt16(packet, 12, checked((ushort)Listener.Port)); // 12-13 port, little-endian
        packet[14] = IntervalSeconds;                       // 14 auto-send interval
    }
}

/// <summary>record-special-events (0x8E): also log door open/close and push-button events.</summary>
public sealed record RecordSpecialEventsRequest(uint Controller, bool Enable) : UhppoteRequest(UhppoteFunction.RecordSpecialEvents, Controller)
{
    protected override void WriteBody(Span<byte> packet) => WriteBool(packet, 8, Enable); // 08 0 or 1
}
