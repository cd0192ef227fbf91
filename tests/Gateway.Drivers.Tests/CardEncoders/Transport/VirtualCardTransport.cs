using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;
using Gateway.Simulators.Encoder;

namespace Gateway.Drivers.Tests.CardEncoders.Transport;

/// <summary>
/// A block transport with no reader protocol at all: it speaks MIFARE Classic straight to the
/// simulator's virtual cards, sees at most one card (as a PC/SC reader does) and never loses a reply.
/// A fake below the real parts, for fast tests of the issuing steps and to show that the interface
/// asks nothing PN532-specific of an implementation.
/// </summary>
internal sealed class VirtualCardTransport : ICardBlockTransport
{
    private readonly List<VirtualMifareCard> _field = [];
    private VirtualMifareCard? _selected;
    private long _commands;

    public string Name => "virtual";

    public string Firmware => "virtual reader";

    public long CommandCount => Interlocked.Read(ref _commands);

    /// <summary>While true every command fails as a reader that stopped answering.</summary>
    public bool Silent { get; set; }

    public VirtualMifareCard Place(VirtualMifareCard card)
    {
        lock (_field)
        {
            card.Halt();
            _field.Add(card);
        }

        return card;
    }

    public void Remove(VirtualMifareCard card)
    {
        lock (_field)
        {
            _field.Remove(card);
        }
    }

    public Task<IReadOnlyList<DetectedCard>> DetectCardsAsync(CancellationToken cancellationToken)
    {
        Count();
        _selected = null;
        lock (_field)
        {
            // A single-slot reader activates one card and sees no other.
            var first = _field.FirstOrDefault();
            first?.Activate();
            IReadOnlyList<DetectedCard> cards = first is null ? [] : [new DetectedCard(Convert.ToHexString(first.Uid), first.Type, first.Atqa, first.Sak)];
            return Task.FromResult(cards);
        }
    }

    public Task SelectAsync(DetectedCard card, CancellationToken cancellationToken)
    {
        lock (_field)
        {
            _selected = _field.FirstOrDefault(c => string.Equals(Convert.ToHexString(c.Uid), card.Uid, StringComparison.OrdinalIgnoreCase))
                ?? throw new CardNotPresentException(Name, $"card {card.Uid} is not on the reader");
        }

        return Task.CompletedTask;
    }

    public Task<bool> TryAuthenticateAsync(int sector, MifareKeySlot keySlot, ReadOnlyMemory<byte> key, CancellationToken cancellationToken)
    {
        var card = Selected();
        byte[] command = [keySlot == MifareKeySlot.A ? (byte)0x60 : (byte)0x61, (byte)MifareClassic.TrailerBlock(sector), .. key.Span, .. card.Uid.AsSpan(card.Uid.Length - 4)];
        var (status, _) = card.Execute(command);
        if (status == CardStatus.Ok)
        {
            return Task.FromResult(true);
        }

        Reactivate(card);
        return Task.FromResult(false);
    }

    public Task ReadBlockAsync(int block, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var card = Selected();
        var (status, data) = card.Execute([0x30, (byte)block]);
        if (status != CardStatus.Ok)
        {
            Reactivate(card);
            throw new CardWriteException(Name, Convert.ToHexString(card.Uid), block, $"block {block} could not be read");
        }

        data.AsSpan(0, MifareClassic.BlockSize).CopyTo(destination.Span);
        return Task.CompletedTask;
    }

    public Task WriteBlockAsync(int block, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (MifareClassic.IsTrailer(block) && !AccessBits.IsConsistent(data.Span.Slice(6, 3)))
        {
            throw new InvalidOperationException("refusing to write a sector trailer with inconsistent access bits");
        }

        var card = Selected();
        var (status, _) = card.Execute([0xA0, (byte)block, .. data.Span]);
        if (status != CardStatus.Ok)
        {
            Reactivate(card);
            throw new CardWriteException(Name, Convert.ToHexString(card.Uid), block, $"block {block} could not be written");
        }

        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Count()
    {
        if (Silent)
        {
            throw new EncoderNotRespondingException(Name, "the reader does not answer");
        }

        Interlocked.Increment(ref _commands);
    }

    private VirtualMifareCard Selected()
    {
        Count();
        var card = _selected ?? throw new CardNotPresentException(Name, "no card is selected");
        lock (_field)
        {
            if (!_field.Contains(card))
            {
                _selected = null;
                throw new CardNotPresentException(Name, $"card {Convert.ToHexString(card.Uid)} was taken off the reader");
            }
        }

        return card;
    }

    // A refusal halts a MIFARE Classic card: wake it again, as a reader's reconnect does.
    private static void Reactivate(VirtualMifareCard card) => card.Activate();
}
