using System.Globalization;
using System.Text;
using Gateway.Service.Api;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Storage;

namespace Gateway.Service.Parking;

/// <summary>The problem types of the parking rules (422: the request is well-formed, the rules refuse it).</summary>
public static class ParkingProblemTypes
{
    /// <summary>e.g. <c>urn:gateway:problem:parking-not-whole-cycles</c>; the codes are listed in docs/api.md.</summary>
    public static string Refused(string code) => ProblemTypes.Prefix + "parking-" + code;
}

/// <summary>
/// <c>/api/parking/...</c>: agreements, payments, grants and reversals, bank debit both ways, and
/// expiry reminders. Every input is validated before anything is written; each endpoint names its
/// policy from DESIGN's role matrix; the rules are <see cref="ParkingWorkflow"/>'s. See docs/api.md.
/// </summary>
public static class ParkingEndpoints
{
    /// <summary>Largest bank result file accepted, in bytes (the request limit applies too).</summary>
    public const int MaxBankFileChars = 1024 * 1024;

    public static void MapParkingEndpoints(this RouteGroupBuilder api)
    {
        var parking = api.MapGroup("/parking").WithTags("Parking");

        parking.MapPost("/agreements", CreateAgreementAsync)
            .RequireAuthorization(GatewayPolicies.FrontDesk)
            .WithName("CreateParkingAgreement").WithSummary("Record a parking agreement");
        parking.MapGet("/agreements", ListAgreementsAsync)
            .RequireAuthorization(GatewayPolicies.ReadParking)
            .WithName("ListParkingAgreements").WithSummary("List agreements, filtered by plate, holder, card number, agreement number, space or state");
        parking.MapGet("/agreements/{id:long}", GetAgreementAsync)
            .RequireAuthorization(GatewayPolicies.ReadParking)
            .WithName("GetParkingAgreement").WithSummary("One agreement with its periods and the validity the controllers get");
        parking.MapPatch("/agreements/{id:long}", ChangeAgreementAsync)
            .RequireAuthorization(GatewayPolicies.FrontDesk)
            .WithName("ChangeParkingAgreement").WithSummary("Change an agreement's card, plate, space or bank account");
        parking.MapPost("/agreements/{id:long}/end", EndAgreementAsync)
            .RequireAuthorization(GatewayPolicies.FrontDesk)
            .WithName("EndParkingAgreement").WithSummary("End an agreement (move-out)");
        parking.MapPost("/agreements/{id:long}/payments", RecordPaymentAsync)
            .RequireAuthorization(GatewayPolicies.FrontDesk)
            .RequireIdempotencyKey()
            .WithName("RecordParkingPayment").WithSummary("Record a payment received at the front desk");
        parking.MapGet("/payments", ListPaymentsAsync)
            .RequireAuthorization(GatewayPolicies.ReadPayments)
            .WithName("ListParkingPayments").WithSummary("List payments, filtered by agreement and state");
        parking.MapGet("/payments/{id:long}", GetPaymentAsync)
            .RequireAuthorization(GatewayPolicies.ReadPayments)
            .WithName("GetParkingPayment").WithSummary("One payment and the period it bought");
        parking.MapPost("/payments/{id:long}/grant", GrantAsync)
            .RequireAuthorization(GatewayPolicies.ParkingAuthorizer)
            .RequireIdempotencyKey()
            .WithName("GrantParkingPeriod").WithSummary("Grant the period a recorded payment buys");
        parking.MapPost("/payments/{id:long}/reverse", ReverseAsync)
            .RequireAuthorization(GatewayPolicies.ParkingAuthorizer)
            .WithName("ReverseParkingPayment").WithSummary("Reverse a payment; later periods of its chain move earlier");
        parking.MapGet("/expiring", ExpiringAsync)
            .RequireAuthorization(GatewayPolicies.ReadParking)
            .WithName("ListExpiringParkingAgreements").WithSummary("Active agreements whose paid period ends within N days (JSON or CSV)");
        parking.MapGet("/overdue", OverdueAsync)
            .RequireAuthorization(GatewayPolicies.ReadPayments)
            .WithName("ListOverdueParkingAgreements").WithSummary("Active agreements whose paid period has lapsed, with the holder's name and phone (JSON or CSV)");
        parking.MapGet("/bank-debit/requests", ExportDebitsAsync)
            .RequireAuthorization(GatewayPolicies.ParkingAuthorizer)
            .WithName("ExportBankDebitRequests").WithSummary("The month's debit requests as CSV");
        // The CSV content type is checked in the handler, not with Accepts(): routing would answer 415 before authorization answers 403.
        parking.MapPost("/bank-debit/results", ImportResultsAsync)
            .RequireAuthorization(GatewayPolicies.ParkingAuthorizer)
            .RequireIdempotencyKey()
            .WithName("ImportBankDebitResults").WithSummary("Import the bank's result file (CSV) in one operation");
    }

