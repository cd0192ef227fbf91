using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;
using Microsoft.Extensions.Logging;

namespace Gateway.Drivers.CardEncoders.Pn532;

/// <summary>
/// <see cref="ICardBlockTransport"/> over a PN532 on HSU serial: MIFARE Classic commands inside
/// InDataExchange (UM0701-02 §7.3.8; 60h/61h authenticate with the block, the key and the UID's last
/// four bytes, 30h read 16 bytes, A0h write 16 bytes), InListPassiveTarget to find cards, InDeselect
/// and InSelect to make a halted card answer again. The port's sentinels and exceptions become the
/// interface's typed errors here and nowhere else.
/// </summary>
/// <remarks>
/// Lost replies are settled here, once per command, because only the PN532 line loses them: when the
/// direct port says a reply missed its deadline (not a refusal) a read or an authentication is sent
/// once more; a late data-block write is read back (done when the block holds the data); a late
/// trailer write is settled by authenticating: the new key A opens the sector (done) or the key it was
/// opened with still does (write again). A reply late again after that is a transport fault,
/// <see cref="EncoderNotRespondingException"/>. The binding reports a lost reply as a refusal (-1):
/// the issuing steps look twice before concluding that a sector refuses a key.
/// </remarks>
internal sealed class Pn532BlockTransport : ICardBlockTransport
{
    private readonly IPn532Port _port;
    private readonly TimeSpan _replyTimeout;
    private readonly Dictionary<string, byte> _targets = new(StringComparer.OrdinalIgnoreCase);
    private Target? _selected;
    private Authenticated? _authenticated;
    private long _commands;

