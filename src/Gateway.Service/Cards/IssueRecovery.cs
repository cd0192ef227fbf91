using Gateway.Service.Storage;

namespace Gateway.Service.Cards;

/// <summary>
/// At start, before the API serves (DESIGN.md "Issuing": a verified card is committed on restart):
/// for every open issue journal whose card the encoder's write journal records as written and
/// verified, commits the issue through <see cref="CardWorkflow.CommitAtStartAsync"/>, exactly as the
/// interrupted request would have, once (the journal closes in the same transaction). An issue whose
/// card is torn or was never touched stays open: a retry of the request with the same
/// Idempotency-Key resumes it, and the encoder finishes or blanks the card when it is presented.
/// Registered after the audit key is loaded (<see cref="Operators.SecurityStartup"/>).
/// </summary>
public sealed class IssueRecovery : IHostedService
{
    private readonly GatewayDatabase _database;
    private readonly CardWorkflow _cards;
    private readonly ILogger<IssueRecovery> _logger;

    public IssueRecovery(GatewayDatabase database, CardWorkflow cards, ILogger<IssueRecovery> logger)
    {
        _database = database;
        _cards = cards;
        _logger = logger;
    }

    /// <summary>What the last run did: issues committed, and issues left open.</summary>
    public (int Committed, int LeftOpen) LastRun { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var committed = 0;
        var leftOpen = 0;
        IReadOnlyList<(IssueJournalEntry Journal, IssueWrite? Write)> open;
        await using (var connection = _database.OpenConnection())
        {
            var journals = await CardStore.ListOpenJournalsAsync(connection, cancellationToken);
            var found = new List<(IssueJournalEntry, IssueWrite?)>(journals.Count);
            foreach (var journal in journals)
            {
                var card = await CardStore.GetAsync(connection, null, journal.CardNumber, cancellationToken);
                var write = card is null ? null : await CardStore.FindIssueWriteAsync(connection, null, journal.CardNumber, card.IssueCount + 1, journal.CreatedUtc, cancellationToken);
                found.Add((journal, write));
            }

            open = found;
        }

        foreach (var (journal, write) in open)
        {
            if (write is { Outcome: "completed" } && journal.HandOver is not null)
            {
                var outcome = await _cards.CommitAtStartAsync(journal, write.CardUid, cancellationToken);
                if (outcome.Succeeded)
                {
                    committed++;
                    _logger.LogInformation(
                        "Committed at start the issue of card {CardNumber} (journal {JournalId}, operator {OperatorId}): card {CardUid} was written and verified before the service stopped",
                        journal.CardNumber,
                        journal.Id,
                        journal.OperatorId,
                        write.CardUid);
                }
                else
                {
                    _logger.LogWarning(
                        "The issue of card {CardNumber} (journal {JournalId}) was written and verified on card {CardUid} before the service stopped, but its commit was refused: {Reason}; the journal is closed as failed and the card must be recycled before it is issued again",
                        journal.CardNumber,
                        journal.Id,
                        write.CardUid,
                        outcome.Refusal.Detail);
                }

                continue;
            }

            leftOpen++;
            var where = write switch
            {
                null => "the card was not written yet",
                { Outcome: "completed" } => "the card was written and verified, but the journal was opened by an older Gateway without the hand-over",
                { Outcome: "open" } => $"the card write is torn (last step {write.LastStep ?? "none"})",
                _ => $"the card write ended {write.Outcome}",
            };
            _logger.LogWarning(
                "The issue of card {CardNumber} (journal {JournalId}, operator {OperatorId}) is still open: {CardWriteState}; a retry of the request with the same Idempotency-Key finishes it, and presenting the card on the encoder finishes or blanks a torn card",
                journal.CardNumber,
                journal.Id,
                journal.OperatorId,
                where);
        }

        LastRun = (committed, leftOpen);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
