using Gateway.Drivers.CardEncoders.Layout;

namespace Gateway.Drivers.CardEncoders;

/// <summary>A card on the encoder.</summary>
/// <param name="Uid">UID in upper-case hex (8 or 14 digits).</param>
/// <param name="Type">MIFARE Classic 1K or 4K.</param>
/// <param name="Atqa">ISO 14443-3 ATQA.</param>
/// <param name="Sak">ISO 14443-3 SAK.</param>
public sealed record PresentedCard(string Uid, MifareClassicType Type, ushort Atqa, byte Sak);

/// <summary>What the encoder reports about itself.</summary>
/// <param name="Port">The serial port.</param>
/// <param name="Firmware">Chip and firmware, e.g. "PN532 v1.6".</param>
/// <param name="Card">The card on it, or null.</param>
public sealed record EncoderInfo(string Port, string Firmware, PresentedCard? Card);

/// <summary>A verified Gateway card of this site.</summary>
public sealed record GatewayCard(PresentedCard Card, CardPayload Payload);

/// <summary>What to write on a blank card.</summary>
/// <param name="CardNumber">The card number from the card register.</param>
/// <param name="Kind">Access, parking or both.</param>
/// <param name="IssueCounter">1 for the first issue of this card number, then 2, 3…</param>
/// <param name="ExpectedUid">When set, the card on the encoder must have this UID (hex), or nothing is written.</param>
public sealed record CardIssueRequest(uint CardNumber, CardKind Kind, uint IssueCounter, string? ExpectedUid = null);

/// <summary>
/// Gateway's card encoder: one reader (a PN532 on a serial port, or any <see cref="ICardBlockTransport"/>).
/// Every method works on the single card on the reader (looked up at the start of the call, so a card
/// can be swapped between calls), runs alone (concurrent calls are queued), and can be cancelled
/// between reader commands.
/// All methods throw <see cref="CardEncoderException"/> subclasses carrying the port:
/// <see cref="CardNotPresentException"/> (no card, or the card was taken away),
/// <see cref="MultipleCardsException"/>, <see cref="CardAuthenticationException"/>,
/// <see cref="CardWriteException"/>, <see cref="NotGatewayCardException"/> (with the precise reason) and
/// <see cref="EncoderNotRespondingException"/> (reader silent or unplugged: the next call reopens the port).
/// <see cref="OperationCanceledException"/> passes through untouched.
/// </summary>
public interface ICardEncoder : IAsyncDisposable
{
    /// <summary>The serial port (e.g. /dev/ttyUSB0 or COM4).</summary>
    string Port { get; }

    /// <summary>Reader commands (PN532 commands) sent since the encoder was created (benchmarks).</summary>
    long CommandCount { get; }

    /// <summary>Firmware and the card on the reader (if any). Opens the port when needed.</summary>
    Task<EncoderInfo> GetInfoAsync(CancellationToken cancellationToken);

    /// <summary>Waits until exactly one card is on the reader, polling about every 100 ms.</summary>
    /// <param name="timeout">How long to wait; <see cref="CardNotPresentException"/> after that.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    Task<PresentedCard> WaitForCardAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Reads the card on the reader and verifies it (keys, layout, MAC, site).</summary>
    /// <exception cref="NotGatewayCardException">Blank, unknown keys, edited payload (MAC), another site, torn…</exception>
    Task<GatewayCard> ReadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Issues the blank card on the reader: journals the intent, writes and reads back the payload,
    /// re-keys every sector (the payload sector's trailer last) and verifies with the new keys.
    /// Retrying after a tear with the same card number resumes the interrupted issue.
    /// </summary>
    /// <exception cref="NotGatewayCardException">The card is not blank stock (reason says what it is).</exception>
    Task<GatewayCard> IssueAsync(CardIssueRequest request, CancellationToken cancellationToken);

    /// <summary>Verifies that the card on the reader carries exactly <paramref name="expected"/> and this site's keys in every sector.</summary>
    Task<GatewayCard> VerifyAsync(CardPayload expected, CancellationToken cancellationToken);

    /// <summary>Erases (recycles) the card on the reader: empty payload, transport keys in every sector. Idempotent.</summary>
    Task<PresentedCard> EraseAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Finishes (or, with <paramref name="rollBack"/>, undoes) the journaled write left open on the
    /// card on the reader. Returns the outcome, or null when the card has no open write.
    /// </summary>
    Task<CardWriteOutcome?> RecoverAsync(bool rollBack, CancellationToken cancellationToken);
}
