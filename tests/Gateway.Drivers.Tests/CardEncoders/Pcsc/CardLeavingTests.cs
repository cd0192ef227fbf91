using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Layout;
using Gateway.Drivers.CardEncoders.Pcsc;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Drivers.Tests.CardEncoders.Pcsc;

/// <summary>
/// A card that leaves while the transport connects to it: pcsc-lite fails the exchange with
/// SCARD_E_NOT_TRANSACTED (vpcd and CCID drivers alike when the card goes mid-exchange) or returns
/// a response without a status word; pcscd's reader state then says whether the card left (no card:
/// nothing to detect) or the reader failed (a transport fault). A resource manager below the
/// transport stands in for pcscd, so the order of events is exact.
/// </summary>
public sealed class CardLeavingTests
{
    private const string Reader = "ACS ACR122U 00 00";

    private static CancellationToken Bounded => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CardLeavesDuringGetUid_PcscdSeesItGo_NoCardDetected(bool notTransacted)
    {
        var context = new LeavingCardContext { Fails = notTransacted, CardLeavesOnExchange = true };
        await using var transport = await OpenAsync(context);

        Assert.Empty(await transport.DetectCardsAsync(Bounded));
        Assert.Equal(1, context.Exchanges);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ExchangeFailsWithTheCardStillThere_TransportFault_NotNoCard(bool notTransacted)
    {
        var context = new LeavingCardContext { Fails = notTransacted, CardLeavesOnExchange = false };
        await using var transport = await OpenAsync(context);

        var ex = await Assert.ThrowsAsync<EncoderNotRespondingException>(() => transport.DetectCardsAsync(Bounded));
        Assert.Contains(notTransacted ? "SCARD_E_NOT_TRANSACTED" : "no status word", ex.Message, StringComparison.Ordinal);
        Assert.True(context.WaitedForChange, "the transport should have asked pcscd whether the card left");
    }

    private static Task<PcscBlockTransport> OpenAsync(LeavingCardContext context) =>
        PcscBlockTransport.OpenAsync(PcscEndpoint.Parse(PcscEndpoint.Format(Reader)), new PcscEncoderOptions(PcscEndpoint.Format(Reader), "site-7") { RemovalWait = TimeSpan.FromMilliseconds(50) }, () => context, NullLogger.Instance, Bounded);

    // One reader with a 1K card on it, until the first exchange: that fails (SCARD_E_NOT_TRANSACTED, or
    // an empty response) and, when the card leaves, pcscd reports the reader empty from then on.
    private sealed class LeavingCardContext : IPcscContext
    {
        private bool _gone;

        public bool Fails { get; init; }

        public bool CardLeavesOnExchange { get; init; }

        public int Exchanges { get; private set; }

        public bool WaitedForChange { get; private set; }

        public IReadOnlyList<string> ListReaders() => [Reader];

        public PcscReaderStatus GetStatus(string reader) => _gone
            ? new PcscReaderStatus(PcscReaderState.Empty, [])
            : new PcscReaderStatus(PcscReaderState.Present | PcscReaderState.InUse, StorageCardAtr.Build(MifareClassicType.Classic1K));

        public PcscReaderStatus WaitForChange(string reader, TimeSpan timeout)
        {
            WaitedForChange = true;
            return GetStatus(reader);
        }

        public IPcscCard Connect(string reader) => new Card(this);

        public void Dispose()
        {
        }

        private sealed class Card(LeavingCardContext owner) : IPcscCard
        {
            public int Transmit(ReadOnlySpan<byte> command, Span<byte> response)
            {
                owner.Exchanges++;
                owner._gone = owner.CardLeavesOnExchange;
                return owner.Fails ? throw new PcscException("SCardTransmit", PcscError.NotTransacted) : 0;
            }

            public void Reconnect(bool reset) => throw new PcscException("SCardReconnect", PcscError.RemovedCard);

            public void Dispose()
            {
            }
        }
    }
}