    // ---- requests ----

    public sealed record CreateAgreementRequest(string? AgreementNumber, long? HolderId, long? CardNumber, string? Plate, string? Space, long? MonthlyFeeFen, string? BillingCycle, string? PaymentMethod, string? SignedCopyRef, string? BankAccountName = null, string? BankAccountNumber = null);

    public sealed record ChangeAgreementRequest(long? CardNumber, string? Plate, string? Space, string? BankAccountName, string? BankAccountNumber);

    public sealed record EndAgreementRequest(string? Reason);

    public sealed record RecordPaymentRequest(long? AmountFen, string? Method, string? ReceiptNumber);

    public sealed record ReverseRequest(string? Reason);

    /// <summary>Card numbers are 1-99999999 (the printed number, the cards table's key).</summary>
    public const long MaxCardNumber = ParkingInput.MaxCardNumber;

    /// <summary>Largest monthly fee accepted: 100,000.00 yuan.</summary>
    public const long MaxMonthlyFeeFen = ParkingInput.MaxMonthlyFeeFen;

    /// <summary>Largest single payment accepted: 10,000,000.00 yuan.</summary>
    public const long MaxPaymentFen = ParkingInput.MaxPaymentFen;

    private static readonly string[] Cycles = ParkingInput.Cycles;
    private static readonly string[] Methods = ParkingInput.Methods;
    private static readonly string[] AgreementStates = ["active", "ended"];
    private static readonly string[] PaymentStates = ["recorded", "granted", "reversed"];

    private static async Task<IResult> CreateAgreementAsync(CreateAgreementRequest? body, HttpContext context, ParkingWorkflow parking, CancellationToken cancellationToken)
    {
        var v = new Validator();
        if (body is null)
        {
            v.Add("body", "is required");
            return v.ToProblem();
        }

        var number = ParkingInput.AgreementNumber(v, body.AgreementNumber);
        var holder = v.Range("holderId", body.HolderId, 1, long.MaxValue);
        var card = v.Range("cardNumber", body.CardNumber, 1, MaxCardNumber);
        var plate = ParkingInput.Plate(v, body.Plate);
        var space = ParkingInput.Space(v, body.Space);
        var fee = v.Range("monthlyFeeFen", body.MonthlyFeeFen, 1, MaxMonthlyFeeFen);
        var cycle = v.OneOf("billingCycle", body.BillingCycle, Cycles);
        var method = v.OneOf("paymentMethod", body.PaymentMethod, Methods);
        var copy = v.Text("signedCopyRef", body.SignedCopyRef, ParkingInput.MaxSignedCopyRef);
        BankAccount? account = null;
        if (method == "bank-debit")
        {
            // The debit export carries them: the bank debits no account it is not told of.
            account = ParkingInput.Account(v, body.BankAccountName, body.BankAccountNumber, required: true);
        }
        else if (body.BankAccountName is not null || body.BankAccountNumber is not null)
        {
            v.Add("bankAccountNumber", "only a bank-debit agreement has a bank account");
        }

        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        ParkingNames.TryParseCycle(cycle, out var billingCycle);
        ParkingNames.TryParseMethod(method, out var paymentMethod);
        var outcome = await parking.CreateAgreementAsync(context.User.ToActor(), new NewAgreement(number!, holder!.Value, card!.Value, plate!, space!, fee!.Value, billingCycle, paymentMethod, copy!, account), cancellationToken);
        return outcome.TryGetValue(out var created, out var refusal)
            ? TypedResults.Created($"/api/parking/agreements/{created.Id}", created)
            : ToProblem(refusal);
    }

    private static async Task<IResult> ListAgreementsAsync(
        ParkingWorkflow parking,
        string? plate,
        long? holderId,
        long? cardNumber,
        string? agreementNumber,
        string? space,
        string? state,
        int? limit,
        long? after,
        CancellationToken cancellationToken)
    {
        var v = new Validator();
        var page = v.Page(limit, after);
        var filter = new AgreementFilter(
            v.Text("plate", plate?.ToUpperInvariant(), 12, required: false),
            v.Range("holderId", holderId, 1, long.MaxValue, required: false),
            v.Range("cardNumber", cardNumber, 1, MaxCardNumber, required: false),
            v.Text("agreementNumber", agreementNumber, 32, required: false),
            v.OneOf("state", state, AgreementStates, required: false),
            v.Text("space", space, 32, required: false));
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        return TypedResults.Ok(await parking.ListAgreementsAsync(filter, page, cancellationToken));
    }

    private static async Task<IResult> GetAgreementAsync(long id, ParkingWorkflow parking, CancellationToken cancellationToken) =>
        await parking.GetAgreementAsync(id, cancellationToken) is { } agreement
            ? TypedResults.Ok(agreement)
            : ApiProblems.NotFound($"agreement {id}");

