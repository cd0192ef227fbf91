using System.CommandLine;
using System.Text.Json;
using Gateway.Cli.Api;

namespace Gateway.Cli.Commands;

/// <summary>
/// <c>gatewayctl reports cash [--date D | --from T --to T] [--operator ID] [--csv|--text] [--out FILE]</c>:
/// the desk's money of a day or a shift per operator (GET /api/reports/cash). A clerk sees their own
/// shift; finance and admin every operator's.
/// </summary>
public static class ReportsCommand
{
    // The report's rows, as the desk reads them top to bottom; each operator is a column, so that a
    // day's report fits a terminal of 80 columns however many amounts it holds.
    private static readonly (string Title, string Path)[] Rows =
    [
        ("cash", "cash.totalFen"), ("bank debits", "bankDebits.totalFen"), ("card fees", "cardFees.totalFen"), ("deposits", "deposits.totalFen"),
        ("refunds", "refunds.totalFen"), ("reversals", "reversals.totalFen"), ("cash in hand", "cashInHandFen"),
        ("receipts", "receipts.count"), ("first", "receipts.first"), ("last", "receipts.last"),
    ];

    public static Command Create()
    {
        var reports = new Command("reports", "Reports of the desk's day");
        var date = new Option<string?>("--date") { Description = "A site day, yyyy-MM-dd (default: today at the site)" };
        var from = new Option<string?>("--from") { Description = "A shift's start, site time: \"2026-03-02 08:00\"" };
        var to = new Option<string?>("--to") { Description = "The shift's end (excluded), site time" };
        var who = new Option<string?>("--operator") { Description = "One operator (finance and admin; a clerk always sees their own)" };
        var csv = new Option<bool>("--csv") { Description = "CSV (UTF-8 with a byte-order mark, for Excel)" };
        var text = new Option<bool>("--text") { Description = "The printable page" };
        var output = new Option<string?>("--out") { Description = "With --csv: write to this file instead of stdout" };
        reports.Subcommands.Add(OperatorCommand.Create(
            "cash",
            "Cash and shift report: cash, bank debits, card fees and deposits, refunds and reversals per operator, with the receipt-book numbers",
            async (parse, client, json, ct) =>
            {
                var format = parse.GetValue(csv) ? "csv" : parse.GetValue(text) ? "text" : null;
                static string? Site(string? t) => t?.Replace(' ', 'T');
                var path = OperatorCommand.Query("api/reports/cash", ("date", parse.GetValue(date)), ("from", Site(parse.GetValue(from))), ("to", Site(parse.GetValue(to))), ("operator", parse.GetValue(who)), ("format", format));
                if (format == "csv")
                {
                    await ParkingCommand.WriteCsvAsync(await client.SendBytesAsync(HttpMethod.Get, path, null, null, null, ct), parse.GetValue(output), "line(s)", ct);
                    return 0;
                }

                if (format == "text")
                {
                    await Output.BytesAsync(await client.SendBytesAsync(HttpMethod.Get, path, null, null, null, ct), ct);
                    return 0;
                }

                var report = await client.GetAsync(path, ct);
                if (json)
                {
                    Output.Json(report);
                    return 0;
                }

                PrintCash(report, Console.Out);
                return 0;
            },
            date,
            from,
            to,
            who,
            csv,
            text,
            output));
        return reports;
    }

    /// <summary>
    /// The cash report for people: the window, then one column per operator (id over name) and one of
    /// all of them when there are several, one row per kind of money and the receipt-book run, amounts
    /// aligned right; then the numbers missing from each run.
    /// </summary>
    public static void PrintCash(JsonElement report, TextWriter writer)
    {
        writer.WriteLine($"{Output.Cell(report, "fromUtc")} to {Output.Cell(report, "toUtc")} ({Output.Cell(report, "timeZone")})");
        var operators = report.GetProperty("operators").EnumerateArray().ToList();
        if (operators.Count == 0)
        {
            writer.WriteLine("(none)");
            return;
        }

        var columns = operators.Count == 1 ? operators : [.. operators, report.GetProperty("totals")];
        var ids = columns.Select((op, i) => i == operators.Count ? "all" : Output.Cell(op, "operatorId")).ToArray();
        var names = columns.Select((op, i) => i == operators.Count || Output.Cell(op, "operatorName") is not { } name || name == "-" ? string.Empty : name).ToArray();
        List<string[]> header = [["", .. ids]];
        if (names.Any(n => n.Length > 0))
        {
            header.Add(["", .. names]);
        }

        var rows = Rows.Select(r => (string[])[r.Title, .. columns.Select(op => Output.Cell(op, r.Path))]).ToList();
        Output.Grid(header, rows, [false, .. columns.Select(_ => true)], writer);

        var missing = columns.Select((op, i) => (Who: ids[i], Numbers: op.GetProperty("receipts").GetProperty("missing").EnumerateArray().Select(m => m.GetString()).ToList()))
            .Where(m => m.Numbers.Count > 0)
            .ToList();
        if (missing.Count > 0)
        {
            writer.WriteLine();
            writer.WriteLine("receipt numbers missing from the run:");
            foreach (var (who, numbers) in missing)
            {
                writer.WriteLine($"  {who}: {string.Join(' ', numbers)}");
            }
        }
    }
}
