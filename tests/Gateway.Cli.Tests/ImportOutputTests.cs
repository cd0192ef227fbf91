using System.Text.Json;
using Gateway.Cli.Api;
using Gateway.Cli.Commands;

namespace Gateway.Cli.Tests;

/// <summary>The site import's report as an admin reads it in a terminal: Chinese file names aligned by display width, every bad line as file:line, the outcome last.</summary>
[Collection(OutputZoneCollection.Name)]
public sealed class ImportOutputTests
{
    private const string Report = """
        {"dryRun":true,"committed":false,
         "files":[{"name":"住户.csv","kind":"holders","encoding":"gb18030","encodingSource":"detected","lines":312},
                  {"name":"bad.csv","kind":"cards","encoding":null,"encodingSource":null,"lines":0}],
         "problems":[{"file":"bad.csv","line":0,"code":"bad-encoding","message":"the file is UTF-16"},
                     {"file":"住户.csv","line":17,"code":"malformed","message":"room: '12A-3' must be 1-16 letters or digits"}],
         "holders":{"new":311,"unchanged":0},"cards":{"new":0,"unchanged":0},"agreements":{"new":0,"unchanged":0},
         "controllers":[{"id":"door-b3","zones":["building-3"],"willHold":120,"source":"controller","holdsNow":131,"lastRead":null,"gains":0,"loses":11,"lost":["5B0000FF"],"readError":null},
                        {"id":"gate-1","zones":["car-park"],"willHold":0,"source":"unreadable","holdsNow":0,"lastRead":null,"gains":0,"loses":0,"lost":[],"readError":"no answer within 1 s"}],
         "backup":null}
        """;

    [Fact]
    public void Print_DryRunWithProblems_FileLineMessages_ControllersAndTheirLosses_OutcomeLast()
    {
        using var document = JsonDocument.Parse(Report);
        using var writer = new StringWriter();

        ImportCommand.Print(document.RootElement, writer);

        var lines = writer.ToString().ReplaceLineEndings("\n").Split('\n');
        Assert.Equal("FILE      KIND     ENCODING            LINES", lines[0]);
        Assert.Equal("住户.csv  holders  gb18030 (detected)    312", lines[1]);
        Assert.Equal("bad.csv   cards    -                       0", lines[2]);
        Assert.Contains("  bad.csv: bad-encoding: the file is UTF-16", lines);
        Assert.Contains("  住户.csv:17: malformed: room: '12A-3' must be 1-16 letters or digits", lines);
        Assert.Contains("  door-b3 loses: 5B0000FF (and 10 more)", lines);
        Assert.Contains("  gate-1 could not be read: no answer within 1 s", lines);
        Assert.Contains(lines, l => l.StartsWith("door-b3 ", StringComparison.Ordinal) && l.Contains("131  controller", StringComparison.Ordinal));
        Assert.Equal("Dry run: 2 bad line(s) to correct; nothing was changed.", lines.Last(l => l.Length > 0));
        Assert.All(lines, l => Assert.True(DisplayWidth.Of(l) <= 80, $"wider than 80 columns: {l}"));
    }
}
