using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;
using Microsoft.Extensions.Logging;

namespace Gateway.Drivers.CardEncoders.Pcsc;

/// <summary>
/// <see cref="ICardBlockTransport"/> over a PC/SC contactless reader: the card's UID by GET DATA
/// (FF CA), keys through LOAD KEYS (FF 82) into a volatile key slot of the reader, GENERAL
/// AUTHENTICATE (FF 86), READ BINARY (FF B0) and UPDATE BINARY (FF D6) of one block, as PC/SC Part 3
/// defines them. The resource manager's return codes and the status words become the interface's
/// typed errors here and nowhere else. Every PC/SC call runs on the transport's own thread.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A reader presents one card (its own anticollision picks one when there are two): a named
/// reader is one slot; <c>pcsc://</c> alone sees one card per reader holding one.</item>
/// <item>Key slots: readers disagree on LOAD KEYS' key number. Key number 00h (ACS ACR122U and
/// ACR1252U, NXP PR533) is tried first, then 60h/61h by key type (Identiv/SCM readers); the first that
/// the reader accepts is kept for the transport's life. The transport key FF…FF is not loaded again
/// while its slot still holds it; no other key is kept here.</item>
/// <item>A refusal (any status but 90 00: ACS readers answer 63 00, PC/SC Part 3 readers 69 82 and
/// others) leaves a MIFARE Classic halted: the transport reconnects with a reset, which makes the
/// reader activate the card again, and checks that the same UID answers.</item>
/// <item>An exchange that returns no status word, or that the resource manager reports as failed,
/// may or may not have reached the card: the transport waits (<see cref="PcscEncoderOptions.RemovalWait"/>)
/// for the resource manager to say whether the card left the field (then
/// <see cref="CardNotPresentException"/>), else reports a transport fault
/// (<see cref="EncoderNotRespondingException"/>): the encoder reopens the reader for the next
/// operation and the journal resumes the write.</item>
/// </list>
/// </remarks>
internal sealed class PcscBlockTransport : ICardBlockTransport
{
    // LOAD KEYS' key number, by convention: ACS and NXP readers take slot 00h for either key type,
    // Identiv/SCM readers take the key type itself (60h key A, 61h key B) as the key number.
    private static readonly Func<MifareKeySlot, byte>[] KeyNumbers = [_ => 0x00, slot => slot == MifareKeySlot.A ? StorageCardApdu.KeyTypeA : StorageCardApdu.KeyTypeB];

    private readonly DedicatedWorker _worker;
    private readonly IPcscContext _context;
    private readonly PcscEndpoint _endpoint;
    private readonly PcscEncoderOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Connection> _detected = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<byte> _slotsHoldingTransportKey = [];
    private Connection? _selected;
    private int _keyNumbering = -1;
    private long _commands;

