using Gateway.Service.Domain;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Parking;
using Gateway.Service.Storage;
using Gateway.Service.Tests.Workflows;

namespace Gateway.Service.Tests.Parking;

/// <summary>
/// The parking workflow without a web host: the rules' refusals as outcomes, one outbox marker per change
/// that moves a card's validity, a caller's receipt durable with the change (or not at all), imports that
/// apply once.
/// </summary>
public sealed class ParkingWorkflowTests : IDisposable
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private readonly WorkflowSite _site = new();
    private readonly ParkingWorkflow _parking;

    public ParkingWorkflowTests()
    {
        // 2026-03-02 09:30 in Shanghai.
        _parking = new ParkingWorkflow(_site.Database, _site.Writes, new ParkingRules(Shanghai, 3, ProrationAllowed: false));
        _site.Execute("""
            INSERT INTO holders(id, name, building, unit, room, created_utc, updated_utc) VALUES (1, 'Li Wei', '3', '2', '1201', '2026-03-01T00:00:00.0000000Z', '2026-03-01T00:00:00.0000000Z');
            INSERT INTO cards(number, state, uid, holder_id, kind, received_utc, updated_utc) VALUES (100001, 'issued', '04A1B2C3', 1, 'both', '2026-03-01T00:00:00.0000000Z', '2026-03-01T00:00:00.0000000Z');
            INSERT INTO cards(number, state, uid, holder_id, kind, received_utc, updated_utc) VALUES (100002, 'issued', '04A1B2C4', 1, 'access', '2026-03-01T00:00:00.0000000Z', '2026-03-01T00:00:00.0000000Z');
            """);
    }

    [Fact]
    public async Task RecordAndGrant_OneMonth_PeriodFromTodayValidityWithGraceOneMarker()
    {
        var agreement = await AgreementAsync(PaymentMethod.Cash);
        var payment = (await _parking.RecordPaymentAsync(WorkflowSite.Desk, new NewPayment(agreement.Id, 30_000, PaymentMethod.Cash, "R-1"), CancellationToken.None)).Value;
        Assert.Equal(0, _site.Count("card_outbox"));

        var grant = await _parking.GrantAsync(WorkflowSite.Desk, payment.Id, CancellationToken.None);

        Assert.True(grant.Succeeded, grant.Refusal?.Detail);
        Assert.Equal((new DateOnly(2026, 3, 2), new DateOnly(2026, 4, 2)), (grant.Value.Period.Start, grant.Value.Period.End));
        Assert.Equal(new ControllerValidity(Midnight(2026, 3, 2), Midnight(2026, 4, 5)), grant.Value.Validity);
        Assert.Equal("100001:parking.grant", _site.Scalar("SELECT card_id || ':' || reason FROM card_outbox"));
        Assert.Equal(grant.Value.OutboxSequence, long.Parse(_site.Scalar("SELECT sequence FROM card_outbox"), System.Globalization.CultureInfo.InvariantCulture));
        var read = await _parking.GetAgreementAsync(agreement.Id, CancellationToken.None);
        Assert.Equal(grant.Value.Validity, read!.Validity);
        Assert.Equal(new DateOnly(2026, 4, 2), read.PaidUntil);
    }

    [Fact]
    public async Task RecordPayment_AmountNotWholeCycles_IsRefusedByTheRule_NamingTheValidAmounts_AndNothingIsWritten()
    {
        var agreement = await AgreementAsync(PaymentMethod.Cash);

        var recorded = await _parking.RecordPaymentAsync(WorkflowSite.Desk, new NewPayment(agreement.Id, 45_000, PaymentMethod.Cash, "R-1"), CancellationToken.None);

        Assert.Equal(RefusalKind.Rule, recorded.Refusal?.Kind);
        Assert.Equal("not-whole-cycles", recorded.Refusal?.Code);
        Assert.Equal([30_000L, 60_000L], (IReadOnlyList<long>)recorded.Refusal!.Facts!["validAmountsFen"]!);
        Assert.Equal(0, _site.Count("parking_payments"));
        Assert.DoesNotContain(_site.Audit.Entries, e => e.Action == "parking.payment.record");
    }

    [Fact]
    public async Task Grant_AmountNotWholeCycles_IsRefusedByTheRule_AndNothingIsWrittenNorTheReceipt()
    {
        var agreement = await AgreementAsync(PaymentMethod.Cash);
        // Recorded while the site allowed proration; the grant is decided by the rules in force.
        var prorating = new ParkingWorkflow(_site.Database, _site.Writes, new ParkingRules(Shanghai, 3, ProrationAllowed: true));
        var payment = (await prorating.RecordPaymentAsync(WorkflowSite.Desk, new NewPayment(agreement.Id, 45_000, PaymentMethod.Cash, "R-1"), CancellationToken.None)).Value;
        var receipt = new TableReceipt(_site);

        var grant = await _parking.GrantAsync(WorkflowSite.Desk, payment.Id, CancellationToken.None, receipt);

        Assert.Equal(RefusalKind.Rule, grant.Refusal?.Kind);
        Assert.Equal("not-whole-cycles", grant.Refusal?.Code);
        Assert.Equal(0, receipt.Writes);
        Assert.Equal("recorded", (await _parking.GetPaymentAsync(payment.Id, CancellationToken.None))!.State);
        Assert.Equal(0, _site.Count("card_outbox"));
        Assert.Equal(0, _site.Count("parking_periods"));
    }

    [Fact]
    public async Task Grant_WithReceipt_TheReceiptIsWrittenInTheGrantsUnitWithItsResult()
    {
        var agreement = await AgreementAsync(PaymentMethod.Cash);
        var payment = (await _parking.RecordPaymentAsync(WorkflowSite.Desk, new NewPayment(agreement.Id, 30_000, PaymentMethod.Cash, "R-1"), CancellationToken.None)).Value;
        var receipt = new TableReceipt(_site);
        var groups = _site.Writes.CommittedUnits;

        var grant = await _parking.GrantAsync(WorkflowSite.Desk, payment.Id, CancellationToken.None, receipt);

        Assert.True(grant.Succeeded);
        Assert.Equal(1, receipt.Writes);
        Assert.Equal(grant.Value.Period.End.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), _site.Scalar("SELECT text FROM receipts"));
        Assert.Equal(groups + 1, _site.Writes.CommittedUnits);
    }

    [Fact]
    public async Task Reverse_FirstOfTwoGrantedPayments_TheLaterPeriodMovesEarlier()
    {
        var agreement = await AgreementAsync(PaymentMethod.Cash);
        var first = await RecordAndGrantAsync(agreement.Id, "R-1");
        var second = await RecordAndGrantAsync(agreement.Id, "R-2");

        var reversal = await _parking.ReverseAsync(WorkflowSite.Desk, first, "cheque bounced", CancellationToken.None);

        Assert.True(reversal.Succeeded, reversal.Refusal?.Detail);
        Assert.Equal(new DateOnly(2026, 4, 2), reversal.Value.Removed!.End);
        var moved = Assert.Single(reversal.Value.Moved);
        Assert.Equal((second, new DateOnly(2026, 3, 2), new DateOnly(2026, 4, 2)), (moved.PaymentId, moved.Start, moved.End));
        Assert.Equal(new DateOnly(2026, 4, 2), (await _parking.GetAgreementAsync(agreement.Id, CancellationToken.None))!.PaidUntil);
        Assert.Equal("parking.reversal", _site.Scalar("SELECT reason FROM card_outbox ORDER BY sequence DESC LIMIT 1"));
        Assert.Equal(RefusalKind.InvalidState, (await _parking.ReverseAsync(WorkflowSite.Desk, first, "again", CancellationToken.None)).Refusal?.Kind);
    }

    [Fact]
    public async Task CreateAgreement_AccessCard_IsInvalidState_AndTakenSpaceIsAConflict()
    {
        var access = await _parking.CreateAgreementAsync(WorkflowSite.Desk, NewAgreement(100002, "P-1", "B1-001", PaymentMethod.Cash), CancellationToken.None);
        Assert.Equal(RefusalKind.InvalidState, access.Refusal?.Kind);
        Assert.Contains("kind parking or both", access.Refusal?.Detail, StringComparison.Ordinal);

        await AgreementAsync(PaymentMethod.Cash);
        _site.Execute("UPDATE cards SET kind = 'parking' WHERE number = 100002");
        var taken = await _parking.CreateAgreementAsync(WorkflowSite.Desk, NewAgreement(100002, "P-2", "B1-001", PaymentMethod.Cash), CancellationToken.None);
        Assert.Equal(RefusalKind.Conflict, taken.Refusal?.Kind);
        Assert.Equal("space B1-001 already has an active parking agreement", taken.Refusal?.Detail);
        Assert.Equal(1, _site.Count("parking_agreements"));
    }

    [Theory]
    [InlineData(true, true, true, AgreementClash.Number)]
    [InlineData(true, false, false, AgreementClash.Number)]
    [InlineData(false, true, true, AgreementClash.Card)]
    [InlineData(false, false, true, AgreementClash.Space)]
    [InlineData(false, false, false, AgreementClash.None)]
    public void ClashOf_NumberBeforeCardBeforeSpace(bool number, bool card, bool space, AgreementClash expected) =>
        Assert.Equal(expected, ParkingWorkflow.ClashOf(new AgreementTaken(number, card, space)));

    [Fact]
    public async Task CreateAgreement_NumberCardAndSpaceAllTaken_TheNumberIsReported_ThenTheCardOnceTheNumberIsNew()
    {
        await AgreementAsync(PaymentMethod.Cash);

        var all = await _parking.CreateAgreementAsync(WorkflowSite.Desk, NewAgreement(100001, "P-1", "B1-001", PaymentMethod.Cash), CancellationToken.None);
        var cardAndSpace = await _parking.CreateAgreementAsync(WorkflowSite.Desk, NewAgreement(100001, "P-9", "B1-001", PaymentMethod.Cash), CancellationToken.None);

        Assert.Equal("agreement number P-1 is already used", all.Refusal?.Detail);
        Assert.Equal("card 100001 already has an active parking agreement", cardAndSpace.Refusal?.Detail);
        Assert.Equal(1, _site.Count("parking_agreements"));
    }

    [Fact]
    public async Task ImportBankResults_SameFileTwice_GrantsOnce_SecondImportChangesNothing()
    {
        await AgreementAsync(PaymentMethod.BankDebit);
        var file = BankDebitFile.ParseResults($"{BankDebitFile.ResultHeader}\nP-1,300.00,2026-03-01,ok\nP-9,300.00,2026-03-01,ok\n");

        var first = await _parking.ImportBankResultsAsync(WorkflowSite.Desk, file, CancellationToken.None);
        var units = _site.Writes.CommittedUnits;
        var second = await _parking.ImportBankResultsAsync(WorkflowSite.Desk, file, CancellationToken.None);

        Assert.True(first.Changed);
        Assert.Equal(["granted", "unmatched"], first.Results.Select(r => r.Outcome));
        Assert.False(second.Changed);
        Assert.Equal(["duplicate", "unmatched"], second.Results.Select(r => r.Outcome));
        Assert.Equal(units, _site.Writes.CommittedUnits);
        Assert.Equal(1, _site.Count("parking_periods"));
    }

    [Fact]
    public async Task DebitRequests_BankDebitAgreementWithoutPaidPeriod_DueOnTheFirstForOneCycle()
    {
        await AgreementAsync(PaymentMethod.BankDebit);

        var requests = await _parking.DebitRequestsAsync(_parking.CurrentMonth(_site.Time.GetUtcNow()), CancellationToken.None);

        Assert.Equal(new DebitRequest("P-1", 30_000, new DateOnly(2026, 3, 1), "沪A12345"), Assert.Single(requests));
    }

    public void Dispose() => _site.Dispose();

    private static NewAgreement NewAgreement(long card, string number, string space, PaymentMethod method) =>
        new(number, 1, card, "沪A12345", space, 30_000, BillingCycle.Month, method, "archive/" + number + ".pdf");

    private static DateTimeOffset Midnight(int year, int month, int day) =>
        new(TimeZoneInfo.ConvertTimeToUtc(new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Unspecified), Shanghai), TimeSpan.Zero);

    private async Task<AgreementView> AgreementAsync(PaymentMethod method) =>
        (await _parking.CreateAgreementAsync(WorkflowSite.Desk, NewAgreement(100001, "P-1", "B1-001", method), CancellationToken.None)).Value;

    private async Task<long> RecordAndGrantAsync(long agreementId, string receiptNumber)
    {
        var payment = (await _parking.RecordPaymentAsync(WorkflowSite.Desk, new NewPayment(agreementId, 30_000, PaymentMethod.Cash, receiptNumber), CancellationToken.None)).Value;
        Assert.True((await _parking.GrantAsync(WorkflowSite.Desk, payment.Id, CancellationToken.None)).Succeeded);
        return payment.Id;
    }

    /// <summary>A receipt that writes a row in the change's unit, as the API's idempotency record does.</summary>
    private sealed class TableReceipt(WorkflowSite site) : IChangeReceipt<GrantView>
    {
        private readonly bool _created = Create(site);

        public int Writes { get; private set; }

        public async Task WriteAsync(UnitOfWork unit, GrantView result, CancellationToken cancellationToken)
        {
            Assert.True(_created);
            Writes++;
            await using var insert = unit.Command("INSERT INTO receipts(text) VALUES ($text)");
            insert.Parameters.AddWithValue("$text", result.Period.End.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        private static bool Create(WorkflowSite site)
        {
            site.Execute("CREATE TABLE IF NOT EXISTS receipts(text TEXT)");
            return true;
        }
    }
}
