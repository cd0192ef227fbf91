using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Gateway.Cli.Api;

namespace Gateway.Cli.Commands;

/// <summary>
/// <c>gatewayctl import [--holders FILE] [--cards FILE] [--agreements FILE] [--dry-run]</c> (admin): moving a
/// live site in from CSV files (docs/migration.md). The files go to the service as the site wrote them
/// (UTF-8 or GB18030), so the service reads their encoding; the report is the same for a dry run and an import.
/// </summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var holders = new Option<FileInfo?>("--holders") { Description = "Holders: ref,name,building,unit,room[,phone,email,id_document] (or 住户编号,姓名,楼栋,单元,房号…)" };
        var cards = new Option<FileInfo?>("--cards") { Description = "Cards already in residents' hands: card_number,uid,kind,holder_ref[,board_number] (or 卡号,卡UID,类型,住户编号[,门禁卡号]); board_number instead of uid where only a UHPPOTE board knows the card" };
        var agreements = new Option<FileInfo?>("--agreements") { Description = "Parking agreements: agreement_number,holder_ref,card_number,plate,space,monthly_fee,billing_cycle,payment_method,paid_until[,…]" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Report what the import would do, line by line and per controller; change nothing" };
        var command = new Command("import", "Move a live site in: holders, the cards residents already hold and parking agreements from CSV files (UTF-8 or GB18030); a backup first, then one transaction (admin)");
        command.Options.Add(holders);
        command.Options.Add(cards);
        command.Options.Add(agreements);
        command.Options.Add(dryRun);
        command.Options.Add(server);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            var files = new List<object>();
            foreach (var (option, kind) in new[] { (holders, "holders"), (cards, "cards"), (agreements, "agreements") })
            {
                if (parse.GetValue(option) is not { } info)
                {
                    continue;
                }

                if (!info.Exists)
                {
                    throw new CliException($"{info.FullName} does not exist");
                }

                // The bytes as written: decoding here would mangle a GB18030 file before the service could tell.
                files.Add(new { name = info.Name, kind, content = Convert.ToBase64String(await File.ReadAllBytesAsync(info.FullName, cancellationToken)) });
            }

            if (files.Count == 0)
            {
                throw new CliException("give at least one of --holders, --cards, --agreements");
            }

            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var dry = parse.GetValue(dryRun);
            JsonElement report;
            var exit = 0;
            try
            {
                report = dry
                    ? await client.PostAsync("api/imports/dry-run", new { files }, cancellationToken)
                    : await client.PostAsync("api/imports", new { files }, cancellationToken, Guid.NewGuid().ToString());
            }
            catch (CliException ex) when (ex.Body is { } body && RefusedReport(body) is { } refused)
            {
                report = refused;
                exit = ex.ExitCode;
            }

            if (parse.GetValue(json))
            {
                Output.Json(report);
            }
            else
            {
                Print(report, Console.Out);
            }

            return exit;
        }));
        return command;
    }

    /// <summary>The report inside a refused import's problem (422 import-refused), or null for any other failure.</summary>
    private static JsonElement? RefusedReport(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("report", out var report) && report.ValueKind == JsonValueKind.Object
                ? report.Clone()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The report for a terminal: files, every bad line as <c>file:line: code: message</c>, counts, controllers, and the outcome last.</summary>
    public static void Print(JsonElement report, TextWriter writer)
    {
        Output.Grid(
            [["FILE", "KIND", "ENCODING", "LINES"]],
            [.. report.GetProperty("files").EnumerateArray().Select(f => new[]
            {
                Output.Cell(f, "name"),
                Output.Cell(f, "kind"),
                f.GetProperty("encoding").ValueKind == JsonValueKind.Null ? "-" : $"{Output.Cell(f, "encoding")} ({Output.Cell(f, "encodingSource")})",
                Output.Cell(f, "lines"),
            })],
            [false, false, false, true],
            writer);
        writer.WriteLine();

        var problems = report.GetProperty("problems").EnumerateArray().ToList();
        if (problems.Count > 0)
        {
            writer.WriteLine($"{problems.Count} bad line(s):");
            foreach (var problem in problems)
            {
                var line = problem.GetProperty("line").GetInt32();
                writer.WriteLine($"  {Output.Cell(problem, "file")}{(line > 0 ? ":" + line.ToString(CultureInfo.InvariantCulture) : string.Empty)}: {Output.Cell(problem, "code")}: {Output.Cell(problem, "message")}");
            }

            writer.WriteLine();
        }

        Output.Grid(
            [["", "NEW", "UNCHANGED"]],
            [.. new[] { "holders", "cards", "agreements" }.Select(kind => new[] { kind, Output.Cell(report, kind + ".new"), Output.Cell(report, kind + ".unchanged") })],
            [false, true, true],
            writer);
        writer.WriteLine();

        var controllers = report.GetProperty("controllers").EnumerateArray().ToList();
        if (controllers.Count > 0)
        {
            // HOLDS NOW is read from the controller itself while the sync engine is held for the cut-over, else Gateway's truth.
            Output.Grid(
                [["CONTROLLER", "ZONES", "HOLDS NOW", "READ FROM", "WILL HOLD", "GAINS", "LOSES"]],
                [.. controllers.Select(c => new[]
                {
                    Output.Cell(c, "id"),
                    string.Join(',', c.GetProperty("zones").EnumerateArray().Select(z => z.GetString())),
                    Output.Cell(c, "holdsNow"),
                    Output.Cell(c, "source"),
                    Output.Cell(c, "willHold"),
                    Output.Cell(c, "gains"),
                    Output.Cell(c, "loses"),
                })],
                [false, false, true, false, true, true, true],
                writer);
            foreach (var c in controllers)
            {
                if (c.TryGetProperty("readError", out var error) && error.ValueKind == JsonValueKind.String)
                {
                    writer.WriteLine($"  {Output.Cell(c, "id")} could not be read: {error.GetString()}");
                }

                var lost = c.GetProperty("lost").EnumerateArray().Select(u => u.GetString()).ToList();
                if (lost.Count > 0)
                {
                    var more = c.GetProperty("loses").GetInt32() - lost.Count;
                    writer.WriteLine($"  {Output.Cell(c, "id")} loses: {string.Join(' ', lost)}{(more > 0 ? $" (and {more} more)" : string.Empty)}");
                }
            }

            writer.WriteLine();
        }

        writer.WriteLine(Outcome(report, problems.Count));
    }

    private static string Outcome(JsonElement report, int problems)
    {
        if (report.GetProperty("dryRun").GetBoolean())
        {
            return problems > 0
                ? $"Dry run: {problems} bad line(s) to correct; nothing was changed."
                : "Dry run: the files are good; nothing was changed. Run again without --dry-run to import.";
        }

        if (report.GetProperty("committed").GetBoolean())
        {
            return $"Imported. Backup taken first: {Output.Cell(report, "backup.path")}";
        }

        return problems > 0
            ? $"Refused: {problems} bad line(s); nothing was imported."
            : "Nothing new: every record in the files was imported before; nothing was changed.";
    }
}
