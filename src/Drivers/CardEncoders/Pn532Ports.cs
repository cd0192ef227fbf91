using System.Runtime.Versioning;
using Gateway.Drivers.CardEncoders.Hsu;
using Iot.Device.Card;
using Iot.Device.Pn532;
using Iot.Device.Pn532.ListPassive;
using Iot.Device.Pn532.RfConfiguration;
using Microsoft.Extensions.Logging;

namespace Gateway.Drivers.CardEncoders;

/// <summary>How the encoder talks to its PN532.</summary>
public enum Pn532Transport
{
    /// <summary>Gateway's own HSU frame layer on a termios port (Linux; see docs/encoder.md), else the binding.</summary>
    Auto,

    /// <summary>Gateway's own HSU frame layer on a termios port (Linux only).</summary>
    Direct,

    /// <summary>The Iot.Device.Bindings Pn532 class on System.IO.Ports (fixed 89 ms reply deadline).</summary>
    Binding,
}

/// <summary>
/// The handful of PN532 commands the encoder uses, over either transport. Synchronous: called only on
/// the encoder's worker thread. Sentinels (null, false, -1) are the encoder's to translate.
/// </summary>
internal interface IPn532Port : IDisposable
{
    /// <summary>Firmware as reported by GetFirmwareVersion, e.g. "PN532 v1.6".</summary>
    string Firmware { get; }

    /// <summary>InListPassiveTarget (two targets, 106 kbps type A): its raw data (NbTg first); null when the reader did not answer.</summary>
    byte[]? ListPassiveTargets();

    /// <summary>RFConfiguration MaxRetries with one passive activation, so that "no card" is answered at once; false when the reader did not answer.</summary>
    bool LimitPassiveActivationRetries();

    /// <summary>InDeselect then InSelect of the target (a card halted by a failed authentication answers again).</summary>
    bool Reselect(byte target);

    /// <summary>
    /// InDataExchange with a MIFARE target: the number of bytes received into <paramref name="receive"/>;
    /// -1 when the card or reader refused; <see cref="Pn532Port.NoReply"/> when the reply missed its
    /// deadline (the direct transport tells the two apart; the binding reports both as -1).
    /// </summary>
    int Exchange(byte target, ReadOnlySpan<byte> send, Span<byte> receive);
}

/// <summary>Constants shared by the <see cref="IPn532Port"/> implementations.</summary>
internal static class Pn532Port
{
    /// <summary>What <see cref="IPn532Port.Exchange"/> returns when the reply did not come in time.</summary>
    public const int NoReply = -2;
}

/// <summary>The encoder's commands through Iot.Device.Bindings (its own SerialPort, 89 ms deadline).</summary>
internal sealed class BindingPn532Port : IPn532Port
{
    private readonly Pn532 _reader;

    private BindingPn532Port(Pn532 reader, string firmware)
    {
        _reader = reader;
        Firmware = firmware;
    }

    public string Firmware { get; }

    /// <summary>Opens the port and initialises the reader (wake-up, SAM, firmware, parameters).</summary>
    /// <returns>Null when no PN532 answers.</returns>
    public static BindingPn532Port? Open(string port)
    {
        // checkVersion: false, so that a silent port yields FirmwareVersion == null rather than `throw new Exception`.
        var reader = new Pn532(port, checkVersion: false);
        if (reader.FirmwareVersion is not { IsPn532: true } version)
        {
            reader.Dispose();
            return null;
        }

        return new BindingPn532Port(reader, $"PN5{version.IdentificationCode:X2} v{version.Version.Major}.{version.Version.Minor}");
    }

    public byte[]? ListPassiveTargets()
    {
        var raw = _reader.ListPassiveTarget(MaxTarget.Two, TargetBaudRate.B106kbpsTypeA);

        // The binding returns null both for "no card" and "no answer": ask the reader something cheap.
        return raw ?? (LimitPassiveActivationRetries() ? [0] : null);
    }

