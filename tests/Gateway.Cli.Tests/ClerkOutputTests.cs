using System.Text;
using System.Text.Json;
using Gateway.Cli.Api;

namespace Gateway.Cli.Tests;

/// <summary>What the desk reads and types: yuan in and out, display widths of Chinese text, instants in the site's zone, names beside ids.</summary>
[Collection(OutputZoneCollection.Name)]
public sealed class ClerkOutputTests : IDisposable
{
    private readonly TimeZoneInfo? _before = Output.SiteTimeZone;

    [Theory]
    [InlineData("900.00", 90000)]
    [InlineData("900", 90000)]
    [InlineData("900.5", 90050)]
    [InlineData("0.01", 1)]
    [InlineData(" 300.00 ", 30000)]
    [InlineData("¥300.00", 30000)]
    [InlineData("￥1200.50", 120050)]
    [InlineData("999999999999.99", 99999999999999)]
    public void Yuan_TryParse_ReadsExactFen(string text, long fen)
    {
        Assert.True(Yuan.TryParse(text, out var parsed));
        Assert.Equal(fen, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("900.005")]
    [InlineData("900.")]
    [InlineData(".50")]
    [InlineData("-1.00")]
    [InlineData("1,200.00")]
    [InlineData("9e2")]
    [InlineData("300元")]
    [InlineData("1000000000000.00")]
    [InlineData("９００")]
    public void Yuan_TryParse_RefusesWhatIsNotYuanWithTwoDecimals(string text) => Assert.False(Yuan.TryParse(text, out _));

    [Theory]
    [InlineData(90000, "900.00")]
    [InlineData(1, "0.01")]
    [InlineData(0, "0.00")]
    [InlineData(-1550, "-15.50")]
    [InlineData(long.MinValue, "-92233720368547758.08")]
    public void Yuan_Format_TwoDecimals(long fen, string text) => Assert.Equal(text, Yuan.Format(fen));

    [Fact]
    public void Yuan_FromOptions_OneOfYuanOrFen()
    {
        Assert.Equal(90000, Yuan.FromOptions("--amount", "900.00", "--amount-fen", null, required: true));
        Assert.Equal(90000, Yuan.FromOptions("--amount", null, "--amount-fen", 90000, required: true));
        Assert.Null(Yuan.FromOptions("--amount", null, "--amount-fen", null, required: false));
        Assert.Equal(2, Assert.Throws<CliException>(() => Yuan.FromOptions("--amount", "900.00", "--amount-fen", 90000, required: true)).ExitCode);
        Assert.Contains("--amount (yuan, e.g. 900.00) or --amount-fen is required", Assert.Throws<CliException>(() => Yuan.FromOptions("--amount", null, "--amount-fen", null, required: true)).Message, StringComparison.Ordinal);
        Assert.Contains("'900.005' is not an amount in yuan", Assert.Throws<CliException>(() => Yuan.FromOptions("--amount", "900.005", "--amount-fen", null, required: true)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Li Wei", 6)]
    [InlineData("李伟", 4)]
    [InlineData("沪A12345", 8)]
    [InlineData("Ａ１", 4)] // fullwidth forms
    [InlineData("，。", 4)] // CJK punctuation
    [InlineData("ｶﾅ", 2)] // halfwidth katakana stays narrow
    [InlineData("e\u0301", 1)] // a combining accent takes no column
    [InlineData("\U00020000", 2)] // CJK Extension B, outside the basic plane
    [InlineData("😀", 2)]
    [InlineData("", 0)]
    public void DisplayWidth_CountsWideCharactersTwice(string text, int columns) => Assert.Equal(columns, DisplayWidth.Of(text));

    [Fact]
    public void Table_ChineseCells_AlignByDisplayWidth()
    {
        var rows = Rows("""[{"id":1,"name":"李伟","plate":"沪A12345"},{"id":12,"name":"Li Wei","plate":"B-1"},{"id":3,"name":"欧阳娜娜","plate":"粤B9"}]""");
        var text = Print(w => Output.Table(rows, [("id", "id"), ("name", "name"), ("plate", "plate")], w));

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        // The plate column starts at the same terminal column on every line, whatever the names' scripts.
        var columns = lines.Select(l => DisplayWidth.Of(l[..IndexOfColumn(l, 2)])).Distinct().ToList();
        Assert.Equal(DisplayWidth.Of("ID  NAME      "), Assert.Single(columns));
        Assert.Equal(" 3  欧阳娜娜  粤B9", lines[3]); // ids are numbers: aligned right
    }

    [Fact]
    public void Table_NumberColumns_AlignRight_TextLeft()
    {
        var rows = Rows("""[{"holderName":"李伟","amountFen":90000,"phone":"13800000000"},{"holderName":"Zhang San","amountFen":120050,"phone":"021-5550123"},{"holderName":"欧阳娜娜","amountFen":null,"phone":null}]""");
        var text = Print(w => Output.Table(rows, [("holder", "holderName"), ("amount", "amountFen"), ("phone", "phone")], w));

        Assert.Equal(
            [
                "HOLDER      AMOUNT  PHONE",
                "李伟        900.00  13800000000",
                "Zhang San  1200.50  021-5550123",
                "欧阳娜娜         -  -",
            ],
            text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void CashReport_OperatorsAsColumns_NamesUnderIds_AmountsRight_Within80Columns()
    {
        Output.SiteTimeZone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        using var document = JsonDocument.Parse($$"""
            {"fromUtc":"2026-03-01T16:00:00Z","toUtc":"2026-03-02T16:00:00Z","timeZone":"Asia/Shanghai","operator":null,
             "operators":[{{Operator("wangfang", "\"王芳\"", 300000, 302000, "R-0001", "R-0013", "\"R-0002\"")}},{{Operator("ouyang", "\"欧阳修远\"", 120050, 132050, "R-0002", "R-0011", "")}}],
             "totals":{{Operator("(all)", "null", 420050, 434050, "R-0001", "R-0013", "")}}}
            """);
        var lines = Print(w => Commands.ReportsCommand.PrintCash(document.RootElement, w)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal("2026-03-02 00:00:00 to 2026-03-03 00:00:00 (Asia/Shanghai)", lines[0]);
        Assert.Equal("              wangfang    ouyang      all", lines[1]);
        Assert.Equal("                  王芳  欧阳修远", lines[2]);
        Assert.Equal("cash           3000.00   1200.50  4200.50", lines[3]);
        Assert.Equal("cash in hand   3020.00   1320.50  4340.50", lines.Single(l => l.StartsWith("cash in hand", StringComparison.Ordinal)));
        Assert.Equal("first           R-0001    R-0002   R-0001", lines.Single(l => l.StartsWith("first", StringComparison.Ordinal)));
        Assert.Equal("  wangfang: R-0002", lines[^1]);
        Assert.All(lines, l => Assert.InRange(DisplayWidth.Of(l), 1, 80));
    }

    [Fact]
    public void Cell_FenAsYuan_InstantsInSiteZone_NamesBesideIds()
    {
        Output.SiteTimeZone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        var row = Rows("""[{"amountFen":90050,"count":3,"timeUtc":"2026-01-31T17:00:00Z","at":"2026-03-01T16:00:00.1234567Z","date":"2026-02-01","holderId":7,"holderName":"李伟","note":"2026-01-31T17:00:00Z is not a note"}]""").Single();

        Assert.Equal("900.50", Output.Cell(row, "amountFen"));
        Assert.Equal("3", Output.Cell(row, "count"));
        Assert.Equal("2026-02-01 01:00:00", Output.Cell(row, "timeUtc"));
        Assert.Equal("2026-03-02 00:00:00", Output.Cell(row, "at"));
        Assert.Equal("2026-02-01", Output.Cell(row, "date")); // a local date stays as it is
        Assert.Equal("2026-01-31T17:00:00Z is not a note", Output.Cell(row, "note"));
        Assert.Equal("7 李伟", Output.Cell(row, "holderId holderName"));
        Assert.Equal("7", Output.Cell(row, "holderId missing"));
        Assert.Equal("-", Output.Cell(row, "missing other"));
    }

    [Fact]
    public void Cell_ZoneUnknownOrNotSaid_InstantsStayUtc()
    {
        Output.SiteTimeZone = null;
        Output.UseSiteTimeZone("Nowhere/Atlantis");
        var row = Rows("""[{"timeUtc":"2026-01-31T17:00:00Z"}]""").Single();
        Assert.Equal("2026-01-31T17:00:00Z", Output.Cell(row, "timeUtc"));

        Output.UseSiteTimeZone("Europe/Berlin");
        Assert.Equal("2026-01-31 18:00:00", Output.Cell(row, "timeUtc"));
    }

    public void Dispose() => Output.SiteTimeZone = _before;

    private static string Operator(string id, string name, long cashFen, long inHandFen, string first, string last, string missing) =>
        $$"""{"operatorId":"{{id}}","operatorName":{{name}},"cash":{"count":1,"totalFen":{{cashFen}}},"bankDebits":{"count":0,"totalFen":0},"cardFees":{"count":1,"totalFen":2000},"deposits":{"count":1,"totalFen":10000},"refunds":{"count":0,"totalFen":0},"reversals":{"count":0,"totalFen":0},"cashInHandFen":{{inHandFen}},"receipts":{"count":2,"totalFen":{{inHandFen}},"first":"{{first}}","last":"{{last}}","missing":[{{missing}}]},"lines":[]}""";

    private static int IndexOfColumn(string line, int column)
    {
        // Start of the column-th cell: cells are separated by two or more spaces.
        var index = 0;
        for (var c = 0; c < column; c++)
        {
            index = line.IndexOf("  ", index, StringComparison.Ordinal);
            while (line[index] == ' ')
            {
                index++;
            }
        }

        return index;
    }

    private static List<JsonElement> Rows(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    private static string Print(Action<TextWriter> print)
    {
        var builder = new StringBuilder();
        using var writer = new StringWriter(builder) { NewLine = "\n" };
        print(writer);
        return builder.ToString();
    }
}

/// <summary>Tests that set <see cref="Output.SiteTimeZone"/> (process-wide, as in gatewayctl) run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class OutputZoneCollection
{
    public const string Name = "output zone";
}
