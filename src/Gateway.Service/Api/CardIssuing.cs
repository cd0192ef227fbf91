using Gateway.Service.Devices;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Hosting;
using Gateway.Service.Storage;

namespace Gateway.Service.Api;

/// <summary>
/// Issuing and replacing, as DESIGN.md's sequence: (1) validate, decide and record the intent in
/// the issue journal in one transaction, before the card is touched; (2) write and verify the card
/// through <see cref="ICardEncoderPort"/> with no database lock held; (3) in one transaction set the
/// card Issued (and the replaced card Lost/Damaged), record the hand-over, write the outbox markers
/// and the audit entry, and close the journal. A retry with the same Idempotency-Key finds its open
/// journal and resumes with the same journal id; another request is refused while the journal is
/// open (unless it is older than <see cref="CardEndpoints.StaleJournal"/>). An issue whose card verified
/// before the service stopped is committed at start (<see cref="IssueRecovery"/>); a retry with its key
/// then answers the issued card.
/// </summary>
public sealed class CardIssuing
{
    private readonly UnitOfWorkFactory _writes;
    private readonly ICardEncoderPort _encoders;
    private readonly GatewayOptions _options;
    private readonly ILogger<CardIssuing> _logger;

    public CardIssuing(UnitOfWorkFactory writes, ICardEncoderPort encoders, GatewayOptions options, ILogger<CardIssuing> logger)
    {
        _writes = writes;
        _encoders = encoders;
        _options = options;
        _logger = logger;
    }

    /// <summary>An issue (Replaces null: HolderId and Kind given) or a replacement (Replaces set: holder and kind come from the old card).</summary>
    public sealed record Order(long CardNumber, long? HolderId, CardKind? Kind, long? Replaces, ReplaceReason? ReplaceReason, string? Encoder, HandOver HandOver);

    public async Task<IResult> IssueAsync(Order order, HttpContext context, CancellationToken cancellationToken)
    {
        var encoder = EncoderChoice.Resolve(_options, order.Encoder, out var problem, out var unavailable);
        if (encoder is null)
        {
            return unavailable ? CardEndpoints.EncoderUnavailable(problem!) : ApiProblems.Validation("encoder", problem!);
        }

        var actor = context.User.ToActor();
        var requestKey = context.Request.Headers[IdempotencyMiddleware.HeaderName].ToString();

        // 1. Intent.
        long journalId;
        CardWriteOrder write;
        await using (var unit = await _writes.BeginAsync(actor, cancellationToken))
        {
            // Committed already (at start, or before the response could be stored): answer the card, never issue twice.
            // Only while that issue is the card's current one: the same key reused on a later issue of the number runs anew.
            if (await CardStore.FindLatestJournalAsync(unit, order.CardNumber, cancellationToken) is { State: "committed" } done
                && done.OperatorId == actor.OperatorId && done.RequestKey == requestKey && done.Replaces == order.Replaces
                && await CardStore.GetAsync(unit, order.CardNumber, cancellationToken) is { State: CardState.Issued } committed)
            {
                _logger.LogInformation("Issue journal {JournalId} of card {CardNumber} was committed before this retry; answering the issued card", done.Id, order.CardNumber);
                return TypedResults.Created($"/api/cards/{committed.Number}", await CardEndpoints.ToResponseAsync(unit.Connection, unit.Transaction, committed, [], cancellationToken));
            }

            var (refusal, card, holderId, kind) = await CheckAsync(unit, order, cancellationToken);
            if (refusal is not null)
            {
                return refusal;
            }

            var open = await CardStore.FindOpenJournalAsync(unit, order.CardNumber, cancellationToken);
            if (open is not null && open.OperatorId == actor.OperatorId && open.RequestKey == requestKey)
            {
                journalId = open.Id;
                _logger.LogInformation("Resuming issue journal {JournalId} of card {CardNumber}", journalId, order.CardNumber);
            }
            else
            {
                if (open is not null)
                {
                    if (unit.NowUtc - open.CreatedUtc < CardEndpoints.StaleJournal)
                    {
                        return ApiProblems.Conflict($"card {order.CardNumber} is being issued by another request (journal {open.Id}); wait for it or retry with its Idempotency-Key");
                    }

                    await CardStore.CloseJournalAsync(unit, open.Id, committed: false, null, "abandoned: taken over by a later request", cancellationToken);
                }

                journalId = await CardStore.OpenJournalAsync(unit, order.CardNumber, holderId, kind, order.Replaces, order.ReplaceReason, order.HandOver, encoder, requestKey, cancellationToken);
            }

            write = new CardWriteOrder(journalId, encoder, order.CardNumber, kind, card!.IssueCount + 1, card.Uid);
            unit.Audit("card.issue-started", $"card:{order.CardNumber}", new { journal = journalId, holder = holderId, kind = Wire.Name(kind), replaces = order.Replaces, encoder });
            await unit.CommitAsync(cancellationToken);
        }

        // 2. The card, outside any transaction.
        EncodedCard encoded;
        try
        {
            encoded = await _encoders.IssueAsync(write, cancellationToken);
        }
        catch (EncoderUnavailableException ex)
        {
            // Nothing was touched: close the intent so the card is free again.
            await FailJournalAsync(actor, journalId, order.CardNumber, ex.Message);
            return CardEndpoints.EncoderUnavailable(ex.Message);
        }
        catch (EncoderOperationException ex)
        {
            // The card may be half-written: the journal stays open so a retry with the same key resumes it.
            _logger.LogWarning("Issuing card {CardNumber} (journal {JournalId}) failed on encoder {DeviceId}: {Reason}", order.CardNumber, journalId, encoder, ex.Message);
            return CardEndpoints.EncoderFailed(ex.Message);
        }

        // 3. Commit.
        return await CommitAsync(actor, order, encoded, journalId, atStart: false, cancellationToken);
    }

