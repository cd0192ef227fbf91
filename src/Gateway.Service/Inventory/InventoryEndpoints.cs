using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Service.Api;
using Gateway.Service.Domain;
using Gateway.Service.Storage;

namespace Gateway.Service.Inventory;

/// <summary>
/// <c>/api/inventory</c>: open a month, enter counts and explanations, sign off (finance); the report
/// as JSON, CSV or printable text (finance and admin: reports list cards' UIDs). See docs/inventory.md.
/// </summary>
public static partial class InventoryEndpoints
{
    public const string UnexplainedVarianceType = ProblemTypes.Prefix + InventoryWorkflow.IncompleteCode;

    public static void MapInventoryEndpoints(this RouteGroupBuilder api)
    {
        var inventory = api.MapGroup("/inventory").WithTags("Inventory");
        inventory.MapGet("/", ListAsync)
            .RequireAuthorization(GatewayPolicies.ReadInventory)
            .WithName("ListInventoryMonths").WithSummary("Every inventory month with its state");
        inventory.MapPost("/{month}", OpenAsync)
            .RequireAuthorization(GatewayPolicies.Finance)
            .WithName("OpenInventoryMonth").WithSummary("Open a month that has ended: system counts per card state at month end");
        inventory.MapGet("/{month}", GetAsync)
            .RequireAuthorization(GatewayPolicies.ReadInventory)
            .WithName("GetInventoryReport").WithSummary("The month's report: ?format=json (default), csv or text");
        inventory.MapMethods("/{month}/lines/{state}", ["PATCH"], UpdateLineAsync)
            .RequireAuthorization(GatewayPolicies.Finance)
            .WithName("UpdateInventoryLine").WithSummary("Enter the register count, the physical count and/or the explanation of one card state");
        inventory.MapPost("/{month}/sign-off", SignOffAsync)
            .RequireAuthorization(GatewayPolicies.Finance)
            .WithName("SignOffInventoryMonth").WithSummary("Sign the month off (every line counted, every variance explained); it becomes immutable");
    }

    public sealed record LineRequest(long? RegisterCount, long? PhysicalCount, string? Explanation);

    [GeneratedRegex(@"^(\d{4})-(0[1-9]|1[0-2])$")]
    private static partial Regex MonthPattern();

    private static async Task<IResult> ListAsync(InventoryWorkflow inventory, CancellationToken cancellationToken) =>
        TypedResults.Ok(new Page<InventoryReport>(await inventory.ListAsync(cancellationToken), null));

    private static async Task<IResult> OpenAsync(string month, HttpContext context, InventoryWorkflow inventory, CancellationToken cancellationToken)
    {
        if (!TryMonth(month, out var year, out var number, out var problem))
        {
            return problem;
        }

        var outcome = await inventory.OpenAsync(context.User.ToActor(), year, number, cancellationToken);
        return outcome.TryGetValue(out var report, out var refusal) ? TypedResults.Created($"/api/inventory/{month}", report) : ToProblem(refusal);
    }

    private static async Task<IResult> GetAsync(string month, string? format, InventoryWorkflow inventory, CancellationToken cancellationToken)
    {
        if (!TryMonth(month, out _, out _, out var problem))
        {
            return problem;
        }

        var v = new Validator();
        var f = v.OneOf("format", format ?? "json", ["json", "csv", "text"]);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        if (await inventory.GetAsync(month, cancellationToken) is not { } report)
        {
            return ApiProblems.NotFound($"the inventory of '{month}'");
        }

        return f switch
        {
            "csv" => CsvResults.Of(InventoryRendering.Csv(report), $"inventory-{month}.csv"),
            "text" => TypedResults.Text(InventoryRendering.Text(report), "text/plain", Encoding.UTF8),
            _ => TypedResults.Ok(report),
        };
    }

