using Gateway.Service.Api;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Domain.Holders;
using Gateway.Service.Domain.Zones;
using Gateway.Service.Storage;

namespace Gateway.Service.Cards;

/// <summary>
/// <c>/api/cards</c>: card stock and card life (DESIGN.md "Card life"), issuing through the encoder
/// port with a journal (DESIGN.md "Issuing"), and <c>/api/encoders/{id}/card</c> ("who is this?"). HTTP
/// only: routes, requests and responses, validation, and the mapping of <see cref="CardWorkflow"/>'s
/// outcomes to problem details.
/// </summary>
public static partial class CardEndpoints
{
    public const long MaxCardNumber = 99_999_999;

    public const int MaxNote = 500;

    public static void MapCardEndpoints(this RouteGroupBuilder api)
    {
        var cards = api.MapGroup("/cards").WithTags("Cards");
        cards.MapPost("/stock", ReceiveAsync).RequireAuthorization(GatewayPolicies.FrontDesk).WithName("ReceiveCards").WithSummary("Receive a numbered range of blank cards into stock");
        cards.MapGet("/", ListAsync).RequireAuthorization(GatewayPolicies.ReadOperational).WithName("ListCards").WithSummary("Cards by number; filters: state, kind, holder, unit (building-unit-room), number");
        cards.MapGet("/{number}", GetAsync).RequireAuthorization(GatewayPolicies.ReadOperational).WithName("GetCard").WithSummary("One card with its holder");
        cards.MapGet("/{number}/history", HistoryAsync).RequireAuthorization(GatewayPolicies.ReadOperational).WithName("GetCardHistory").WithSummary("Every transition of a card, oldest first");
        cards.MapGet("/{number}/entries", EntriesAsync).RequireAuthorization(GatewayPolicies.ReadOperational).WithName("GetCardEntries").WithSummary("The whitelist entries the card should have, per controller");
        cards.MapPost("/{number}/issue", IssueAsync).RequireAuthorization(GatewayPolicies.FrontDesk).RequireIdempotencyKey().WithName("IssueCard").WithSummary("Write the card on the encoder and issue it to a holder, recording the hand-over");
        cards.MapPost("/{number}/issue-temporary", IssueTemporaryAsync).RequireAuthorization(GatewayPolicies.FrontDesk).RequireIdempotencyKey().WithName("IssueTemporaryCard").WithSummary("Write the card on the encoder and issue it as a temporary or visitor card with a validity window, or as a stand-in for a lost card");
        cards.MapPost("/{number}/replace", ReplaceAsync).RequireAuthorization(GatewayPolicies.FrontDesk).RequireIdempotencyKey().WithName("ReplaceCard").WithSummary("Mark this card lost or damaged and issue a new card linked to it");
        cards.MapPost("/{number}/report-lost", (long number, NoteRequest? body, HttpContext c, CardWorkflow w, CancellationToken t) => NoteAsync(number, body, (note, actor) => w.ReportLostAsync(actor, number, note, t), c))
            .RequireAuthorization(GatewayPolicies.FrontDesk).WithName("ReportCardLost").WithSummary("Issued → lost");
        cards.MapPost("/{number}/found", (long number, NoteRequest? body, HttpContext c, CardWorkflow w, CancellationToken t) => NoteAsync(number, body, (note, actor) => w.ReportFoundAsync(actor, number, note, t), c))
            .RequireAuthorization(GatewayPolicies.FrontDesk).WithName("ReportCardFound").WithSummary("Lost → issued (no replacement yet) or returned (replaced)");
        cards.MapPost("/{number}/revoke", RevokeAsync).RequireAuthorization(GatewayPolicies.FrontDesk).WithName("RevokeCard").WithSummary("Issued → revoked (reason moved-out, or other with a text)");
        cards.MapPost("/{number}/damaged", (long number, NoteRequest? body, HttpContext c, CardWorkflow w, CancellationToken t) => NoteAsync(number, body, (note, actor) => w.MarkDamagedAsync(actor, number, note, t), c))
            .RequireAuthorization(GatewayPolicies.FrontDesk).WithName("MarkCardDamaged").WithSummary("Issued → damaged");
        cards.MapPost("/{number}/write-off", (long number, NoteRequest? body, HttpContext c, CardWorkflow w, CancellationToken t) => NoteAsync(number, body, (note, actor) => w.WriteOffAsync(actor, number, note, t), c))
            .RequireAuthorization(GatewayPolicies.FrontDesk).WithName("WriteOffCard").WithSummary("Damaged → written off");
        cards.MapPost("/{number}/return", ReturnAsync)
            .RequireAuthorization(GatewayPolicies.FrontDesk).WithName("ReturnCard").WithSummary("Revoked → returned (the card was handed back); a held deposit is refunded on the receipt named");
        cards.MapGet("/{number}/charges", ChargesAsync).RequireAuthorization(GatewayPolicies.ReadPayments).WithName("GetCardCharges").WithSummary("The card's fees, deposits and refunds, and the deposit it holds");
        api.MapGet("/card-fees", (CardWorkflow w) => TypedResults.Ok(new FeeScheduleResponse(w.Fees.CardFen, w.Fees.ReplacementFen, w.Fees.DepositFen)))
            .RequireAuthorization(GatewayPolicies.ReadOperational).WithTags("Cards").WithName("GetCardFeeSchedule").WithSummary("The site's card fee schedule (configuration)");
        cards.MapPost("/{number}/recycle", RecycleAsync).RequireAuthorization(GatewayPolicies.FrontDesk).WithName("RecycleCard").WithSummary("Returned → in stock, after erasing the card on the encoder to transport keys");

        api.MapGet("/temporary-cards", ListTemporaryAsync).RequireAuthorization(GatewayPolicies.ReadOperational).WithTags("Cards").WithName("ListTemporaryCards").WithSummary("Temporary and visitor cards with their status and days left; filters: status, purpose, holder");
        api.MapGet("/encoders/{encoderId}/card", WhoIsThisAsync).RequireAuthorization(GatewayPolicies.FrontDesk).WithTags("Cards").WithName("ReadCardOnEncoder").WithSummary("Who is this? Reads the card lying on the encoder and says whose it is and whether it is valid");
    }