    /// <summary>
    /// At start: commits the open issue <paramref name="journal"/> whose card <paramref name="cardUid"/>
    /// was written and verified before the service stopped, exactly as the request would have
    /// (same checks, same transaction), as the journal's operator. Returns null when committed, else
    /// why it was refused (the journal is then closed as failed, as a refused request's is).
    /// </summary>
    public async Task<string?> CommitAtStartAsync(IssueJournalEntry journal, string cardUid, CancellationToken cancellationToken)
    {
        var actor = new Actor(journal.OperatorId, journal.OperatorName ?? journal.OperatorId);
        var order = new Order(journal.CardNumber, journal.HolderId, journal.Kind, journal.Replaces, journal.ReplaceReason, journal.EncoderId, journal.HandOver!);
        var result = await CommitAsync(actor, order, new EncodedCard(cardUid), journal.Id, atStart: true, cancellationToken);
        return result switch
        {
            IStatusCodeHttpResult { StatusCode: StatusCodes.Status201Created } => null,
            Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult problem => problem.ProblemDetails.Detail ?? problem.ProblemDetails.Title ?? "refused",
            _ => "refused",
        };
    }

    private async Task<IResult> CommitAsync(Actor actor, Order order, EncodedCard encoded, long journalId, bool atStart, CancellationToken cancellationToken)
    {
        IResult? refused = null;
        await using (var unit = await _writes.BeginAsync(actor, cancellationToken))
        {
            var (refusal, card, holderId, kind) = await CheckAsync(unit, order, cancellationToken);
            if (refusal is null && card!.Uid is not null && !string.Equals(card.Uid, encoded.Uid, StringComparison.OrdinalIgnoreCase))
            {
                refusal = ApiProblems.Conflict($"card {order.CardNumber} was issued before on the physical card with UID {card.Uid}; the card on the encoder ({encoded.Uid}) is another one");
            }

            if (refusal is null && await CardStore.FindByUidAsync(unit.Connection, unit.Transaction, encoded.Uid, cancellationToken) is { } other && other.Number != order.CardNumber)
            {
                refusal = ApiProblems.Conflict($"the card on the encoder (UID {encoded.Uid}) is card {other.Number}, not card {order.CardNumber}");
            }

            if (refusal is not null)
            {
                refused = refusal;
            }
            else
            {
                if (atStart)
                {
                    await CardStore.MarkCommittedAtStartAsync(unit, journalId, cancellationToken);
                    unit.Audit("card.issue-committed-at-start", $"card:{order.CardNumber}", new { journal = journalId, uid = encoded.Uid });
                }

                return await CommitIssueAsync(unit, order, card!, holderId, kind, encoded, journalId, cancellationToken);
            }
        }

        await FailJournalAsync(actor, journalId, order.CardNumber, atStart ? "refused at commit on start" : "refused at commit");
        return refused;
    }