    private PcscBlockTransport(DedicatedWorker worker, IPcscContext context, PcscEndpoint endpoint, PcscEncoderOptions options, ILogger logger)
    {
        _worker = worker;
        _context = context;
        _endpoint = endpoint;
        _options = options;
        _logger = logger;
        Name = endpoint.ToString();
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string Firmware => OperatingSystem.IsWindows() ? "PC/SC reader (WinSCard)" : "PC/SC reader (pcsc-lite)";

    /// <inheritdoc />
    /// <remarks>Command APDUs sent to the reader.</remarks>
    public long CommandCount => Interlocked.Read(ref _commands);

    /// <summary>
    /// Opens a context with the resource manager and, for a named reader, finds it.
    /// </summary>
    /// <exception cref="EncoderNotRespondingException">The PC/SC service is not running, or no reader has that name (the message lists the readers).</exception>
    public static async Task<PcscBlockTransport> OpenAsync(PcscEndpoint endpoint, PcscEncoderOptions options, Func<IPcscContext> establish, ILogger logger, CancellationToken cancellationToken)
    {
        var name = endpoint.ToString();
        var worker = new DedicatedWorker($"pcsc {name}");
        IPcscContext? context = null;
        try
        {
            context = await worker.RunAsync(
                () =>
                {
                    try
                    {
                        return establish();
                    }
                    catch (PcscException ex)
                    {
                        throw new EncoderNotRespondingException(name, ex.Message, ex);
                    }
                    catch (PlatformNotSupportedException ex)
                    {
                        throw new EncoderNotRespondingException(name, ex.Message, ex);
                    }
                },
                cancellationToken).ConfigureAwait(false);
            var transport = new PcscBlockTransport(worker, context, endpoint, options, logger);
            var reader = await worker.RunAsync(() => endpoint.ReaderName is null ? null : transport.ResolveReader(), cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Opened PC/SC encoder {Endpoint} (reader {Reader})", name, reader ?? "the one holding a card");
            context = null;
            return transport;
        }
        finally
        {
            if (context is not null)
            {
                await worker.RunAsync(() => { context.Dispose(); return true; }, CancellationToken.None).ConfigureAwait(false);
                worker.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<DetectedCard>> DetectCardsAsync(CancellationToken cancellationToken) => _worker.RunAsync(Detect, cancellationToken);

    /// <inheritdoc />
    public Task SelectAsync(DetectedCard card, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(card);
        return _worker.RunAsync(
            () =>
            {
                if (!_detected.TryGetValue(card.Uid, out var connection))
                {
                    _selected = null;
                    throw new CardNotPresentException(Name, $"card {card.Uid.ToUpperInvariant()} is not on the encoder");
                }

                _selected = connection;
                return true;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> TryAuthenticateAsync(int sector, MifareKeySlot keySlot, ReadOnlyMemory<byte> key, CancellationToken cancellationToken)
    {
        if (key.Length != 6)
        {
            throw new ArgumentException("a MIFARE Classic key is 6 bytes", nameof(key));
        }

        return _worker.RunAsync(() => Authenticate(sector, keySlot, key.Span), cancellationToken);
    }

    /// <inheritdoc />
    public Task ReadBlockAsync(int block, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (destination.Length < MifareClassic.BlockSize)
        {
            throw new ArgumentException("a block is 16 bytes", nameof(destination));
        }

        return _worker.RunAsync(() => Read(block, destination.Span), cancellationToken);
    }

    /// <inheritdoc />
    public Task WriteBlockAsync(int block, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (data.Length != MifareClassic.BlockSize)
        {
            throw new ArgumentException("a block is 16 bytes", nameof(data));
        }

        if (MifareClassic.IsTrailer(block) && !AccessBits.IsConsistent(data.Span.Slice(6, 3)))
        {
            throw new InvalidOperationException("refusing to write a sector trailer with inconsistent access bits: it would lock the sector for good");
        }

        return _worker.RunAsync(() => Write(block, data.Span), cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _worker.RunAsync(
                () =>
                {
                    DropAll();
                    _context.Dispose();
                    return true;
                },
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // Disposed twice.
        }

        _worker.Dispose();
    }

    private static (ushort Atqa, byte Sak) AtqaSak(MifareClassicType? type, int uidLength) => type switch
    {
        MifareClassicType.Classic1K => (uidLength == 7 ? (ushort)0x0044 : (ushort)0x0004, 0x08),
        MifareClassicType.Classic4K => (uidLength == 7 ? (ushort)0x0042 : (ushort)0x0002, 0x18),
        _ => (0, 0),
    };

    private IReadOnlyList<DetectedCard> Detect()
    {
        DropAll();
        var readers = _endpoint.ReaderName is null ? [.. Readers().Where(r => r.HasCard).Select(r => r.Name)] : new List<string> { ResolveReader() };
        var cards = new List<DetectedCard>();
        foreach (var reader in readers)
        {
            if (Connect(reader) is { } connection)
            {
                _detected[connection.Uid] = connection;
                cards.Add(connection.Card);
            }
        }

        return cards;
    }

    // The reader the endpoint names, among those the resource manager lists now.
    private string ResolveReader() =>
        _endpoint.Select(Readers(), out var error) ?? throw new EncoderNotRespondingException(Name, error!);

    private List<(string Name, bool HasCard)> Readers()
    {
        try
        {
            return [.. _context.ListReaders().Select(r => (r, _context.GetStatus(r).HasCard))];
        }
        catch (PcscException ex)
        {
            throw ReaderGone(ex);
        }
    }

    // Connects to the card in the reader and reads its UID; null when there is none (or it left meanwhile).
    private Connection? Connect(string reader)
    {
        PcscReaderStatus status;
        IPcscCard card;
        try
        {
            status = _context.GetStatus(reader);
            if ((status.State & (PcscReaderState.Unknown | PcscReaderState.Unavailable)) != 0)
            {
                throw new EncoderNotRespondingException(Name, $"the PC/SC reader '{reader}' is gone (unplugged?)");
            }

            if (!status.HasCard)
            {
                return null;
            }

            card = _context.Connect(reader);
        }
        catch (PcscException ex) when (PcscError.IsCardGone(ex.Code))
        {
            return null;
        }
        catch (PcscException ex)
        {
            throw ReaderGone(ex);
        }

        _slotsHoldingTransportKey.Clear();
        var response = new byte[StorageCardApdu.MaxResponseLength];
        Span<byte> command = stackalloc byte[5];
        StorageCardApdu.WriteGetUid(command);
        int n;
        try
        {
            Interlocked.Increment(ref _commands);
            n = card.Transmit(command, response);
        }
        catch (PcscException ex) when (PcscError.IsCardGone(ex.Code))
        {
            card.Dispose();
            return null;
        }
        catch (PcscException ex)
        {
            // SCARD_E_NOT_TRANSACTED and its kind: what pcsc-lite says when a card leaves during the
            // exchange (the reader's driver lost it), as well as when the reader fails. pcscd tells which.
            card.Dispose();
            return CardLeft(reader, ex) ? null : throw ReaderGone(ex);
        }

        if (n < 2)
        {
            // No status word at all: the card left mid-exchange (vpcd answers an empty response), or the reader failed.
            card.Dispose();
            return CardLeft(reader, null) ? null : throw new EncoderNotRespondingException(Name, $"the PC/SC reader '{reader}' returned no status word to GET DATA");
        }

        if (!StorageCardApdu.TryParseResponse(response.AsSpan(0, n), out var uid, out var sw) || !sw.IsSuccess || uid.Length is < 4 or > 10)
        {
            card.Dispose();
            throw new NotGatewayCardException(Name, "unknown", NotGatewayCardReason.UnsupportedCard, $"the reader gives no UID for this card (GET DATA answered {(n >= 2 ? sw.ToString() : "nothing")})");
        }

        var type = StorageCardAtr.TypeOf(status.Atr);
        var (atqa, sak) = AtqaSak(type, uid.Length);
        var hex = Convert.ToHexString(uid);
        return new Connection(reader, card, hex, uid.ToArray(), new DetectedCard(hex, type, atqa, sak));
    }

    private bool Authenticate(int sector, MifareKeySlot keySlot, ReadOnlySpan<byte> key)
    {
        var connection = Selected();
        var keyNumber = LoadKey(connection, keySlot, key);
        Span<byte> command = stackalloc byte[10];
        StorageCardApdu.WriteGeneralAuthenticate(command, MifareClassic.TrailerBlock(sector), keySlot, keyNumber);
        var status = Exchange(connection, command, [], out _);
        if (status.IsSuccess)
        {
            return true;
        }

        _logger.LogDebug("Sector {Sector} of card {CardUid} on {Endpoint} refused key {KeySlot} ({Status})", sector, connection.Uid, Name, keySlot, status.ToString());
        MakeAnswerAgain(connection);
        return false;
    }

    // Loads the key into the reader and returns the key number it went to.
    private byte LoadKey(Connection connection, MifareKeySlot keySlot, ReadOnlySpan<byte> key)
    {
        var transportKey = key.SequenceEqual(MifareClassic.TransportKey);
        var first = Math.Max(_keyNumbering, 0);
        var last = _keyNumbering >= 0 ? _keyNumbering : KeyNumbers.Length - 1;
        StatusWord status = default;
        Span<byte> command = stackalloc byte[11];
        for (var numbering = first; numbering <= last; numbering++)
        {
            var keyNumber = KeyNumbers[numbering](keySlot);
            if (transportKey && _slotsHoldingTransportKey.Contains(keyNumber))
            {
                return keyNumber;
            }

            try
            {
                StorageCardApdu.WriteLoadKey(command, 0x00, keyNumber, key);
                status = Exchange(connection, command, [], out _);
            }
            finally
            {
                command.Clear();
            }

            if (status.IsSuccess)
            {
                _keyNumbering = numbering;
                if (transportKey)
                {
                    _slotsHoldingTransportKey.Add(keyNumber);
                }
                else
                {
                    _slotsHoldingTransportKey.Remove(keyNumber);
                }

                return keyNumber;
            }
        }

        MakeAnswerAgain(connection);
        throw new CardEncoderException(Name, $"the reader refuses to load a MIFARE key (LOAD KEYS answered {status}): it does not take keys in volatile slot 00h nor 60h/61h");
    }

    private bool Read(int block, Span<byte> destination)
    {
        var connection = Selected();
        Span<byte> command = stackalloc byte[5];
        StorageCardApdu.WriteReadBinary(command, block);
        Span<byte> data = stackalloc byte[StorageCardApdu.MaxResponseLength];
        var status = Exchange(connection, command, data, out var length);
        if (status.IsSuccess && length == MifareClassic.BlockSize)
        {
            data[..MifareClassic.BlockSize].CopyTo(destination);
            data.Clear();
            return true;
        }

        data.Clear();
        MakeAnswerAgain(connection);
        throw new CardWriteException(Name, connection.Uid, block, $"block {block} of card {connection.Uid} could not be read ({status})");
    }

    private bool Write(int block, ReadOnlySpan<byte> data)
    {
        var connection = Selected();
        Span<byte> command = stackalloc byte[StorageCardApdu.MaxCommandLength];
        StatusWord status;
        try
        {
            var length = StorageCardApdu.WriteUpdateBinary(command, block, data);
            status = Exchange(connection, command[..length], [], out _);
        }
        finally
        {
            command.Clear();
        }

        if (status.IsSuccess)
        {
            return true;
        }

        MakeAnswerAgain(connection);
        throw new CardWriteException(Name, connection.Uid, block, $"block {block} of card {connection.Uid} could not be written ({status})");
    }

    // One command APDU to the selected card: its status word, and its data copied to `data`.
    private StatusWord Exchange(Connection connection, ReadOnlySpan<byte> command, Span<byte> data, out int length)
    {
        Span<byte> response = stackalloc byte[StorageCardApdu.MaxResponseLength];
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                int n;
                try
                {
                    Interlocked.Increment(ref _commands);
                    n = connection.Handle.Transmit(command, response);
                }
                catch (PcscException ex) when (ex.Code == PcscError.ResetCard && attempt == 0)
                {
                    // Another program reset the card before this command reached it: reconnect and send it once more.
                    Reconnect(connection, reset: false);
                    continue;
                }
                catch (PcscException ex) when (PcscError.IsCardGone(ex.Code))
                {
                    throw Removed(connection);
                }
                catch (PcscException ex)
                {
                    throw LostExchange(connection, ex.Message, ex);
                }

                if (!StorageCardApdu.TryParseResponse(response[..n], out var payload, out var status))
                {
                    throw LostExchange(connection, "the reader returned no status word", null);
                }

                length = Math.Min(payload.Length, data.Length);
                payload[..length].CopyTo(data);
                return status;
            }
        }
        finally
        {
            response.Clear();
        }
    }

    // After a refusal the card is halted: a reset makes the reader activate it again; the same UID must answer.
    private void MakeAnswerAgain(Connection connection) => Reconnect(connection, reset: true);

    private void Reconnect(Connection connection, bool reset)
    {
        try
        {
            connection.Handle.Reconnect(reset);
        }
        catch (PcscException ex) when (PcscError.IsCardGone(ex.Code))
        {
            throw Removed(connection);
        }
        catch (PcscException ex)
        {
            throw LostExchange(connection, ex.Message, ex);
        }

        _slotsHoldingTransportKey.Clear();
        Span<byte> command = stackalloc byte[5];
        StorageCardApdu.WriteGetUid(command);
        Span<byte> uid = stackalloc byte[16];
        var status = Exchange(connection, command, uid, out var length);
        if (!status.IsSuccess || !uid[..length].SequenceEqual(connection.UidBytes))
        {
            throw Removed(connection);
        }
    }

    // After a failed exchange while connecting: true when pcscd reports the reader without a card
    // (now, or within RemovalWait), false when the card is still there; a reader gone throws.
    private bool CardLeft(string reader, PcscException? failure)
    {
        var status = StatusAfterFailure(reader);
        if ((status.State & (PcscReaderState.Unknown | PcscReaderState.Unavailable)) != 0)
        {
            DropAll();
            throw new EncoderNotRespondingException(Name, $"the PC/SC reader '{reader}' is gone (unplugged?)", failure);
        }

        return !status.HasCard;
    }

    // The reader's state after an exchange failed: what pcscd says now, or, while it still sees a
    // card, the first change within RemovalWait (pcscd polls the reader; a card that left mid-exchange
    // is reported at its next poll).
    private PcscReaderStatus StatusAfterFailure(string reader)
    {
        try
        {
            var status = _context.GetStatus(reader);
            return status.HasCard ? _context.WaitForChange(reader, _options.RemovalWait) : status;
        }
        catch (PcscException ex)
        {
            throw ReaderGone(ex);
        }
    }

    // An exchange whose outcome is unknown: the card left the field, or the reader failed.
    private Exception LostExchange(Connection connection, string what, Exception? inner)
    {
        PcscReaderStatus status;
        try
        {
            status = StatusAfterFailure(connection.Reader);
        }
        catch (EncoderNotRespondingException ex)
        {
            return ex;
        }

        if ((status.State & (PcscReaderState.Unknown | PcscReaderState.Unavailable)) != 0)
        {
            DropAll();
            return new EncoderNotRespondingException(Name, $"the PC/SC reader '{connection.Reader}' is gone (unplugged?): {what}", inner);
        }

        if (!status.HasCard)
        {
            return Removed(connection);
        }

        _logger.LogWarning("PC/SC reader {Reader} lost an exchange with card {CardUid}: {Reason}", connection.Reader, connection.Uid, what);
        DropAll();
        return new EncoderNotRespondingException(Name, $"the reader lost an exchange with card {connection.Uid}: {what}", inner);
    }

    private CardNotPresentException Removed(Connection connection)
    {
        _logger.LogDebug("Card {CardUid} left the PC/SC reader {Reader}", connection.Uid, connection.Reader);
        DropAll();
        return new CardNotPresentException(Name, $"card {connection.Uid} was taken off the encoder");
    }

    private EncoderNotRespondingException ReaderGone(PcscException ex)
    {
        DropAll();
        return new EncoderNotRespondingException(Name, ex.Message, ex);
    }

    private Connection Selected() =>
        _selected ?? throw new CardNotPresentException(Name, "no card is selected: the card was taken off the encoder");

    private void DropAll()
    {
        _selected = null;
        foreach (var connection in _detected.Values)
        {
            connection.Handle.Dispose();
        }

        _detected.Clear();
    }

    private sealed record Connection(string Reader, IPcscCard Handle, string Uid, byte[] UidBytes, DetectedCard Card);
}
