using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;

namespace Gateway.Drivers.CardEncoders.Issuing;

/// <summary>Which keys a sector has: the transport key (blank stock) or this site's diversified keys.</summary>
internal enum SectorState
{
    Transport,
    Issued,
}

/// <summary>
/// The issuing steps over the sectors of one selected MIFARE Classic card, for one operation: probe
/// which keys a sector has, re-key trailers, write and read back the payload, verify, read and check a
/// card. Each step works only through <see cref="ICardBlockTransport"/>, so it is the same over any
/// reader; the journal and the order of the steps are <see cref="MifareCardEncoder"/>'s.
/// </summary>
/// <remarks>
/// Every step probes the card's state first, so running one again after it failed half-way is safe.
/// The card stays authenticated to a sector until another authentication, a refused command or a
/// trailer write: a step that continues on the sector and keys of the one before does not authenticate
/// again. Key bytes are derived per use and never kept.
/// </remarks>
internal sealed class CardSteps
{
    private readonly ICardBlockTransport _transport;
    private readonly SiteCardKeys _keys;
    private readonly byte[] _uid;
    private (int Sector, SectorState State, byte Version)? _session;

    public CardSteps(ICardBlockTransport transport, string uid, MifareClassicType type, SiteCardKeys keys)
    {
        _transport = transport;
        Uid = uid;
        Type = type;
        _keys = keys;
        _uid = Convert.FromHexString(uid);
    }

    /// <summary>The card's UID in upper-case hex.</summary>
    public string Uid { get; }

    public MifareClassicType Type { get; }

    private string Port => _transport.Name;

    /// <summary>Forgets the authentication held: before a step runs again after a failure.</summary>
    public void ForgetSession() => _session = null;

    /// <summary>Refuses a card that is not blank stock: transport keys and an empty payload sector.</summary>
    /// <exception cref="CardNotBlankException">Issued already, data in the payload, or keys of another system.</exception>
    public async Task EnsureBlankAsync(CancellationToken cancellationToken)
    {
        // A lost reply looks like a refused key through the binding: "not blank" is concluded only after two rounds.
        for (var round = 0; round < 2; round++)
        {
            if (await AuthenticateAsAsync(_keys.CurrentVersion, CardLayout.PayloadSector, SectorState.Transport, cancellationToken).ConfigureAwait(false))
            {
                var data = await ReadBlocksAsync(CardLayout.PayloadBlocks, cancellationToken).ConfigureAwait(false);
                if (data.AsSpan().IndexOfAnyExcept((byte)0) >= 0)
                {
                    throw new CardNotBlankException(Port, Uid, $"card {Uid} has transport keys but data in its payload sector: not blank stock (erase it first)");
                }

                return;
            }

            cancellationToken.ThrowIfCancellationRequested();
            foreach (var version in _keys.Versions)
            {
                if (await AuthenticateAsync(CardLayout.PayloadSector, MifareKeySlot.B, _keys.SectorKey(_uid, version, CardLayout.PayloadSector, MifareKeySlot.B), cancellationToken).ConfigureAwait(false))
                {
                    throw new CardNotBlankException(Port, Uid, $"card {Uid} is already a Gateway card of this site (key version {version}); erase it to reuse it");
                }
            }
        }

        throw new CardNotBlankException(Port, Uid, $"card {Uid} is not blank stock: its payload sector opens neither with the transport key nor with this site's keys");
    }

    /// <summary>Which keys open the payload sector: the transport key or key version <paramref name="version"/>.</summary>
    /// <exception cref="CardAuthenticationException">Neither does.</exception>
    public async Task<SectorState> ProbePayloadSectorAsync(byte version, bool preferIssued, CancellationToken cancellationToken) =>
        await ProbeSectorAsync(version, CardLayout.PayloadSector, preferIssued, cancellationToken).ConfigureAwait(false)
            ?? throw new CardAuthenticationException(Port, Uid, CardLayout.PayloadSector, $"sector {CardLayout.PayloadSector} of card {Uid} opens neither with the transport key nor with this site's key version {version}");

