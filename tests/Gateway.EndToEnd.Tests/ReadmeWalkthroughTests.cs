using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.EndToEnd.Tests;

/// <summary>
/// README's "The demo in five minutes", run as a newcomer would: README's first command exactly as
/// written, from the repository's root (with only <c>--Gateway:Http:Port=0</c> added: tests never take a
/// fixed port), then every line of the walkthrough's shell block as written, from the root too. The only
/// substitutions are the ones the README asks of the reader (the card's UID, the control URLs the
/// service printed); the aliases run the built programs. The test fails when a command goes stale
/// (non-zero exit, unknown option), a relative path in it points elsewhere than the demo put its data,
/// or an outcome the README promises does not happen. It has a collection of its own: <c>dotnet run</c>
/// builds the service first, and the demo's data is the root's <c>data/demo</c>.
/// </summary>
[Collection(ReadmeCollection.Name)]
public sealed partial class ReadmeWalkthroughTests : IDisposable
{
    private const int DemoGraceDays = 3;
    private const string PlateKey = "--plate";
    private readonly RootDemoFolder _demoFolder = new();

    [Fact]
    public void FirstCommand_Readme_RunsTheDemoFromTheRootWithDotnetRun()
    {
        var first = Walkthrough.FirstCommand(File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md")));

        Assert.Equal(["dotnet", "run", "--project", "src/Gateway.Service", "--", "--demo"], first.Words);
        Assert.Contains("./data/demo", first.Comment, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ReadmeWalkthrough_OnlyAliasesExportsAndTheTwoProgramsWithTheirPlaceholdersExplained()
    {
        var walkthrough = Walkthrough.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md")));

        Assert.NotEmpty(walkthrough.Lines);
        foreach (var line in walkthrough.Lines)
        {
            Assert.True(line.Words[0] is "alias" or "export" or "gatewayctl" or "gateway-sim", $"README's walkthrough runs '{line.Text}', which this test cannot run as written");
        }

        foreach (var placeholder in Walkthrough.Placeholders.Where(p => walkthrough.Lines.Any(l => l.Words.Contains(p))))
        {
            Assert.Contains(placeholder, walkthrough.Prose, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("data/demo/desk.password")]
    [InlineData("src/Gateway.Service/data/demo/card.key")]
    [InlineData("elsewhere/deeper/data/gateway.db-journal")]
    public async Task GitIgnore_DataFolderAtAnyDepth_Ignored(string path)
    {
        // A demo started from another folder keeps its operators' passwords and card key in that folder's data/: never committed.
        var (code, stdout, stderr) = await ChildProcess.RunAsync("git", ["-C", RepoPaths.Root, "check-ignore", "--no-index", "--verbose", path], DemoSite.Bound);

        Assert.True(code == 0, $"git does not ignore {path} ({code}): {stdout}{stderr}");
    }

    [LinuxFact]
    public async Task Readme_DemoWalkthroughRunVerbatim_EveryCommandSucceedsAndTheDocumentedOutcomesHold()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "README.md"));
        var walkthrough = Walkthrough.Parse(readme);
        var first = Walkthrough.FirstCommand(readme);
        await using var site = await DemoSite.StartCommandAsync(RepoPaths.Root, first.Words[0], [.. first.Words.Skip(1), "--Gateway:Http:Port=0"]);

        // The test ends with Ctrl-C. A process started with SIGINT ignored passes that on to its children, and
        // such a demo would never stop: say so now rather than time out at the end.
        foreach (var pid in ProcessTable.Children(site.Service.Id).Prepend(site.Service.Id))
        {
            Assert.False(IgnoresSigint(pid), $"process {pid} of the demo ignores SIGINT (SigIgn in /proc/{pid}/status), inherited from this test run: it was started with SIGINT ignored (a background job in a shell without job control, `(cmd &)` or nohup). Run ./test.sh in the foreground; a terminal's Ctrl-C would not stop this demo either.");
        }

        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "data", "demo", "gateway.db")), $"README's first command, run from the root, did not keep its data in the root's data/demo:\n{site.Service.StandardOutput}");
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DOOR-CONTROL-URL"] = site.DoorControl,
            ["CARPARK-CONTROL-URL"] = site.CarParkControl,
            ["GATE-CONTROL-URL"] = site.GateControl,
        };

        // The service's address (tests never use a fixed port) and a credentials file of the test's own; the token comes from the README's export line.
        var environment = new Dictionary<string, string?>
        {
            ["GATEWAY_SERVER"] = site.Url,
            ["GATEWAY_CREDENTIALS"] = Path.Combine(site.Folder, "data", "demo", "credentials.json"),
            ["GATEWAY_TOKEN"] = null,
        };
        var programs = new Dictionary<string, string>(StringComparer.Ordinal);
        var outcomes = new List<string>();
        foreach (var line in walkthrough.Lines)
        {
            switch (line.Words[0])
            {
                case "alias":
                    var alias = AliasLine().Match(line.Command);
                    Assert.True(alias.Success, $"unexpected alias line '{line.Text}'");
                    programs[alias.Groups[1].Value] = alias.Groups[2].Value switch
                    {
                        "src/Gateway.Cli" => RepoPaths.Cli,
                        "src/Simulators" => RepoPaths.Simulator,
                        var other => throw new Xunit.Sdk.XunitException($"the README aliases {alias.Groups[1].Value} to project {other}, which is not gatewayctl or gateway-sim"),
                    };
                    break;
                case "export":
                    var export = ExportLine().Match(line.Command);
                    Assert.True(export.Success, $"unexpected export line '{line.Text}'");
                    var value = (await File.ReadAllTextAsync(Path.Combine(site.Folder, export.Groups[2].Value))).Trim();
                    environment[export.Groups[1].Value] = value;
                    break;
                default:
                    Assert.True(programs.TryGetValue(line.Words[0], out var dll), $"'{line.Text}' runs {line.Words[0]}, which the walkthrough's aliases do not define");
                    var args = line.Words.Skip(1).Select(w => Substitute(w, values, line)).ToArray();
                    var outcome = await RunAsync(site, dll, line, args, environment, values);
                    if (outcome is not null)
                    {
                        outcomes.Add(outcome);
                    }

                    break;
            }
        }

        // The walkthrough must keep showing what issue and parking promise a newcomer, in this order (other steps may come between).
        string[] promised = ["devices connected", "door granted", "gate granted", "grant with grace", "car park granted", "events collected", "door denied blocked", "gate denied unknown", "blocked-card alarm"];
        var next = 0;
        foreach (var outcome in outcomes)
        {
            if (next < promised.Length && outcome == promised[next])
            {
                next++;
            }
        }

        Assert.True(next == promised.Length, $"the walkthrough no longer shows '{(next < promised.Length ? promised[next] : string.Empty)}' in order; it showed: {string.Join(", ", outcomes)}");

        // Ctrl-C, as the newcomer stops it: the terminal sends SIGINT to `dotnet run` and to the service it started.
        var services = ProcessTable.Children(site.Service.Id);
        foreach (var pid in services)
        {
            ChildProcess.Signal(pid, 2);
        }

        site.Service.Signal(2);
        Assert.Equal(0, await site.Service.WaitForExitAsync(DemoSite.Bound));
        Assert.Contains("Gateway stopped", site.Service.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>True when process <paramref name="pid"/> ignores SIGINT (bit 2 of the SigIgn mask in its /proc status); false when it is gone.</summary>
    internal static bool IgnoresSigint(int pid)
    {
        string status;
        try
        {
            status = File.ReadAllText($"/proc/{pid}/status");
        }
        catch (IOException)
        {
            return false;
        }

        var line = status.Split('\n').FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (ulong.Parse(line["SigIgn:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) & 0x2) != 0;
    }

    [LinuxFact]
    public async Task IgnoresSigint_AProcessStartedWithSigintIgnored_IsSeen()
    {
        // `trap '' INT` makes the shell, and the sleep it starts, ignore SIGINT, as a background job without job control does.
        using var ignoring = System.Diagnostics.Process.Start("sh", ["-c", "trap '' INT; exec sleep 30"]);
        // env resets it to the default whatever this test run inherited.
        using var plain = System.Diagnostics.Process.Start("env", ["--default-signal=INT", "sleep", "30"]);
        try
        {
            // Both have reached `sleep` (the trap set, env's reset done) once their command name says so.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!(Comm(ignoring.Id) == "sleep" && Comm(plain.Id) == "sleep"))
            {
                Assert.True(DateTime.UtcNow < deadline, "the two sleeps did not start within 10 s");
                await Task.Delay(20);
            }

            Assert.True(IgnoresSigint(ignoring.Id));
            Assert.False(IgnoresSigint(plain.Id));
        }
        finally
        {
            ignoring.Kill();
            plain.Kill();
        }
    }

    private static string? Comm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _demoFolder.Dispose();
    }

    /// <summary>Runs one README line (as written, placeholders filled) and checks what the README says of it; returns the outcome checked, if any.</summary>
    private static async Task<string?> RunAsync(DemoSite site, string dll, ReadmeLine line, string[] args, Dictionary<string, string?> environment, Dictionary<string, string> values)
    {
        var command = string.Join(' ', args.Take(2));
        switch (line.Words[0], command)
        {
            case ("gateway-sim", _) when args[0] == "present":
                // A person types slower than the engine syncs; the test waits for it explicitly instead.
                await site.SyncedAsync();
                var decision = (await RunOnceAsync(dll, line, args, environment)).Trim();
                var expected = Quoted().Match(line.Comment);
                Assert.True(expected.Success, $"'{line.Text}' says nothing of the decision it shows");
                var promised = expected.Groups[1].Value;
                if (promised.EndsWith("...", StringComparison.Ordinal))
                {
                    Assert.StartsWith(promised[..^3].TrimEnd(), decision, StringComparison.Ordinal);
                }
                else
                {
                    Assert.Equal(promised, decision);
                }

                var gate = line.Words.Contains("DOOR-CONTROL-URL") ? "door" : line.Words.Contains("CARPARK-CONTROL-URL") ? "car park" : line.Words.Contains("GATE-CONTROL-URL") ? "gate" : "lane";
                return decision.StartsWith("granted", StringComparison.Ordinal) ? $"{gate} granted" : $"{gate} {string.Join(' ', decision.Split(' ').Take(2))}";

            case ("gatewayctl", "devices"):
                await RunUntilAsync(dll, line, args, environment, o =>
                    new[] { "carpark-in", "carpark-out", "door-b3" }.All(id => Regex.IsMatch(o, $@"^{id}\s+barrier\s+\S+\s+connected\b", RegexOptions.Multiline))
                    && Regex.IsMatch(o, @"^gate-common\s+uhppote\s+common\s+connected\b", RegexOptions.Multiline));
                return "devices connected";

            case ("gatewayctl", "cards show"):
                var shown = await RunOnceAsync(dll, line, args, environment);
                var uid = Regex.Match(shown, @"^uid\s+([0-9A-F]{8}(?:[0-9A-F]{6})?)\s*$", RegexOptions.Multiline);
                Assert.True(uid.Success, $"'{line.Text}' shows no uid:\n{shown}");
                values["UID"] = uid.Groups[1].Value;
                return null;

            case ("gatewayctl", "parking grant"):
                var granted = await RunOnceAsync(dll, line, args, environment);
                var end = DateOnly.ParseExact(DemoSite.Field(granted, @"^end\s+(\S+)\s*$"), "yyyy-MM-dd", CultureInfo.InvariantCulture);
                // People see the validity in the site's time: local midnight of the end plus the grace days.
                var validTo = DateTime.ParseExact(DemoSite.Field(granted, @"^valid to\s+(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\s*$"), "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
                Assert.Equal(end.AddDays(DemoGraceDays).ToDateTime(TimeOnly.MinValue), validTo);
                return "grant with grace";

            case ("gatewayctl", "parking agreements") when args[2] == "create":
                await RunOnceAsync(dll, line, args, environment);
                values[PlateKey] = args[Array.IndexOf(args, "--plate") + 1];
                return null;

            case ("gatewayctl", "events"):
                var uidOfCard = values["UID"];
                var plate = values.TryGetValue(PlateKey, out var p) ? Regex.Escape(p) : null;
                await RunUntilAsync(dll, line, args, environment, o =>
                    Regex.IsMatch(o, $@"\bdoor-b3\s.*\bgranted\b.*\b{uidOfCard}\s+100001\b", RegexOptions.Multiline)
                    && (plate is null || Regex.IsMatch(o, $@"\bcarpark-in\s.*\bgranted\b.*\b{uidOfCard}\s+100001\s+\d+\s+{plate}\s*$", RegexOptions.Multiline)));
                return "events collected";

            case ("gatewayctl", "alarms"):
                await RunUntilAsync(dll, line, args, environment, o => Regex.IsMatch(o, @"\bblocked-card\s+door-b3\s+100001\b", RegexOptions.Multiline));
                return "blocked-card alarm";

            default:
                await RunOnceAsync(dll, line, args, environment);
                return null;
        }
    }

    /// <summary>Runs the line once from the root, as the reader does; should it fail with gatewayctl's resume hint (a slow encoder on a loaded machine), follows the hint as its message tells the reader to.</summary>
    private static Task<string> RunOnceAsync(string dll, ReadmeLine line, string[] args, Dictionary<string, string?> environment) =>
        DemoControl.RunResumingAsync(dll, args, environment, $"README line '{line.Text}'", RepoPaths.Root);

    /// <summary>Runs a read-only line again until what it prints shows <paramref name="holds"/> (the engine collects events and raises alarms in the background).</summary>
    private static async Task RunUntilAsync(string dll, ReadmeLine line, string[] args, Dictionary<string, string?> environment, Func<string, bool> holds)
    {
        var last = string.Empty;
        await DemoSite.UntilAsync(async () => holds(last = await RunOnceAsync(dll, line, args, environment)), $"README line '{line.Text}' never showed what it promises ('{line.Comment}'):\n{last}");
    }

    private static string Substitute(string word, Dictionary<string, string> values, ReadmeLine line)
    {
        if (!Walkthrough.Placeholders.Contains(word))
        {
            return word;
        }

        Assert.True(values.TryGetValue(word, out var value), $"'{line.Text}' needs {word} before the walkthrough has shown it");
        return value;
    }

    [GeneratedRegex(@"^alias ([\w-]+)='dotnet run --project (\S+) --'$")]
    private static partial Regex AliasLine();

    [GeneratedRegex(@"^export (\w+)=\$\(cat (\S+)\)$")]
    private static partial Regex ExportLine();

    [GeneratedRegex("\"([^\"]+)\"")]
    private static partial Regex Quoted();
}

/// <summary>The README walkthrough's collection: it runs alone (its <c>dotnet run</c> builds, and it owns the root's <c>data/demo</c>).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReadmeCollection
{
    public const string Name = "readme walkthrough";
}

/// <summary>
/// The root's <c>data/demo</c> for the walkthrough: a folder already there (a developer's own demo) is
/// moved aside while the test runs and put back afterwards; the test's own is removed.
/// </summary>
public sealed class RootDemoFolder : IDisposable
{
    private readonly string _path = Path.Combine(RepoPaths.Root, "data", "demo");
    private readonly string _aside;
    private readonly bool _createdData;

    public RootDemoFolder()
    {
        _aside = $"{_path}.aside-during-readme-test-{Environment.ProcessId}";
        _createdData = !Directory.Exists(Path.GetDirectoryName(_path));
        if (Directory.Exists(_path))
        {
            Directory.Move(_path, _aside);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_path))
        {
            Directory.Delete(_path, recursive: true);
        }

        if (Directory.Exists(_aside))
        {
            Directory.Move(_aside, _path);
        }
        else if (_createdData && Directory.Exists(Path.GetDirectoryName(_path)) && !Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(_path)!).Any())
        {
            Directory.Delete(Path.GetDirectoryName(_path)!);
        }
    }
}

/// <summary>One line of the walkthrough: the command's words (shell quoting removed) and its comment.</summary>
public sealed record ReadmeLine(string Text, string Command, IReadOnlyList<string> Words, string Comment);

/// <summary>The README walkthrough's shell block and the prose after it.</summary>
public sealed record Walkthrough(IReadOnlyList<ReadmeLine> Lines, string Prose)
{
    /// <summary>The words the README asks the reader to replace.</summary>
    public static readonly IReadOnlySet<string> Placeholders = new HashSet<string>(StringComparer.Ordinal) { "UID", "DOOR-CONTROL-URL", "CARPARK-CONTROL-URL", "GATE-CONTROL-URL" };

    private const string Section = "### The demo in five minutes";

    /// <summary>The first line of README's first shell block: the command a newcomer runs first.</summary>
    public static ReadmeLine FirstCommand(string readme)
    {
        var open = readme.IndexOf("```sh\n", StringComparison.Ordinal);
        Assert.True(open >= 0, "README has no ```sh block");
        var line = readme[(open + 6)..].Split('\n')[0];
        return ParseLine(line.Trim());
    }

    public static Walkthrough Parse(string readme)
    {
        var section = readme.IndexOf(Section, StringComparison.Ordinal);
        Assert.True(section >= 0, $"README has no '{Section}'");
        var open = readme.IndexOf("```sh\n", section, StringComparison.Ordinal);
        Assert.True(open >= 0, $"README's '{Section}' has no ```sh block");
        var close = readme.IndexOf("\n```", open + 6, StringComparison.Ordinal);
        Assert.True(close >= 0, "README's walkthrough block is not closed");
        var next = readme.IndexOf("\n#", close + 4, StringComparison.Ordinal);
        var prose = readme[(close + 4)..(next < 0 ? readme.Length : next)];
        var lines = readme[(open + 6)..close].Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(ParseLine)
            .ToList();
        return new Walkthrough(lines, prose);
    }

    /// <summary>Splits a shell line into words (single and double quotes, a trailing comment), as sh would for these simple lines.</summary>
    public static ReadmeLine ParseLine(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        var commentAt = text.Length;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is { } q)
            {
                if (c == q)
                {
                    quote = null;
                }
                else
                {
                    word.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (c == '#' && !inWord)
            {
                commentAt = i;
                break;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        Assert.True(quote is null, $"unclosed quote in README line '{text}'");
        if (inWord)
        {
            words.Add(word.ToString());
        }

        var comment = commentAt < text.Length ? text[(commentAt + 1)..].Trim() : string.Empty;
        return new ReadmeLine(text, text[..commentAt].Trim(), words, comment);
    }
}
