using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Site;

namespace Gateway.Service.Cards.Encoders;

/// <summary>What to write on a blank card placed on an encoder.</summary>
/// <param name="JournalId">The service's issue-journal row for this attempt; the same id on a retry lets the encoder resume a torn write.</param>
/// <param name="EncoderId">The configured encoder device id.</param>
/// <param name="CardNumber">The number printed on the card (goes into the payload).</param>
/// <param name="Kind">Access, parking or both (goes into the payload).</param>
/// <param name="IssueCounter">How many times this card number has been issued, this issue included.</param>
/// <param name="ExpectedUid">The UID this card number had before (hex, upper case), or null for a card never issued: a different card on the encoder is refused.</param>
public sealed record CardWriteOrder(long JournalId, string EncoderId, long CardNumber, CardKind Kind, int IssueCounter, string? ExpectedUid);

/// <summary>A card written and verified with its new keys.</summary>
/// <param name="Uid">Its UID, hex upper case (4 or 7 bytes).</param>
public sealed record EncodedCard(string Uid);

/// <summary>Outcome of reading the card lying on an encoder.</summary>
public enum CardReadStatus
{
    /// <summary>A Gateway card of this site whose payload MAC verifies.</summary>
    Valid,

    /// <summary>No card on the encoder.</summary>
    NoCard,

    /// <summary>A card with transport keys and no payload.</summary>
    Blank,

    /// <summary>A Gateway card of another site.</summary>
    OtherSite,

    /// <summary>Not readable as a Gateway card: unknown keys, bad MAC (edited or copied payload), unknown layout.</summary>
    NotGatewayCard,

    /// <summary>More than one card on the encoder: none is read until one is left.</summary>
    MultipleCards,
}

/// <summary>What the encoder read.</summary>
/// <param name="Status">Valid or why not.</param>
/// <param name="Uid">The UID when a card was there.</param>
/// <param name="CardNumber">The payload's card number (Valid only).</param>
/// <param name="Kind">The payload's kind (Valid only).</param>
/// <param name="IssueCounter">The payload's issue counter (Valid only).</param>
/// <param name="Detail">For people: why the card is not valid.</param>
public sealed record CardReading(CardReadStatus Status, string? Uid, long? CardNumber, CardKind? Kind, int? IssueCounter, string? Detail);

/// <summary>
/// The service's port to the front-desk card encoders (DESIGN.md "Issuing"). The card-encoder
/// driver provides the adapter; every method is cancellable and journals its own card-write steps.
/// </summary>
public interface ICardEncoderPort
{
    /// <summary>Writes the payload and diversified keys on the card lying on the encoder and verifies it.</summary>
    /// <exception cref="EncoderUnavailableException">No driver or the encoder is not configured/connected.</exception>
    /// <exception cref="EncoderOperationException">No card, wrong card, write or verify failed.</exception>
    Task<EncodedCard> IssueAsync(CardWriteOrder order, CancellationToken cancellationToken);

    /// <summary>Returns the card on the encoder (whose UID must be <paramref name="expectedUid"/>) to transport keys and erases its payload.</summary>
    /// <exception cref="EncoderUnavailableException">No driver or the encoder is not configured/connected.</exception>
    /// <exception cref="EncoderOperationException">No card, wrong card, or the erase failed.</exception>
    Task EraseAsync(string encoderId, long cardNumber, string expectedUid, CancellationToken cancellationToken);

    /// <summary>Reads the card lying on the encoder and verifies its payload.</summary>
    /// <exception cref="EncoderUnavailableException">No driver or the encoder is not configured/connected.</exception>
    Task<CardReading> ReadAsync(string encoderId, CancellationToken cancellationToken);
}

/// <summary>The encoder cannot be used at all (→ 503 encoder-unavailable).</summary>
public sealed class EncoderUnavailableException(string message) : Exception(message);

/// <summary>The encoder was reached but the operation on the card failed (→ 502 encoder-failed).</summary>
public sealed class EncoderOperationException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>A configured card encoder (<c>Gateway:Devices:N</c> of kind <c>encoder</c>): its id and its serial port path or <c>pcsc://</c> endpoint.</summary>
public sealed record EncoderDevice(string Id, string Endpoint);

/// <summary>
/// The card encoders' settings: the configured encoders, the site id written on every card, and where the
/// site's card master key comes from (<c>Gateway:CardKeys</c>; null when unset: issuing answers unavailable).
/// </summary>
public sealed record CardEncoderOptions(IReadOnlyList<EncoderDevice> Encoders, string SiteId, CardKeyOptions? Keys)
{
    /// <summary>The encoders among the site's devices, the site id and the key settings.</summary>
    public static CardEncoderOptions From(SiteOptions site, SiteDevices devices, CardKeyOptions? keys) =>
        new(devices.OfKind(DeviceKind.Encoder).Select(d => new EncoderDevice(d.Id, d.Endpoint)).ToList(), site.SiteId, keys);

    /// <summary>
    /// Reads <c>Gateway:CardKeys</c>: <c>KeyFile</c> or <c>EnvironmentVariable</c>, and <c>Version</c> (1-255,
    /// default 1); null keys when neither source is set (then issuing answers unavailable).
    /// </summary>
    public static bool TryLoadKeys(IConfigurationSection gateway, out CardKeyOptions? keys, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        keys = null;
        var keyFile = gateway["CardKeys:KeyFile"];
        var keyVariable = gateway["CardKeys:EnvironmentVariable"];
        var keyVersionText = gateway["CardKeys:Version"] ?? "1";
        if (!byte.TryParse(keyVersionText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var keyVersion) || keyVersion == 0)
        {
            error = SiteOptions.Key("CardKeys:Version", $"'{keyVersionText}' is not a key version from 1 to 255");
            return false;
        }

        if (!string.IsNullOrWhiteSpace(keyFile) || !string.IsNullOrWhiteSpace(keyVariable))
        {
            keys = new CardKeyOptions(
                string.IsNullOrWhiteSpace(keyFile) ? null : Path.GetFullPath(keyFile),
                string.IsNullOrWhiteSpace(keyVariable) ? null : keyVariable,
                keyVersion);
        }

        error = null;
        return true;
    }

    /// <summary>
    /// The encoder a request means: the one it names, or the only one configured. Refused as
    /// <see cref="RefusalKind.Unavailable"/> when none is configured, as <see cref="RefusalKind.Invalid"/>
    /// (field <c>encoder</c>) when the name is not a configured encoder or several could be meant.
    /// </summary>
    public Outcome<string> Choose(string? requested)
    {
        if (Encoders.Count == 0)
        {
            return Refusal.Unavailable("no encoder configured: add a device of kind encoder (Gateway:Devices:N:Kind=encoder) to issue, recycle or read cards");
        }

        if (requested is null)
        {
            return Encoders.Count == 1
                ? Encoders[0].Id
                : Refusal.Invalid("encoder", $"several encoders are configured; name one of: {string.Join(", ", Encoders.Select(e => e.Id))}");
        }

        var match = Encoders.FirstOrDefault(e => string.Equals(e.Id, requested, StringComparison.OrdinalIgnoreCase));
        return match is not null
            ? match.Id
            : Refusal.Invalid("encoder", $"'{requested}' is not a configured encoder; configured: {string.Join(", ", Encoders.Select(e => e.Id))}");
    }
}
