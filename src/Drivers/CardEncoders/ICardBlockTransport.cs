using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;

namespace Gateway.Drivers.CardEncoders;

/// <summary>A card in the reader's field, as the reader reports it.</summary>
/// <param name="Uid">UID in upper-case hex (4 or 7 bytes: 8 or 14 digits).</param>
/// <param name="Type">MIFARE Classic 1K or 4K; null for any other card (not one Gateway writes).</param>
/// <param name="Atqa">ISO 14443-3 ATQA as the reader reports it. A reader that reports only an ATR
/// (PC/SC) gives the ATQA of the type the ATR names (1K: 0004h, 4K: 0002h), or 0 when it names none.</param>
/// <param name="Sak">ISO 14443-3 SAK, the same way (1K: 08h, 4K: 18h).</param>
public sealed record DetectedCard(string Uid, MifareClassicType? Type, ushort Atqa, byte Sak)
{
    /// <summary>The UID's bytes.</summary>
    public byte[] UidBytes() => Convert.FromHexString(Uid);
}

/// <summary>
/// The block transport: the card operations Gateway's issuing steps need, over one open reader — find
/// the cards in the field, select one, authenticate a sector with a key, read and write 16-byte
/// blocks. The PN532 implements it (<c>Pn532/</c>); a PC/SC storage-card reader fits it as well (GET
/// DATA for the UID, LOAD KEYS then GENERAL AUTHENTICATE, READ BINARY, UPDATE BINARY).
/// </summary>
/// <remarks>
/// <para>
/// One caller at a time: the encoder serialises operations. A transport is one opened connection to
/// the reader; the encoder opens it, and after <see cref="EncoderNotRespondingException"/> disposes it
/// and opens a new one for the next operation.
/// </para>
/// <para>
/// Every member may throw, besides what it lists:
/// <see cref="CardNotPresentException"/> — the selected card left the field. The card is then
/// <em>removed</em>: every later command throws the same until <see cref="SelectAsync"/> is called
/// again after a new <see cref="DetectCardsAsync"/>; a card put back (the same one or another) is never
/// addressed silently.
/// <see cref="EncoderNotRespondingException"/> — a transport fault: the reader did not answer in time,
/// its port or service is gone. Never thrown for anything the card decided.
/// <see cref="OperationCanceledException"/> — the caller's token, passed through untouched.
/// </para>
/// <para>
/// Implementations translate their own errors (I/O, status words, sentinels) into these types, and
/// handle their own lost replies (a PN532 reply that missed its deadline is settled before the call
/// returns). Keys and block data never reach a log.
/// </para>
/// </remarks>
public interface ICardBlockTransport : IAsyncDisposable
{
    /// <summary>The reader, for errors and logs: a PN532's serial port, a PC/SC reader name.</summary>
    string Name { get; }

    /// <summary>Chip and firmware as the reader reported them when the transport was opened, e.g. "PN532 v1.6".</summary>
    string Firmware { get; }

    /// <summary>Reader commands sent so far, opening included (benchmarks report them per card).</summary>
    long CommandCount { get; }

    /// <summary>
    /// The cards in the field now, activated (a PN532 lists up to two; a reader that can see only one
    /// returns at most one). Empty when there is none. Any selection is dropped.
    /// </summary>
    Task<IReadOnlyList<DetectedCard>> DetectCardsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Makes <paramref name="card"/>, returned by the last <see cref="DetectCardsAsync"/>, the card the
    /// commands below address. It holds no authentication yet.
    /// </summary>
    /// <exception cref="CardNotPresentException">The card is no longer in the field, or was not detected.</exception>
    Task SelectAsync(DetectedCard card, CancellationToken cancellationToken);

    /// <summary>
    /// Authenticates <paramref name="sector"/> of the selected card with <paramref name="key"/> (6 bytes)
    /// as key A or B. The transport loads the key itself (into the PN532's command, into a PC/SC
    /// reader's volatile key slot) and keeps no copy beyond what settling a lost reply needs.
    /// </summary>
    /// <returns>
    /// True when the sector accepted the key: reads and writes of its blocks may follow. False when the
    /// card refused it; a MIFARE Classic card halts on a refusal, so the transport makes it answer again
    /// (a PN532 deselects and selects it, a PC/SC reader reconnects) before returning false.
    /// </returns>
    Task<bool> TryAuthenticateAsync(int sector, MifareKeySlot keySlot, ReadOnlyMemory<byte> key, CancellationToken cancellationToken);

    /// <summary>Reads block <paramref name="block"/> (absolute number) of the authenticated sector: 16 bytes into <paramref name="destination"/>.</summary>
    /// <exception cref="CardWriteException">The card, still in the field, refused or failed the read; it has been made to answer again, unauthenticated.</exception>
    Task ReadBlockAsync(int block, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the 16 bytes of <paramref name="data"/> to block <paramref name="block"/> of the
    /// authenticated sector. After a sector trailer is written the sector must be authenticated again.
    /// </summary>
    /// <exception cref="CardWriteException">The card, still in the field, refused or failed the write; it has been made to answer again, unauthenticated.</exception>
    /// <exception cref="InvalidOperationException">A sector trailer whose access bits are inconsistent: it would lock the sector for good, so it is never sent.</exception>
    Task WriteBlockAsync(int block, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}
