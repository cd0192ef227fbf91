using System.CommandLine;
using Gateway.Cli.Api;

namespace Gateway.Cli.Commands;

/// <summary>
/// <c>gatewayctl alarms [--state open|acknowledged|all] [--kind K] [--device ID] [--json]</c> (GET /api/alarms) and
/// <c>gatewayctl alarms ack ID [--note TEXT]</c> (POST /api/alarms/ID/acknowledge).
/// </summary>
public static class AlarmsCommand
{
    private static readonly (string, string)[] Columns =
    [
        ("ID", "id"), ("RAISED", "raisedUtc"), ("KIND", "kind"), ("DEVICE", "deviceId"), ("CARD", "cardNumber"), ("LOST", "lost"),
        ("ACKNOWLEDGED", "acknowledgedUtc"), ("BY", "acknowledgedBy"), ("MESSAGE", "message"),
    ];

    public static Command Create()
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var state = new Option<string>("--state") { Description = "open (default), acknowledged or all" };
        var kind = new Option<string>("--kind") { Description = "buffer-overflow, device-down, drift, clock-skew, blocked-card or service-fault" };
        var device = new Option<string>("--device") { Description = "Device id" };
        var command = new Command("alarms", "List alarms (open ones by default); 'alarms ack ID' acknowledges one");
        command.Options.Add(server);
        command.Options.Add(json);
        command.Options.Add(state);
        command.Options.Add(kind);
        command.Options.Add(device);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            var query = string.Join("&", new[] { ("state", parse.GetValue(state)), ("kind", parse.GetValue(kind)), ("device", parse.GetValue(device)) }
                .Where(q => !string.IsNullOrEmpty(q.Item2))
                .Select(q => $"{q.Item1}={Uri.EscapeDataString(q.Item2!)}"));
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var body = await client.GetAsync(query.Length == 0 ? "api/alarms" : $"api/alarms?{query}", cancellationToken);
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

        var ackServer = CommonOptions.Server();
        var ackJson = CommonOptions.Json();
        var id = new Argument<long>("ID") { Description = "The alarm's id" };
        var note = new Option<string>("--note") { Description = "What was done (up to 500 characters)" };
        var ack = new Command("ack", "Acknowledge an alarm");
        ack.Options.Add(ackServer);
        ack.Options.Add(ackJson);
        ack.Options.Add(note);
        ack.Arguments.Add(id);
        ack.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(ackServer)!);
            var body = await client.PostAsync($"api/alarms/{parse.GetValue(id)}/acknowledge", new { note = parse.GetValue(note) }, cancellationToken);
            if (parse.GetValue(ackJson))
            {
                Output.Json(body);
            }
            else
            {
                Console.WriteLine($"alarm {parse.GetValue(id)} acknowledged by {Output.Cell(body, "acknowledgedBy")}");
            }

            return 0;
        }));
        command.Subcommands.Add(ack);
        return command;
    }
}
