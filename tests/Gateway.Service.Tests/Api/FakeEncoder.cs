using System.Collections.Concurrent;
using Gateway.Service.Cards;
using Gateway.Service.Cards.Encoders;

namespace Gateway.Service.Tests.Api;

/// <summary>
/// A test double of the encoder port, below the API: hands out UIDs per card number, records the
/// journal ids it was given, and can fail, hold (to make a request stay in flight) or answer a reading.
/// </summary>
public sealed class FakeEncoder : ICardEncoderPort
{
    private int _issueCalls;

    public ConcurrentQueue<CardWriteOrder> Orders { get; } = new();

    public ConcurrentQueue<(string EncoderId, long CardNumber, string Uid)> Erased { get; } = new();

    public int IssueCalls => _issueCalls;

    /// <summary>Set: the next IssueAsync throws this once.</summary>
    public Exception? FailNext { get; set; }

    /// <summary>Set: IssueAsync signals <see cref="Entered"/> and waits for <see cref="Release"/>.</summary>
    public bool Hold { get; set; }

    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The UID the card on the encoder has, per card number (default: derived from the number).</summary>
    public ConcurrentDictionary<long, string> Uids { get; } = new();

    public CardReading Reading { get; set; } = new(CardReadStatus.NoCard, null, null, null, null, "no card on the encoder");

    public static string UidOf(long number) => $"04{number:X8}";

    public async Task<EncodedCard> IssueAsync(CardWriteOrder order, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _issueCalls);
        Orders.Enqueue(order);
        if (FailNext is { } failure)
        {
            FailNext = null;
            throw failure;
        }

        if (Hold)
        {
            Entered.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
        }

        return new EncodedCard(Uids.TryGetValue(order.CardNumber, out var uid) ? uid : UidOf(order.CardNumber));
    }

    public Task EraseAsync(string encoderId, long cardNumber, string expectedUid, CancellationToken cancellationToken)
    {
        Erased.Enqueue((encoderId, cardNumber, expectedUid));
        return Task.CompletedTask;
    }

    public Task<CardReading> ReadAsync(string encoderId, CancellationToken cancellationToken) => Task.FromResult(Reading);
}