    private static async Task<IResult> EndAgreementAsync(long id, EndAgreementRequest? body, HttpContext context, ParkingWorkflow parking, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var reason = ParkingInput.Reason(v, body?.Reason);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var outcome = await parking.EndAgreementAsync(context.User.ToActor(), id, reason!, cancellationToken);
        return outcome.TryGetValue(out var ended, out var refusal) ? TypedResults.Ok(ended) : ToProblem(refusal);
    }

    private static async Task<IResult> ChangeAgreementAsync(long id, ChangeAgreementRequest? body, HttpContext context, ParkingWorkflow parking, CancellationToken cancellationToken)
    {
        var v = new Validator();
        if (body is null || (body.CardNumber, body.Plate, body.Space, body.BankAccountName, body.BankAccountNumber) == (null, null, null, null, null))
        {
            v.Add("body", "name at least one of cardNumber, plate, space, bankAccountName with bankAccountNumber");
            return v.ToProblem();
        }

        var card = v.Range("cardNumber", body.CardNumber, 1, MaxCardNumber, required: false);
        var plate = ParkingInput.Plate(v, body.Plate, required: false);
        var space = ParkingInput.Space(v, body.Space, required: false);
        var account = body.BankAccountName is null && body.BankAccountNumber is null ? null : ParkingInput.Account(v, body.BankAccountName, body.BankAccountNumber, required: true);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var outcome = await parking.ChangeAgreementAsync(context.User.ToActor(), id, new AgreementChange(card, plate, space, account), cancellationToken);
        return outcome.TryGetValue(out var changed, out var refusal) ? TypedResults.Ok(changed) : ToProblem(refusal);
    }

    private static async Task<IResult> RecordPaymentAsync(long id, RecordPaymentRequest? body, HttpContext context, ParkingWorkflow parking, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var amount = v.Range("amountFen", body?.AmountFen, 1, MaxPaymentFen);
        var method = v.OneOf("method", body?.Method, Methods);
        var receiptNumber = ParkingInput.ReceiptNumber(v, body?.ReceiptNumber);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        ParkingNames.TryParseMethod(method, out var paymentMethod);
        var receipt = IdempotentReceipt<PaymentView>.For(context, StatusCodes.Status201Created, PaymentLocation);
        var outcome = await parking.RecordPaymentAsync(context.User.ToActor(), new NewPayment(id, amount!.Value, paymentMethod, receiptNumber!), cancellationToken, receipt);
        return outcome.TryGetValue(out var recorded, out var refusal)
            ? receipt?.Result ?? TypedResults.Created(PaymentLocation(recorded), recorded)
            : ToProblem(refusal);
    }

    private static async Task<IResult> ListPaymentsAsync(ParkingWorkflow parking, long? agreementId, string? state, int? limit, long? after, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var page = v.Page(limit, after);
        var agreement = v.Range("agreementId", agreementId, 1, long.MaxValue, required: false);
        var s = v.OneOf("state", state, PaymentStates, required: false);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        return TypedResults.Ok(await parking.ListPaymentsAsync(agreement, s, page, cancellationToken));
    }

    private static async Task<IResult> GetPaymentAsync(long id, ParkingWorkflow parking, CancellationToken cancellationToken) =>
        await parking.GetPaymentAsync(id, cancellationToken) is { } payment
            ? TypedResults.Ok(payment)
            : ApiProblems.NotFound($"payment {id}");

    private static string PaymentLocation(PaymentView payment) => $"/api/parking/payments/{payment.Id}";

    /// <summary>The grant and, under an Idempotency-Key, its stored response commit in one transaction (one durable write per grant).</summary>
    private static async Task<IResult> GrantAsync(long id, HttpContext context, ParkingWorkflow parking, CancellationToken cancellationToken)
    {
        var receipt = IdempotentReceipt<GrantView>.For(context, StatusCodes.Status200OK);
        var outcome = await parking.GrantAsync(context.User.ToActor(), id, cancellationToken, receipt);
        return outcome.TryGetValue(out var grant, out var refusal) ? receipt?.Result ?? TypedResults.Ok(grant) : ToProblem(refusal);
    }

    private static async Task<IResult> ReverseAsync(long id, ReverseRequest? body, HttpContext context, ParkingWorkflow parking, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var reason = ParkingInput.Reason(v, body?.Reason);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var outcome = await parking.ReverseAsync(context.User.ToActor(), id, reason!, cancellationToken);
        return outcome.TryGetValue(out var reversal, out var refusal) ? TypedResults.Ok(reversal) : ToProblem(refusal);
    }

