using Gateway.Service.Devices;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Holders;
using Gateway.Service.Domain.Zones;
using Gateway.Service.Hosting;
using Gateway.Service.Storage;

namespace Gateway.Service.Api;

/// <summary>
/// <c>/api/cards</c>: card stock and card life (DESIGN.md "Card life"), issuing through the encoder
/// port with a journal (DESIGN.md "Issuing"), and <c>/api/encoders/{id}/card</c> ("who is this?").
/// </summary>
public static class CardEndpoints
{
    /// <summary>Most cards one stock receipt may add.</summary>
    public const int MaxRange = 10_000;

    public const long MaxCardNumber = 99_999_999;

    public const int MaxNote = 500;

    /// <summary>An open issue journal older than this, left by another request, may be taken over.</summary>
    public static readonly TimeSpan StaleJournal = TimeSpan.FromMinutes(5);

    public static void MapCardEndpoints(this RouteGroupBuilder api)
    {
        var cards = api.MapGroup("/cards").WithTags("Cards");
        cards.MapPost("/stock", ReceiveAsync).RequireAuthorization(GatewayPolicies.FrontDesk).WithName("ReceiveCards").WithSummary("Receive a numbered range of blank cards into stock");
        cards.MapGet("/", ListAsync).RequireAuthorization(GatewayPolicies.ReadOperational).WithName("ListCards").WithSummary("Cards by number; filters: state, kind, holder, unit (building-unit-room), number");
        cards.MapGet("/{number}", GetAsync).RequireAuthorization(GatewayPolicies.ReadOperational).WithName("GetCard").WithSummary("One card with its holder");
        cards.MapGet("/{number}/history", HistoryAsync).RequireAuthorization(GatewayPolicies.ReadOperational).WithName("GetCardHistory").WithSummary("Every transition of a card, oldest first");
        cards.MapGet("/{number}/entries", EntriesAsync).RequireAuthorization(GatewayPolicies.ReadOperational).WithName("GetCardEntries").WithSummary("The whitelist entries the card should have, per controller");
        cards.MapPost("/{number}/issue", IssueAsync).RequireAuthorization(GatewayPolicies.FrontDesk).RequireIdempotencyKey().WithName("IssueCard").WithSummary("Write the card on the encoder and issue it to a holder, recording the hand-over");
        cards.MapPost("/{number}/replace", ReplaceAsync).RequireAuthorization(GatewayPolicies.FrontDesk).RequireIdempotencyKey().WithName("ReplaceCard").WithSummary("Mark this card lost or damaged and issue a new card linked to it");
        cards.MapPost("/{number}/report-lost", (long number, NoteRequest? body, HttpContext c, UnitOfWorkFactory w, CancellationToken t) => TransitionAsync(number, CardAction.ReportLost, null, body?.Note, c, w, t))
            .RequireAuthorization(GatewayPolicies.FrontDesk).WithName("ReportCardLost").WithSummary("Issued → lost");
        cards.MapPost("/{number}/found", (long number, NoteRequest? body, HttpContext c, UnitOfWorkFactory w, CancellationToken t) => TransitionAsync(number, CardAction.Found, null, body?.Note, c, w, t))
            .RequireAuthorization(GatewayPolicies.FrontDesk).WithName("ReportCardFound").WithSummary("Lost → issued (no replacement yet) or returned (replaced)");
        cards.MapPost("/{number}/revoke", RevokeAsync).RequireAuthorization(GatewayPolicies.FrontDesk).WithName("RevokeCard").WithSummary("Issued → revoked (reason moved-out, or other with a text)");
        cards.MapPost("/{number}/damaged", (long number, NoteRequest? body, HttpContext c, UnitOfWorkFactory w, CancellationToken t) => TransitionAsync(number, CardAction.MarkDamaged, null, body?.Note, c, w, t))
            .RequireAuthorization(GatewayPolicies.FrontDesk).WithName("MarkCardDamaged").WithSummary("Issued → damaged");
        cards.MapPost("/{number}/write-off", (long number, NoteRequest? body, HttpContext c, UnitOfWorkFactory w, CancellationToken t) => TransitionAsync(number, CardAction.WriteOff, null, body?.Note, c, w, t))
            .RequireAuthorization(GatewayPolicies.FrontDesk).WithName("WriteOffCard").WithSummary("Damaged → written off");
        cards.MapPost("/{number}/return", (long number, NoteRequest? body, HttpContext c, UnitOfWorkFactory w, CancellationToken t) => TransitionAsync(number, CardAction.Return, null, body?.Note, c, w, t))
            .RequireAuthorization(GatewayPolicies.FrontDesk).WithName("ReturnCard").WithSummary("Revoked → returned (the card was handed back)");
        cards.MapPost("/{number}/recycle", RecycleAsync).RequireAuthorization(GatewayPolicies.FrontDesk).WithName("RecycleCard").WithSummary("Returned → in stock, after erasing the card on the encoder to transport keys");

        api.MapGet("/encoders/{encoderId}/card", WhoIsThisAsync).RequireAuthorization(GatewayPolicies.FrontDesk).WithTags("Cards").WithName("ReadCardOnEncoder").WithSummary("Who is this? Reads the card lying on the encoder and says whose it is and whether it is valid");
    }

