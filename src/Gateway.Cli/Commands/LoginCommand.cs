using System.CommandLine;
using Gateway.Cli.Api;

namespace Gateway.Cli.Commands;

/// <summary>
/// <c>gatewayctl login [--server URL] [--token-stdin]</c>: checks a token against the service
/// (<c>GET /api/me</c>) and saves server and token for later commands (<see cref="TokenStore"/>).
/// The token is read from stdin (one line), or from GATEWAY_TOKEN; it is never taken as an argument,
/// so it stays out of shell history and process listings.
/// </summary>
public static class LoginCommand
{
    public static Command Create()
    {
        var server = CommonOptions.Server();
        var command = new Command("login", "Check an operator token against the service and save it for later commands (token read from stdin or GATEWAY_TOKEN)");
        command.Options.Add(server);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            var uri = ApiClient.ParseServer(parse.GetValue(server)!);
            var token = Environment.GetEnvironmentVariable(TokenStore.TokenVariable);
            if (string.IsNullOrEmpty(token))
            {
                if (!Console.IsInputRedirected)
                {
                    await Console.Error.WriteAsync("token: ");
                }

                token = (await Console.In.ReadLineAsync(cancellationToken))?.Trim();
            }

            if (string.IsNullOrEmpty(token))
            {
                throw new CliException("no token given: pipe it on stdin or set GATEWAY_TOKEN");
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
}
