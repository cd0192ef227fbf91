using Gateway.Service.Cash;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Storage;
using Gateway.Service.Tests.Workflows;

namespace Gateway.Service.Tests.Cash;

/// <summary>Who sees whose money in the cash report: decided by the workflow from the operator's roles, so the API and the console apply one rule.</summary>
public sealed class CashWorkflowTests : IDisposable
{
    private static readonly Actor ClerkA = new("clerk-a", "王芳");
    private readonly WorkflowSite _site = new();
    private readonly CashWorkflow _cash;
    private readonly DateTimeOffset _from;
    private readonly DateTimeOffset _to;

    public CashWorkflowTests()
    {
        _cash = new CashWorkflow(_site.Database, new ParkingRules(TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai"), 0, false));
        (_from, _to) = _cash.Day(new DateOnly(2026, 3, 2));
        // Two clerks took a card fee each during the site's day of 2 March (UTC+8).
        _site.Execute("""
            INSERT INTO holders(name, building, unit, room, created_utc, updated_utc) VALUES ('李伟', '3', '2', '1201', '2026-03-01T00:00:00.0000000Z', '2026-03-01T00:00:00.0000000Z');
            INSERT INTO cards(number, state, holder_id, kind, received_utc, updated_utc) VALUES (100001, 'issued', 1, 'access', '2026-03-01T00:00:00.0000000Z', '2026-03-01T00:00:00.0000000Z');
            INSERT INTO card_charges(card_number, holder_id, kind, amount_fen, receipt_number, recorded_utc, recorded_by) VALUES
                (100001, 1, 'card-fee', 2000, 'R-0001', '2026-03-02T01:00:00.0000000Z', 'clerk-a'),
                (100001, 1, 'card-fee', 3000, 'R-0002', '2026-03-02T02:00:00.0000000Z', 'clerk-b');
            """);
    }

    [Theory]
    [InlineData(new[] { "front-desk" }, CashScope.Own)]
    [InlineData(new[] { "finance" }, CashScope.All)]
    [InlineData(new[] { "admin" }, CashScope.All)]
    [InlineData(new[] { "front-desk", "finance" }, CashScope.All)]
    [InlineData(new[] { "parking-authorizer" }, CashScope.None)]
    [InlineData(new string[0], CashScope.None)]
    public void ScopeOf_Roles(string[] roles, CashScope scope) => Assert.Equal(scope, CashWorkflow.ScopeOf(roles));

    [Fact]
    public async Task Clerk_SeesOwnShiftOnly_AnotherOperatorsIsForbidden()
    {
        var own = await _cash.ReportAsync(ClerkA, ["front-desk"], _from, _to, null, CancellationToken.None);
        Assert.True(own.Succeeded, own.Refusal?.Detail);
        Assert.Equal("clerk-a", own.Value.Operator);
        Assert.Equal("clerk-a", Assert.Single(own.Value.Operators).OperatorId);
        Assert.Equal(2000, own.Value.Totals.CashInHandFen);

        var named = await _cash.ReportAsync(ClerkA, ["front-desk"], _from, _to, "clerk-a", CancellationToken.None);
        Assert.True(named.Succeeded, named.Refusal?.Detail);

        var other = await _cash.ReportAsync(ClerkA, ["front-desk"], _from, _to, "clerk-b", CancellationToken.None);
        Assert.Equal(RefusalKind.Forbidden, other.Refusal?.Kind);
        Assert.Contains("clerk-b", other.Refusal!.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finance_SeesEveryOperator_OrTheOneAskedFor()
    {
        var finance = new Actor("fin", "Finance");
        var all = await _cash.ReportAsync(finance, ["finance"], _from, _to, null, CancellationToken.None);
        Assert.True(all.Succeeded, all.Refusal?.Detail);
        Assert.Null(all.Value.Operator);
        Assert.Equal(["clerk-a", "clerk-b"], all.Value.Operators.Select(o => o.OperatorId));
        Assert.Equal(5000, all.Value.Totals.CashInHandFen);

        var one = await _cash.ReportAsync(finance, ["finance"], _from, _to, "clerk-b", CancellationToken.None);
        Assert.Equal("clerk-b", Assert.Single(one.Value.Operators).OperatorId);
    }

    [Fact]
    public async Task RoleWithoutCash_Forbidden()
    {
        var refused = await _cash.ReportAsync(new Actor("auth", "Authorizer"), ["parking-authorizer"], _from, _to, null, CancellationToken.None);
        Assert.Equal(RefusalKind.Forbidden, refused.Refusal?.Kind);
    }

    public void Dispose() => _site.Dispose();
}