    public sealed record ReceiveRequest(long? From, long? To, string? Batch);

    public sealed record ReceiveResponse(long From, long To, long Count, string? Batch);

    public sealed record HandOverRequest(IReadOnlyList<string>? Items, string? ReceiptReference);

    public sealed record IssueRequest(long? HolderId, CardKind? Kind, string? Encoder, HandOverRequest? HandOver);

    public sealed record ReplaceRequest(long? NewCardNumber, ReplaceReason? Reason, string? Encoder, HandOverRequest? HandOver);

    public sealed record NoteRequest(string? Note);

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
        DateTimeOffset Updated);

    public sealed record CardEventResponse(string Action, CardState? From, CardState To, string? Reason, string? Note, DateTimeOffset At, string OperatorId);

    public sealed record EntryResponse(string ControllerId, string Zone, string CardUid, bool Blocked);

    public sealed record EntriesResponse(long Number, CardState State, IReadOnlyList<EntryResponse> Entries);

    /// <summary>"Who is this?": <c>status</c> is <c>valid</c> or why not; the card and holder when known.</summary>
    public sealed record WhoIsThisResponse(string Status, bool Valid, string? Reason, string? Uid, CardResponse? Card);

    private static async Task<IResult> ReceiveAsync(ReceiveRequest body, HttpContext context, UnitOfWorkFactory writes, CancellationToken cancellationToken)
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
            else if (to - from + 1 > MaxRange)
            {
                v.Add("to", $"one receipt may hold at most {MaxRange} cards");
            }
        }

        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        await using var unit = await writes.BeginAsync(context.User.ToActor(), cancellationToken);
        var existing = await CardStore.CountExistingAsync(unit, from!.Value, to!.Value, cancellationToken);
        if (existing > 0)
        {
            return ApiProblems.Conflict($"{existing} of the card numbers {from}-{to} are already known; receive only new numbers");
        }

        await CardStore.ReceiveAsync(unit, from.Value, to.Value, batch, cancellationToken);
        unit.Audit("card.receive", $"cards:{from}-{to}", new { from, to, count = to - from + 1, batch });
        await unit.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/cards?after={from - 1}", new ReceiveResponse(from.Value, to.Value, to.Value - from.Value + 1, batch));
    }

    private static async Task<IResult> ListAsync(GatewayDatabase database, string? state, string? kind, long? holder, string? unit, long? number, int? limit, long? after, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var page = PageRequest.From(v, limit, after);
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

        await using var connection = database.OpenConnection();
        var rows = await CardStore.ListAsync(connection, new CardFilter(stateFilter, kindFilter, holder, address?.Building, address?.Unit, address?.Room, number), page.After, page.Limit + 1, cancellationToken);
        var result = page.ToPage(rows, c => c.Number);
        var holders = new Dictionary<long, Holder?>();
        var items = new List<CardResponse>();
        foreach (var card in result.Items)
        {
            items.Add(await ToResponseAsync(connection, card, holders, cancellationToken));
        }

        return TypedResults.Ok(new Page<CardResponse>(items, result.Next));
    }

    private static async Task<IResult> GetAsync(long number, GatewayDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = database.OpenConnection();
        var card = await CardStore.GetAsync(connection, null, number, cancellationToken);
        return card is null ? ApiProblems.NotFound($"card {number}") : TypedResults.Ok(await ToResponseAsync(connection, card, [], cancellationToken));
    }

    private static async Task<IResult> HistoryAsync(long number, GatewayDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = database.OpenConnection();
        if (await CardStore.GetAsync(connection, null, number, cancellationToken) is null)
        {
            return ApiProblems.NotFound($"card {number}");
        }

        var history = await CardStore.HistoryAsync(connection, number, cancellationToken);
        return TypedResults.Ok(new { number, events = history.Select(e => new CardEventResponse(e.Action, e.From, e.To, e.Reason, e.Note, e.AtUtc, e.OperatorId)).ToList() });
    }

    private static async Task<IResult> EntriesAsync(long number, GatewayDatabase database, ZoneMap zones, CancellationToken cancellationToken)
    {
        await using var connection = database.OpenConnection();
        var card = await CardStore.GetAsync(connection, null, number, cancellationToken);
        if (card is null)
        {
            return ApiProblems.NotFound($"card {number}");
        }

        var holder = card.HolderId is { } id ? await HolderStore.GetAsync(connection, null, id, cancellationToken) : null;
        var entries = CardEntries.Desired(card.State, card.Kind, card.Uid, holder?.Address.Building, zones);
        var zoneOf = zones.Controllers.ToDictionary(c => c.ControllerId, c => c.Zone);
        return TypedResults.Ok(new EntriesResponse(number, card.State, entries.Select(e => new EntryResponse(e.ControllerId, zoneOf[e.ControllerId], e.CardUid, e.Blocked)).ToList()));
    }

    private static async Task<IResult> RevokeAsync(long number, RevokeRequest body, HttpContext context, UnitOfWorkFactory writes, CancellationToken cancellationToken)
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

        return await TransitionAsync(number, CardAction.Revoke, Wire.Name(body.Reason!.Value), text, context, writes, cancellationToken, validated: true);
    }

    private static async Task<IResult> TransitionAsync(long number, CardAction action, string? reason, string? note, HttpContext context, UnitOfWorkFactory writes, CancellationToken cancellationToken, bool validated = false)
    {
        if (!validated)
        {
            var v = new Validator();
            note = v.Text("note", note, MaxNote, required: false);
            if (!v.IsValid)
            {
                return v.ToProblem();
            }
        }

        await using var unit = await writes.BeginAsync(context.User.ToActor(), cancellationToken);
        var card = await CardStore.GetAsync(unit, number, cancellationToken);
        if (card is null)
        {
            return ApiProblems.NotFound($"card {number}");
        }

        var decision = CardLife.Decide(card.Facts, action);
        if (!decision.Allowed)
        {
            return ApiProblems.InvalidTransition(decision.Refusal!, Wire.Name(card.State));
        }

        var after = card with { State = decision.To!.Value, StateReason = reason, StateNote = note };
        after = await CardStore.SaveTransitionAsync(unit, card, after, CardLife.Name(action), reason, note, cancellationToken);
        var name = CardLife.Name(action);
        await unit.MarkCardChangedAsync(number, name, cancellationToken);
        unit.Audit($"card.{name}", $"card:{number}", new { from = Wire.Name(card.State), to = Wire.Name(after.State), reason, note });
        var response = await ToResponseAsync(unit.Connection, unit.Transaction, after, [], cancellationToken);
        await unit.CommitAsync(cancellationToken);
        return TypedResults.Ok(response);
    }

    private static async Task<IResult> RecycleAsync(long number, RecycleRequest? body, HttpContext context, UnitOfWorkFactory writes, GatewayOptions options, ICardEncoderPort encoders, GatewayDatabase database, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var requested = v.Text("encoder", body?.Encoder, 32, required: false);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        await using (var connection = database.OpenConnection())
        {
            var card = await CardStore.GetAsync(connection, null, number, cancellationToken);
            if (card is null)
            {
                return ApiProblems.NotFound($"card {number}");
            }

            var decision = CardLife.Decide(card.Facts, CardAction.Recycle);
            if (!decision.Allowed)
            {
                return ApiProblems.InvalidTransition(decision.Refusal!, Wire.Name(card.State));
            }

            var encoder = EncoderChoice.Resolve(options, requested, out var problem, out var unavailable);
            if (encoder is null)
            {
                return unavailable ? EncoderUnavailable(problem!) : ApiProblems.Validation("encoder", problem!);
            }

            if (card.Uid is not null)
            {
                try
                {
                    await encoders.EraseAsync(encoder, number, card.Uid, cancellationToken);
                }
                catch (EncoderUnavailableException ex)
                {
                    return EncoderUnavailable(ex.Message);
                }
                catch (EncoderOperationException ex)
                {
                    return EncoderFailed(ex.Message);
                }
            }
        }

        await using var unit = await writes.BeginAsync(context.User.ToActor(), cancellationToken);
        var current = await CardStore.GetAsync(unit, number, cancellationToken);
        var again = CardLife.Decide(current!.Facts, CardAction.Recycle);
        if (!again.Allowed)
        {
            return ApiProblems.InvalidTransition(again.Refusal!, Wire.Name(current.State));
        }

        // Back to stock: the physical card keeps its number and UID; who held it stays in the history.
        var after = current with { State = CardState.InStock, HolderId = null, Kind = null, Replaces = null, ReplacedBy = null, StateReason = null, StateNote = null };
        after = await CardStore.SaveTransitionAsync(unit, current, after, "recycle", null, null, cancellationToken);
        await unit.MarkCardChangedAsync(number, "recycle", cancellationToken);
        unit.Audit("card.recycle", $"card:{number}", new { from = Wire.Name(current.State), to = Wire.Name(after.State) });
        var response = await ToResponseAsync(unit.Connection, unit.Transaction, after, [], cancellationToken);
        await unit.CommitAsync(cancellationToken);
        return TypedResults.Ok(response);
    }

    private static Task<IResult> IssueAsync(long number, IssueRequest body, HttpContext context, CardIssuing issuing, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var holderId = v.Range("holderId", body.HolderId, 1, long.MaxValue);
        if (body.Kind is null)
        {
            v.Add("kind", "is required (access, parking or both)");
        }

        var encoder = v.Text("encoder", body.Encoder, 32, required: false);
        var handOver = ValidateHandOver(v, body.HandOver);
        if (!v.IsValid)
        {
            return Task.FromResult(v.ToProblem());
        }

        return issuing.IssueAsync(new CardIssuing.Order(number, holderId!.Value, body.Kind!.Value, null, null, encoder, handOver!), context, cancellationToken);
    }

    private static Task<IResult> ReplaceAsync(long number, ReplaceRequest body, HttpContext context, CardIssuing issuing, CancellationToken cancellationToken)
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
        if (!v.IsValid)
        {
            return Task.FromResult(v.ToProblem());
        }

        return issuing.IssueAsync(new CardIssuing.Order(newNumber!.Value, null, null, number, body.Reason, encoder, handOver!), context, cancellationToken);
    }

    private static HandOver? ValidateHandOver(Validator v, HandOverRequest? body)
    {
        if (body is null)
        {
            v.Add("handOver", "is required: the items handed over and the signed receipt's reference");
            return null;
        }

        var receipt = v.Text("handOver.receiptReference", body.ReceiptReference, 64);
        var items = body.Items;
        if (items is null || items.Count == 0)
        {
            v.Add("handOver.items", $"is required: a list of {string.Join(", ", HandOver.KnownItems)}");
            return null;
        }

        var unknown = items.Where(i => !HandOver.KnownItems.Contains(i)).ToList();
        if (unknown.Count > 0)
        {
            v.Add("handOver.items", $"unknown item(s) {string.Join(", ", unknown.Take(5))}; known: {string.Join(", ", HandOver.KnownItems)}");
        }
        else if (items.Distinct().Count() != items.Count)
        {
            v.Add("handOver.items", "lists an item twice");
        }
        else if (!items.Contains("card"))
        {
            v.Add("handOver.items", "must include the card");
        }

        return receipt is null || !v.IsValid ? null : new HandOver(items.ToList(), receipt);
    }

    private static async Task<IResult> WhoIsThisAsync(string encoderId, GatewayOptions options, ICardEncoderPort encoders, GatewayDatabase database, CancellationToken cancellationToken)
    {
        var encoder = EncoderChoice.Resolve(options, encoderId, out var problem, out var unavailable);
        if (encoder is null)
        {
            return unavailable ? EncoderUnavailable(problem!) : ApiProblems.NotFound($"encoder '{encoderId}'");
        }

        CardReading reading;
        try
        {
            reading = await encoders.ReadAsync(encoder, cancellationToken);
        }
        catch (EncoderUnavailableException ex)
        {
            return EncoderUnavailable(ex.Message);
        }
        catch (EncoderOperationException ex)
        {
            return EncoderFailed(ex.Message);
        }

        if (reading.Status != CardReadStatus.Valid)
        {
            return TypedResults.Ok(new WhoIsThisResponse(Wire.Name(reading.Status), false, reading.Detail ?? Wire.Name(reading.Status), reading.Uid, null));
        }

        await using var connection = database.OpenConnection();
        var card = await CardStore.GetAsync(connection, null, reading.CardNumber!.Value, cancellationToken);
        if (card is null)
        {
            return TypedResults.Ok(new WhoIsThisResponse("unknown-card", false, $"the card says it is number {reading.CardNumber}, which this site does not know", reading.Uid, null));
        }

        var response = await ToResponseAsync(connection, card, [], cancellationToken);
        if (!string.Equals(card.Uid, reading.Uid, StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Ok(new WhoIsThisResponse("uid-mismatch", false, $"card {card.Number} was issued on another physical card (UID {card.Uid ?? "none"}); this one ({reading.Uid}) is a copy or a stale card", reading.Uid, response));
        }

        if (reading.IssueCounter != card.IssueCount)
        {
            return TypedResults.Ok(new WhoIsThisResponse("stale-issue", false, $"the card carries issue {reading.IssueCounter} of card {card.Number}, but the current issue is {card.IssueCount}", reading.Uid, response));
        }

        if (card.State != CardState.Issued)
        {
            return TypedResults.Ok(new WhoIsThisResponse("not-issued", false, $"card {card.Number} is {Wire.Name(card.State)}", reading.Uid, response));
        }

        return TypedResults.Ok(new WhoIsThisResponse("valid", true, null, reading.Uid, response));
    }

    internal static IResult EncoderUnavailable(string detail) =>
        ApiProblems.Problem(StatusCodes.Status503ServiceUnavailable, ProblemTypes.EncoderUnavailable, "No encoder available", detail);

    internal static IResult EncoderFailed(string detail) =>
        ApiProblems.Problem(StatusCodes.Status502BadGateway, ProblemTypes.EncoderFailed, "The encoder could not complete the operation", detail);

    internal static Task<CardResponse> ToResponseAsync(Microsoft.Data.Sqlite.SqliteConnection connection, CardRecord card, Dictionary<long, Holder?> holders, CancellationToken cancellationToken) =>
        ToResponseAsync(connection, null, card, holders, cancellationToken);

    internal static async Task<CardResponse> ToResponseAsync(Microsoft.Data.Sqlite.SqliteConnection connection, Microsoft.Data.Sqlite.SqliteTransaction? transaction, CardRecord card, Dictionary<long, Holder?> holders, CancellationToken cancellationToken)
    {
        HolderSummary? summary = null;
        if (card.HolderId is { } id)
        {
            if (!holders.TryGetValue(id, out var holder))
            {
                holders[id] = holder = await HolderStore.GetAsync(connection, transaction, id, cancellationToken);
            }

            summary = holder is null ? null : new HolderSummary(holder.Id, holder.Name, holder.Address.ToString());
        }

        return new CardResponse(card.Number, card.State, card.Kind, card.Uid, summary, card.IssueCount, card.Replaces, card.ReplacedBy, card.StateReason, card.StateNote, card.Batch, card.ReceivedUtc, card.UpdatedUtc);
    }
}
