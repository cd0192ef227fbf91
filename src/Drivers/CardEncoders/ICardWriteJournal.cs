namespace Gateway.Drivers.CardEncoders;

/// <summary>What a journaled card write does.</summary>
public enum CardWriteOperationKind
{
    /// <summary>Issue: blank stock to an issued Gateway card.</summary>
    Issue,

    /// <summary>Erase (recycle, or roll back a torn issue): back to transport keys and an empty payload.</summary>
    Erase,
}

/// <summary>The steps of a card write, journaled before each is done.</summary>
public enum CardWriteStep
{
    /// <summary>Authenticate the payload sector with the transport key (or, resuming, the card's own key).</summary>
    Authenticate,

    /// <summary>Write the payload blocks.</summary>
    WriteData,

    /// <summary>Read the payload blocks back and compare.</summary>
    ReadBack,

    /// <summary>Write the trailers of the other sectors (diversified keys on issue, transport keys on erase).</summary>
    RekeyOtherSectors,

    /// <summary>Write the payload sector's trailer, last.</summary>
    WriteTrailer,

    /// <summary>Verify the whole card with the keys it should now have.</summary>
    Verify,
}

/// <summary>How a journaled card write ended.</summary>
public enum CardWriteOutcome
{
    /// <summary>Still open: the card may be part-written.</summary>
    Open,

    /// <summary>Written and verified.</summary>
    Completed,

    /// <summary>A torn issue was undone: the card is blank stock again.</summary>
    RolledBack,

    /// <summary>Given up (the card is in a known state: see the last step).</summary>
    Abandoned,
}

/// <summary>A card write as the journal holds it.</summary>
/// <param name="Id">The journal's id.</param>
/// <param name="Kind">Issue or erase.</param>
/// <param name="CardUid">UID in upper-case hex.</param>
/// <param name="Payload">The payload an issue writes (null for an erase).</param>
/// <param name="LastStep">The last step journaled (null: none yet).</param>
/// <param name="Outcome">Open until completed, rolled back or abandoned.</param>
public sealed record CardWriteOperation(long Id, CardWriteOperationKind Kind, string CardUid, CardPayload? Payload, CardWriteStep? LastStep, CardWriteOutcome Outcome);

/// <summary>
/// Durable record of card writes, written before each step so that a card torn off the encoder is
/// recognised when presented again. The service backs it with SQLite (table card_write_journal);
/// <see cref="InMemoryCardWriteJournal"/> serves tools and tests. Implementations must make each
/// call durable before returning.
/// </summary>
public interface ICardWriteJournal
{
    /// <summary>Records the intent before the card is touched; returns the operation id.</summary>
    Task<long> BeginAsync(CardWriteOperationKind kind, string cardUid, CardPayload? payload, CancellationToken cancellationToken);

    /// <summary>Records that <paramref name="step"/> is about to be done.</summary>
    Task RecordStepAsync(long operationId, CardWriteStep step, CancellationToken cancellationToken);

    /// <summary>Closes the operation.</summary>
    Task CompleteAsync(long operationId, CardWriteOutcome outcome, CancellationToken cancellationToken);

    /// <summary>The open operation on this card, if any (at most one per card).</summary>
    Task<CardWriteOperation?> FindOpenAsync(string cardUid, CancellationToken cancellationToken);
}

/// <summary>A journal in memory: for gatewayctl diagnostics, benchmarks and tests. Not durable.</summary>
public sealed class InMemoryCardWriteJournal : ICardWriteJournal
{
    private readonly object _lock = new();
    private readonly Dictionary<long, CardWriteOperation> _operations = [];
    private readonly List<(long Id, CardWriteStep Step)> _steps = [];
    private long _next;

    /// <summary>Every step recorded, in order (tests read it).</summary>
    public IReadOnlyList<(long Id, CardWriteStep Step)> Steps
    {
        get
        {
            lock (_lock)
            {
                return [.. _steps];
            }
        }
    }

    /// <summary>Every operation (tests read it).</summary>
    public IReadOnlyList<CardWriteOperation> Operations
    {
        get
        {
            lock (_lock)
            {
                return [.. _operations.Values.OrderBy(o => o.Id)];
            }
        }
    }

    public Task<long> BeginAsync(CardWriteOperationKind kind, string cardUid, CardPayload? payload, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var id = ++_next;
            _operations[id] = new CardWriteOperation(id, kind, cardUid, payload, null, CardWriteOutcome.Open);
            return Task.FromResult(id);
        }
    }

    public Task RecordStepAsync(long operationId, CardWriteStep step, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _operations[operationId] = _operations[operationId] with { LastStep = step };
            _steps.Add((operationId, step));
        }

        return Task.CompletedTask;
    }

    public Task CompleteAsync(long operationId, CardWriteOutcome outcome, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _operations[operationId] = _operations[operationId] with { Outcome = outcome };
        }

        return Task.CompletedTask;
    }

    public Task<CardWriteOperation?> FindOpenAsync(string cardUid, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_operations.Values.FirstOrDefault(o => o.Outcome == CardWriteOutcome.Open && string.Equals(o.CardUid, cardUid, StringComparison.OrdinalIgnoreCase)));
        }
    }
}
