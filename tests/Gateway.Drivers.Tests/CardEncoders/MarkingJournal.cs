using Gateway.Drivers.CardEncoders;

namespace Gateway.Drivers.Tests.CardEncoders;

/// <summary>An in-memory journal that also notes how many card commands the simulator had seen when each step was journaled.</summary>
internal sealed class MarkingJournal(Func<long> cardCommands) : ICardWriteJournal
{
    private readonly InMemoryCardWriteJournal _inner = new();
    private readonly List<long> _marks = [];

    public IReadOnlyList<(long Id, CardWriteStep Step)> Steps => _inner.Steps;

    public IReadOnlyList<CardWriteOperation> Operations => _inner.Operations;

    public IReadOnlyList<long> Marks
    {
        get
        {
            lock (_marks)
            {
                return [.. _marks];
            }
        }
    }

    public Task<long> BeginAsync(CardWriteOperationKind kind, string cardUid, CardPayload? payload, CancellationToken cancellationToken) => _inner.BeginAsync(kind, cardUid, payload, cancellationToken);

    public Task RecordStepAsync(long operationId, CardWriteStep step, CancellationToken cancellationToken)
    {
        lock (_marks)
        {
            _marks.Add(cardCommands());
        }

        return _inner.RecordStepAsync(operationId, step, cancellationToken);
    }

    public Task CompleteAsync(long operationId, CardWriteOutcome outcome, CancellationToken cancellationToken) => _inner.CompleteAsync(operationId, outcome, cancellationToken);

    public Task<CardWriteOperation?> FindOpenAsync(string cardUid, CancellationToken cancellationToken) => _inner.FindOpenAsync(cardUid, cancellationToken);
}
