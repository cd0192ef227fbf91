using System.Text;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Import;
using Gateway.Service.Domain.Parking;

namespace Gateway.Service.Tests.Domain.Import;

/// <summary>The site-import CSV files as a site's staff export them: encodings, English or Chinese headers, every bad line reported with its number.</summary>
public sealed class ImportFilesTests
{
    private static readonly Encoding Gb18030 = CodePagesEncodingProvider.Instance.GetEncoding(54936)!;

    private static ImportFile Utf8(string name, ImportFileKind kind, string text, bool bom = false) =>
        new(name, kind, bom ? [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)] : Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Parse_Gb18030WithChineseHeaders_ReadsEveryLineAndReportsTheEncoding()
    {
        var holders = "住户编号,姓名,楼栋,单元,房号,电话\r\nH-1,张三,3,2,1201,13800000001\r\nH-2,\"李四, 王五\",3,2,1202,\r\n";
        var cards = "卡号,卡UID,类型,住户编号\r\n500001,04A1B2C3,门禁+停车,H-1\r\n500002,04A1B2C4,门禁,H-2\r\n";
        var agreements = "协议号,住户编号,卡号,车牌,车位,月费,计费周期,付款方式,已缴至\r\nP-1,H-1,500001,沪A12345,B2-017,300.00,季,银行代扣,2026/3/31\r\n";

        var parsed = ImportFiles.Parse(
        [
            new ImportFile("住户.csv", ImportFileKind.Holders, Gb18030.GetBytes(holders)),
            new ImportFile("cards.csv", ImportFileKind.Cards, Gb18030.GetBytes(cards)),
            new ImportFile("agreements.csv", ImportFileKind.Agreements, Gb18030.GetBytes(agreements)),
        ]);

        Assert.Empty(parsed.Problems);
        Assert.All(parsed.Files, f => Assert.Equal(("gb18030", "detected"), (f.Encoding, f.EncodingSource)));
        Assert.Equal(["张三", "李四, 王五"], parsed.Holders.Select(h => h.Name));
        Assert.Equal("3-2-1201", parsed.Holders[0].Address.ToString());
        Assert.Null(parsed.Holders[1].Phone);
        Assert.Equal([CardKind.Both, CardKind.Access], parsed.Cards.Select(c => c.Kind));
        Assert.Equal("04A1B2C3", parsed.Cards[0].Uid.ToString());
        var agreement = Assert.Single(parsed.Agreements);
        Assert.Equal((30000L, BillingCycle.Quarter, PaymentMethod.BankDebit, new DateOnly(2026, 3, 31)), (agreement.MonthlyFeeFen, agreement.Cycle, agreement.Method, agreement.PaidUntil));
        Assert.Equal("沪A12345", agreement.Plate);
        Assert.Equal(2, agreement.Line);
    }

