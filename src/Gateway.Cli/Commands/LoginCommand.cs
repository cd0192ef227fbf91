using System.CommandLine;
using Gateway.Cli.Api;

namespace Gateway.Cli.Commands;

/// <summary>
/// <c>gatewayctl login [--server URL] [--user NAME]</c>: with <c>--user</c>, exchanges the operator's
/// password (stdin, or GATEWAY_PASSWORD) for a token at <c>POST /api/login</c>; without it, checks a raw
/// token (stdin, or GATEWAY_TOKEN) against <c>GET /api/me</c>. Either way server and token are saved for
/// later commands (<see cref="TokenStore"/>). Secrets are never taken as arguments, so they stay out
/// of shell history and process listings.
/// </summary>
public static class LoginCommand
{
    public static Command Create()
    {
        var server = CommonOptions.Server();
        var user = new Option<string?>("--user") { Description = "Operator user name: log in with its password (read from stdin or GATEWAY_PASSWORD) instead of a raw token" };
        var command = new Command("login", "Log in with --user and a password, or check a raw operator token (stdin or GATEWAY_TOKEN), and save the token for later commands");
        command.Options.Add(server);
        command.Options.Add(user);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            var uri = ApiClient.ParseServer(parse.GetValue(server)!);
            if (parse.GetValue(user) is { } username)
            {
                return await PasswordLoginAsync(uri, username, cancellationToken);
            }

            var token = (await Secrets.ReadAsync(TokenStore.TokenVariable, "token", cancellationToken)).Trim();
            if (token.Length == 0)
            {
                throw new CliException($"no token given: pipe it on stdin or set {TokenStore.TokenVariable}");
            }

            using var client = new ApiClient(uri, token);
            var me = await client.GetAsync("api/me", cancellationToken);
            var operatorId = me.GetProperty("operatorId").GetString()!;
            TokenStore.Save(new TokenStore.Credentials(uri.ToString(), token, operatorId));
            Console.WriteLine($"logged in to {uri} as {operatorId} ({Output.Cell(me, "roles")}); saved in {TokenStore.FilePath}");
            return 0;
        }));
        return command;
    }

    private static async Task<int> PasswordLoginAsync(Uri uri, string username, CancellationToken cancellationToken)
    {
        var password = await Secrets.ReadAsync("GATEWAY_PASSWORD", "password", cancellationToken);
        using var client = new ApiClient(uri, null);
        var answer = await client.PostAsync("api/login", new { username, password }, cancellationToken);
        var token = answer.GetProperty("token").GetString()!;
        TokenStore.Save(new TokenStore.Credentials(uri.ToString(), token, username));
        Console.WriteLine($"logged in to {uri} as {username} until {Output.Cell(answer, "expiresUtc")}; saved in {TokenStore.FilePath}");
        if (answer.GetProperty("passwordChangeRequired").GetBoolean())
        {
            Console.WriteLine($"password change required ({Output.Cell(answer, "passwordChangeReason")}): run 'gatewayctl passwd' before anything else");
        }

        return 0;
    }
}
