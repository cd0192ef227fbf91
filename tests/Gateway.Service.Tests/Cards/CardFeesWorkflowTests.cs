using Gateway.Service.Cards;
using Gateway.Service.Cards.Encoders;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Holders;
using Gateway.Service.Domain.Zones;
using Gateway.Service.Holders;
using Gateway.Service.Tests.Api;
using Gateway.Service.Tests.Workflows;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Service.Tests.Cards;

/// <summary>Card fees and deposits: taken at issue and replacement with a receipt-book number, the deposit following a replacement and refunded at hand-back, audited.</summary>
public sealed class CardFeesWorkflowTests : IDisposable
{
    private static readonly HandOver Receipt = new(["card"], "H-1");
    private readonly WorkflowSite _site = new();
    private readonly FakeEncoder _encoder = new();
    private readonly CardWorkflow _cards;
    private readonly long _holder;

    public CardFeesWorkflowTests()
    {
        _cards = new CardWorkflow(_site.Writes, _site.Database, _encoder, new CardEncoderOptions([new EncoderDevice("desk", "/dev/null")], "fees-test", null), new ZoneMap([]), NullLogger<CardWorkflow>.Instance, new CardFeeSchedule(2000, 5000, 10000));
        _holder = new HolderWorkflow(_site.Writes, _site.Database).CreateAsync(WorkflowSite.Desk, new NewHolder("李伟", new UnitAddress("3", "2", "1201"), null, null, null), CancellationToken.None).GetAwaiter().GetResult().Value.Id;
        Assert.True(_cards.ReceiveAsync(WorkflowSite.Desk, 100001, 100003, "B-1", CancellationToken.None).GetAwaiter().GetResult().Succeeded);
    }

    [Fact]
    public async Task Issue_FeeAndDepositRecordedOnTheReceipt_InTheIssuesCommit_Audited()
    {
        var issued = await _cards.IssueAsync(WorkflowSite.Desk, new IssueOrder(100001, _holder, CardKind.Parking, null, Receipt, "R-0001"), "a-1", CancellationToken.None);

        Assert.True(issued.Succeeded, issued.Refusal?.Detail);
        Assert.Equal("card-fee:2000:R-0001,deposit:10000:R-0001", _site.Scalar("SELECT group_concat(kind || ':' || amount_fen || ':' || receipt_number) FROM card_charges WHERE card_number = 100001 ORDER BY id"));
        Assert.Equal("10000", _site.Scalar("SELECT amount_fen FROM card_deposits WHERE card_number = 100001 AND refund_charge_id IS NULL"));
        Assert.Equal(["card.issue-started", "card.issue", "card.charge"], _site.Audit.Actions("card:100001"));
    }

