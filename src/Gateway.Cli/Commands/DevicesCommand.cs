using System.CommandLine;
using Gateway.Cli.Api;

namespace Gateway.Cli.Commands;

/// <summary>
/// <c>gatewayctl devices [--json]</c>: every configured device's health (GET /api/devices);
/// <c>gatewayctl devices check ID</c>: compare a controller's count and digest now (POST /api/devices/ID/check).
/// </summary>
public static class DevicesCommand
{
    private static readonly (string, string)[] Columns =
    [
        ("ID", "id"), ("KIND", "kind"), ("ZONE", "zone"), ("STATE", "state"), ("DRIFTED", "drifted"), ("CLOCK-SKEW-S", "clockSkewSeconds"),
        ("ENTRIES", "whitelistCount"), ("EXPECTED", "expectedCount"), ("APPLIED", "appliedSequence"), ("PENDING", "pendingChanges"),
        ("EVENTS", "eventsCollected"), ("ENDPOINT", "endpoint"), ("LAST-ERROR", "lastError"),
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
        return command;
    }
}
