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
/// replacement's own transaction; an agreement's card, plate, space and bank account change on their own.
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

    [Fact]
    public async Task ChangeAgreement_CardOfTheSameHolder_MovesPeriods_MarksBothCards_Audited()
    {
        await IssueAsync(100001, CardKind.Parking);
        await IssueAsync(100002, CardKind.Both);
        var agreement = await AgreementAsync(100001, "P-1", "B1-017");
        await PayAndGrantAsync(agreement.Id, "R-1");
        var markers = _site.Count("card_outbox");

        var changed = await _parking.ChangeAgreementAsync(WorkflowSite.Desk, agreement.Id, new AgreementChange(CardNumber: 100002, Plate: "沪B99999"), CancellationToken.None);

        Assert.True(changed.Succeeded, changed.Refusal?.Detail);
        Assert.Equal(["cardNumber", "plate"], changed.Value.Changed);
        Assert.Equal((100002L, "沪B99999"), (changed.Value.Agreement.CardNumber, changed.Value.Agreement.Plate));
        Assert.Equal(markers + 2, _site.Count("card_outbox"));
        Assert.Equal("100001,100002", _site.Scalar($"SELECT group_concat(card_id) FROM (SELECT card_id FROM card_outbox ORDER BY sequence LIMIT -1 OFFSET {markers})"));
        Assert.Equal(1, _site.Count("parking_periods"));
        Assert.Equal("parking.agreement.change", _site.Audit.Entries[^1].Action);
    }

    [Fact]
    public async Task ChangeAgreement_PlateOrSpaceOnly_NoOutboxMarker_AndNothingWhenNothingChanges()
    {
        await IssueAsync(100001, CardKind.Parking);
        var agreement = await AgreementAsync(100001, "P-1", "B1-017");
        var markers = _site.Count("card_outbox");
        var audits = _site.Audit.Entries.Count;

        var same = await _parking.ChangeAgreementAsync(WorkflowSite.Desk, agreement.Id, new AgreementChange(Plate: agreement.Plate), CancellationToken.None);
        Assert.Empty(same.Value.Changed);
        Assert.Equal(audits, _site.Audit.Entries.Count);

        var moved = await _parking.ChangeAgreementAsync(WorkflowSite.Desk, agreement.Id, new AgreementChange(Space: "B2-001"), CancellationToken.None);
        Assert.Equal(["space"], moved.Value.Changed);
        Assert.Equal(markers, _site.Count("card_outbox"));
        Assert.Equal(audits + 1, _site.Audit.Entries.Count);
    }

    [Theory]
    [InlineData(100003, RefusalKind.InvalidState)] // an access card
    [InlineData(100004, RefusalKind.InvalidState)] // in stock
    [InlineData(999999, RefusalKind.NotFound)]
    [InlineData(100002, RefusalKind.Conflict)] // has its own agreement
    public async Task ChangeAgreement_CardThatCannotCarryIt_IsRefused_AndNothingChanges(long card, RefusalKind kind)
    {
        await IssueAsync(100001, CardKind.Parking);
        await IssueAsync(100002, CardKind.Parking);
        await IssueAsync(100003, CardKind.Access);
        var agreement = await AgreementAsync(100001, "P-1", "B1-017");
        await AgreementAsync(100002, "P-2", "B1-018");
        var before = (_site.Count("card_outbox"), _site.Audit.Entries.Count);

        var outcome = await _parking.ChangeAgreementAsync(WorkflowSite.Desk, agreement.Id, new AgreementChange(CardNumber: card), CancellationToken.None);

        Assert.Equal(kind, outcome.Refusal?.Kind);
        Assert.Equal(before, (_site.Count("card_outbox"), _site.Audit.Entries.Count));
        Assert.Equal(100001, (await _parking.GetAgreementAsync(agreement.Id, CancellationToken.None))!.CardNumber);
    }

    [Fact]
    public async Task ChangeAgreement_SpaceTakenOrAgreementEnded_IsRefused()
    {
        await IssueAsync(100001, CardKind.Parking);
        await IssueAsync(100002, CardKind.Parking);
        var first = await AgreementAsync(100001, "P-1", "B1-017");
        await AgreementAsync(100002, "P-2", "B1-018");

        Assert.Equal(RefusalKind.Conflict, (await _parking.ChangeAgreementAsync(WorkflowSite.Desk, first.Id, new AgreementChange(Space: "B1-018"), CancellationToken.None)).Refusal?.Kind);

        Assert.True((await _parking.EndAgreementAsync(WorkflowSite.Desk, first.Id, "moved out", CancellationToken.None)).Succeeded);
        var ended = await _parking.ChangeAgreementAsync(WorkflowSite.Desk, first.Id, new AgreementChange(Plate: "沪C1"), CancellationToken.None);
        Assert.Equal(("ended", RefusalKind.InvalidState), (ended.Refusal?.State, ended.Refusal!.Kind));
    }

    [Fact]
    public async Task ChangeAgreement_BankAccount_OnlyForBankDebit_AuditedMasked()
    {
        await IssueAsync(100001, CardKind.Parking);
        await IssueAsync(100002, CardKind.Parking);
        var cash = await AgreementAsync(100001, "P-1", "B1-017");
        var debit = (await _parking.CreateAgreementAsync(WorkflowSite.Desk, new NewAgreement("B-1", _holder, 100002, "沪A2", "B1-020", 30_000, BillingCycle.Month, PaymentMethod.BankDebit, "copy", new BankAccount("李伟", "6222020200112233445")), CancellationToken.None)).Value;
        Assert.Equal("****3445", debit.BankAccount);

        Assert.Equal(RefusalKind.Invalid, (await _parking.ChangeAgreementAsync(WorkflowSite.Desk, cash.Id, new AgreementChange(BankAccount: new BankAccount("李伟", "6222020200112233445")), CancellationToken.None)).Refusal?.Kind);

        var changed = await _parking.ChangeAgreementAsync(WorkflowSite.Desk, debit.Id, new AgreementChange(BankAccount: new BankAccount("李伟", "6217000011112222")), CancellationToken.None);
        Assert.Equal("****2222", changed.Value.Agreement.BankAccount);
        Assert.Equal("6217000011112222", _site.Scalar($"SELECT bank_account_number FROM parking_agreements WHERE id = {debit.Id}"));
        Assert.DoesNotContain(_site.Audit.Entries, e => e.Details.Contains("6222020200112233445", StringComparison.Ordinal) || e.Details.Contains("6217000011112222", StringComparison.Ordinal));
        Assert.Contains("****2222", _site.Audit.Entries[^1].Details, StringComparison.Ordinal);
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
