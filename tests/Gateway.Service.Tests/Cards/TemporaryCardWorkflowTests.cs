using Gateway.Service.Cards;
using Gateway.Service.Cards.Encoders;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Holders;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Domain.Zones;
using Gateway.Service.Holders;
using Gateway.Service.Parking;
using Gateway.Service.Storage;
using Gateway.Service.Tests.Api;
using Gateway.Service.Tests.Workflows;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Service.Tests.Cards;

/// <summary>
/// Temporary, visitor and stand-in cards through the card workflow, as the console will call it: the
/// window journaled and issued through the one issue path, expired and awaiting return, handed back from
/// issued, a stand-in for a lost card revoked when that card is found or replaced, and the whole-days
/// rule of controllers that keep dates only. Refusals write nothing.
/// </summary>
public sealed class TemporaryCardWorkflowTests : IDisposable
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private static readonly HandOver Receipt = new(["card"], "T-1");
    private readonly WorkflowSite _site = new();
    private readonly FakeEncoder _encoder = new();
    private readonly HolderWorkflow _holders;
    private CardWorkflow _cards;

    public TemporaryCardWorkflowTests()
    {
        _holders = new HolderWorkflow(_site.Writes, _site.Database);
        _cards = Cards(ValidityGrain.Seconds);
    }

    // WorkflowSite's clock: 2026-03-02 01:30 UTC = 09:30 in Shanghai.
    private static DateTimeOffset Local(int month, int day, int hour = 0) => new(2026, month, day, hour, 0, 0, TimeSpan.FromHours(8));

    [Fact]
    public async Task IssueTemporary_VisitorForTwoDays_FromTodaysLocalMidnight_IssuedWithItsWindowMarkerAndAudit()
    {
        var holder = await HolderAsync();
        await ReceiveAsync(300001, 300001);

        var outcome = await _cards.IssueTemporaryAsync(WorkflowSite.Desk, Visitor(300001, holder, new WindowOrder(null, null, 2)), "t-1", CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Refusal?.Detail);
        var card = outcome.Value.Card;
        Assert.Equal(CardState.Issued, card.State);
        Assert.Equal(new TemporaryTerms(TemporaryPurpose.Visitor, new ValidityWindow(Local(3, 2), Local(3, 4)), "Zhao Lei", null), card.Temporary);
        Assert.Equal(new TemporaryStanding(TemporaryStatus.Active, 2), outcome.Value.Temporary);
        Assert.Equal("issue", _site.Scalar("SELECT group_concat(reason) FROM card_outbox WHERE card_id = 300001"));
        Assert.Equal("receive,issue-temporary", _site.Scalar("SELECT group_concat(action) FROM card_events WHERE card_number = 300001 ORDER BY id"));
        Assert.Equal(["card.issue-started", "card.issue-temporary"], _site.Audit.Actions("card:300001"));
        Assert.Contains("\"purpose\":\"visitor\"", _site.Audit.Entries.Last().Details, StringComparison.Ordinal);
        Assert.Equal("visitor", _site.Scalar("SELECT temporary FROM cards WHERE number = 300001"));
    }

    [Fact]
    public async Task Expired_AfterItsWindow_ListedAwaitingReturn_HandedBackFromIssued_ThenRecycledToStock()
    {
        var holder = await HolderAsync();
        await ReceiveAsync(300001, 300002);
        var until = Local(3, 2, 18);
        Assert.True((await _cards.IssueTemporaryAsync(WorkflowSite.Desk, Visitor(300001, holder, new WindowOrder(null, until, null)), "t-1", CancellationToken.None)).Succeeded);
        Assert.True((await _cards.IssueTemporaryAsync(WorkflowSite.Desk, Visitor(300002, holder, new WindowOrder(null, null, 30)), "t-2", CancellationToken.None)).Succeeded);

        _site.Time.SetUtcNow(until.AddMinutes(1));

        var expired = await _cards.ListTemporaryAsync(TemporaryStatus.Expired, null, null, new PageRequest(50, 0), CancellationToken.None);
        var view = Assert.Single(expired.Items);
        Assert.Equal(300001, view.Card.Number);
        Assert.Equal(CardState.Issued, view.Card.State);
        Assert.Equal(new TemporaryStanding(TemporaryStatus.Expired, 0), view.Temporary);
        Assert.True(view.Temporary!.AwaitingReturn);
        var active = await _cards.ListTemporaryAsync(TemporaryStatus.Active, null, null, new PageRequest(50, 0), CancellationToken.None);
        Assert.Equal([300002L], active.Items.Select(c => c.Card.Number));
        Assert.Equal(30, active.Items[0].Temporary!.DaysLeft);

        var returned = await _cards.ReturnAsync(WorkflowSite.Desk, 300001, "handed back at the desk", CancellationToken.None);

        Assert.Equal(CardState.Returned, returned.Value.Card.State);
        Assert.Equal(TemporaryStatus.Closed, returned.Value.Temporary!.Status);
        Assert.Equal("issue,return", _site.Scalar("SELECT group_concat(reason) FROM card_outbox WHERE card_id = 300001"));
        var recycled = await _cards.RecycleAsync(WorkflowSite.Desk, 300001, null, CancellationToken.None);
        Assert.Equal(CardState.InStock, recycled.Value.Card.State);
        Assert.Null(recycled.Value.Card.Temporary);
        Assert.Equal(string.Empty, _site.Scalar("SELECT valid_until_utc FROM cards WHERE number = 300001"));
    }

    [Fact]
    public async Task Return_OrdinaryIssuedCard_IsStillRefused_OnlyATemporaryOneIsHandedBackWhileIssued()
    {
        var holder = await HolderAsync();
        await ReceiveAsync(100001, 100001);
        Assert.True((await _cards.IssueAsync(WorkflowSite.Desk, new IssueOrder(100001, holder, CardKind.Access, null, Receipt), "i-1", CancellationToken.None)).Succeeded);

        var outcome = await _cards.ReturnAsync(WorkflowSite.Desk, 100001, null, CancellationToken.None);

        Assert.Equal(RefusalKind.InvalidState, outcome.Refusal?.Kind);
    }

    [Theory]
    [InlineData(TemporaryPurpose.Visitor, null, 2, "bearer")]
    [InlineData(TemporaryPurpose.Contractor, null, 2, "bearer")]
    [InlineData(TemporaryPurpose.Tenant, "Wu Jun", 400, "days")]
    public async Task IssueTemporary_BadTerms_RefusedNamingTheField_AndNothingWritten(TemporaryPurpose purpose, string? bearer, int days, string field)
    {
        var holder = await HolderAsync();
        await ReceiveAsync(300001, 300001);
        var order = new TemporaryIssueOrder(300001, holder, CardKind.Access, purpose, new WindowOrder(null, null, days), bearer, null, null, Receipt);

        var outcome = await _cards.IssueTemporaryAsync(WorkflowSite.Desk, order, "t-1", CancellationToken.None);

        Assert.Equal(RefusalKind.Invalid, outcome.Refusal?.Kind);
        Assert.Equal(field, outcome.Refusal!.Field);
        Assert.Equal(0, _site.Count("card_issue_journal"));
        Assert.Equal(0, _encoder.IssueCalls);
    }

    [Fact]
    public async Task IssueTemporary_WindowAlreadyOver_IsRefused()
    {
        var holder = await HolderAsync();
        await ReceiveAsync(300001, 300001);

        var outcome = await _cards.IssueTemporaryAsync(WorkflowSite.Desk, Visitor(300001, holder, new WindowOrder(Local(3, 1), Local(3, 2, 8), null)), "t-1", CancellationToken.None);

        Assert.Equal("validUntil", outcome.Refusal?.Field);
        Assert.Equal(0, _site.Count("card_issue_journal"));
    }

    [Fact]
    public async Task StandIn_ForACardStillIssued_ReportsItLostInTheSameCommit_AndFoundRevokesTheStandIn()
    {
        var holder = await HolderAsync();
        await ReceiveAsync(100001, 100001);
        await ReceiveAsync(300001, 300001);
        Assert.True((await _cards.IssueAsync(WorkflowSite.Desk, new IssueOrder(100001, holder, CardKind.Both, null, Receipt), "i-1", CancellationToken.None)).Succeeded);
        var parking = new ParkingWorkflow(_site.Database, _site.Writes, new ParkingRules(Shanghai, 3, false));
        var agreement = (await parking.CreateAgreementAsync(WorkflowSite.Desk, new NewAgreement("P-1", holder, 100001, "沪A12345", "B1-001", 30_000, BillingCycle.Month, PaymentMethod.Cash, "archive/P-1.pdf"), CancellationToken.None)).Value!;

        var standIn = await _cards.IssueTemporaryAsync(WorkflowSite.Desk, StandIn(300001, 100001, 7), "t-1", CancellationToken.None);

        Assert.True(standIn.Succeeded, standIn.Refusal?.Detail);
        Assert.Equal((holder, CardKind.Both), (standIn.Value.Card.HolderId!.Value, standIn.Value.Card.Kind!.Value));
        Assert.Equal(100001, standIn.Value.Card.Temporary!.StandsInFor);
        Assert.Equal(new ValidityWindow(Local(3, 2), Local(3, 9)), standIn.Value.Card.Temporary.Window);
        Assert.Equal(CardState.Lost, (await _cards.GetAsync(100001, CancellationToken.None))!.Card.State);
        Assert.Equal("temporary card 300001 stands in for it", _site.Scalar("SELECT note FROM card_events WHERE card_number = 100001 ORDER BY id DESC LIMIT 1"));
        // The holder parks with the stand-in while it is out.
        Assert.Equal("300001", _site.Scalar($"SELECT card_number FROM parking_agreements WHERE id = {agreement.Id}"));

        var found = await _cards.ReportFoundAsync(WorkflowSite.Desk, 100001, "in the gym", CancellationToken.None);

        Assert.Equal(CardState.Issued, found.Value.Card.State);
        var revoked = (await _cards.GetAsync(300001, CancellationToken.None))!;
        Assert.Equal((CardState.Revoked, "lost-card-found"), (revoked.Card.State, revoked.Card.StateReason));
        Assert.Equal(TemporaryStatus.Revoked, revoked.Temporary!.Status);
        Assert.True(revoked.Temporary.AwaitingReturn);
        Assert.Equal(["card.issue-started", "card.issue-temporary", "card.revoke"], _site.Audit.Actions("card:300001"));
        Assert.Equal("issue,revoke", _site.Scalar("SELECT group_concat(reason) FROM card_outbox WHERE card_id = 300001"));
        // Parking moved back to the card found, audited both ways.
        Assert.Equal("100001", _site.Scalar($"SELECT card_number FROM parking_agreements WHERE id = {agreement.Id}"));
        Assert.Equal(2, _site.Audit.Actions($"agreement:{agreement.Id}").Count(a => a == "parking.agreement.change"));
    }

    [Fact]
    public async Task StandIn_SecondWhileOneIsOut_IsAConflict_ReplacingTheLostCardRevokesTheStandIn()
    {
        var holder = await HolderAsync();
        await ReceiveAsync(100001, 100002);
        await ReceiveAsync(300001, 300002);
        Assert.True((await _cards.IssueAsync(WorkflowSite.Desk, new IssueOrder(100001, holder, CardKind.Access, null, Receipt), "i-1", CancellationToken.None)).Succeeded);
        Assert.True((await _cards.ReportLostAsync(WorkflowSite.Desk, 100001, null, CancellationToken.None)).Succeeded);
        Assert.True((await _cards.IssueTemporaryAsync(WorkflowSite.Desk, StandIn(300001, 100001, 3), "t-1", CancellationToken.None)).Succeeded);

        var second = await _cards.IssueTemporaryAsync(WorkflowSite.Desk, StandIn(300002, 100001, 3), "t-2", CancellationToken.None);
        Assert.Equal(RefusalKind.Conflict, second.Refusal?.Kind);
        Assert.Contains("300001 already stands in", second.Refusal!.Detail, StringComparison.Ordinal);

        var replaced = await _cards.ReplaceAsync(WorkflowSite.Desk, new ReplaceOrder(100001, 100002, ReplaceReason.Lost, null, Receipt), "r-1", CancellationToken.None);

        Assert.True(replaced.Succeeded, replaced.Refusal?.Detail);
        var standIn = (await _cards.GetAsync(300001, CancellationToken.None))!.Card;
        Assert.Equal((CardState.Revoked, "replacement-issued"), (standIn.State, standIn.StateReason));
    }

    [Fact]
    public async Task StandIn_ForATemporaryCard_AndReplacingATemporaryCard_AreRefused()
    {
        var holder = await HolderAsync();
        await ReceiveAsync(300001, 300003);
        Assert.True((await _cards.IssueTemporaryAsync(WorkflowSite.Desk, Visitor(300001, holder, new WindowOrder(null, null, 3)), "t-1", CancellationToken.None)).Succeeded);

        var standIn = await _cards.IssueTemporaryAsync(WorkflowSite.Desk, StandIn(300002, 300001, 3), "t-2", CancellationToken.None);
        var replace = await _cards.ReplaceAsync(WorkflowSite.Desk, new ReplaceOrder(300001, 300003, ReplaceReason.Lost, null, Receipt), "r-1", CancellationToken.None);

        Assert.Equal(RefusalKind.InvalidState, standIn.Refusal?.Kind);
        Assert.Equal(RefusalKind.InvalidState, replace.Refusal?.Kind);
        Assert.Contains("temporary card", replace.Refusal!.Detail, StringComparison.Ordinal);
        Assert.Equal(CardState.Issued, (await _cards.GetAsync(300001, CancellationToken.None))!.Card.State);
        Assert.Equal(1, _site.Count("card_issue_journal"));
    }

    [Fact]
    public async Task WholeDays_CardReachingADateOnlyController_PartDayWindowRefused_WholeDaysIssued()
    {
        _cards = Cards(ValidityGrain.Days);
        var holder = await HolderAsync();
        await ReceiveAsync(300001, 300001);

        var partDay = await _cards.IssueTemporaryAsync(WorkflowSite.Desk, Visitor(300001, holder, new WindowOrder(null, Local(3, 2, 18), null)), "t-1", CancellationToken.None);

        Assert.Equal(RefusalKind.Rule, partDay.Refusal?.Kind);
        Assert.Equal("whole-days", partDay.Refusal!.Code);
        Assert.Contains("door-b3", partDay.Refusal.Detail, StringComparison.Ordinal);
        Assert.Contains("2026-03-02 to 2026-03-03", partDay.Refusal.Detail, StringComparison.Ordinal);
        Assert.Equal(0, _site.Count("card_issue_journal"));

        var wholeDays = await _cards.IssueTemporaryAsync(WorkflowSite.Desk, Visitor(300001, holder, new WindowOrder(Local(3, 3), Local(3, 5), null)), "t-2", CancellationToken.None);
        Assert.True(wholeDays.Succeeded, wholeDays.Refusal?.Detail);
    }

    [Fact]
    public async Task Resume_SameKeyLater_KeepsTheWindowFixedWhenTheIntentWasRecorded()
    {
        var holder = await HolderAsync();
        await ReceiveAsync(300001, 300001);
        _encoder.FailNext = new EncoderOperationException("card removed");
        var order = Visitor(300001, holder, new WindowOrder(null, Local(3, 3, 12), null));
        Assert.Equal(RefusalKind.DeviceFailed, (await _cards.IssueTemporaryAsync(WorkflowSite.Desk, order, "t-1", CancellationToken.None)).Refusal?.Kind);
        var journaled = _site.Scalar("SELECT temporary FROM card_issue_journal WHERE card_number = 300001");
        Assert.Contains("\"validFrom\":\"2026-03-02T01:30:00", journaled, StringComparison.Ordinal);

        _site.Time.Advance(TimeSpan.FromMinutes(3));
        var resumed = await _cards.IssueTemporaryAsync(WorkflowSite.Desk, order, "t-1", CancellationToken.None);

        Assert.True(resumed.Succeeded, resumed.Refusal?.Detail);
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 1, 30, 0, TimeSpan.Zero), resumed.Value.Card.Temporary!.Window.FromUtc);
        Assert.Equal(1, _site.Count("card_issue_journal"));
    }

    public void Dispose() => _site.Dispose();

    private static TemporaryIssueOrder Visitor(long number, long holder, WindowOrder window) =>
        new(number, holder, CardKind.Access, TemporaryPurpose.Visitor, window, "Zhao Lei", null, null, Receipt);

    private static TemporaryIssueOrder StandIn(long number, long lost, int days) =>
        new(number, null, null, TemporaryPurpose.StandIn, new WindowOrder(null, null, days), null, lost, null, Receipt);

    private CardWorkflow Cards(ValidityGrain grain) => new(
        _site.Writes,
        _site.Database,
        _encoder,
        new CardEncoderOptions([new EncoderDevice("desk", "/dev/null")], "workflow-test", null),
        new ZoneMap([new ZonedController("door-b3", "building-3", grain)]),
        NullLogger<CardWorkflow>.Instance,
        calendar: new SiteCalendar(Shanghai));

    private async Task<long> HolderAsync() =>
        (await _holders.CreateAsync(WorkflowSite.Desk, new NewHolder("Li Wei", new UnitAddress("3", "2", "1201"), null, null, null), CancellationToken.None)).Value.Id;

    private async Task ReceiveAsync(long from, long to) =>
        Assert.True((await _cards.ReceiveAsync(WorkflowSite.Desk, from, to, "B-1", CancellationToken.None)).Succeeded);
}