    private async Task<IResult> CommitIssueAsync(UnitOfWork unit, Order order, CardRecord card, long holderId, CardKind kind, EncodedCard encoded, long journalId, CancellationToken cancellationToken)
    {
        var issued = card with
        {
            State = CardState.Issued,
            Uid = encoded.Uid,
            HolderId = holderId,
            Kind = kind,
            IssueCount = card.IssueCount + 1,
            Replaces = order.Replaces,
            ReplacedBy = null,
            StateReason = null,
            StateNote = null,
        };
        issued = await CardStore.SaveTransitionAsync(unit, card, issued, order.Replaces is null ? "issue" : "issue-replacement", null, order.HandOver.ReceiptReference, cancellationToken);
        await CardStore.InsertIssueAsync(unit, issued, order.HandOver.Items, order.HandOver.ReceiptReference, cancellationToken);
        await unit.MarkCardChangedAsync(issued.Number, "issue", cancellationToken);

        if (order.Replaces is { } oldNumber)
        {
            var old = (await CardStore.GetAsync(unit, oldNumber, cancellationToken))!;
            var decision = CardLife.DecideReplace(old.Facts, order.ReplaceReason!.Value);
            var replaced = old with { State = decision.To!.Value, ReplacedBy = issued.Number, StateReason = Wire.Name(order.ReplaceReason.Value) };
            replaced = await CardStore.SaveTransitionAsync(unit, old, replaced, "replace", Wire.Name(order.ReplaceReason.Value), $"replaced by card {issued.Number}", cancellationToken);
            await unit.MarkCardChangedAsync(oldNumber, "replace", cancellationToken);
            unit.Audit("card.replace", $"card:{oldNumber}", new { from = Wire.Name(old.State), to = Wire.Name(replaced.State), replacedBy = issued.Number });
        }

        await CardStore.CloseJournalAsync(unit, journalId, committed: true, encoded.Uid, null, cancellationToken);
        unit.Audit("card.issue", $"card:{issued.Number}", new
        {
            holder = holderId,
            kind = Wire.Name(kind),
            uid = encoded.Uid,
            issueCounter = issued.IssueCount,
            items = order.HandOver.Items,
            receipt = order.HandOver.ReceiptReference,
            replaces = order.Replaces,
            journal = journalId,
        });
        var response = await CardEndpoints.ToResponseAsync(unit.Connection, unit.Transaction, issued, [], cancellationToken);
        await unit.CommitAsync(cancellationToken);
        _logger.LogInformation("Card {CardNumber} issued to holder {HolderId} as {CardKind}, UID {CardUid}", issued.Number, holderId, kind, encoded.Uid);
        return TypedResults.Created($"/api/cards/{issued.Number}", response);
    }

    /// <summary>Everything that must hold both before the card is written and when the issue commits.</summary>
    private static async Task<(IResult? Refusal, CardRecord? Card, long HolderId, CardKind Kind)> CheckAsync(UnitOfWork unit, Order order, CancellationToken cancellationToken)
    {
        var card = await CardStore.GetAsync(unit, order.CardNumber, cancellationToken);
        if (card is null)
        {
            return (ApiProblems.NotFound($"card {order.CardNumber}"), null, 0, default);
        }

        var holderId = order.HolderId ?? 0;
        var kind = order.Kind ?? CardKind.Access;
        if (order.Replaces is { } oldNumber)
        {
            var old = await CardStore.GetAsync(unit, oldNumber, cancellationToken);
            if (old is null)
            {
                return (ApiProblems.NotFound($"card {oldNumber}"), null, 0, default);
            }

            var replace = CardLife.DecideReplace(old.Facts, order.ReplaceReason!.Value);
            if (!replace.Allowed)
            {
                return (ApiProblems.InvalidTransition(replace.Refusal!, Wire.Name(old.State)), null, 0, default);
            }

            holderId = old.HolderId!.Value;
            kind = old.Kind!.Value;
        }
        else if (await HolderStore.GetAsync(unit.Connection, unit.Transaction, holderId, cancellationToken) is null)
        {
            return (ApiProblems.Validation("holderId", $"no holder {holderId}"), null, 0, default);
        }

        var issue = CardLife.Decide(card.Facts, CardAction.Issue);
        if (!issue.Allowed)
        {
            return (ApiProblems.InvalidTransition(issue.Refusal!, Wire.Name(card.State)), null, 0, default);
        }

        return (null, card, holderId, kind);
    }

    private async Task FailJournalAsync(Actor actor, long journalId, long cardNumber, string reason)
    {
        await using var unit = await _writes.BeginAsync(actor, CancellationToken.None);
        await CardStore.CloseJournalAsync(unit, journalId, committed: false, null, reason, CancellationToken.None);
        unit.Audit("card.issue-failed", $"card:{cardNumber}", new { journal = journalId, reason });
        await unit.CommitAsync(CancellationToken.None);
    }
}
