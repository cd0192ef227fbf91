using Gateway.Service.Cards;
using Gateway.Service.Cards.Encoders;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Holders;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Domain.Zones;
using Gateway.Service.Holders;
using Gateway.Service.Parking;
using Gateway.Service.Tests.Api;
using Gateway.Service.Tests.Workflows;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Service.Tests.Parking;

/// <summary>
/// Parking follows the card: a replacement moves the holder's agreements with their paid periods in the
/// replacement's own transaction.
/// </summary>
public sealed class ParkingFollowsCardTests : IDisposable
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private static readonly HandOver Receipt = new(["card"], "H-1");
    private readonly WorkflowSite _site = new();
    private readonly FakeEncoder _encoder = new();
    private readonly CardWorkflow _cards;
    private readonly ParkingWorkflow _parking;
    private readonly long _holder;

    public ParkingFollowsCardTests()
    {
        _cards = new CardWorkflow(_site.Writes, _site.Database, _encoder, new CardEncoderOptions([new EncoderDevice("desk", "/dev/null")], "follow-test", null), new ZoneMap([new ZonedController("carpark-in", "car-park")]), NullLogger<CardWorkflow>.Instance);
        _parking = new ParkingWorkflow(_site.Database, _site.Writes, new ParkingRules(Shanghai, 3, ProrationAllowed: false));
        var holders = new HolderWorkflow(_site.Writes, _site.Database);
        _holder = holders.CreateAsync(WorkflowSite.Desk, new NewHolder("李伟", new UnitAddress("3", "2", "1201"), "13800000000", null, null), CancellationToken.None).GetAwaiter().GetResult().Value.Id;
        Assert.True(_cards.ReceiveAsync(WorkflowSite.Desk, 100001, 100004, "B-1", CancellationToken.None).GetAwaiter().GetResult().Succeeded);
    }

    [Fact]
    public async Task Replace_LostParkingCard_AgreementAndItsPeriodsMoveToTheReplacement_InTheSameTransaction()
    {
        await IssueAsync(100001, CardKind.Parking);
        var agreement = await AgreementAsync(100001, "P-1", "B1-017");
        await PayAndGrantAsync(agreement.Id, "R-1");
        await PayAndGrantAsync(agreement.Id, "R-2");
        var periodsBefore = _site.Scalar("SELECT group_concat(payment_id || ':' || start_date || '..' || end_date, ' ') FROM parking_periods ORDER BY seq");
        var validityBefore = (await _parking.GetAgreementAsync(agreement.Id, CancellationToken.None))!.Validity;
        Assert.NotNull(validityBefore);
        Assert.True((await _cards.ReportLostAsync(WorkflowSite.Desk, 100001, "lost in the car park", CancellationToken.None)).Succeeded);
        var units = _site.Writes.CommittedUnits;

        var replaced = await _cards.ReplaceAsync(WorkflowSite.Desk, new ReplaceOrder(100001, 100002, ReplaceReason.Lost, null, Receipt), "replace-1", CancellationToken.None);

        Assert.True(replaced.Succeeded, replaced.Refusal?.Detail);
        var moved = (await _parking.GetAgreementAsync(agreement.Id, CancellationToken.None))!;
        Assert.Equal(100002, moved.CardNumber);
        Assert.Equal(periodsBefore, _site.Scalar("SELECT group_concat(payment_id || ':' || start_date || '..' || end_date, ' ') FROM parking_periods ORDER BY seq"));
        Assert.Equal(validityBefore, moved.Validity); // the same validity, now the new card's
        // Intent, then one commit for the card write: the move is inside the replacement's commit.
        Assert.Equal(units + 2, _site.Writes.CommittedUnits);
        Assert.Contains(_site.Audit.Entries, e => e.Action == "parking.agreement.change" && e.Subject == $"agreement:{agreement.Id}");
        // Both cards are marked after the move: the old card goes blocked, the new one gets the car park with the periods.
        Assert.Equal("replace", _site.Scalar("SELECT reason FROM card_outbox WHERE card_id = 100001 ORDER BY sequence DESC LIMIT 1"));
        Assert.Equal("issue", _site.Scalar("SELECT reason FROM card_outbox WHERE card_id = 100002 ORDER BY sequence DESC LIMIT 1"));

        // The chain is intact: the next payment continues it on the new card.
        var next = await PayAndGrantAsync(agreement.Id, "R-3");
        Assert.True(next.Extended);
        Assert.Equal(new DateOnly(2026, 6, 2), next.Period.End);
    }

    [Fact]
    public async Task Replace_AccessCard_MovesNothing()
    {
        await IssueAsync(100001, CardKind.Both);
        var agreement = await AgreementAsync(100001, "P-1", "B1-017");
        await IssueAsync(100003, CardKind.Access);

        Assert.True((await _cards.ReplaceAsync(WorkflowSite.Desk, new ReplaceOrder(100003, 100004, ReplaceReason.Damaged, null, Receipt), "replace-2", CancellationToken.None)).Succeeded);

        Assert.Equal(100001, (await _parking.GetAgreementAsync(agreement.Id, CancellationToken.None))!.CardNumber);
        Assert.DoesNotContain(_site.Audit.Entries, e => e.Action == "parking.agreement.change");
    }

    public void Dispose() => _site.Dispose();

    private async Task IssueAsync(long number, CardKind kind) =>
        Assert.True((await _cards.IssueAsync(WorkflowSite.Desk, new IssueOrder(number, _holder, kind, null, Receipt), $"issue-{number}", CancellationToken.None)).Succeeded);

    private async Task<AgreementView> AgreementAsync(long card, string number, string space)
    {
        var created = await _parking.CreateAgreementAsync(WorkflowSite.Desk, new NewAgreement(number, _holder, card, "沪A12345", space, 30_000, BillingCycle.Month, PaymentMethod.Cash, "archive/" + number), CancellationToken.None);
        Assert.True(created.Succeeded, created.Refusal?.Detail);
        return created.Value;
    }

    private async Task<GrantView> PayAndGrantAsync(long agreement, string receipt)
    {
        var payment = (await _parking.RecordPaymentAsync(WorkflowSite.Desk, new NewPayment(agreement, 30_000, PaymentMethod.Cash, receipt), CancellationToken.None)).Value;
        var grant = await _parking.GrantAsync(WorkflowSite.Desk, payment.Id, CancellationToken.None);
        Assert.True(grant.Succeeded, grant.Refusal?.Detail);
        return grant.Value;
    }
}