    public bool LimitPassiveActivationRetries() =>
        _reader.SetMaxRetriesInitialization(new MaxRetriesMode { MaxRetryPassiveActivation = 0x01 });

    public bool Reselect(byte target) => _reader.ReselectTarget(target);

    public int Exchange(byte target, ReadOnlySpan<byte> send, Span<byte> receive) =>
        _reader.Transceive(target, send, receive, NfcProtocol.Mifare);

    public void Dispose() => _reader.Dispose();
}

/// <summary>The encoder's commands through Gateway's own HSU frame layer (UM0701-02 §6.2 and §7).</summary>
[SupportedOSPlatform("linux")]
internal sealed class DirectPn532Port : IPn532Port
{
    private const byte GetFirmwareVersion = 0x02;
    private const byte SamConfiguration = 0x14;
    private const byte RfConfiguration = 0x32;
    private const byte InDataExchange = 0x40;
    private const byte InDeselect = 0x44;
    private const byte InListPassiveTarget = 0x4A;
    private const byte InSelect = 0x54;

    private readonly Pn532HsuClient _client;

    private DirectPn532Port(Pn532HsuClient client, string firmware)
    {
        _client = client;
        Firmware = firmware;
    }

    public string Firmware { get; }

    public Pn532HsuClient Client => _client;

    /// <summary>Opens the port and initialises the reader: wake-up and SAMConfiguration (normal mode, no IRQ), GetFirmwareVersion.</summary>
    /// <returns>Null when no PN532 answers.</returns>
    /// <exception cref="IOException">The port cannot be opened.</exception>
    public static DirectPn532Port? Open(string port, TimeSpan replyTimeout, ILogger logger)
    {
        var client = new Pn532HsuClient(TermiosSerialLine.Open(port), replyTimeout, logger);
        try
        {
            client.WakeUp();

            // SAMConfiguration (§7.2.10): normal mode, virtual-card timeout 17h × 50 ms (unused), no IRQ pin.
            // A PN532 just woken may miss the first one; GetFirmwareVersion then tells.
            _ = client.Execute(SamConfiguration, [0x01, 0x17, 0x00]);
            var version = client.Execute(GetFirmwareVersion, []) ?? client.Execute(GetFirmwareVersion, []);
            if (version is not { Length: >= 4 } || version[0] != 0x32)
            {
                client.Dispose();
                return null;
            }

            var opened = new DirectPn532Port(client, $"PN5{version[0]:X2} v{version[1]}.{version[2]}");
            client = null;
            return opened;
        }
        finally
        {
            client?.Dispose();
        }
    }

    public byte[]? ListPassiveTargets() => _client.Execute(InListPassiveTarget, [0x02, 0x00]);

    // RFConfiguration item 05h (§7.3.1): MxRtyATR 02h, MxRtyPSL 01h, MxRtyPassiveActivation 01h.
    public bool LimitPassiveActivationRetries() => _client.Execute(RfConfiguration, [0x05, 0x02, 0x01, 0x01]) is not null;

    public bool Reselect(byte target)
    {
        _ = _client.Execute(InDeselect, [target]);
        return _client.Execute(InSelect, [target]) is [var status, ..] && (status & 0x3F) == 0;
    }

    public int Exchange(byte target, ReadOnlySpan<byte> send, Span<byte> receive)
    {
        Span<byte> data = stackalloc byte[1 + send.Length];
        data[0] = target;
        send.CopyTo(data[1..]);
        var reply = _client.Execute(InDataExchange, data);
        data.Clear();
        if (reply is null && _client.LastMissedDeadline)
        {
            return Pn532Port.NoReply;
        }

        // Status byte first (§7.1: error code in its low 6 bits), then what the card sent.
        if (reply is not [var status, ..] || (status & 0x3F) != 0)
        {
            return -1;
        }

        var n = Math.Min(reply.Length - 1, receive.Length);
        reply.AsSpan(1, n).CopyTo(receive);
        Array.Clear(reply);
        return n;
    }

    public void Dispose() => _client.Dispose();
}
