using System.CommandLine;
using System.Text.Json;
using Gateway.Cli.Api;

namespace Gateway.Cli.Commands;

/// <summary>
/// <c>gatewayctl passwd</c> (one's own password: current from GATEWAY_PASSWORD or stdin, new from
/// GATEWAY_NEW_PASSWORD or the next stdin line) and <c>gatewayctl operators list|show|create|update</c> (admin).
/// </summary>
public static class OperatorsCommand
{
    private static readonly (string, string)[] Columns =
    [
        ("id", "id"), ("name", "displayName"), ("roles", "roles"), ("disabled", "disabled"),
        ("must change", "mustChangePassword"), ("password expires", "passwordExpiresUtc"), ("locked until", "lockedUntilUtc"),
    ];

    public static Command CreatePasswd()
    {
        var server = CommonOptions.Server();
        var command = new Command("passwd", "Change your own password (the quarterly rotation); current and new password from GATEWAY_PASSWORD/GATEWAY_NEW_PASSWORD or two stdin lines");
        command.Options.Add(server);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var current = await Secrets.ReadAsync("GATEWAY_PASSWORD", "current password", cancellationToken);
            var next = await Secrets.ReadAsync("GATEWAY_NEW_PASSWORD", "new password", cancellationToken);
            var answer = await client.PostAsync("api/me/password", new { currentPassword = current, newPassword = next }, cancellationToken);
            Console.WriteLine($"password changed; it expires at {Output.Cell(answer, "passwordExpiresUtc")}");
            return 0;
        }));
        return command;
    }

    public static Command Create()
    {
        var command = new Command("operators", "Operators and their roles (admin)");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(CreateOperator());
        command.Subcommands.Add(Update());
        return command;
    }

    private static Command List()
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var command = new Command("list", "List operators with roles and password state");
        command.Options.Add(server);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var page = await client.GetAsync("api/operators", cancellationToken);
            Print(page, parse.GetValue(json), list: true);
            return 0;
        }));
        return command;
    }

    private static Command Show()
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var id = new Argument<string>("id") { Description = "Operator user name" };
        var command = new Command("show", "Show one operator");
        command.Arguments.Add(id);
        command.Options.Add(server);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            Print(await client.GetAsync($"api/operators/{Uri.EscapeDataString(parse.GetValue(id)!)}", cancellationToken), parse.GetValue(json), list: false);
            return 0;
        }));
        return command;
    }

    private static Command CreateOperator()
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var id = new Argument<string>("id") { Description = "User name: 2-32 lower-case letters, digits, '.', '_', '-'" };
        var name = new Option<string>("--name") { Description = "Display name", Required = true };
        var roles = new Option<string[]>("--role") { Description = "Role (repeat for several): front-desk, parking-authorizer, finance, admin", Required = true, AllowMultipleArgumentsPerToken = true };
        var command = new Command("create", "Create an operator; the one-time password (GATEWAY_NEW_PASSWORD or stdin) must be changed at first login");
        command.Arguments.Add(id);
        command.Options.Add(name);
        command.Options.Add(roles);
        command.Options.Add(server);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var password = await Secrets.ReadAsync("GATEWAY_NEW_PASSWORD", "one-time password", cancellationToken);
            var created = await client.PostAsync("api/operators", new { username = parse.GetValue(id), displayName = parse.GetValue(name), roles = parse.GetValue(roles), password }, cancellationToken);
            Print(created, parse.GetValue(json), list: false);
            return 0;
        }));
        return command;
    }

    private static Command Update()
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var id = new Argument<string>("id") { Description = "Operator user name" };
        var name = new Option<string?>("--name") { Description = "New display name" };
        var roles = new Option<string[]?>("--role") { Description = "Replace the roles (repeat for several)", AllowMultipleArgumentsPerToken = true };
        var disable = new Option<bool>("--disable") { Description = "Disable the operator (its tokens stop working)" };
        var enable = new Option<bool>("--enable") { Description = "Enable the operator again" };
        var reset = new Option<bool>("--reset-password") { Description = "Set a one-time password (GATEWAY_NEW_PASSWORD or stdin) that must be changed at next login" };
        var command = new Command("update", "Change an operator's name, roles, enabled state or password");
        command.Arguments.Add(id);
        command.Options.Add(name);
        command.Options.Add(roles);
        command.Options.Add(disable);
        command.Options.Add(enable);
        command.Options.Add(reset);
        command.Options.Add(server);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            if (parse.GetValue(disable) && parse.GetValue(enable))
            {
                throw new CliException("--disable and --enable contradict each other");
            }

            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var password = parse.GetValue(reset) ? await Secrets.ReadAsync("GATEWAY_NEW_PASSWORD", "one-time password", cancellationToken) : null;
            bool? disabled = parse.GetValue(disable) ? true : parse.GetValue(enable) ? false : null;
            var updated = await client.PatchAsync(
                $"api/operators/{Uri.EscapeDataString(parse.GetValue(id)!)}",
                new { displayName = parse.GetValue(name), roles = parse.GetValue(roles), disabled, password },
                cancellationToken);
            Print(updated, parse.GetValue(json), list: false);
            return 0;
        }));
        return command;
    }

    private static void Print(JsonElement value, bool json, bool list)
    {
        if (json)
        {
            Output.Json(value);
        }
        else if (list)
        {
            Output.Table(value.GetProperty("items").EnumerateArray(), Columns);
        }
        else
        {
            Output.Record(value, Columns);
        }
    }
}
