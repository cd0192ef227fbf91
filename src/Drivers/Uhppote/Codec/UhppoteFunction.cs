namespace Gateway.Drivers.Uhppote.Codec;

/// <summary>
/// Function codes (byte 1 of every packet) that Gateway speaks. A reply carries the function code of
/// its request. Values from uhppote-core <c>messages/*.go</c> and uhppoted-python <c>encode.py</c>
/// (docs/uhppote.md, "Sources").
/// </summary>
public enum UhppoteFunction : byte
{
    /// <summary>get-status request and reply; also the function code of an event pushed to the listener.</summary>
    GetStatus = 0x20,
    SetTime = 0x30,
    GetTime = 0x32,
    OpenDoor = 0x40,
    PutCard = 0x50,
    DeleteCard = 0x52,
    DeleteAllCards = 0x54,
    GetCards = 0x58,
    GetCard = 0x5A,
    GetCardByIndex = 0x5C,
    SetDoorControl = 0x80,
    GetDoorControl = 0x82,

    /// <summary>set-anti-passback (newer firmware; uhppote-core <c>messages/set_anti_passback.go</c>).</summary>
    SetAntiPassback = 0x84,

    /// <summary>get-anti-passback (newer firmware; uhppote-core <c>messages/get_anti_passback.go</c>).</summary>
    GetAntiPassback = 0x86,
    RecordSpecialEvents = 0x8E,
    SetListener = 0x90,
    GetListener = 0x92,
    GetController = 0x94,
    GetEvent = 0xB0,
    SetEventIndex = 0xB2,
    GetEventIndex = 0xB4,
}