    private Pn532BlockTransport(IPn532Port port, string name, TimeSpan replyTimeout, long commands)
    {
        _port = port;
        Name = name;
        _replyTimeout = replyTimeout;
        _commands = commands;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string Firmware => _port.Firmware;

    /// <inheritdoc />
    public long CommandCount => Interlocked.Read(ref _commands);

    /// <summary>
    /// Opens the PN532 on <see cref="Pn532EncoderOptions.Port"/> through the transport the options
    /// choose, and sets it to answer "no card" at once (one passive activation retry).
    /// </summary>
    /// <exception cref="EncoderNotRespondingException">The port cannot be opened, or no PN532 answers on it.</exception>
    public static async Task<Pn532BlockTransport> OpenAsync(Pn532EncoderOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var direct = options.Transport == Pn532Transport.Direct || (options.Transport == Pn532Transport.Auto && OperatingSystem.IsLinux());
        IPn532Port? port = null;
        try
        {
            port = direct
                ? await DirectPn532Port.OpenAsync(options.Port, options.SerialDriver, options.ReplyTimeout, logger, cancellationToken).ConfigureAwait(false)
                : await BindingPn532Port.OpenAsync(options.Port, cancellationToken).ConfigureAwait(false);
            if (port is null)
            {
                throw new EncoderNotRespondingException(options.Port, "no PN532 answers on this port");
            }

            // Wake-up and SAMConfiguration, then GetFirmwareVersion (the binding also sends SetParameters).
            var transport = new Pn532BlockTransport(port, options.Port, options.ReplyTimeout, direct ? 2 : 4);

            // Finite passive-activation retries, so that InListPassiveTarget answers "no card" instead of waiting for one.
            if (!await transport.CallAsync(port.LimitPassiveActivationRetriesAsync, cancellationToken).ConfigureAwait(false))
            {
                throw new EncoderNotRespondingException(options.Port, "the PN532 did not accept its configuration");
            }

            logger.LogInformation("Opened PN532 encoder on {Port} ({Transport})", options.Port, direct ? "direct" : "binding");
            port = null;
            return transport;
        }
        catch (Exception ex) when (IsPortFailure(ex) || ex is ArgumentException)
        {
            throw new EncoderNotRespondingException(options.Port, $"the port cannot be opened: {ex.Message}", ex);
        }
        finally
        {
            if (port is not null)
            {
                await DisposeQuietlyAsync(port).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DetectedCard>> DetectCardsAsync(CancellationToken cancellationToken)
    {
        _selected = null;
        Forget();
        _targets.Clear();
        var raw = await CallAsync(_port.ListPassiveTargetsAsync, cancellationToken).ConfigureAwait(false);
        if (raw is null)
        {
            // No answer in time. Listing changes nothing, so when the reader answers a cheap probe
            // the list is asked once more; a silent reader throws from the probe.
            await ProbeAsync(cancellationToken).ConfigureAwait(false);
            raw = await CallAsync(_port.ListPassiveTargetsAsync, cancellationToken).ConfigureAwait(false)
                ?? throw new EncoderNotRespondingException(Name, "the PN532 does not answer InListPassiveTarget");
        }

        // §7.3.5: NbTg, then per target Tg, SENS_RES (ATQA, 2 bytes), SEL_RES (SAK), NFCIDLength, NFCID1, [ATS].
        var cards = new List<DetectedCard>();
        var i = 1;
        for (var t = 0; t < raw[0] && i + 5 <= raw.Length; t++)
        {
            var tg = raw[i];
            var atqa = (ushort)((raw[i + 1] << 8) | raw[i + 2]);
            var sak = raw[i + 3];
            var length = raw[i + 4];
            if (i + 5 + length > raw.Length)
            {
                break;
            }

            var uid = Convert.ToHexString(raw, i + 5, length);
            i += 5 + length;
            if ((sak & 0x20) != 0 && i < raw.Length)
            {
                i += raw[i]; // ISO 14443-4 ATS (its first byte is its length)
            }

            _targets[uid] = tg;
            cards.Add(new DetectedCard(uid, MifareClassic.FromAtqaSak(atqa, sak), atqa, sak));
        }

        return cards;
    }

    /// <inheritdoc />
    public Task SelectAsync(DetectedCard card, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(card);
        cancellationToken.ThrowIfCancellationRequested();
        Forget();
        if (!_targets.TryGetValue(card.Uid, out var tg))
        {
            _selected = null;
            throw new CardNotPresentException(Name, $"card {card.Uid} is not on the encoder");
        }

        // InListPassiveTarget activated it: selecting is only choosing its target number.
        _selected = new Target(tg, card.Uid.ToUpperInvariant(), card.UidBytes());
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<bool> TryAuthenticateAsync(int sector, MifareKeySlot keySlot, ReadOnlyMemory<byte> key, CancellationToken cancellationToken)
    {
        var target = Selected();
        Forget();
        if (key.Length != 6)
        {
            throw new ArgumentException("a MIFARE Classic key is 6 bytes", nameof(key));
        }

        if (await AuthenticateAsync(target, sector, keySlot, key, cancellationToken).ConfigureAwait(false))
        {
            _authenticated = new Authenticated(sector, keySlot, key.ToArray());
            return true;
        }

        await CheckStillThereAsync(target, cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <inheritdoc />
    public async Task ReadBlockAsync(int block, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var target = Selected();
        if (destination.Length < MifareClassic.BlockSize)
        {
            throw new ArgumentException("a block is 16 bytes", nameof(destination));
        }

        var n = await ExchangeAsync(target, new byte[] { 0x30, (byte)block }, destination[..MifareClassic.BlockSize], cancellationToken).ConfigureAwait(false);
        if (n == Pn532Port.NoReply)
        {
            // A late reply (a loaded host, a slow reader): reading is idempotent, so read once more.
            n = await ExchangeAsync(target, new byte[] { 0x30, (byte)block }, destination[..MifareClassic.BlockSize], cancellationToken).ConfigureAwait(false);
        }

        if (n == Pn532Port.NoReply)
        {
            throw LateTwice("a block read");
        }

        if (n != MifareClassic.BlockSize)
        {
            await CheckStillThereAsync(target, cancellationToken).ConfigureAwait(false);
            throw new CardWriteException(Name, target.Uid, block, $"block {block} of card {target.Uid} could not be read");
        }
    }

    /// <inheritdoc />
    public async Task WriteBlockAsync(int block, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (data.Length != MifareClassic.BlockSize)
        {
            throw new ArgumentException("a block is 16 bytes", nameof(data));
        }

        var trailer = MifareClassic.IsTrailer(block);
        if (trailer && !AccessBits.IsConsistent(data.Span.Slice(6, 3)))
        {
            throw new InvalidOperationException("refusing to write a sector trailer with inconsistent access bits: it would lock the sector for good");
        }

        var target = Selected();
        var ret = await TryWriteAsync(target, block, data, cancellationToken).ConfigureAwait(false);
        if (ret == Pn532Port.NoReply && trailer)
        {
            ret = await SettleTrailerAsync(target, block, data, cancellationToken).ConfigureAwait(false);
        }

        if (ret < 0)
        {
            await CheckStillThereAsync(target, cancellationToken).ConfigureAwait(false);
            throw new CardWriteException(Name, target.Uid, block, $"block {block} of card {target.Uid} could not be written");
        }

        if (trailer)
        {
            // The sector's keys may have changed: it must be authenticated again.
            Forget();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _selected = null;
        Forget();
        return DisposeQuietlyAsync(_port);
    }

    private static bool IsPortFailure(Exception ex) =>
        ex is IOException or InvalidOperationException or UnauthorizedAccessException or TimeoutException or ObjectDisposedException or DeviceConnectionException;

    private static async ValueTask DisposeQuietlyAsync(IPn532Port port)
    {
        try
        {
            await port.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsPortFailure(ex))
        {
            // The port is already gone.
        }
    }

    // Drops the authentication and the copy of its key.
    private void Forget()
    {
        if (_authenticated is { } authenticated)
        {
            Array.Clear(authenticated.Key);
        }

        _authenticated = null;
    }

    private Target Selected() =>
        _selected ?? throw new CardNotPresentException(Name, "no card is selected: the card was taken off the encoder");

    // 60h/61h, the sector's trailer block, the key, the UID's last four bytes.
    private async Task<bool> AuthenticateAsync(Target target, int sector, MifareKeySlot keySlot, ReadOnlyMemory<byte> key, CancellationToken cancellationToken)
    {
        var command = new byte[12];
        command[0] = keySlot == MifareKeySlot.A ? (byte)0x60 : (byte)0x61;
        command[1] = (byte)MifareClassic.TrailerBlock(sector);
        key.Span.CopyTo(command.AsSpan(2));
        target.UidBytes.AsSpan(target.UidBytes.Length - 4).CopyTo(command.AsSpan(8));
        try
        {
            var ret = await ExchangeAsync(target, command, Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            if (ret == Pn532Port.NoReply)
            {
                // The reply was late, not a refusal: authenticating again changes nothing, so ask once more.
                ret = await ExchangeAsync(target, command, Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            }

            return ret == Pn532Port.NoReply ? throw LateTwice("an authentication") : ret >= 0;
        }
        finally
        {
            Array.Clear(command);
        }
    }

    // 0 when written; -1 when refused; NoReply when a trailer write's reply was late (a data block's
    // late write is read back instead: done when it holds the data).
    private async Task<int> TryWriteAsync(Target target, int block, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var command = new byte[2 + MifareClassic.BlockSize];
        command[0] = 0xA0;
        command[1] = (byte)block;
        data.CopyTo(command.AsMemory(2));
        int ret;
        try
        {
            ret = await ExchangeAsync(target, command, Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Array.Clear(command);
        }

        if (ret == Pn532Port.NoReply && !MifareClassic.IsTrailer(block))
        {
            // The write's reply was late: reading the block back says whether it was done.
            var check = new byte[MifareClassic.BlockSize];
            var n = await ExchangeAsync(target, new byte[] { 0x30, (byte)block }, check, cancellationToken).ConfigureAwait(false);
            if (n == Pn532Port.NoReply)
            {
                throw LateTwice("a block write and its read-back");
            }

            ret = n == MifareClassic.BlockSize && check.AsSpan().SequenceEqual(data.Span) ? 0 : -1;
            Array.Clear(check);
        }

        return ret >= 0 ? 0 : ret;
    }

    // A trailer write whose reply was late may or may not have been done. The sector says which: the
    // new key A opens it (done), or the key it was opened with still does (write again).
    private async Task<int> SettleTrailerAsync(Target target, int block, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var before = _authenticated;
        _authenticated = null;
        try
        {
            var sector = MifareClassic.SectorOf(block);
            await CheckStillThereAsync(target, cancellationToken).ConfigureAwait(false);
            if (await AuthenticateAsync(target, sector, MifareKeySlot.A, data[..6], cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }

            await CheckStillThereAsync(target, cancellationToken).ConfigureAwait(false);
            if (before is not null && before.Sector == sector && await AuthenticateAsync(target, sector, before.KeySlot, before.Key, cancellationToken).ConfigureAwait(false))
            {
                return await TryWriteAsync(target, block, data, cancellationToken).ConfigureAwait(false);
            }

            return -1;
        }
        finally
        {
            if (before is not null)
            {
                Array.Clear(before.Key);
            }
        }
    }

    // After a refused or failed card command: the card may have been taken away, or the reader may be
    // gone. A card that answers a reselect is ready again (unauthenticated); one that does not is removed.
    private async Task CheckStillThereAsync(Target target, CancellationToken cancellationToken)
    {
        Forget();
        var late = 0;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var selected = await CallAsync(ct => _port.ReselectAsync(target.Number, ct), cancellationToken).ConfigureAwait(false);
            if (selected == 1)
            {
                return;
            }

            late += selected == Pn532Port.NoReply ? 1 : 0;
        }

        if (late == 2)
        {
            throw LateTwice("reselecting the card");
        }

        await ProbeAsync(cancellationToken).ConfigureAwait(false);
        _selected = null;
        throw new CardNotPresentException(Name, $"card {target.Uid} was taken off the encoder");
    }

    private async Task ProbeAsync(CancellationToken cancellationToken)
    {
        if (!await CallAsync(_port.LimitPassiveActivationRetriesAsync, cancellationToken).ConfigureAwait(false))
        {
            throw new EncoderNotRespondingException(Name, "the PN532 does not answer");
        }
    }

    private Task<int> ExchangeAsync(Target target, ReadOnlyMemory<byte> send, Memory<byte> receive, CancellationToken cancellationToken) =>
        CallAsync(ct => _port.ExchangeAsync(target.Number, send, receive, ct), cancellationToken);

    // A reply that missed its deadline again after the one re-send: a transport fault (the reader is
    // overloaded, the line is bad), never a verdict on the card.
    private EncoderNotRespondingException LateTwice(string what)
    {
        Forget();
        return new EncoderNotRespondingException(Name, $"the PN532's replies to {what} missed the {_replyTimeout.TotalMilliseconds:0} ms deadline twice");
    }

    private async Task<T> CallAsync<T>(Func<CancellationToken, Task<T>> command, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _commands);
        try
        {
            return await command(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsPortFailure(ex))
        {
            throw new EncoderNotRespondingException(Name, $"the serial port failed: {ex.Message}", ex);
        }
    }

    private sealed record Target(byte Number, string Uid, byte[] UidBytes);

    private sealed record Authenticated(int Sector, MifareKeySlot KeySlot, byte[] Key);
}
