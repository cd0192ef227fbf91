using System.Globalization;

namespace Gateway.Drivers.Tests.Uhppote;

/// <summary>
/// Published UHPPOTE packets, byte for byte. Each vector names its source file and commit; the bytes
/// after the last one written here are zero in the source (every packet is 64 bytes).
/// </summary>
internal static class UhppoteVectors
{
    /// <summary>uhppoted/uhppoted-python, integration-tests/uhppoted/stub.py, commit 575e974ad1b370eab0f4123ba02f5304fd22ae8a: request/response pairs for board 405419896.</summary>
    public const string PythonStub = "uhppoted-python integration-tests/uhppoted/stub.py @575e974";

    /// <summary>uhppoted/uhppote-core, messages/*_test.go, commit 117ff01c3836ab29cd08957ebccad4604bee8c28: packets of board 423187757.</summary>
    public const string CoreTests = "uhppote-core messages/*_test.go @117ff01";

    /// <summary>uhppoted/uhppote-core, messages/get_anti_passback_test.go and set_anti_passback_test.go, commit 9f3544cde70ff85c108bc108254af5046180cbe8: board 405419896.</summary>
    public const string CoreAntiPassbackTests = "uhppote-core messages/*_anti_passback_test.go @9f3544c";

    /// <summary>A 64-byte packet from its leading bytes in hex (spaces allowed); the rest is zero.</summary>
    public static byte[] Packet(string hex)
    {
        var digits = hex.Replace(" ", string.Empty, StringComparison.Ordinal);
        var packet = new byte[64];
        for (var i = 0; i < digits.Length / 2; i++)
        {
            packet[i] = byte.Parse(digits.AsSpan(2 * i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        }

        return packet;
    }

    // --- uhppoted-python stub.py (PythonStub) -------------------------------------------------------
    public const string GetControllerRequest = "17 94 00 00 78 37 2A 18";
    public const string GetControllerResponse = "17 94 00 00 78 37 2A 18 C0 A8 01 64 FF FF FF 00 C0 A8 01 01 00 12 23 34 45 56 08 92 20 18 11 05";
    public const string GetTimeRequest = "17 32 00 00 78 37 2A 18";
    public const string GetTimeResponse = "17 32 00 00 78 37 2A 18 20 21 05 28 13 51 30";
    public const string SetTimeRequest = "17 30 00 00 78 37 2A 18 20 21 05 28 14 56 14";
    public const string SetTimeResponse = "17 30 00 00 78 37 2A 18 20 21 05 28 14 56 14";
    public const string GetStatusRequest = "17 20 00 00 78 37 2A 18";
    public const string GetStatusResponse = "17 20 00 00 78 37 2A 18 45 00 00 00 02 01 01 01 00 00 00 00 20 19 08 10 10 28 32 2C 00 00 00 00 00 00 00 00 00 15 14 46 00 00 00 00 00 00 00 00 00 00 00 21 05 28";
    public const string GetListenerRequest = "17 92 00 00 78 37 2A 18";
    public const string GetListenerResponse = "17 92 00 00 78 37 2A 18 C0 A8 01 64 61 EA 0F";
    public const string SetListenerRequest = "17 90 00 00 78 37 2A 18 C0 A8 01 64 61 EA 0F";
    public const string SetListenerNoIntervalRequest = "17 90 00 00 78 37 2A 18 C0 A8 01 64 61 EA";
    public const string SetListenerResponse = "17 90 00 00 78 37 2A 18 01";
    public const string GetDoorControlRequest = "17 82 00 00 78 37 2A 18 03";
    public const string GetDoorControlResponse = "17 82 00 00 78 37 2A 18 03 03 07";
    public const string SetDoorControlRequest = "17 80 00 00 78 37 2A 18 03 02 04";
    public const string SetDoorControlResponse = "17 80 00 00 78 37 2A 18 03 02 04";
    public const string OpenDoorRequest = "17 40 00 00 78 37 2A 18 03";
    public const string OpenDoorResponse = "17 40 00 00 78 37 2A 18 01";
    public const string GetCardsRequest = "17 58 00 00 78 37 2A 18";
    public const string GetCardsResponse = "17 58 00 00 78 37 2A 18 03";
    public const string GetCardRequest = "17 5A 00 00 78 37 2A 18 A2 98 7C";
    public const string GetCardResponse = "17 5A 00 00 78 37 2A 18 A2 98 7C 00 20 23 01 01 20 23 12 31 01 00 1D 01 6B 1D";
    public const string GetCardByIndexRequest = "17 5C 00 00 78 37 2A 18 02";
    public const string GetCardByIndexResponse = "17 5C 00 00 78 37 2A 18 A3 98 7C 00 20 23 01 01 20 23 12 31 01 00 1D 01 6B 1D";
    public const string PutCardRequest = "17 50 00 00 78 37 2A 18 15 CD 5B 07 20 23 01 01 20 25 12 31 01 00 1D 01";
    public const string PutCardWithPinRequest = "17 50 00 00 78 37 2A 18 15 CD 5B 07 20 23 01 01 20 25 12 31 01 00 1D 01 6B 1D";
    public const string PutCardResponse = "17 50 00 00 78 37 2A 18 01";
    public const string DeleteCardRequest = "17 52 00 00 78 37 2A 18 A2 98 7C";
    public const string DeleteCardResponse = "17 52 00 00 78 37 2A 18 01";
    public const string DeleteAllCardsRequest = "17 54 00 00 78 37 2A 18 55 AA AA 55";
    public const string DeleteAllCardsResponse = "17 54 00 00 78 37 2A 18 01";
    public const string GetEventRequest = "17 B0 00 00 78 37 2A 18 1D";
    public const string GetEventResponse = "17 B0 00 00 78 37 2A 18 1D 00 00 00 02 01 01 01 00 00 00 00 20 19 08 03 10 34 29";
    public const string GetEventMissingRequest = "17 B0 00 00 78 37 2A 18 C8";
    public const string GetEventMissingResponse = "17 B0 00 00 78 37 2A 18";
    public const string GetEventIndexRequest = "17 B4 00 00 78 37 2A 18";
    public const string GetEventIndexResponse = "17 B4 00 00 78 37 2A 18 17";
    public const string SetEventIndexRequest = "17 B2 00 00 78 37 2A 18 1D 00 00 00 55 AA AA 55";
    public const string SetEventIndexResponse = "17 B2 00 00 78 37 2A 18 01";
    public const string RecordSpecialEventsRequest = "17 8E 00 00 78 37 2A 18 01";
    public const string RecordSpecialEventsResponse = "17 8E 00 00 78 37 2A 18 01";

    // --- uhppote-core messages/*_test.go (CoreTests) -----------------------------------------------
    /// <summary>events_test.go TestUnmarshalEvent: an event pushed to the listener (with bytes 56-61 the board left set).</summary>
    public const string CoreEvent = "17 20 00 00 2D 55 39 19 39 00 00 00 01 00 03 01 AA E8 5D 00 20 19 04 19 17 00 09 06 01 00 01 01 00 00 01 01 09 14 37 02 11 00 00 00 21 00 00 00 2B 04 01 19 04 20 00 00 93 26 04 88 08 92";

    /// <summary>events_test.go TestUnmarshalEventV6_62: the same event as v6.62 firmware pushes it (start byte 0x19).</summary>
    public const string CoreEventV662 = "19 20 00 00 2D 55 39 19 39 00 00 00 01 00 03 01 AA E8 5D 00 20 19 04 19 17 00 09 06 01 00 01 01 00 00 01 01 09 14 37 02 11 00 00 00 21 00 00 00 2B 04 01 19 04 20 00 00 93 26 04 88 08 92";

    /// <summary>events_test.go TestMarshalEvent: the event as an encoder writes it (type 2, granted).</summary>
    public const string CoreEventMarshalled = "17 20 00 00 2D 55 39 19 39 00 00 00 02 01 03 01 AA E8 5D 00 20 19 04 19 17 00 09 06 01 00 01 01 00 00 01 01 09 14 37 02 11 00 00 00 00 00 00 00 2B 04 01 19 04 20";

    /// <summary>get_status_test.go TestUnmarshalGetStatusResponseWithoutEvent.</summary>
    public const string CoreStatusWithoutEvent = "17 20 00 00 78 37 2A 18 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 83 11 16 20 00 00 00 00 00 00 00 00 00 00 00 23 09 29";

    /// <summary>get_event_test.go TestUnmarshalGetEventResponse (bytes 56-61 set by the board).</summary>
    public const string CoreGetEventResponse = "17 B0 00 00 2D 55 39 19 08 00 00 00 02 01 03 01 AD E8 5D 00 20 19 02 10 07 12 01 06 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 4A 26 80 39 08 92";

    /// <summary>get_event_test.go TestUnmarshalGetEventResponseWithInvalidTimestamp: an uninitialised board's 2000-00-00 00:00:00.</summary>
    public const string CoreGetEventInvalidTimestamp = "17 B0 00 00 2D 55 39 19 AC 2B 03 00 01 00 02 01 A0 7A 99 00 20 00 00 00 00 00 00 06 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 91";

    /// <summary>get_card_test.go TestUnmarshalGetCardByIndexNotFoundResponse.</summary>
    public const string CoreGetCardByIndexNotFound = "17 5C 00 00 2D 55 39 19";

    /// <summary>get_card_test.go TestUnmarshalGetCardWithPINByIndexResponse (PIN 986532, first-card doors 0x05).</summary>
    public const string CoreGetCardByIndexWithPin = "17 5C 00 00 2D 55 39 19 AC E8 5D 00 20 19 02 03 20 19 12 29 00 00 1D 01 A4 0D 0F 05";

    /// <summary>put_card_test.go TestMarshalPutCardRequestWithPIN (PIN 975319, first-card doors 0x05).</summary>
    public const string CorePutCardWithPin = "17 50 00 00 2D 55 39 19 AC E8 5D 00 20 19 01 02 20 19 12 31 01 00 1D 01 D7 E1 0E 05";

    /// <summary>get_event_test.go TestMarshalGetEventRequest.</summary>
    public const string CoreGetEventRequest = "17 B0 00 00 2D 55 39 19 01";

    /// <summary>set_listener_test.go TestMarshalSetListenerRequest (192.168.1.100:40000, interval 13).</summary>
    public const string CoreSetListenerRequest = "17 90 00 00 2D 55 39 19 C0 A8 01 64 40 9C 0D";

    /// <summary>get_device_test.go TestUnmarshalGetDeviceResponse.</summary>
    public const string CoreGetDeviceResponse = "17 94 00 00 2D 55 39 19 C0 A8 00 00 FF FF FF 00 00 00 00 00 00 66 19 39 55 2D 08 92 20 18 08 16";

    // --- uhppote-core anti-passback tests (CoreAntiPassbackTests) ------------------------------------
    public const string GetAntiPassbackRequest = "17 86 00 00 78 37 2A 18";
    public const string GetAntiPassbackResponse = "17 86 00 00 78 37 2A 18 04";
    public const string SetAntiPassbackRequest = "17 84 00 00 78 37 2A 18 04";
    public const string SetAntiPassbackResponse = "17 84 00 00 78 37 2A 18 01";
}
