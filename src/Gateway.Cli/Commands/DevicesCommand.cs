using System.CommandLine;
using Gateway.Cli.Api;

namespace Gateway.Cli.Commands;

/// <summary>
/// <c>gatewayctl devices [--json]</c>: every configured device's health (GET /api/devices);
/// <c>gatewayctl devices check ID</c>: compare a controller's count and digest now (POST /api/devices/ID/check);
/// <c>gatewayctl devices open ID --lane N --reason TEXT [--json]</c>: open a lane or door from the desk (POST /api/devices/ID/lanes/N/open);
/// <c>gatewayctl devices openings [--device ID] [--limit N] [--after ID] [--json]</c>: who opened what and why (GET /api/gate-openings).
/// </summary>
public static class DevicesCommand
{
    private static readonly (string, string)[] Columns =
    [
        ("ID", "id"), ("KIND", "kind"), ("ZONE", "zone"), ("STATE", "state"), ("DRIFTED", "drifted"), ("CLOCK-SKEW-S", "clockSkewSeconds"),
        ("ENTRIES", "whitelistCount"), ("EXPECTED", "expectedCount"), ("APPLIED", "appliedSequence"), ("PENDING", "pendingChanges"),
        ("EVENTS", "eventsCollected"), ("ENDPOINT", "endpoint"), ("LAST-ERROR", "lastError"),
    ];

    private static readonly (string, string)[] OpeningColumns =
    [
        ("ID", "id"), ("REQUESTED", "requestedUtc"), ("CONTROLLER", "controllerId"), ("LANE", "lane"), ("BY", "operatorId"), ("REASON", "reason"),
        ("OUTCOME", "outcome"), ("EVENT", "eventId"), ("EVENT-TIME", "eventTimeUtc"), ("DETAIL", "detail"),
    ];

    public static Command Create()
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var command = new Command("devices", "List the configured devices: state, whitelist drift, clock skew, sync progress, last error");
        command.Options.Add(server);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var body = await client.GetAsync("api/devices", cancellationToken);
            if (parse.GetValue(json))
            {
                Output.Json(body);
            }
            else
            {
                Output.Table(body.GetProperty("items").EnumerateArray(), Columns);
            }

            return 0;
        }));

        var checkServer = CommonOptions.Server();
        var id = new Argument<string>("ID") { Description = "The controller's id" };
        var check = new Command("check", "Compare a controller's whitelist count and digest now, repairing differences (admin)");
        check.Options.Add(checkServer);
        check.Arguments.Add(id);
        check.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(checkServer)!);
            await client.PostAsync($"api/devices/{Uri.EscapeDataString(parse.GetValue(id)!)}/check", null, cancellationToken);
            Console.WriteLine($"check of {parse.GetValue(id)} requested");
            return 0;
        }));
        command.Subcommands.Add(check);
        command.Subcommands.Add(CreateOpen());
        command.Subcommands.Add(CreateOpenings());
        return command;
    }

    private static Command CreateOpen()
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var id = new Argument<string>("ID") { Description = "The controller's id" };
        var lane = new Option<int>("--lane") { Description = "The lane (a door on a door controller), 1..N", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why (up to 200 characters), kept with the opening and shown with its event", Required = true };
        var open = new Command("open", "Open a lane or door from the desk now, with a reason (front desk or admin); audited");
        open.Options.Add(server);
        open.Options.Add(json);
        open.Options.Add(lane);
        open.Options.Add(reason);
        open.Arguments.Add(id);
        open.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var body = await client.PostAsync(
                $"api/devices/{Uri.EscapeDataString(parse.GetValue(id)!)}/lanes/{parse.GetValue(lane)}/open",
                new { reason = parse.GetValue(reason) },
                cancellationToken);
            if (parse.GetValue(json))
            {
                Output.Json(body);
            }
            else
            {
                var logged = body.GetProperty("logged").GetBoolean() ? "the controller logs it as an event" : "this controller does not log openings";
                Console.WriteLine($"lane {Output.Cell(body, "lane")} of {Output.Cell(body, "controllerId")} opened (opening {Output.Cell(body, "id")}; {logged})");
            }

            return 0;
        }));
        return open;
    }

    private static Command CreateOpenings()
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var device = new Option<string>("--device") { Description = "Only this controller's openings" };
        var limit = new Option<string>("--limit") { Description = "Openings per page (1-500, default 50)" };
        var after = new Option<string>("--after") { Description = "Continue after this opening id (the 'next' of the previous page)" };
        var openings = new Command("openings", "List the lanes and doors opened from the desk: who, why, the outcome and the controller's event");
        openings.Options.Add(server);
        openings.Options.Add(json);
        openings.Options.Add(device);
        openings.Options.Add(limit);
        openings.Options.Add(after);
        openings.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            var query = string.Join("&", new[] { ("device", parse.GetValue(device)), ("limit", parse.GetValue(limit)), ("after", parse.GetValue(after)) }
                .Where(q => !string.IsNullOrEmpty(q.Item2))
                .Select(q => $"{q.Item1}={Uri.EscapeDataString(q.Item2!)}"));
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var body = await client.GetAsync(query.Length == 0 ? "api/gate-openings" : $"api/gate-openings?{query}", cancellationToken);
            if (parse.GetValue(json))
            {
                Output.Json(body);
            }
            else
            {
                Output.Table(body.GetProperty("items").EnumerateArray(), OpeningColumns);
                if (body.GetProperty("next").ValueKind == System.Text.Json.JsonValueKind.Number)
                {
                    Console.WriteLine($"more: --after {body.GetProperty("next").GetInt64()}");
                }
            }

            return 0;
        }));
        return openings;
    }
}