    private static async Task<IResult> ExpiringAsync(ParkingWorkflow parking, TimeProvider time, int? days, int? limit, long? after, string? format, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var page = v.Page(limit, after);
        var within = v.Range("days", days ?? 30, 1, 366);
        var f = v.OneOf("format", format ?? "json", Formats);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var now = time.GetUtcNow();
        if (f == "csv")
        {
            var all = await AllPagesAsync(next => parking.ExpiringAsync(now, (int)within!.Value, next, cancellationToken));
            return CsvResults.Of(ParkingCsv.Expiring(all), $"expiring-{parking.Rules.Calendar.DateOf(now):yyyy-MM-dd}.csv");
        }

        return TypedResults.Ok(await parking.ExpiringAsync(now, (int)within!.Value, page, cancellationToken));
    }

    private static async Task<IResult> OverdueAsync(ParkingWorkflow parking, TimeProvider time, int? limit, long? after, string? format, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var page = v.Page(limit, after);
        var f = v.OneOf("format", format ?? "json", Formats);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var now = time.GetUtcNow();
        if (f == "csv")
        {
            var all = await AllPagesAsync(next => parking.OverdueAsync(now, next, cancellationToken));
            return CsvResults.Of(ParkingCsv.Overdue(all, parking.Rules.Calendar), $"overdue-{parking.Rules.Calendar.DateOf(now):yyyy-MM-dd}.csv");
        }

        return TypedResults.Ok(await parking.OverdueAsync(now, page, cancellationToken));
    }

    private static readonly string[] Formats = ["json", "csv"];

    /// <summary>Every item of a paginated list, for a CSV of the whole list.</summary>
    private static async Task<List<T>> AllPagesAsync<T>(Func<PageRequest, Task<Page<T>>> read)
    {
        var all = new List<T>();
        var page = new PageRequest(PageRequest.MaxLimit, 0);
        while (true)
        {
            var chunk = await read(page);
            all.AddRange(chunk.Items);
            if (chunk.Next is not { } next)
            {
                return all;
            }

            page = new PageRequest(PageRequest.MaxLimit, next);
        }
    }

    private static async Task<IResult> ExportDebitsAsync(ParkingWorkflow parking, TimeProvider time, string? month, CancellationToken cancellationToken)
    {
        DateOnly first;
        if (month is null)
        {
            first = parking.CurrentMonth(time.GetUtcNow());
        }
        else if (DateOnly.TryParseExact(month + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out first) && first.Year is >= 2000 and <= 2100)
        {
        }
        else
        {
            return ApiProblems.Validation("month", "must be a month yyyy-MM from 2000-01 to 2100-12");
        }

        var requests = await parking.DebitRequestsAsync(first, cancellationToken);
        return CsvResults.Of(BankDebitFile.FormatRequests(requests), $"debit-requests-{first:yyyy-MM}.csv");
    }

    private static async Task<IResult> ImportResultsAsync(HttpContext context, ParkingWorkflow parking, CancellationToken cancellationToken)
    {
        var mediaType = context.Request.ContentType is { } type ? type.Split(';')[0].Trim() : null;
        if (mediaType is not ("text/csv" or "text/plain"))
        {
            return ApiProblems.Problem(StatusCodes.Status415UnsupportedMediaType, ProblemTypes.UnsupportedMediaType, "Request refused", "send the bank's result file as text/csv");
        }

        // The bytes as the bank wrote them: UTF-8 or GB18030/GBK, declared in the charset or detected, never replaced.
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, cancellationToken);
        if (body.Length > MaxBankFileChars)
        {
            return ApiProblems.Problem(StatusCodes.Status413PayloadTooLarge, ProblemTypes.PayloadTooLarge, "Request refused", "the file is larger than the service accepts");
        }

        var charset = Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var contentType) ? contentType.Charset.Value : null;
        if (!BankFileText.TryDecode(body.GetBuffer().AsSpan(0, (int)body.Length), charset, out var text, out var encoding, out var unreadable))
        {
            return ApiProblems.Validation("body", unreadable);
        }

        var file = BankDebitFile.ParseResults(text);
        if (file.Lines.Count == 0 && file.Malformed.Count == 0)
        {
            return ApiProblems.Validation("body", $"the file has no lines; expected {BankDebitFile.ResultHeader} and one line per debit");
        }

        return TypedResults.Ok(await parking.ImportBankResultsAsync(context.User.ToActor(), file, cancellationToken, encoding));
    }

    /// <summary>A refusal of the parking rules is 422 with the rule's own problem type; the rest map as everywhere.</summary>
    private static IResult ToProblem(Refusal refusal) => refusal.Kind == RefusalKind.Rule
        ? ApiProblems.Problem(StatusCodes.Status422UnprocessableEntity, ParkingProblemTypes.Refused(refusal.Code!), "Refused by the parking rules", refusal.Detail, RefusalProblems.RuleMembers(refusal))
        : refusal.ToProblem();
}