    public sealed record ReceiveRequest(long? From, long? To, string? Batch);

    public sealed record ReceiveResponse(long From, long To, long Count, string? Batch);

    public sealed record HandOverRequest(IReadOnlyList<string>? Items, string? ReceiptReference);

    public sealed record IssueRequest(long? HolderId, CardKind? Kind, string? Encoder, HandOverRequest? HandOver, string? FeeReceiptNumber = null);

    public sealed record ReplaceRequest(long? NewCardNumber, ReplaceReason? Reason, string? Encoder, HandOverRequest? HandOver, string? FeeReceiptNumber = null);

    /// <summary>A temporary card: <c>validUntil</c> (and optionally <c>validFrom</c>) or <c>days</c>; a stand-in names <c>standsInFor</c> instead of holder and kind.</summary>
    public sealed record TemporaryIssueRequest(long? HolderId, CardKind? Kind, TemporaryPurpose? Purpose, DateTimeOffset? ValidFrom, DateTimeOffset? ValidUntil, int? Days, string? Bearer, long? StandsInFor, string? Encoder, HandOverRequest? HandOver, string? FeeReceiptNumber = null);

    /// <summary>A temporary card's terms and where it stands now.</summary>
    public sealed record TemporaryResponse(TemporaryPurpose Purpose, DateTimeOffset ValidFrom, DateTimeOffset ValidUntil, string? Bearer, long? StandsInFor, TemporaryStatus Status, int DaysLeft, bool AwaitingReturn);

    public sealed record NoteRequest(string? Note);

    public sealed record ReturnRequest(string? Note, string? RefundReceiptNumber);

    public sealed record ChargeResponse(long Id, long CardNumber, long HolderId, string? HolderName, string Kind, long AmountFen, string ReceiptNumber, DateTimeOffset RecordedUtc, string RecordedBy);

    public sealed record ChargesResponse(long Number, long? DepositHeldFen, IReadOnlyList<ChargeResponse> Charges);

    public sealed record FeeScheduleResponse(long CardFen, long ReplacementFen, long DepositFen);

    public sealed record RevokeRequest(RevokeReason? Reason, string? Text);

