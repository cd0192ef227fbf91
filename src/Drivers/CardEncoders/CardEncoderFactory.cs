using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Pcsc;
using Microsoft.Extensions.Logging;

namespace Gateway.Drivers.CardEncoders;

/// <summary>The desk encoder an endpoint names: a PC/SC reader (<c>pcsc://…</c>) or a PN532 on a serial port.</summary>
public static class CardEncoderFactory
{
    /// <summary>
    /// A <see cref="PcscCardEncoder"/> for <c>pcsc://READER-NAME</c> or <c>pcsc://</c>, else a
    /// <see cref="Pn532CardEncoder"/> on the serial port <paramref name="endpoint"/> names.
    /// </summary>
    /// <param name="endpoint"><c>pcsc://…</c>, or a serial port path (<c>/dev/ttyUSB0</c>, <c>COM4</c>).</param>
    /// <param name="siteId">This site's id.</param>
    /// <param name="keys">The site's card keys; null allows only reading the encoder's info and waiting for a card.</param>
    /// <param name="journal">Where card writes are journaled.</param>
    /// <param name="loggers">Loggers, or null.</param>
    /// <exception cref="FormatException">A <c>pcsc:</c> endpoint that does not parse; the message is one line.</exception>
    public static MifareCardEncoder Create(string endpoint, string siteId, SiteCardKeys? keys, ICardWriteJournal journal, ILoggerFactory? loggers = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        return PcscEndpoint.IsPcsc(endpoint)
            ? new PcscCardEncoder(new PcscEncoderOptions(endpoint, siteId), keys, journal, loggers?.CreateLogger<PcscCardEncoder>())
            : new Pn532CardEncoder(new Pn532EncoderOptions(endpoint, siteId), keys, journal, loggers?.CreateLogger<Pn532CardEncoder>());
    }
}
