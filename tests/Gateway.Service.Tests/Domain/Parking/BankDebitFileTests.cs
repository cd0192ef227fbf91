using Gateway.Service.Domain.Parking;

namespace Gateway.Service.Tests.Domain.Parking;

public sealed class BankDebitFileTests
{
    [Fact]
    public void ParseResults_WellFormedFileWithHeaderBomAndCrlf_ReadsEveryLine()
    {
        var text = "\uFEFFagreement_number,amount,date,status,reason\r\nP-2026-001,300.00,2026-03-05,ok\r\n\r\nP-2026-002,900.5,2026-03-05,failed,insufficient funds\r\n";

        var file = BankDebitFile.ParseResults(text);

        Assert.Empty(file.Malformed);
        Assert.Equal(2, file.Lines.Count);
        Assert.Equal(new BankResultLine(2, "P-2026-001", 30000, new DateOnly(2026, 3, 5), DebitStatus.Succeeded, null), file.Lines[0]);
        Assert.Equal(new BankResultLine(4, "P-2026-002", 90050, new DateOnly(2026, 3, 5), DebitStatus.Failed, "insufficient funds"), file.Lines[1]);
    }

    [Theory]
    [InlineData("P-1,300.00,2026-03-05", "expected 4 or 5 fields")]
    [InlineData("P-1,300.00,2026-03-05,ok,x,y", "expected 4 or 5 fields")]
    [InlineData("P 1,300.00,2026-03-05,ok", "not an agreement number")]
    [InlineData(",300.00,2026-03-05,ok", "not an agreement number")]
    [InlineData("P-1,300.001,2026-03-05,ok", "not a positive amount")]
    [InlineData("P-1,-300.00,2026-03-05,ok", "not a positive amount")]
    [InlineData("P-1,0.00,2026-03-05,ok", "not a positive amount")]
    [InlineData("P-1,1e5,2026-03-05,ok", "not a positive amount")]
    [InlineData("P-1,9999999999999,2026-03-05,ok", "not a positive amount")]
    [InlineData("P-1,300.00,2026-02-30,ok", "not a date")]
    [InlineData("P-1,300.00,05/03/2026,ok", "not a date")]
    [InlineData("P-1,300.00,2026-03-05,maybe", "not a status")]
    [InlineData("\"P-1\",300.00,2026-03-05,ok", "quoted fields")]
    public void ParseResults_MalformedLine_ReportedWithNumberAndReason(string line, string reason)
    {
        var file = BankDebitFile.ParseResults("P-0,100.00,2026-03-05,ok\n" + line + "\n");

        Assert.Single(file.Lines);
        var malformed = Assert.Single(file.Malformed);
        Assert.Equal(2, malformed.LineNumber);
        Assert.Contains(reason, malformed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseResults_TooManyLines_StopsAndSaysSo()
    {
        var text = string.Concat(Enumerable.Repeat("P-1,1.00,2026-03-05,ok\n", BankDebitFile.MaxLines + 5));
        var file = BankDebitFile.ParseResults(text);
        Assert.Equal(BankDebitFile.MaxLines, file.Lines.Count);
        Assert.Contains("more than", Assert.Single(file.Malformed).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("300", 30000)]
    [InlineData("300.5", 30050)]
    [InlineData("300.05", 30005)]
    [InlineData("0.01", 1)]
    public void TryParseYuan_Exact(string text, long fen)
    {
        Assert.True(BankDebitFile.TryParseYuan(text, out var parsed));
        Assert.Equal(fen, parsed);
    }

    [Fact]
    public void FormatRequests_WritesHeaderAndYuanWithTwoDecimals_ThatParseBack()
    {
        var csv = BankDebitFile.FormatRequests([new DebitRequest("P-1", 90005, new DateOnly(2026, 4, 1), "沪A12345", "李伟", "6222020200112233445"), new DebitRequest("P-OLD", 30000, new DateOnly(2026, 4, 1), "沪B1")]);

        // The bank needs the account holder's name and the full account number; an agreement stored without them leaves both empty.
        Assert.Equal("agreement_number,amount,due_date,plate,account_name,account_number\nP-1,900.05,2026-04-01,沪A12345,李伟,6222020200112233445\nP-OLD,300.00,2026-04-01,沪B1,,\n", csv);
        Assert.True(BankDebitFile.TryParseYuan("900.05", out var fen));
        Assert.Equal(90005, fen);
    }

    [Fact]
    public void ParseResults_RandomText_NeverThrows()
    {
        var random = new Random(4180);
        const string alphabet = "P-0123456789.,:/ \r\n\"okfailed\uFEFF";
        for (var i = 0; i < 2000; i++)
        {
            var chars = Enumerable.Range(0, random.Next(0, 120)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray();
            var text = new string(chars);
            var file = BankDebitFile.ParseResults(text);

            // Every reported line number is a real, distinct line of the text.
            var lineCount = text.Split('\n').Length;
            var numbers = file.Lines.Select(l => l.LineNumber).Concat(file.Malformed.Select(m => m.LineNumber)).ToList();
            Assert.Equal(numbers.Count, numbers.Distinct().Count());
            Assert.All(numbers, n => Assert.InRange(n, 1, lineCount));
        }
    }

    [Fact]
    public void DebitRequest_PrintedOrLogged_ShowsTheAccountMasked()
    {
        var request = new DebitRequest("P-1", 90000, new DateOnly(2026, 4, 1), "沪A12345", "李伟", "6222020200112233445");

        Assert.DoesNotContain("6222020200112233445", request.ToString(), StringComparison.Ordinal);
        Assert.Contains("****3445", request.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("6222020200112233445", new BankAccount("李伟", "6222020200112233445").ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("6222 0202 0011 2233 445", "6222020200112233445")]
    [InlineData("6222-0202-0011", "622202020011")]
    [InlineData("1234567", null)]
    [InlineData("62220202001122334455667788990011223", null)]
    [InlineData("6222O2020011", null)]
    [InlineData("", null)]
    public void NormalizeNumber_DigitsWithGroupSeparators(string text, string? digits) => Assert.Equal(digits, BankAccounts.NormalizeNumber(text));

    [Theory]
    [InlineData("李伟", true)]
    [InlineData("Li Wei", true)]
    [InlineData("阿卜杜拉·买买提", true)]
    [InlineData("上海某某物业有限公司（客户）", true)]
    [InlineData("Li, Wei", false)] // the debit file is unquoted CSV
    [InlineData("Li \"Wei\"", false)]
    [InlineData(" Li Wei", false)]
    [InlineData("", false)]
    public void IsName_FitsTheUnquotedDebitFile(string text, bool ok) => Assert.Equal(ok, BankAccounts.IsName(text));
}