    public sealed record RecycleRequest(string? Encoder);

    public sealed record HolderSummary(long Id, string Name, string UnitAddress);

    public sealed record CardResponse(
        long Number,
        CardState State,
        CardKind? Kind,
        string? Uid,
        HolderSummary? Holder,
        int IssueCount,
        long? Replaces,
        long? ReplacedBy,
        string? StateReason,
        string? StateNote,
        string? Batch,
        DateTimeOffset Received,
        DateTimeOffset Updated,
        TemporaryResponse? Temporary,
        bool Legacy);

    public sealed record CardEventResponse(string Action, CardState? From, CardState To, string? Reason, string? Note, DateTimeOffset At, string OperatorId);

    public sealed record EntryResponse(string ControllerId, string Zone, string CardUid, bool Blocked);

    public sealed record EntriesResponse(long Number, CardState State, IReadOnlyList<EntryResponse> Entries);

    /// <summary>"Who is this?": <c>status</c> is <c>valid</c> or why not; the card and holder when known.</summary>
    public sealed record WhoIsThisResponse(string Status, bool Valid, string? Reason, string? Uid, CardResponse? Card);

    private static async Task<IResult> ReceiveAsync(ReceiveRequest body, HttpContext context, CardWorkflow cards, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var from = v.Range("from", body.From, 1, MaxCardNumber);
        var to = v.Range("to", body.To, 1, MaxCardNumber);
        var batch = v.Text("batch", body.Batch, 64, required: false);
        if (from is not null && to is not null)
        {
            if (to < from)
            {
                v.Add("to", "must not be below from");
            }
            else if (to - from + 1 > CardWorkflow.MaxRange)
            {
                v.Add("to", $"one receipt may hold at most {CardWorkflow.MaxRange} cards");
            }
        }

        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var outcome = await cards.ReceiveAsync(context.User.ToActor(), from!.Value, to!.Value, batch, cancellationToken);
        return outcome.TryGetValue(out var receipt, out var refusal)
            ? TypedResults.Created($"/api/cards?after={receipt.From - 1}", new ReceiveResponse(receipt.From, receipt.To, receipt.Count, receipt.Batch))
            : ToProblem(refusal);
    }

    private static async Task<IResult> ListAsync(CardWorkflow cards, string? state, string? kind, long? holder, string? unit, long? number, int? limit, long? after, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var page = v.Page(limit, after);
        CardState? stateFilter = null;
        if (state is not null)
        {
            if (Wire.TryParse<CardState>(state, out var s))
            {
                stateFilter = s;
            }
            else
            {
                v.Add("state", $"must be one of: {string.Join(", ", Wire.Names<CardState>())}");
            }
        }

        CardKind? kindFilter = null;
        if (kind is not null)
        {
            if (Wire.TryParse<CardKind>(kind, out var k))
            {
                kindFilter = k;
            }
            else
            {
                v.Add("kind", $"must be one of: {string.Join(", ", Wire.Names<CardKind>())}");
            }
        }

        UnitAddress? address = null;
        if (unit is not null && !UnitAddress.TryParse(unit, out address))
        {
            v.Add("unit", "must be building-unit-room, e.g. 3-2-1201");
        }

        v.Range("holder", holder, 1, long.MaxValue, required: false);
        v.Range("number", number, 1, MaxCardNumber, required: false);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var filter = new CardFilter(stateFilter, kindFilter, holder, address?.Building, address?.Unit, address?.Room, number);
        return TypedResults.Ok((await cards.ListAsync(filter, page, cancellationToken)).Select(ToResponse));
    }

    private static async Task<IResult> GetAsync(long number, CardWorkflow cards, CancellationToken cancellationToken) =>
        await cards.GetAsync(number, cancellationToken) is { } card ? TypedResults.Ok(ToResponse(card)) : ApiProblems.NotFound($"card {number}");

    private static async Task<IResult> HistoryAsync(long number, CardWorkflow cards, CancellationToken cancellationToken) =>
        (await cards.HistoryAsync(number, cancellationToken)).TryGetValue(out var history, out var refusal)
            ? TypedResults.Ok(new { number, events = history.Select(e => new CardEventResponse(e.Action, e.From, e.To, e.Reason, e.Note, e.AtUtc, e.OperatorId)).ToList() })
            : ToProblem(refusal);