    private static async Task<IResult> UpdateLineAsync(string month, string state, LineRequest? body, HttpContext context, InventoryWorkflow inventory, CancellationToken cancellationToken)
    {
        var v = new Validator();
        CheckMonth(v, month);
        var s = v.OneOf("state", state, InventoryWorkflow.States);
        var counts = InventoryInput.Line(v, s, body?.RegisterCount, body?.PhysicalCount, body?.Explanation);

        if (body is null || (body.RegisterCount is null && body.PhysicalCount is null && body.Explanation is null))
        {
            v.Add("body", "name at least one of registerCount, physicalCount, explanation");
        }

        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var outcome = await inventory.UpdateLineAsync(context.User.ToActor(), month, s!, counts, cancellationToken);
        return outcome.TryGetValue(out var report, out var refusal) ? TypedResults.Ok(report) : ToProblem(refusal);
    }

    private static async Task<IResult> SignOffAsync(string month, HttpContext context, InventoryWorkflow inventory, CancellationToken cancellationToken)
    {
        if (!TryMonth(month, out _, out _, out var problem))
        {
            return problem;
        }

        var outcome = await inventory.SignOffAsync(context.User.ToActor(), month, cancellationToken);
        return outcome.TryGetValue(out var report, out var refusal) ? TypedResults.Ok(report) : ToProblem(refusal);
    }

    /// <summary>An incomplete month has its own problem type and lists what blocks it; the rest map as everywhere.</summary>
    private static IResult ToProblem(Refusal refusal) => refusal.Code == InventoryWorkflow.IncompleteCode
        ? ApiProblems.Problem(
            StatusCodes.Status409Conflict,
            UnexplainedVarianceType,
            "The inventory cannot be signed off yet",
            refusal.Detail,
            new Dictionary<string, object?> { ["blocking"] = refusal.Blocking })
        : refusal.ToProblem();

    private static bool TryMonth(string text, out int year, out int month, out IResult problem)
    {
        var v = new Validator();
        (year, month) = CheckMonth(v, text);
        problem = v.IsValid ? TypedResults.Ok() : v.ToProblem();
        return v.IsValid;
    }

    /// <summary>
    /// A month is YYYY-MM from <see cref="InventoryWorkflow.FirstYear"/> through <see cref="InventoryWorkflow.LastYear"/>:
    /// outside that range no card history can exist, and month arithmetic near year 9999 would overflow.
    /// </summary>
    private static (int Year, int Month) CheckMonth(Validator v, string text)
    {
        var match = MonthPattern().Match(text);
        var year = match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        if (!match.Success || year < InventoryWorkflow.FirstYear || year > InventoryWorkflow.LastYear)
        {
            v.Add("month", $"must be YYYY-MM from {InventoryWorkflow.FirstYear}-01 to {InventoryWorkflow.LastYear}-12, e.g. 2026-02");
            return (0, 0);
        }

        return (year, int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
    }
}

/// <summary>CSV (RFC 4180) and printable text renderings of an inventory report.</summary>
public static class InventoryRendering
{
    public static string Csv(InventoryReport report)
    {
        var csv = new StringBuilder();
        csv.Append("section,state,opening,system,register,physical,register_variance,physical_variance,explanation\r\n");
        foreach (var l in report.Lines)
        {
            csv.Append(CultureInfo.InvariantCulture, $"line,{l.State},{l.Opening},{l.System},{N(l.RegisterCount)},{N(l.PhysicalCount)},{N(l.RegisterVariance)},{N(l.PhysicalVariance)},{Quote(l.Explanation)}\r\n");
        }

        foreach (var m in report.Movements)
        {
            csv.Append(CultureInfo.InvariantCulture, $"movement,{m.Action},,{m.Count},,,,,\r\n");
        }

        foreach (var n in report.Anomalies.IssuedWithoutHandOver)
        {
            csv.Append(CultureInfo.InvariantCulture, $"anomaly,issued-without-hand-over,,{n},,,,,\r\n");
        }

        foreach (var batch in report.Anomalies.MissingStockNumbers)
        {
            foreach (var n in batch.Numbers)
            {
                csv.Append(CultureInfo.InvariantCulture, $"anomaly,missing-stock-number,,{n},,,,,{Quote("batch " + batch.Batch)}\r\n");
            }
        }

        foreach (var n in report.Anomalies.CardsWithoutState)
        {
            csv.Append(CultureInfo.InvariantCulture, $"anomaly,card-without-state,,{n},,,,,\r\n");
        }

        foreach (var card in report.Anomalies.NotSeenAtControllers ?? [])
        {
            csv.Append(CultureInfo.InvariantCulture, $"anomaly,not-seen-at-controllers,,{card.CardNumber},,,,,{Quote(Seen(card))}\r\n");
        }

        csv.Append(CultureInfo.InvariantCulture, $"sign-off,{report.State},,,,,,,{Quote(report.SignedOffBy is null ? null : $"{report.SignedOffBy} at {report.SignedOffUtc}; audit head {report.AuditHead?.LastId} {report.AuditHead?.Mac}")}\r\n");
        return csv.ToString();
    }

