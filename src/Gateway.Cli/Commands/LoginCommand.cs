using System.CommandLine;
using Gateway.Cli.Api;

namespace Gateway.Cli.Commands;

/// <summary>
/// <c>gatewayctl login [--server URL] [--user NAME [--password-file FILE]]</c>: with <c>--user</c>, exchanges
/// the operator's password (GATEWAY_PASSWORD, the first line of <c>--password-file</c>, the terminal without
/// echo, or one line of redirected stdin) for a token at <c>POST /api/login</c>; without it, checks a raw
/// token (stdin, or GATEWAY_TOKEN) against <c>GET /api/me</c>. Either way server, token and the CA file in
/// force are saved for later commands (<see cref="TokenStore"/>). Secrets are never taken as arguments, so
/// they stay out of shell history and process listings.
/// </summary>
public static class LoginCommand
{
    public static Command Create()
    {
        var server = CommonOptions.Server();
        var user = new Option<string?>("--user") { Description = "Operator user name: log in with its password (GATEWAY_PASSWORD, --password-file, the terminal, or a line of stdin) instead of a raw token" };
        var passwordFile = new Option<FileInfo?>("--password-file") { Description = "Read the password from the first line of this file (with --user), e.g. a one-time password file; no terminal needed" };
        var command = new Command("login", "Log in with --user and a password, or check a raw operator token (stdin or GATEWAY_TOKEN), and save the token for later commands");
        command.Options.Add(server);
        command.Options.Add(user);
        command.Options.Add(passwordFile);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            var uri = ApiClient.ParseServer(parse.GetValue(server)!);
            if (parse.GetValue(user) is { } username)
            {
                var password = parse.GetValue(passwordFile) is { } file
                    ? await ReadPasswordFileAsync(file, cancellationToken)
                    : await Secrets.ReadAsync("GATEWAY_PASSWORD", "password", cancellationToken);
                return await PasswordLoginAsync(uri, username, password, cancellationToken);
            }

            if (parse.GetValue(passwordFile) is not null)
            {
                throw new CliException("--password-file needs --user (the operator whose password it holds)");
            }

            var token = (await Secrets.ReadAsync(TokenStore.TokenVariable, "token", cancellationToken)).Trim();
            if (token.Length == 0)
            {
                throw new CliException($"no token given: pipe it on stdin or set {TokenStore.TokenVariable}");
            }

            using var client = new ApiClient(uri, token);
            var me = await client.GetAsync("api/me", cancellationToken);
            var operatorId = me.GetProperty("operatorId").GetString()!;
            TokenStore.Save(new TokenStore.Credentials(uri.ToString(), token, operatorId, ServerTrust.CaFile));
            Console.WriteLine($"logged in to {uri} as {operatorId} ({Output.Cell(me, "roles")}); saved in {TokenStore.FilePath}");
            return 0;
        }));
        return command;
    }

    private static async Task<string> ReadPasswordFileAsync(FileInfo file, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(file.FullName, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--password-file {file.FullName}: {ex.Message}", 1, ex);
        }

        var first = text.Split('\n', 2)[0].TrimEnd('\r');
        return first.Length > 0 ? first : throw new CliException($"--password-file {file.FullName}: the first line is empty");
    }

    private static async Task<int> PasswordLoginAsync(Uri uri, string username, string password, CancellationToken cancellationToken)
    {
        using var client = new ApiClient(uri, null);
        var answer = await client.PostAsync("api/login", new { username, password }, cancellationToken);
        var token = answer.GetProperty("token").GetString()!;
        TokenStore.Save(new TokenStore.Credentials(uri.ToString(), token, username, ServerTrust.CaFile));
        Console.WriteLine($"logged in to {uri} as {username} until {Output.Cell(answer, "expiresUtc")}; saved in {TokenStore.FilePath}");
        if (answer.GetProperty("passwordChangeRequired").GetBoolean())
        {
            Console.WriteLine($"password change required ({Output.Cell(answer, "passwordChangeReason")}): run 'gatewayctl passwd' before anything else");
        }

        return 0;
    }
}