    private static async Task<IResult> EntriesAsync(long number, CardWorkflow cards, ZoneMap zones, CancellationToken cancellationToken)
    {
        if (!(await cards.EntriesAsync(number, cancellationToken)).TryGetValue(out var entries, out var refusal))
        {
            return ToProblem(refusal);
        }

        var zoneOf = zones.Controllers.GroupBy(c => c.ControllerId).ToDictionary(g => g.Key, g => string.Join(",", g.Select(c => c.Zone)));
        return TypedResults.Ok(new EntriesResponse(number, entries.State, entries.Entries.Select(e => new EntryResponse(e.ControllerId, zoneOf[e.ControllerId], e.CardUid, e.Blocked)).ToList()));
    }

    private static async Task<IResult> RevokeAsync(long number, RevokeRequest body, HttpContext context, CardWorkflow cards, CancellationToken cancellationToken)
    {
        var v = new Validator();
        if (body.Reason is null)
        {
            v.Add("reason", "is required (moved-out or other)");
        }

        var text = v.Text("text", body.Text, MaxNote, required: body.Reason == RevokeReason.Other);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        return ToResult(await cards.RevokeAsync(context.User.ToActor(), number, body.Reason!.Value, text, cancellationToken));
    }

    /// <summary>A state change whose body is an optional note.</summary>
    private static async Task<IResult> NoteAsync(long number, NoteRequest? body, Func<string?, Actor, Task<Outcome<CardView>>> change, HttpContext context)
    {
        var v = new Validator();
        var note = v.Text("note", body?.Note, MaxNote, required: false);
        return v.IsValid ? ToResult(await change(note, context.User.ToActor())) : v.ToProblem();
    }

    /// <summary>A second return of the same card is refused by its state (409): a deposit is never refunded twice.</summary>
    private static async Task<IResult> ReturnAsync(long number, ReturnRequest? body, HttpContext context, CardWorkflow cards, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var note = v.Text("note", body?.Note, MaxNote, required: false);
        var receipt = v.Pattern("refundReceiptNumber", body?.RefundReceiptNumber, ReceiptPattern(), ReceiptRule, required: false);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var outcome = await cards.HandBackAsync(context.User.ToActor(), number, note, receipt, cancellationToken);
        return outcome.TryGetValue(out var back, out var refusal) ? TypedResults.Ok(ToResponse(back.Card)) : ToProblem(refusal);
    }

    private static async Task<IResult> ChargesAsync(long number, CardWorkflow cards, CancellationToken cancellationToken)
    {
        if (!(await cards.ChargesAsync(number, cancellationToken)).TryGetValue(out var found, out var refusal))
        {
            return ToProblem(refusal);
        }

        var list = found.Charges.Select(c => new ChargeResponse(c.Id, c.CardNumber, c.HolderId, c.HolderName, c.Kind, c.AmountFen, c.ReceiptNumber, c.RecordedUtc, c.RecordedBy)).ToList();
        return TypedResults.Ok(new ChargesResponse(number, found.Held?.AmountFen, list));
    }