    [Theory]
    [InlineData(null, RefusalKind.Invalid)]
    [InlineData("R-TAKEN", RefusalKind.Conflict)]
    public async Task Issue_ReceiptMissingOrUsed_RefusedBeforeTheCardIsTouched(string? receipt, RefusalKind kind)
    {
        _site.Execute("""
            INSERT INTO card_charges(card_number, holder_id, kind, amount_fen, receipt_number, recorded_utc, recorded_by) VALUES (100003, 1, 'card-fee', 2000, 'R-TAKEN', '2026-03-01T00:00:00.0000000Z', 'desk-1');
            """);

        var issued = await _cards.IssueAsync(WorkflowSite.Desk, new IssueOrder(100001, _holder, CardKind.Parking, null, Receipt, receipt), "a-1", CancellationToken.None);

        Assert.Equal(kind, issued.Refusal?.Kind);
        Assert.Equal(0, _encoder.IssueCalls);
        Assert.Equal(0, _site.Count("card_issue_journal"));
        if (kind == RefusalKind.Invalid)
        {
            Assert.Equal("feeReceiptNumber", issued.Refusal!.Field);
            Assert.Contains("card fee 20.00 + deposit 100.00 = 120.00 yuan", issued.Refusal.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Replace_FeeCharged_DepositMovesToTheNewCard_HandBackRefundsIt()
    {
        Assert.True((await _cards.IssueAsync(WorkflowSite.Desk, new IssueOrder(100001, _holder, CardKind.Parking, null, Receipt, "R-0001"), "a-1", CancellationToken.None)).Succeeded);
        Assert.True((await _cards.ReportLostAsync(WorkflowSite.Desk, 100001, null, CancellationToken.None)).Succeeded);

        var replaced = await _cards.ReplaceAsync(WorkflowSite.Desk, new ReplaceOrder(100001, 100002, ReplaceReason.Lost, null, Receipt, "R-0002"), "a-2", CancellationToken.None);

        Assert.True(replaced.Succeeded, replaced.Refusal?.Detail);
        Assert.Equal("replacement-fee:5000", _site.Scalar("SELECT group_concat(kind || ':' || amount_fen) FROM card_charges WHERE receipt_number = 'R-0002'"));
        Assert.Equal("100002", _site.Scalar("SELECT card_number FROM card_deposits WHERE refund_charge_id IS NULL"));

        // Moved out: revoked, then handed back with the refund's receipt.
        Assert.True((await _cards.RevokeAsync(WorkflowSite.Desk, 100002, RevokeReason.MovedOut, null, CancellationToken.None)).Succeeded);
        var noReceipt = await _cards.HandBackAsync(WorkflowSite.Desk, 100002, null, null, CancellationToken.None);
        Assert.Equal(("refundReceiptNumber", RefusalKind.Invalid), (noReceipt.Refusal?.Field, noReceipt.Refusal!.Kind));
        Assert.Equal("revoked", _site.Scalar("SELECT state FROM cards WHERE number = 100002"));

        var back = await _cards.HandBackAsync(WorkflowSite.Desk, 100002, "moved out", "R-0003", CancellationToken.None);

        Assert.True(back.Succeeded, back.Refusal?.Detail);
        Assert.Equal(CardState.Returned, back.Value.Card.Card.State);
        Assert.Equal(("deposit-refund", 10000L, "R-0003"), (back.Value.Refund!.Kind, back.Value.Refund.AmountFen, back.Value.Refund.ReceiptNumber));
        Assert.Equal(0, _site.Count("card_deposits WHERE refund_charge_id IS NULL"));
        Assert.Contains("card.deposit-refund", _site.Audit.Actions("card:100002"));

        // Handed back again: refused by the card's state, never a second refund.
        Assert.Equal(RefusalKind.InvalidState, (await _cards.HandBackAsync(WorkflowSite.Desk, 100002, null, "R-0004", CancellationToken.None)).Refusal?.Kind);
        Assert.Equal(1, _site.Count("card_charges WHERE kind = 'deposit-refund'"));
    }

    [Fact]
    public async Task HandBack_NoDepositHeld_ReceiptRefused()
    {
        var free = new CardWorkflow(_site.Writes, _site.Database, _encoder, new CardEncoderOptions([new EncoderDevice("desk", "/dev/null")], "fees-test", null), new ZoneMap([]), NullLogger<CardWorkflow>.Instance);
        Assert.True((await free.IssueAsync(WorkflowSite.Desk, new IssueOrder(100001, _holder, CardKind.Access, null, Receipt), "a-1", CancellationToken.None)).Succeeded);
        Assert.True((await free.RevokeAsync(WorkflowSite.Desk, 100001, RevokeReason.MovedOut, null, CancellationToken.None)).Succeeded);

        var refused = await free.HandBackAsync(WorkflowSite.Desk, 100001, null, "R-9", CancellationToken.None);
        Assert.Contains("holds no deposit", refused.Refusal?.Detail, StringComparison.Ordinal);

        Assert.True((await free.HandBackAsync(WorkflowSite.Desk, 100001, null, null, CancellationToken.None)).Succeeded);
        Assert.Equal(0, _site.Count("card_charges"));
    }

    public void Dispose() => _site.Dispose();
}
