using Gateway.Drivers.Channels;
using Iot.Device.Card;
using Iot.Device.Pn532.ListPassive;
using Iot.Device.Pn532.RfConfiguration;
using Microsoft.Extensions.Logging;
using BindingPn532 = Iot.Device.Pn532.Pn532;

namespace Gateway.Drivers.CardEncoders.Pn532;

/// <summary>
/// The handful of PN532 commands the encoder uses, over either way of talking to the chip.
/// Sentinels (null, false, -1, <see cref="Pn532Port.NoReply"/>) are <see cref="Pn532BlockTransport"/>'s to translate.
/// </summary>
internal interface IPn532Port : IAsyncDisposable
{
    /// <summary>Firmware as reported by GetFirmwareVersion, e.g. "PN532 v1.6".</summary>
    string Firmware { get; }

    /// <summary>InListPassiveTarget (two targets, 106 kbps type A): its raw data (NbTg first); null when the reader did not answer.</summary>
    Task<byte[]?> ListPassiveTargetsAsync(CancellationToken cancellationToken);

    /// <summary>RFConfiguration MaxRetries with one passive activation, so that "no card" is answered at once; false when the reader did not answer.</summary>
    Task<bool> LimitPassiveActivationRetriesAsync(CancellationToken cancellationToken);

    /// <summary>InDeselect then InSelect of the target (a card halted by a failed authentication answers again): 1 selected, 0 not, <see cref="Pn532Port.NoReply"/> late.</summary>
    Task<int> ReselectAsync(byte target, CancellationToken cancellationToken);

    /// <summary>
    /// InDataExchange with a MIFARE target: the number of bytes received into <paramref name="receive"/>;
    /// -1 when the card or reader refused; <see cref="Pn532Port.NoReply"/> when the reply missed its
    /// deadline (the direct port tells the two apart; the binding reports both as -1).
    /// </summary>
    Task<int> ExchangeAsync(byte target, ReadOnlyMemory<byte> send, Memory<byte> receive, CancellationToken cancellationToken);
}

/// <summary>Constants shared by the <see cref="IPn532Port"/> implementations.</summary>
internal static class Pn532Port
{
    /// <summary>What the port returns when the reply did not come in time.</summary>
    public const int NoReply = -2;
}

/// <summary>The commands through Gateway's own HSU frame layer (UM0701-02 §6.2 and §7) on a <see cref="SerialChannel"/>.</summary>
internal sealed class DirectPn532Port : IPn532Port
{
    private const byte GetFirmwareVersion = 0x02;
    private const byte SamConfiguration = 0x14;
    private const byte RfConfiguration = 0x32;
    private const byte InDataExchange = 0x40;
    private const byte InDeselect = 0x44;
    private const byte InListPassiveTarget = 0x4A;
    private const byte InSelect = 0x54;

    private readonly Pn532Client _client;

    private DirectPn532Port(Pn532Client client, string firmware)
    {
        _client = client;
        Firmware = firmware;
    }

    public string Firmware { get; }