    private const string ReceiptRule = "must be a receipt-book number: 1-64 letters, digits, '-', '_', '/' or ':'";

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9_/:-]{1,64}$")]
    private static partial System.Text.RegularExpressions.Regex ReceiptPattern();

    private static async Task<IResult> RecycleAsync(long number, RecycleRequest? body, HttpContext context, CardWorkflow cards, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var requested = v.Text("encoder", body?.Encoder, 32, required: false);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        return ToResult(await cards.RecycleAsync(context.User.ToActor(), number, requested, cancellationToken));
    }

    private static async Task<IResult> IssueAsync(long number, IssueRequest body, HttpContext context, CardWorkflow cards, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var holderId = v.Range("holderId", body.HolderId, 1, long.MaxValue);
        if (body.Kind is null)
        {
            v.Add("kind", "is required (access, parking or both)");
        }

        var encoder = v.Text("encoder", body.Encoder, 32, required: false);
        var handOver = ValidateHandOver(v, body.HandOver);
        var feeReceipt = v.Pattern("feeReceiptNumber", body.FeeReceiptNumber, ReceiptPattern(), ReceiptRule, required: false);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var outcome = await cards.IssueAsync(context.User.ToActor(), new IssueOrder(number, holderId!.Value, body.Kind!.Value, encoder, handOver!, feeReceipt), AttemptKey(context), cancellationToken);
        return Created(outcome);
    }

    private static async Task<IResult> ReplaceAsync(long number, ReplaceRequest body, HttpContext context, CardWorkflow cards, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var newNumber = v.Range("newCardNumber", body.NewCardNumber, 1, MaxCardNumber);
        if (newNumber == number)
        {
            v.Add("newCardNumber", "must be another card than the one replaced");
        }

        if (body.Reason is null)
        {
            v.Add("reason", "is required (lost or damaged)");
        }

        var encoder = v.Text("encoder", body.Encoder, 32, required: false);
        var handOver = ValidateHandOver(v, body.HandOver);
        var feeReceipt = v.Pattern("feeReceiptNumber", body.FeeReceiptNumber, ReceiptPattern(), ReceiptRule, required: false);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var outcome = await cards.ReplaceAsync(context.User.ToActor(), new ReplaceOrder(number, newNumber!.Value, body.Reason!.Value, encoder, handOver!, feeReceipt), AttemptKey(context), cancellationToken);
        return Created(outcome);
    }

    private static async Task<IResult> IssueTemporaryAsync(long number, TemporaryIssueRequest body, HttpContext context, CardWorkflow cards, CancellationToken cancellationToken)
    {
        var v = new Validator();
        if (body.Purpose is null)
        {
            v.Add("purpose", $"is required ({string.Join(", ", Wire.Names<TemporaryPurpose>())})");
        }

        var standIn = body.Purpose == TemporaryPurpose.StandIn;
        long? holderId = null;
        if (standIn)
        {
            v.Range("standsInFor", body.StandsInFor, 1, MaxCardNumber);
            if (body.StandsInFor == number)
            {
                v.Add("standsInFor", "must be another card than the temporary one");
            }

            // The stand-in is the lost card's holder's, of its kind.
            if (body.HolderId is not null)
            {
                v.Add("holderId", "is the lost card's holder for a stand-in: leave it out");
            }

            if (body.Kind is not null)
            {
                v.Add("kind", "is the lost card's kind for a stand-in: leave it out");
            }
        }
        else
        {
            holderId = v.Range("holderId", body.HolderId, 1, long.MaxValue);
            if (body.Kind is null)
            {
                v.Add("kind", "is required (access, parking or both)");
            }

            if (body.StandsInFor is not null && body.Purpose is not null)
            {
                v.Add("standsInFor", "only a stand-in card (purpose stand-in) stands in for a lost card");
            }
        }

        if (body.Days is not null == body.ValidUntil is not null)
        {
            v.Add(body.Days is null ? "validUntil" : "days", "give either validUntil (and optionally validFrom) or days");
        }
        else if (body.Days is { } days)
        {
            v.Range("days", days, 1, TemporaryCards.MaxDays);
            if (body.ValidFrom is not null)
            {
                v.Add("validFrom", "days count from today's local midnight: leave validFrom out");
            }
        }

        var bearer = v.Text("bearer", body.Bearer, 64, required: body.Purpose is TemporaryPurpose.Visitor or TemporaryPurpose.Contractor);
        var encoder = v.Text("encoder", body.Encoder, 32, required: false);
        var handOver = ValidateHandOver(v, body.HandOver);
        var feeReceipt = v.Pattern("feeReceiptNumber", body.FeeReceiptNumber, ReceiptPattern(), ReceiptRule, required: false);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var order = new TemporaryIssueOrder(number, holderId, body.Kind, body.Purpose!.Value, new WindowOrder(body.ValidFrom, body.ValidUntil, body.Days), bearer, standIn ? body.StandsInFor : null, encoder, handOver!, feeReceipt);
        return Created(await cards.IssueTemporaryAsync(context.User.ToActor(), order, AttemptKey(context), cancellationToken));
    }

    private static async Task<IResult> ListTemporaryAsync(CardWorkflow cards, string? status, string? purpose, long? holder, int? limit, long? after, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var page = v.Page(limit, after);
        TemporaryStatus? statusFilter = null;
        if (status is not null)
        {
            if (Wire.TryParse<TemporaryStatus>(status, out var parsed))
            {
                statusFilter = parsed;
            }
            else
            {
                v.Add("status", $"must be one of: {string.Join(", ", Wire.Names<TemporaryStatus>())}");
            }
        }

        TemporaryPurpose? purposeFilter = null;
        if (purpose is not null)
        {
            if (Wire.TryParse<TemporaryPurpose>(purpose, out var parsed))
            {
                purposeFilter = parsed;
            }
            else
            {
                v.Add("purpose", $"must be one of: {string.Join(", ", Wire.Names<TemporaryPurpose>())}");
            }
        }

        v.Range("holder", holder, 1, long.MaxValue, required: false);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        return TypedResults.Ok((await cards.ListTemporaryAsync(statusFilter, purposeFilter, holder, page, cancellationToken)).Select(ToResponse));
    }

    /// <summary>The issue attempt is named by the request's Idempotency-Key (the route requires one).</summary>
    private static string AttemptKey(HttpContext context) => context.Request.Headers[IdempotencyMiddleware.HeaderName].ToString();

    private static HandOver? ValidateHandOver(Validator v, HandOverRequest? body)
    {
        if (body is null)
        {
            v.Add("handOver", "is required: the items handed over and the signed receipt's reference", "required");
            return null;
        }

        return HandOverInput.Validate(v, body.Items, body.ReceiptReference);
    }

    private static async Task<IResult> WhoIsThisAsync(string encoderId, CardWorkflow cards, CancellationToken cancellationToken)
    {
        if (!(await cards.ReadOnEncoderAsync(encoderId, cancellationToken)).TryGetValue(out var presented, out var refusal))
        {
            return ToProblem(refusal);
        }

        return TypedResults.Ok(new WhoIsThisResponse(presented.Status, presented.Valid, presented.Reason, presented.Uid, presented.Card is { } card ? ToResponse(card) : null));
    }

    private static IResult ToResult(Outcome<CardView> outcome) =>
        outcome.TryGetValue(out var card, out var refusal) ? TypedResults.Ok(ToResponse(card)) : ToProblem(refusal);

    private static IResult Created(Outcome<CardView> outcome) =>
        outcome.TryGetValue(out var card, out var refusal) ? TypedResults.Created($"/api/cards/{card.Card.Number}", ToResponse(card)) : ToProblem(refusal);

    /// <summary>The encoder's refusals have problem types of their own; the rest map as everywhere.</summary>
    private static IResult ToProblem(Refusal refusal) => refusal.Kind switch
    {
        RefusalKind.Unavailable => ApiProblems.Problem(StatusCodes.Status503ServiceUnavailable, ProblemTypes.EncoderUnavailable, "No encoder available", refusal.Detail),
        RefusalKind.DeviceFailed => ApiProblems.Problem(StatusCodes.Status502BadGateway, ProblemTypes.EncoderFailed, "The encoder could not complete the operation", refusal.Detail),
        RefusalKind.Conflict when refusal.Code == BoardNumbering.CollisionCode => ApiProblems.Problem(StatusCodes.Status409Conflict, ProblemTypes.Prefix + refusal.Code, "Another blank is needed", refusal.Detail),
        _ => refusal.ToProblem(),
    };

    private static CardResponse ToResponse(CardView view)
    {
        var card = view.Card;
        var holder = view.Holder is { } h ? new HolderSummary(h.Id, h.Name, h.Address.ToString()) : null;
        var temporary = card.Temporary is { } terms && view.Temporary is { } standing
            ? new TemporaryResponse(terms.Purpose, terms.Window.FromUtc, terms.Window.UntilUtc, terms.Bearer, terms.StandsInFor, standing.Status, standing.DaysLeft, standing.AwaitingReturn)
            : null;
        return new CardResponse(card.Number, card.State, card.Kind, card.Uid, holder, card.IssueCount, card.Replaces, card.ReplacedBy, card.StateReason, card.StateNote, card.Batch, card.ReceivedUtc, card.UpdatedUtc, temporary, card.Legacy);
    }
}
