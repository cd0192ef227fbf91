using System.CommandLine;
using Gateway.Cli.Api;

namespace Gateway.Cli.Commands;

/// <summary>
/// <c>gatewayctl events [--card N] [--uid HEX] [--holder ID] [--plate P] [--controller ID] [--decision granted|denied]
/// [--reason R] [--from T] [--to T] [--limit N] [--after ID] [--json]</c>: events collected from the controllers (GET /api/events).
/// </summary>
public static class EventsCommand
{
    private static readonly (string, string)[] Columns =
    [
        ("ID", "id"), ("TIME", "timeUtc"), ("CONTROLLER", "controllerId"), ("LANE", "lane"), ("DIRECTION", "direction"), ("DECISION", "decision"),
        ("REASON", "reason"), ("OPENED-BY", "openedBy"), ("WHY", "openReason"), ("UID", "cardUid"), ("CARD", "cardNumber"), ("HOLDER", "holderId"), ("PLATE", "plate"),
    ];

    public static Command Create()
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var filters = new (Option<string> Option, string Query)[]
        {
            (new Option<string>("--card") { Description = "Card number" }, "card"),
            (new Option<string>("--uid") { Description = "Card UID (8 or 14 hex digits)" }, "uid"),
            (new Option<string>("--holder") { Description = "Holder id" }, "holder"),
            (new Option<string>("--plate") { Description = "Vehicle plate of the card's parking agreement" }, "plate"),
            (new Option<string>("--controller") { Description = "Controller id" }, "controller"),
            (new Option<string>("--decision") { Description = "granted or denied" }, "decision"),
            (new Option<string>("--reason") { Description = "unknown, expired, not-yet-valid, blocked, anti-passback, remote-open (a lane opened from the desk) or none" }, "reason"),
            (new Option<string>("--from") { Description = "Events at or after this instant (ISO 8601, UTC)" }, "from"),
            (new Option<string>("--to") { Description = "Events before this instant (ISO 8601, UTC)" }, "to"),
            (new Option<string>("--limit") { Description = "Events per page (1-500, default 50)" }, "limit"),
            (new Option<string>("--after") { Description = "Continue after this event id (the 'next' of the previous page)" }, "after"),
        };
        var command = new Command("events", "List the entry and exit events collected from the controllers");
        command.Options.Add(server);
        command.Options.Add(json);
        foreach (var (option, _) in filters)
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            var query = string.Join("&", filters
                .Select(f => (f.Query, Value: parse.GetValue(f.Option)))
                .Where(f => !string.IsNullOrEmpty(f.Value))
                .Select(f => $"{f.Query}={Uri.EscapeDataString(f.Value!)}"));
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var body = await client.GetAsync(query.Length == 0 ? "api/events" : $"api/events?{query}", cancellationToken);
            if (parse.GetValue(json))
            {
                Output.Json(body);
            }
            else
            {
                Output.Table(body.GetProperty("items").EnumerateArray(), Columns);
                if (body.GetProperty("next").ValueKind == System.Text.Json.JsonValueKind.Number)
                {
                    Console.WriteLine($"more: --after {body.GetProperty("next").GetInt64()}");
                }
            }

            return 0;
        }));
        return command;
    }
}
