using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Cash;

namespace Gateway.Service.Tests.Domain;

/// <summary>The desk's money rules as pure functions: what a card costs when, the cash report's totals and receipt runs, CSV fields.</summary>
public sealed class DeskMoneyRulesTests
{
    private static readonly CardFeeSchedule Schedule = new(CardFen: 2000, ReplacementFen: 5000, DepositFen: 10000);
    private static readonly DateTimeOffset At = new(2026, 3, 2, 1, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AtIssue_CardFeeAndDeposit_ZeroNotCharged()
    {
        Assert.Equal([new Charge(ChargeKind.CardFee, 2000), new Charge(ChargeKind.Deposit, 10000)], CardCharges.AtIssue(Schedule));
        Assert.Empty(CardCharges.AtIssue(CardFeeSchedule.None));
        Assert.Equal([new Charge(ChargeKind.Deposit, 10000)], CardCharges.AtIssue(Schedule with { CardFen = 0 }));
    }

    [Fact]
    public void AtReplacement_DepositFollowsTheCard_TakenOnlyWhenNoneHeld()
    {
        Assert.Equal([new Charge(ChargeKind.ReplacementFee, 5000)], CardCharges.AtReplacement(Schedule, depositHeldFen: 10000));
        Assert.Equal([new Charge(ChargeKind.ReplacementFee, 5000), new Charge(ChargeKind.Deposit, 10000)], CardCharges.AtReplacement(Schedule, depositHeldFen: null));
    }

    [Fact]
    public void AtHandBack_HeldDepositRefundedInFull()
    {
        Assert.Equal(new Charge(ChargeKind.DepositRefund, 8000), CardCharges.AtHandBack(8000));
        Assert.Null(CardCharges.AtHandBack(null));
        Assert.Equal(-8000, CardCharges.Net([new Charge(ChargeKind.DepositRefund, 8000)]));
        Assert.Equal(12000, CardCharges.Net(CardCharges.AtIssue(Schedule)));
    }

    [Fact]
    public void CheckReceipt_RequiredWhenCharged_RefusedWhenNothingIs()
    {
        var due = CardCharges.AtIssue(Schedule);
        Assert.Null(CardCharges.CheckReceipt(due, "R-1", "issuing card 1"));
        Assert.Equal("the receipt-book number of the money taken is required: issuing card 1 charges card fee 20.00 + deposit 100.00 = 120.00 yuan", CardCharges.CheckReceipt(due, null, "issuing card 1"));
        Assert.Contains("charges nothing", CardCharges.CheckReceipt([], "R-1", "issuing card 1"), StringComparison.Ordinal);
        Assert.Null(CardCharges.CheckReceipt([], null, "issuing card 1"));
    }

    [Fact]
    public void CashReport_TotalsPerKind_CashInHandLeavesBankDebitsOut_ReversalsOfCashCountAgainstIt()
    {
        CashLine Line(CashLineKind kind, long fen, string receipt, string method = "cash", string op = "desk-1") => new(At, op, kind, fen, receipt, method, "P-1", 1, "李伟");
        var lines = new[]
        {
            Line(CashLineKind.CashPayment, 90000, "R-0010"),
            Line(CashLineKind.CashPayment, 30000, "R-0011"),
            Line(CashLineKind.BankDebit, 30000, "bank:B-1:2026-03-01:30000", "bank-debit"),
            Line(CashLineKind.CardFee, 2000, "R-0013"),
            Line(CashLineKind.Deposit, 10000, "R-0013"),
            Line(CashLineKind.DepositRefund, -10000, "R-0014"),
            Line(CashLineKind.Reversal, -30000, "R-0011"),
            Line(CashLineKind.Reversal, -30000, "bank:B-1:2026-03-01:30000", "bank-debit"),
            Line(CashLineKind.CashPayment, 30000, "R-0020", op: "desk-2"),
        };

        var report = CashReports.Build(At, At.AddDays(1), "Asia/Shanghai", null, lines, new Dictionary<string, string> { ["desk-1"] = "Desk One" });

        var desk = report.Operators[0];
        Assert.Equal(("desk-1", "Desk One"), (desk.OperatorId, desk.OperatorName));
        Assert.Equal(new CashTotal(2, 120000), desk.Cash);
        Assert.Equal(new CashTotal(1, 30000), desk.BankDebits);
        Assert.Equal(new CashTotal(1, 2000), desk.CardFees);
        Assert.Equal(new CashTotal(1, 10000), desk.Deposits);
        Assert.Equal(new CashTotal(1, -10000), desk.Refunds);
        Assert.Equal(new CashTotal(2, -60000), desk.Reversals);
        // 1200 + 20 + 100 - 100 - 300 (the cash reversal; the bank's never passed the drawer).
        Assert.Equal(92000, desk.CashInHandFen);
        // One receipt for the card fee and deposit together; reversals carry their payment's receipt and are not counted again.
        Assert.Equal(5, desk.Receipts.Count);
        Assert.Equal(new ReceiptTotal("R-0013", 12000, 2), desk.Receipts.Receipts.Single(r => r.ReceiptNumber == "R-0013"));
        Assert.Equal(["R-0012"], desk.Receipts.Missing);
        Assert.Equal(("R-0010", "bank:B-1:2026-03-01:30000"), (desk.Receipts.First, desk.Receipts.Last));
        Assert.Equal(122000, report.Totals.CashInHandFen);
        Assert.Equal(["R-0012", "R-0015", "R-0016", "R-0017", "R-0018", "R-0019"], report.Totals.Receipts.Missing);
    }

    [Theory]
    [InlineData(new[] { "R-0098", "R-0101" }, new[] { "R-0099", "R-0100" })]
    [InlineData(new[] { "A7", "A9", "B1", "B3" }, new[] { "A8", "B2" })]
    [InlineData(new[] { "9", "11" }, new[] { "10" })]
    [InlineData(new[] { "R-1", "bank:B-1:2026-03-01:30000", "R-2" }, new string[0])]
    [InlineData(new[] { "free-text" }, new string[0])]
    public void Missing_NumbersInsideEachNumberedRun(string[] receipts, string[] missing) => Assert.Equal(missing, CashReports.Missing(receipts));

    [Fact]
    public void Missing_HugeGap_ListsAtMostFifty()
    {
        Assert.Equal(CashReports.MaxMissingPerRun, CashReports.Missing(["R-1", "R-1000000"]).Count);
    }

    [Theory]
    [InlineData("李伟", "李伟")]
    [InlineData("Li, Wei", "\"Li, Wei\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"")]
    [InlineData("+86 138", "'+86 138")]
    [InlineData("@home", "'@home")]
    [InlineData(null, "")]
    public void CsvField_QuotesAndDefusesFormulas(string? value, string field) => Assert.Equal(field, Csv.Field(value));

    [Fact]
    public void CsvBytes_StartWithTheUtf8ByteOrderMark()
    {
        var bytes = Csv.Bytes("plate\r\n沪A12345\r\n");
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        Assert.Equal("plate\r\n沪A12345\r\n", System.Text.Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3));
    }

    [Theory]
    [InlineData(90000, "900.00")]
    [InlineData(-50, "-0.50")]
    [InlineData(1, "0.01")]
    public void MoneyYuan_ExactTwoDecimals(long fen, string yuan) => Assert.Equal(yuan, Money.Yuan(fen));
}
