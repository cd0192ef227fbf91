using System.Security.Claims;
using Gateway.Service.Api;
using Gateway.Service.Cash;
using Gateway.Service.Domain.Cash;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Console.Pages.Reports;

/// <summary>
/// The cash and shift report of a site day or a shift (<see cref="CashWorkflow.ReportAsync"/>, the window
/// rules of <see cref="CashInput"/>, as <c>GET /api/reports/cash</c>): per operator and in all, cash, bank
/// debits, card fees, deposits, refunds and reversals, cash in hand and the receipt run with its gaps.
/// Who sees whose money is <see cref="CashWorkflow.ScopeOf"/>'s rule: finance and admin anyone's, a clerk
/// their own shift only (asking for another's is refused).
/// </summary>
[Authorize(Policy = GatewayPolicies.CashReports)]
public sealed class CashModel : ConsolePage
{
    private readonly CashWorkflow _cash;
    private readonly TimeProvider _time;

    public CashModel(CashWorkflow cash, TimeProvider time)
    {
        _cash = cash;
        _time = time;
    }

    public CashScope Scope { get; private set; }

    public string? Day { get; private set; }

    public string? From { get; private set; }

    public string? To { get; private set; }

    public string? Operator { get; private set; }

    public CashReportView? Report { get; private set; }

    public async Task OnGetAsync(string? date, string? from, string? to, string? @operator, CancellationToken cancellationToken)
    {
        var roles = User.FindAll(ClaimTypes.Role).Select(c => c.Value).ToList();
        Scope = CashWorkflow.ScopeOf(roles);
        (Day, From, To) = (Blank(date), Blank(from), Blank(to));
        Operator = Scope == CashScope.All ? Blank(@operator) : null;
        var now = _time.GetUtcNow();
        Day ??= From is null && To is null ? _cash.Calendar.DateOf(now).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : null;

        var v = new Validator();
        var who = v.Text("operator", Operator, 64, required: false);
        var (start, end) = CashInput.Window(v, _cash, now, Day, From, To);
        if (!v.IsValid)
        {
            Show(v);
            return;
        }

        if (!(await _cash.ReportAsync(Actor, roles, start, end, who, cancellationToken)).TryGetValue(out var report, out var refusal))
        {
            Show(refusal, new Dictionary<string, string> { ["to"] = "to" });
            return;
        }

        Report = report;
    }

    /// <summary>The rows of the summary: a label's key and the total of each operator.</summary>
    public static IEnumerable<(string Key, Func<OperatorCash, CashTotal> Total)> Rows { get; } =
    [
        ("cash.kind.cash", o => o.Cash), ("cash.kind.bank-debits", o => o.BankDebits), ("cash.kind.card-fees", o => o.CardFees),
        ("cash.kind.deposits", o => o.Deposits), ("cash.kind.refunds", o => o.Refunds), ("cash.kind.reversals", o => o.Reversals),
    ];

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
