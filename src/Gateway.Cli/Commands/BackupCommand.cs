using System.CommandLine;
using Gateway.Cli.Api;

namespace Gateway.Cli.Commands;

/// <summary><c>gatewayctl backup [--out PATH]</c>: the service takes a consistent online copy (admin); see docs/backup.md.</summary>
public static class BackupCommand
{
    public static Command Create()
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var output = new Option<string?>("--out") { Description = "Absolute path on the service's machine for the copy (must not exist); default: a new file in the data folder's backups/" };
        var command = new Command("backup", "Take a consistent online copy of the database while the service runs (admin)");
        command.Options.Add(output);
        command.Options.Add(server);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var result = await client.PostAsync("api/backups", new { path = parse.GetValue(output) }, cancellationToken);
            if (parse.GetValue(json))
            {
                Output.Json(result);
            }
            else
            {
                Output.Record(result, [("path", "path"), ("bytes", "bytes"), ("created", "createdUtc"), ("audit head", "auditHead.lastId"), ("audit mac", "auditHead.mac"), ("quick_check", "integrityCheck")]);
            }

            return 0;
        }));
        return command;
    }
}