    /// <summary>Which keys open <paramref name="sector"/>: any key version this site holds, or the transport key.</summary>
    /// <exception cref="CardAuthenticationException">None does.</exception>
    public async Task<(SectorState State, byte Version)> ProbeAnyVersionAsync(int sector, CancellationToken cancellationToken)
    {
        foreach (var version in _keys.Versions)
        {
            if (await AuthenticateAsAsync(version, sector, SectorState.Issued, cancellationToken).ConfigureAwait(false))
            {
                return (SectorState.Issued, version);
            }
        }

        if (await AuthenticateAsAsync(_keys.CurrentVersion, sector, SectorState.Transport, cancellationToken).ConfigureAwait(false))
        {
            return (SectorState.Transport, _keys.CurrentVersion);
        }

        throw new CardAuthenticationException(Port, Uid, sector, $"sector {sector} of card {Uid} opens neither with the transport key nor with any key version this site holds");
    }

    /// <summary>Gives every sector but the payload sector the site's keys (<paramref name="toIssued"/>) or the transport keys back.</summary>
    public async Task RekeyOthersAsync(byte version, bool toIssued, CancellationToken cancellationToken)
    {
        for (var sector = 0; sector < MifareClassic.SectorCount(Type); sector++)
        {
            if (sector == CardLayout.PayloadSector)
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var state = await ProbeSectorAsync(version, sector, preferIssued: !toIssued, cancellationToken).ConfigureAwait(false)
                ?? throw new CardAuthenticationException(Port, Uid, sector, $"sector {sector} of card {Uid} opens neither with the transport key nor with this site's keys: it was not written by Gateway");
            if ((state == SectorState.Issued) != toIssued)
            {
                await WriteTrailerAsync(version, sector, toIssued, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes the payload blocks (the payload sector opened with the keys it has, <paramref name="state"/>).</summary>
    public async Task WritePayloadAsync(byte version, SectorState state, byte[] data, CancellationToken cancellationToken)
    {
        if (!await EnsureAuthenticatedAsync(version, CardLayout.PayloadSector, state, cancellationToken).ConfigureAwait(false))
        {
            throw new CardAuthenticationException(Port, Uid, CardLayout.PayloadSector, $"sector {CardLayout.PayloadSector} of card {Uid} refused the key it opened with a moment ago");
        }

        for (var i = 0; i < CardLayout.PayloadBlocks.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await WriteBlockAsync(CardLayout.PayloadBlocks[i], data.AsMemory(i * MifareClassic.BlockSize, MifareClassic.BlockSize), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the payload blocks back and compares them with <paramref name="expected"/>.</summary>
    /// <exception cref="CardWriteException">They differ.</exception>
    public async Task ReadBackAsync(byte version, SectorState state, byte[] expected, CancellationToken cancellationToken)
    {
        if (!await EnsureAuthenticatedAsync(version, CardLayout.PayloadSector, state, cancellationToken).ConfigureAwait(false))
        {
            throw new CardAuthenticationException(Port, Uid, CardLayout.PayloadSector, $"sector {CardLayout.PayloadSector} of card {Uid} refused its key before the read-back");
        }

        var read = await ReadBlocksAsync(CardLayout.PayloadBlocks, cancellationToken).ConfigureAwait(false);
        if (!read.AsSpan().SequenceEqual(expected))
        {
            throw new CardWriteException(Port, Uid, CardLayout.PayloadBlocks[0], $"the payload of card {Uid} did not read back as written");
        }
    }

    /// <summary>The payload sector's trailer, written last; on a retry the sector may already have its new keys.</summary>
    public async Task FinishPayloadTrailerAsync(byte version, bool toIssued, CancellationToken cancellationToken)
    {
        var state = await ProbePayloadSectorAsync(version, preferIssued: toIssued, cancellationToken).ConfigureAwait(false);
        if ((state == SectorState.Issued) != toIssued)
        {
            await WriteTrailerAsync(version, CardLayout.PayloadSector, toIssued, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Checks that the card carries exactly <paramref name="expected"/>, Gateway's access bits on the
    /// payload sector and this site's key B in every sector. <paramref name="payloadReadBack"/>: this
    /// issue's read-back already compared the payload blocks with what was written (only the trailer
    /// was written since, which is checked here), so they are not read again.
    /// </summary>
    public async Task VerifyIssuedAsync(CardPayload expected, bool payloadReadBack, CancellationToken cancellationToken)
    {
        var version = expected.KeyVersion;
        if (!await AuthenticateAsync(CardLayout.PayloadSector, MifareKeySlot.A, _keys.SectorKey(_uid, version, CardLayout.PayloadSector, MifareKeySlot.A), cancellationToken).ConfigureAwait(false))
        {
            throw new CardAuthenticationException(Port, Uid, CardLayout.PayloadSector, $"card {Uid} does not open with its new key A: not issued");
        }

        if (!payloadReadBack)
        {
            var data = await ReadBlocksAsync(CardLayout.PayloadBlocks, cancellationToken).ConfigureAwait(false);
            var payload = CardLayout.TryDecode(data, _uid, _keys, out var reason, out var detail)
                ?? throw new NotGatewayCardException(Port, Uid, reason, detail);
            if (payload != expected)
            {
                throw new CardWriteException(Port, Uid, CardLayout.PayloadBlocks[0], $"card {Uid} carries card number {payload.CardNumber}, not the expected {expected.CardNumber}");
            }
        }

        var trailerBlock = MifareClassic.TrailerBlock(CardLayout.PayloadSector);
        var trailer = new byte[MifareClassic.BlockSize];
        await ReadBlockAsync(trailerBlock, trailer, cancellationToken).ConfigureAwait(false);
        if (!trailer.AsSpan(6, 3).SequenceEqual(AccessBits.Issued.Encode()))
        {
            throw new CardWriteException(Port, Uid, trailerBlock, $"the payload sector of card {Uid} does not have Gateway's access bits");
        }

        for (var sector = 0; sector < MifareClassic.SectorCount(Type); sector++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!await AuthenticateAsync(sector, MifareKeySlot.B, _keys.SectorKey(_uid, version, sector, MifareKeySlot.B), cancellationToken).ConfigureAwait(false))
            {
                throw new CardAuthenticationException(Port, Uid, sector, $"sector {sector} of card {Uid} does not open with its new key B");
            }
        }
    }

    /// <summary>Checks that every sector opens with the transport key and the payload is empty.</summary>
    public async Task VerifyBlankAsync(CancellationToken cancellationToken)
    {
        for (var sector = 0; sector < MifareClassic.SectorCount(Type); sector++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!await AuthenticateAsync(sector, MifareKeySlot.A, MifareClassic.TransportKey.ToArray(), cancellationToken).ConfigureAwait(false))
            {
                throw new CardAuthenticationException(Port, Uid, sector, $"sector {sector} of card {Uid} does not open with the transport key after erase");
            }

            if (sector == CardLayout.PayloadSector && (await ReadBlocksAsync(CardLayout.PayloadBlocks, cancellationToken).ConfigureAwait(false)).AsSpan().IndexOfAnyExcept((byte)0) >= 0)
            {
                throw new CardWriteException(Port, Uid, CardLayout.PayloadBlocks[0], $"the payload of card {Uid} is not empty after erase");
            }
        }
    }

    /// <summary>Reads the payload and checks it: keys, layout, MAC, key version and site.</summary>
    /// <exception cref="NotGatewayCardException">Reason says exactly why not.</exception>
    public async Task<CardPayload> ReadPayloadAsync(string siteId, CancellationToken cancellationToken)
    {
        foreach (var version in _keys.Versions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!await AuthenticateAsync(CardLayout.PayloadSector, MifareKeySlot.A, _keys.SectorKey(_uid, version, CardLayout.PayloadSector, MifareKeySlot.A), cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            var data = await ReadBlocksAsync(CardLayout.PayloadBlocks, cancellationToken).ConfigureAwait(false);
            var payload = CardLayout.TryDecode(data, _uid, _keys, out var reason, out var detail)
                ?? throw new NotGatewayCardException(Port, Uid, reason, detail);
            if (payload.KeyVersion != version)
            {
                throw new NotGatewayCardException(Port, Uid, NotGatewayCardReason.InvalidField, $"the payload names key version {payload.KeyVersion} but the sector opens with version {version}");
            }

            if (!string.Equals(payload.SiteId, siteId, StringComparison.Ordinal))
            {
                throw new NotGatewayCardException(Port, Uid, NotGatewayCardReason.OtherSite, $"it is card number {payload.CardNumber} of site '{payload.SiteId}', not of this site '{siteId}'");
            }

            return payload;
        }

        if (await AuthenticateAsync(CardLayout.PayloadSector, MifareKeySlot.A, MifareClassic.TransportKey.ToArray(), cancellationToken).ConfigureAwait(false))
        {
            var data = await ReadBlocksAsync(CardLayout.PayloadBlocks, cancellationToken).ConfigureAwait(false);
            if (data.AsSpan().IndexOfAnyExcept((byte)0) < 0)
            {
                throw new NotGatewayCardException(Port, Uid, NotGatewayCardReason.Blank, "it is blank stock (transport keys, empty payload)");
            }

            throw new NotGatewayCardException(Port, Uid, NotGatewayCardReason.Torn, "its payload sector has transport keys but holds data: an interrupted issue or erase");
        }

        throw new NotGatewayCardException(Port, Uid, NotGatewayCardReason.UnknownKeys, $"its payload sector opens with none of this site's keys (versions {string.Join(", ", _keys.Versions)}) nor the transport key: another site's card, a wrong site key, or a card of another system");
    }

    // Which keys open the sector: the transport key A or this site's key B of `version`; null for neither.
    private async Task<SectorState?> ProbeSectorAsync(byte version, int sector, bool preferIssued, CancellationToken cancellationToken)
    {
        if (_session is { } session && session.Sector == sector && session.Version == version)
        {
            // Just authenticated with these keys: they open the sector.
            return session.State;
        }

        SectorState[] order = preferIssued ? [SectorState.Issued, SectorState.Transport] : [SectorState.Transport, SectorState.Issued];

        // The binding reports a wrong key and a lost reply alike (-1): a sector is declared unknown
        // only after a second round fails too.
        for (var round = 0; round < 2; round++)
        {
            foreach (var candidate in order)
            {
                if (await AuthenticateAsAsync(version, sector, candidate, cancellationToken).ConfigureAwait(false))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private async Task WriteTrailerAsync(byte version, int sector, bool toIssued, CancellationToken cancellationToken)
    {
        var trailer = toIssued
            ? AccessBits.BuildTrailer(_keys.SectorKey(_uid, version, sector, MifareKeySlot.A), AccessBits.Issued, _keys.SectorKey(_uid, version, sector, MifareKeySlot.B))
            : AccessBits.BuildTrailer(MifareClassic.TransportKey, AccessBits.Transport, MifareClassic.TransportKey);
        try
        {
            await WriteBlockAsync(MifareClassic.TrailerBlock(sector), trailer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // The keys just written make the session stale.
            _session = null;
            Array.Clear(trailer);
        }
    }

    private async Task<bool> AuthenticateAsAsync(byte version, int sector, SectorState state, CancellationToken cancellationToken)
    {
        var ok = state == SectorState.Transport
            ? await AuthenticateAsync(sector, MifareKeySlot.A, MifareClassic.TransportKey.ToArray(), cancellationToken).ConfigureAwait(false)
            : await AuthenticateAsync(sector, MifareKeySlot.B, _keys.SectorKey(_uid, version, sector, MifareKeySlot.B), cancellationToken).ConfigureAwait(false);
        if (ok)
        {
            _session = (sector, state, version);
        }

        return ok;
    }

    // Authenticates unless the card already is, to this sector with these keys.
    private async Task<bool> EnsureAuthenticatedAsync(byte version, int sector, SectorState state, CancellationToken cancellationToken) =>
        _session == (sector, state, version) || await AuthenticateAsAsync(version, sector, state, cancellationToken).ConfigureAwait(false);

    private async Task<bool> AuthenticateAsync(int sector, MifareKeySlot slot, byte[] key, CancellationToken cancellationToken)
    {
        _session = null;
        try
        {
            return await _transport.TryAuthenticateAsync(sector, slot, key, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Array.Clear(key);
        }
    }

    private async Task ReadBlockAsync(int block, Memory<byte> destination, CancellationToken cancellationToken)
    {
        try
        {
            await _transport.ReadBlockAsync(block, destination, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A failed command ends the card's authentication.
            _session = null;
            throw;
        }
    }

    private async Task WriteBlockAsync(int block, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await _transport.WriteBlockAsync(block, data, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _session = null;
            throw;
        }
    }

    private async Task<byte[]> ReadBlocksAsync(IReadOnlyList<int> blocks, CancellationToken cancellationToken)
    {
        var data = new byte[blocks.Count * MifareClassic.BlockSize];
        for (var i = 0; i < blocks.Count; i++)
        {
            await ReadBlockAsync(blocks[i], data.AsMemory(i * MifareClassic.BlockSize, MifareClassic.BlockSize), cancellationToken).ConfigureAwait(false);
        }

        return data;
    }
}