    [Fact]
    public void Parse_CardsKnownByABoardNumber_UidOrBoardNumberOrBoth_NeitherOrABadNumberReportedByLine()
    {
        var cards = "卡号,类型,住户编号,卡UID,门禁卡号\n"
            + "600001,门禁,H-1,,3735928559\n"       // board number only
            + "600002,门禁,H-1,04A1B2C3,\n"         // UID only
            + "600003,门禁,H-1,DEADBEEF,3735928559\n" // both
            + "600004,门禁,H-1,,\n"                 // neither
            + "600005,门禁,H-1,,16777215\n"         // a number no board holds
            + "600006,门禁,H-1,,12x\n";

        var parsed = ImportFiles.Parse([Utf8("cards.csv", ImportFileKind.Cards, cards)]);

        Assert.Equal([600001L, 600002L, 600003L], parsed.Cards.Select(c => c.Number));
        Assert.Equal([(uint?)3735928559u, null, 3735928559u], parsed.Cards.Select(c => c.BoardNumber));
        Assert.Equal([null, "04A1B2C3", "DEADBEEF"], parsed.Cards.Select(c => c.Uid?.ToString()));
        Assert.Equal([5, 6, 7], parsed.Problems.Select(p => p.Line));
        Assert.All(parsed.Problems, p => Assert.Equal("malformed", p.Code));
        Assert.Contains("uid: is required (or board_number", parsed.Problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("board_number: '16777215' is not a number a UHPPOTE board can hold", parsed.Problems[1].Message, StringComparison.Ordinal);
        Assert.Contains("board_number: '12x'", parsed.Problems[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Utf8WithByteOrderMark_EnglishHeadersInAnyOrder()
    {
        var parsed = ImportFiles.Parse([Utf8("h.csv", ImportFileKind.Holders, "room,unit,building,name,ref\n1201,2,3,Alice,H-1\n", bom: true)]);

        Assert.Empty(parsed.Problems);
        Assert.Equal("byte-order-mark", parsed.Files[0].EncodingSource);
        var holder = Assert.Single(parsed.Holders);
        Assert.Equal(("H-1", "Alice", "3-2-1201"), (holder.Ref, holder.Name, holder.Address.ToString()));
    }

    [Fact]
    public void Parse_Utf16File_RefusedWithTheReason_NothingTaken()
    {
        var bytes = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("ref,name,building,unit,room\nH-1,A,3,2,1\n")).ToArray();

        var parsed = ImportFiles.Parse([new ImportFile("h.csv", ImportFileKind.Holders, bytes)]);

        var problem = Assert.Single(parsed.Problems);
        Assert.Equal(("h.csv", 0, "bad-encoding"), (problem.File, problem.Line, problem.Code));
        Assert.Contains("UTF-16", problem.Message, StringComparison.Ordinal);
        Assert.Empty(parsed.Holders);
    }

    [Fact]
    public void Parse_BytesNeitherUtf8NorGb18030_RefusedWithTheOffset()
    {
        // 0xFF is invalid in UTF-8 and in GB18030 (lead bytes are 0x81-0xFE).
        var parsed = ImportFiles.Parse([new ImportFile("h.csv", ImportFileKind.Holders, [.. "ref,name,building,unit,room\nH-1,"u8, 0xFF, .. ",3,2,1\n"u8])]);

        var problem = Assert.Single(parsed.Problems);
        Assert.Equal("bad-encoding", problem.Code);
        Assert.Contains("offset 32", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadLines_EachReportedWithFileAndLineNumber_GoodLinesKept()
    {
        var text = string.Join('\n',
            "card_number,uid,kind,holder_ref",
            "500001,04A1B2C3,access,H-1",
            "abc,04A1B2C4,access,H-1",
            "500003,XYZ,access,H-1",
            string.Empty,
            "500004,04A1B2C6,gold,H-1",
            "500005,04A1B2C7,access",
            "500006,\"04A1B2C8,access,H-1",
            "500007,04A1B2C9,parking,H-2");

        var parsed = ImportFiles.Parse([Utf8("cards.csv", ImportFileKind.Cards, text)]);

        Assert.Equal([500001L, 500007L], parsed.Cards.Select(c => c.Number));
        Assert.Equal([3, 4, 6, 7, 8], parsed.Problems.Select(p => p.Line));
        Assert.All(parsed.Problems, p => Assert.Equal(("cards.csv", "malformed"), (p.File, p.Code)));
        Assert.Contains("card_number: 'abc'", parsed.Problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("uid: 'XYZ' is not a card UID", parsed.Problems[1].Message, StringComparison.Ordinal);
        Assert.Contains("kind: 'gold'", parsed.Problems[2].Message, StringComparison.Ordinal);
        Assert.Contains("3 fields where the header has 4", parsed.Problems[3].Message, StringComparison.Ordinal);
        Assert.Contains("never closed", parsed.Problems[4].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HeaderMissingAColumnOrUnknownColumn_FileRefusedAtLineOne()
    {
        var parsed = ImportFiles.Parse([Utf8("h.csv", ImportFileKind.Holders, "ref,name,building,unit,colour\nH-1,A,3,2,red\n")]);

        var problem = Assert.Single(parsed.Problems);
        Assert.Equal((1, "bad-header"), (problem.Line, problem.Code));
        Assert.Contains("unknown column 'colour'", problem.Message, StringComparison.Ordinal);
        Assert.Contains("column room (房号) is missing", problem.Message, StringComparison.Ordinal);
        Assert.Empty(parsed.Holders);
    }

    [Fact]
    public void Parse_Agreement_PaidFromAfterPaidUntil_AndHalfABankAccount_Refused()
    {
        var text = "agreement_number,holder_ref,card_number,plate,space,monthly_fee,billing_cycle,payment_method,paid_until,paid_from,bank_account_number\n"
            + "P-1,H-1,500001,A12345,B-1,300,month,cash,2026-03-31,2026-04-01,\n"
            + "P-2,H-1,500002,A12346,B-2,300,month,bank-debit,,,6222020200112233445\n"
            + "P-3,H-1,500003,A12347,B-3,0,month,cash,,,\n"
            + "P-4,H-1,500004,A12348,B-4,250.5,half-year,现金,2026-06-30,2026-01-01,\n";

        var parsed = ImportFiles.Parse([Utf8("a.csv", ImportFileKind.Agreements, text)]);

        Assert.Equal([2, 3, 4], parsed.Problems.Select(p => p.Line));
        Assert.Contains("paid_from: 2026-04-01 is after paid_until", parsed.Problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("bank_account_name", parsed.Problems[1].Message, StringComparison.Ordinal);
        Assert.Contains("monthly_fee: '0'", parsed.Problems[2].Message, StringComparison.Ordinal);
        var good = Assert.Single(parsed.Agreements);
        Assert.Equal((25050L, BillingCycle.HalfYear, PaymentMethod.Cash, new DateOnly(2026, 1, 1)), (good.MonthlyFeeFen, good.Cycle, good.Method, good.PaidFrom));
        Assert.Equal("import:P-4", good.SignedCopyRef);
    }

    [Fact]
    public void Parse_IdDocument_KeptAsLastFourOnly()
    {
        var parsed = ImportFiles.Parse([Utf8("h.csv", ImportFileKind.Holders, "ref,name,building,unit,room,id_document\nH-1,A,3,2,1201,110101199003071234\n")]);

        var holder = Assert.Single(parsed.Holders);
        Assert.Equal("1234", holder.IdLastFour);
        Assert.DoesNotContain("110101199003071234", holder.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a,b,c", new[] { "a", "b", "c" })]
    [InlineData("\"a,1\",\"say \"\"hi\"\"\",", new[] { "a,1", "say \"hi\"", "" })]
    [InlineData("", new[] { "" })]
    public void TrySplitFields_Rfc4180(string line, string[] expected)
    {
        Assert.True(ImportFiles.TrySplitFields(line, out var fields, out var error), error);
        Assert.Equal(expected, fields);
    }

    [Theory]
    [InlineData(2026, 1, 1, 2026, 4, 1, 3, 0, 90000)]
    [InlineData(2026, 1, 31, 2026, 3, 1, 1, 1, 30000 + 987)]
    [InlineData(2026, 3, 6, 2026, 3, 7, 0, 1, 987)]
    public void CarriedOver_MonthsByCalendarThenDays_ValuedAtTheFee(int y1, int m1, int d1, int y2, int m2, int d2, int months, int days, long value)
    {
        var period = CarriedOver.Of(new DateOnly(y1, m1, d1), new DateOnly(y2, m2, d2), 30000);

        Assert.Equal(new CarriedPeriod(months, days, value), period);
        // The same dates as a grant of those months and days would be laid out in.
        var laid = PeriodChain.Layout([new PeriodEntry(1, new DateOnly(y1, m1, d1), months, days)]).Single();
        Assert.Equal(new DateOnly(y2, m2, d2), laid.End);
    }
}