    public static string Text(InventoryReport report)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Smart-card inventory {report.Month}  ({report.StartsUtc} .. {report.EndsUtc} UTC)");
        text.AppendLine(CultureInfo.InvariantCulture, $"Opened by {report.OpenedBy} at {report.OpenedUtc}; state: {report.State}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"state",-12} {"opening",8} {"system",8} {"register",9} {"physical",9} {"var reg",8} {"var phys",9}  explanation");
        foreach (var l in report.Lines)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{l.State,-12} {l.Opening,8} {l.System,8} {N(l.RegisterCount, "-"),9} {(l.PhysicalApplicable ? N(l.PhysicalCount, "-") : "n/a"),9} {Signed(l.RegisterVariance),8} {Signed(l.PhysicalVariance),9}  {l.Explanation}");
        }

        text.AppendLine();
        text.AppendLine("Movements during the month:");
        foreach (var m in report.Movements)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {m.Action,-20} {m.Count,8}");
        }

        text.AppendLine();
        text.AppendLine("Anomalies:");
        text.AppendLine(CultureInfo.InvariantCulture, $"  issued without a recorded hand-over: {List(report.Anomalies.IssuedWithoutHandOver)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  stock numbers missing from every state: {(report.Anomalies.MissingStockNumbers.Count == 0 ? "none" : string.Join("; ", report.Anomalies.MissingStockNumbers.Select(b => $"batch {b.Batch}: {List(b.Numbers)}")))}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  cards received but in no state: {List(report.Anomalies.CardsWithoutState)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  issued cards not seen at any controller for {report.Anomalies.NotSeenDays} days: {report.Anomalies.NotSeenAtControllers switch
        {
            null => "not evaluated (signed off before controller events were collected)",
            [] => "none",
            var cards when cards.Count < report.Anomalies.NotSeenTotal => $"{report.Anomalies.NotSeenTotal} cards, the first {cards.Count}: " + string.Join("; ", cards.Select(c => $"{c.CardNumber} ({Seen(c)})")),
            var cards => string.Join("; ", cards.Select(c => $"{c.CardNumber} ({Seen(c)})")),
        }}");
        text.AppendLine();
        text.AppendLine(report.SignedOffBy is null
            ? $"Not signed off.{(report.Blocking.Count > 0 ? " Blocking: " + string.Join("; ", report.Blocking) : " Ready to sign off.")}"
            : $"Signed off by {report.SignedOffBy} at {report.SignedOffUtc}; audit chain head: row {report.AuditHead?.LastId}, MAC {report.AuditHead?.Mac}");
        return text.ToString();
    }

    private static string Seen(NotSeenCard card) =>
        $"UID {card.Uid ?? "unknown"}, issued {card.IssuedUtc}, {(card.LastSeenUtc is null ? "never seen" : "last seen " + card.LastSeenUtc)}";

    private static string N(long? value, string empty = "") => value?.ToString(CultureInfo.InvariantCulture) ?? empty;

    private static string Signed(long? value) => value switch
    {
        null => "-",
        > 0 => "+" + value.Value.ToString(CultureInfo.InvariantCulture),
        _ => value.Value.ToString(CultureInfo.InvariantCulture),
    };

    private static string List(IReadOnlyList<long> numbers) => numbers.Count == 0 ? "none" : string.Join(", ", numbers);

    private static string Quote(string? value) => value is null ? string.Empty : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
