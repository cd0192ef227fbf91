using Gateway.Drivers.CardEncoders.Keys;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Drivers.CardEncoders.Pcsc;

/// <summary>Settings of one PC/SC encoder.</summary>
/// <param name="Endpoint"><c>pcsc://READER-NAME</c> (percent-encoded), or <c>pcsc://</c> for the only reader holding a card.</param>
/// <param name="SiteId">This site's id, written on issued cards and expected on read ones.</param>
public sealed record PcscEncoderOptions(string Endpoint, string SiteId)
{
    /// <summary>How often <see cref="ICardEncoder.WaitForCardAsync"/> looks for a card.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// After an exchange whose answer was lost (the reader returned no status word, or the PC/SC
    /// service reported a failed exchange), how long to wait for the resource manager to say whether
    /// the card left the field. pcsc-lite polls some drivers (vpcd among them) every 400 ms.
    /// </summary>
    public TimeSpan RemovalWait { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// The desk encoder on a PC/SC contactless reader (ACR122U, ACR1252U, OMNIKEY 5x22 and their kind),
/// through pcsc-lite on Linux and WinSCard on Windows: <see cref="MifareCardEncoder"/> over
/// <see cref="PcscBlockTransport"/>, which speaks the PC/SC Part 3 storage-card commands. The same
/// key diversification, card layout, journal and torn-write recovery as the PN532 encoder.
/// </summary>
public sealed class PcscCardEncoder : MifareCardEncoder
{
    /// <param name="options">Endpoint and site.</param>
    /// <param name="keys">The site's card keys; null allows only <see cref="MifareCardEncoder.GetInfoAsync"/> and <see cref="MifareCardEncoder.WaitForCardAsync"/>.</param>
    /// <param name="journal">Where card writes are journaled before each step.</param>
    /// <param name="logger">Never receives key material.</param>
    /// <exception cref="FormatException">The endpoint is not <c>pcsc://</c> or <c>pcsc://READER-NAME</c>.</exception>
    public PcscCardEncoder(PcscEncoderOptions options, SiteCardKeys? keys, ICardWriteJournal journal, ILogger<PcscCardEncoder>? logger = null)
        : this(options, PcscEndpoint.Parse((options ?? throw new ArgumentNullException(nameof(options))).Endpoint), keys, journal, logger)
    {
    }

    private PcscCardEncoder(PcscEncoderOptions options, PcscEndpoint endpoint, SiteCardKeys? keys, ICardWriteJournal journal, ILogger<PcscCardEncoder>? logger)
        : base(
            endpoint.ToString(),
            options.SiteId,
            async cancellationToken => await PcscBlockTransport.OpenAsync(endpoint, options, PcscContext.Establish, (ILogger?)logger ?? NullLogger.Instance, cancellationToken).ConfigureAwait(false),
            keys,
            journal,
            logger,
            options.PollInterval)
    {
    }
}