    /// <summary>
    /// Opens the port (115200 8N1) and initialises the reader: wake-up and SAMConfiguration (normal
    /// mode, no IRQ), GetFirmwareVersion.
    /// </summary>
    /// <returns>Null when no PN532 answers.</returns>
    /// <exception cref="DeviceConnectionException">The port cannot be opened.</exception>
    public static async Task<DirectPn532Port?> OpenAsync(string port, SerialDriver driver, TimeSpan replyTimeout, ILogger logger, CancellationToken cancellationToken)
    {
        var channel = new SerialChannel(new SerialEndpoint(port, 115200, SerialParity.None, 8, 1), driver);
        var client = new Pn532Client(channel, replyTimeout, logger, port);
        try
        {
            await channel.OpenAsync(cancellationToken).ConfigureAwait(false);
            await client.WakeUpAsync(cancellationToken).ConfigureAwait(false);

            // SAMConfiguration (§7.2.10): normal mode, virtual-card timeout 17h × 50 ms (unused), no IRQ pin.
            // A PN532 just woken may miss the first one; GetFirmwareVersion then tells.
            _ = await client.ExecuteAsync(SamConfiguration, new byte[] { 0x01, 0x17, 0x00 }, cancellationToken).ConfigureAwait(false);
            var version = (await client.ExecuteAsync(GetFirmwareVersion, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false)).Data
                ?? (await client.ExecuteAsync(GetFirmwareVersion, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false)).Data;
            if (version is not { Length: >= 4 } || version[0] != 0x32)
            {
                return null;
            }

            var opened = new DirectPn532Port(client, $"PN5{version[0]:X2} v{version[1]}.{version[2]}");
            client = null;
            return opened;
        }
        finally
        {
            if (client is not null)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public async Task<byte[]?> ListPassiveTargetsAsync(CancellationToken cancellationToken) =>
        (await _client.ExecuteAsync(InListPassiveTarget, new byte[] { 0x02, 0x00 }, cancellationToken).ConfigureAwait(false)).Data;

    // RFConfiguration item 05h (§7.3.1): MxRtyATR 02h, MxRtyPSL 01h, MxRtyPassiveActivation 01h.
    public async Task<bool> LimitPassiveActivationRetriesAsync(CancellationToken cancellationToken) =>
        (await _client.ExecuteAsync(RfConfiguration, new byte[] { 0x05, 0x02, 0x01, 0x01 }, cancellationToken).ConfigureAwait(false)).Data is not null;

    public async Task<int> ReselectAsync(byte target, CancellationToken cancellationToken)
    {
        _ = await _client.ExecuteAsync(InDeselect, new[] { target }, cancellationToken).ConfigureAwait(false);
        var reply = await _client.ExecuteAsync(InSelect, new[] { target }, cancellationToken).ConfigureAwait(false);
        return reply switch
        {
            { MissedDeadline: true } => Pn532Port.NoReply,
            { Data: [var status, ..] } when (status & 0x3F) == 0 => 1,
            _ => 0,
        };
    }

    public async Task<int> ExchangeAsync(byte target, ReadOnlyMemory<byte> send, Memory<byte> receive, CancellationToken cancellationToken)
    {
        var data = new byte[1 + send.Length];
        data[0] = target;
        send.CopyTo(data.AsMemory(1));
        Pn532Reply reply;
        try
        {
            reply = await _client.ExecuteAsync(InDataExchange, data, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Array.Clear(data);
        }

        if (reply.MissedDeadline)
        {
            return Pn532Port.NoReply;
        }

        // Status byte first (§7.1: error code in its low 6 bits), then what the card sent.
        if (reply.Data is not [var status, ..] || (status & 0x3F) != 0)
        {
            return -1;
        }

        var n = Math.Min(reply.Data.Length - 1, receive.Length);
        reply.Data.AsSpan(1, n).CopyTo(receive.Span);
        Array.Clear(reply.Data);
        return n;
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}

/// <summary>
/// The commands through Iot.Device.Bindings 4.2.0's Pn532 class (its own System.IO.Ports port, a
/// fixed ~89 ms deadline per first byte), run on a thread of its own: the class blocks and is not
/// thread-safe. Its exceptions are those of System.IO.Ports; the transport translates them.
/// </summary>
internal sealed class BindingPn532Port : IPn532Port
{
    private readonly BindingPn532 _reader;
    private readonly DedicatedWorker _worker;

    private BindingPn532Port(BindingPn532 reader, DedicatedWorker worker, string firmware)
    {
        _reader = reader;
        _worker = worker;
        Firmware = firmware;
    }

    public string Firmware { get; }

    /// <summary>Opens the port and initialises the reader (wake-up, SAM, firmware, parameters).</summary>
    /// <returns>Null when no PN532 answers.</returns>
    public static async Task<BindingPn532Port?> OpenAsync(string port, CancellationToken cancellationToken)
    {
        var thread = new DedicatedWorker($"pn532 {port}");
        var worker = thread;
        try
        {
            var opened = await worker.RunAsync(
                () =>
                {
                    // checkVersion: false, so that a silent port yields FirmwareVersion == null rather than `throw new Exception`.
                    var reader = new BindingPn532(port, checkVersion: false);
                    if (reader.FirmwareVersion is not { IsPn532: true } version)
                    {
                        reader.Dispose();
                        return null;
                    }

                    return new BindingPn532Port(reader, thread, $"PN5{version.IdentificationCode:X2} v{version.Version.Major}.{version.Version.Minor}");
                },
                cancellationToken).ConfigureAwait(false);
            if (opened is not null)
            {
                worker = null;
            }

            return opened;
        }
        finally
        {
            worker?.Dispose();
        }
    }

    public Task<byte[]?> ListPassiveTargetsAsync(CancellationToken cancellationToken) => _worker.RunAsync(
        () =>
        {
            var raw = _reader.ListPassiveTarget(MaxTarget.Two, TargetBaudRate.B106kbpsTypeA);

            // The binding returns null both for "no card" and "no answer": ask the reader something cheap.
            return raw ?? (LimitRetries() ? [0] : null);
        },
        cancellationToken);

    public Task<bool> LimitPassiveActivationRetriesAsync(CancellationToken cancellationToken) => _worker.RunAsync(LimitRetries, cancellationToken);

    public Task<int> ReselectAsync(byte target, CancellationToken cancellationToken) =>
        _worker.RunAsync(() => _reader.ReselectTarget(target) ? 1 : 0, cancellationToken);

    public Task<int> ExchangeAsync(byte target, ReadOnlyMemory<byte> send, Memory<byte> receive, CancellationToken cancellationToken) =>
        _worker.RunAsync(() => _reader.Transceive(target, send.Span, receive.Span, NfcProtocol.Mifare), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _worker.RunAsync(
                () =>
                {
                    _reader.Dispose();
                    return true;
                },
                CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _worker.Dispose();
        }
    }

    private bool LimitRetries() => _reader.SetMaxRetriesInitialization(new MaxRetriesMode { MaxRetryPassiveActivation = 0x01 });
}
