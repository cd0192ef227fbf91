using System.CommandLine;
using Gateway.Cli.Api;

namespace Gateway.Cli.Commands;

/// <summary>
/// <c>gatewayctl inventory list|open|show|count|sign-off</c>: the monthly smart-card inventory
/// (finance); see docs/inventory.md.
/// </summary>
public static class InventoryCommand
{
    public static Command Create()
    {
        var command = new Command("inventory", "The monthly smart-card inventory: system counts, register and physical counts, variances, sign-off");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Open());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Count());
        command.Subcommands.Add(SignOff());
        return command;
    }

    private static Argument<string> MonthArgument() => new("month") { Description = "The month, YYYY-MM (site time)" };

    private static Command List() => OperatorCommand.Create(
        "list",
        "List inventory months and their state",
        async (parse, client, json, ct) =>
        {
            OperatorCommand.PrintPage(await client.GetAsync("api/inventory", ct), json, [("month", "month"), ("state", "state"), ("opened by", "openedBy"), ("signed off by", "signedOffBy"), ("signed off", "signedOffUtc")]);
            return 0;
        });

    private static Command Open()
    {
        var month = MonthArgument();
        return OperatorCommand.Create(
            "open",
            "Open a month that has ended: the system's counts per card state at month end (finance)",
            async (parse, client, json, ct) =>
            {
                var report = await client.PostAsync($"api/inventory/{Uri.EscapeDataString(parse.GetValue(month)!)}", null, ct);
                if (json)
                {
                    Output.Json(report);
                }
                else
                {
                    Console.Write(await client.GetTextAsync($"api/inventory/{Uri.EscapeDataString(parse.GetValue(month)!)}?format=text", ct));
                }

                return 0;
            },
            month);
    }

    private static Command Show()
    {
        var month = MonthArgument();
        var format = new Option<string>("--format") { Description = "text (printable, default), csv or json", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "csv", "json");
        return OperatorCommand.Create(
            "show",
            "Print the month's report as printable text, CSV or JSON",
            async (parse, client, json, ct) =>
            {
                var chosen = json ? "json" : parse.GetValue(format)!;
                var path = $"api/inventory/{Uri.EscapeDataString(parse.GetValue(month)!)}";
                if (chosen == "json")
                {
                    Output.Json(await client.GetAsync(path, ct));
                }
                else
                {
                    // Bytes as sent: the CSV keeps its byte-order mark when redirected to a file.
                    await Output.BytesAsync(await client.SendBytesAsync(HttpMethod.Get, $"{path}?format={chosen}", null, null, null, ct), ct);
                }

                return 0;
            },
            month,
            format);
    }

    private static Command Count()
    {
        var month = MonthArgument();
        var state = new Argument<string>("state") { Description = "Card state: in-stock, issued, lost, revoked, damaged, written-off, returned" };
        var register = new Option<long?>("--register") { Description = "The written register's count" };
        var physical = new Option<long?>("--physical") { Description = "The physical count (in-stock, returned, damaged only)" };
        var explain = new Option<string?>("--explain") { Description = "Explanation of the variance" };
        return OperatorCommand.Create(
            "count",
            "Enter the register count, the physical count and/or the explanation of one card state (finance)",
            async (parse, client, json, ct) =>
            {
                var report = await client.PatchAsync(
                    $"api/inventory/{Uri.EscapeDataString(parse.GetValue(month)!)}/lines/{Uri.EscapeDataString(parse.GetValue(state)!)}",
                    new { registerCount = parse.GetValue(register), physicalCount = parse.GetValue(physical), explanation = parse.GetValue(explain) },
                    ct);
                OperatorCommand.PrintPage(
                    System.Text.Json.JsonSerializer.SerializeToElement(new { items = report.GetProperty("lines"), next = (long?)null }),
                    json,
                    [("state", "state"), ("system", "system"), ("register", "registerCount"), ("physical", "physicalCount"), ("var reg", "registerVariance"), ("var phys", "physicalVariance"), ("explanation", "explanation")]);
                return 0;
            },
            month,
            state,
            register,
            physical,
            explain);
    }

    private static Command SignOff()
    {
        var month = MonthArgument();
        return OperatorCommand.Create(
            "sign-off",
            "Sign the month off (every line counted, every variance explained); it becomes immutable and records the audit head (finance)",
            async (parse, client, json, ct) =>
            {
                var report = await client.PostAsync($"api/inventory/{Uri.EscapeDataString(parse.GetValue(month)!)}/sign-off", null, ct);
                if (json)
                {
                    Output.Json(report);
                }
                else
                {
                    Output.Record(report, [("month", "month"), ("state", "state"), ("signed off by", "signedOffBy"), ("signed off", "signedOffUtc"), ("audit head", "auditHead.lastId"), ("audit mac", "auditHead.mac")]);
                }

                return 0;
            },
            month);
    }
}
