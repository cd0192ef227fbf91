using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Pn532;
using Gateway.Drivers.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Drivers.CardEncoders;

/// <summary>How the encoder talks to its PN532.</summary>
public enum Pn532Transport
{
    /// <summary>Gateway's own HSU frame layer on Linux (see docs/encoder.md), the binding elsewhere.</summary>
    Auto,

    /// <summary>Gateway's own HSU frame layer on a <see cref="SerialChannel"/>.</summary>
    Direct,

    /// <summary>The Iot.Device.Bindings Pn532 class on System.IO.Ports (fixed 89 ms reply deadline).</summary>
    Binding,
}

/// <summary>Settings of one PN532 encoder.</summary>
/// <param name="Port">Serial port path (/dev/ttyUSB0, COM4).</param>
/// <param name="SiteId">This site's id, written on issued cards and expected on read ones.</param>
public sealed record Pn532EncoderOptions(string Port, string SiteId)
{
    /// <summary>How often <see cref="ICardEncoder.WaitForCardAsync"/> looks for a card.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Gateway's own HSU frame layer (the default on Linux) or the Iot.Device.Bindings Pn532 class
    /// (the default elsewhere). See docs/encoder.md for why the hot path bypasses the binding.
    /// </summary>
    public Pn532Transport Transport { get; init; } = Pn532Transport.Auto;

    /// <summary>The serial driver of the direct transport (<see cref="SerialDriver.Auto"/>: raw termios on Linux, System.IO.Ports elsewhere).</summary>
    public SerialDriver SerialDriver { get; init; } = SerialDriver.Auto;

    /// <summary>
    /// How long the direct transport waits for the ACK and then for the reply of each command before
    /// it aborts the command (the binding's deadline is a fixed 89 ms). A PN532 answers a MIFARE
    /// command in a few milliseconds; the margin is for a loaded host.
    /// </summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>
/// The desk encoder on a PN532 over HSU serial (115200 8N1): <see cref="MifareCardEncoder"/> over
/// the PN532 block transport (<c>Pn532/</c>), which talks to the chip through Gateway's own frame
/// layer on Linux and through the Iot.Device.Bindings Pn532 class elsewhere
/// (<see cref="Pn532EncoderOptions.Transport"/>). When the port fails or the reader stops answering,
/// the next call opens the port again.
/// </summary>
public sealed class Pn532CardEncoder : MifareCardEncoder
{
    /// <param name="options">Port and site.</param>
    /// <param name="keys">The site's card keys; null allows only <see cref="MifareCardEncoder.GetInfoAsync"/> and <see cref="MifareCardEncoder.WaitForCardAsync"/>.</param>
    /// <param name="journal">Where card writes are journaled before each step.</param>
    /// <param name="logger">Never receives key material.</param>
    public Pn532CardEncoder(Pn532EncoderOptions options, SiteCardKeys? keys, ICardWriteJournal journal, ILogger<Pn532CardEncoder>? logger = null)
        : base(
            (options ?? throw new ArgumentNullException(nameof(options))).Port,
            options.SiteId,
            async cancellationToken => await Pn532BlockTransport.OpenAsync(options, (ILogger?)logger ?? NullLogger.Instance, cancellationToken).ConfigureAwait(false),
            keys,
            journal,
            logger,
            options.PollInterval)
    {
    }
}
