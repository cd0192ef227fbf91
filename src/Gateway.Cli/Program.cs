using System.CommandLine;
using Gateway.Cli.Commands;

namespace Gateway.Cli;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = BuildRoot();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One clear line on stderr rather than the help text: scripts read stderr, people add --help.
            await Console.Error.WriteLineAsync($"gatewayctl: {string.Join("; ", parse.Errors.Select(e => e.Message))} (see --help)");
            return 2;
        }

        Api.ServerTrust.CommandLineCaFile = parse.GetValue<string?>("--ca-file");
        return await parse.InvokeAsync();
    }

    /// <summary>The command tree; every subcommand registers here.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("gatewayctl: operate a Gateway site over its HTTP API, and diagnose its devices directly");

        // On any command: the site's CA certificate(s), PEM, to verify an https:// service.
        root.Options.Add(new Option<string?>("--ca-file")
        {
            Description = "PEM file of the site's CA certificate, to verify an https:// service (default: $GATEWAY_CA_FILE, or the file saved by 'gatewayctl login')",
            Recursive = true,
        });
        root.Subcommands.Add(HealthCommand.Create());
        root.Subcommands.Add(ModbusCommand.Create());
        root.Subcommands.Add(EncoderCommand.Create());
        root.Subcommands.Add(UhppoteCommand.Create());
        root.Subcommands.Add(LoginCommand.Create());
        root.Subcommands.Add(HoldersCommand.Create());
        root.Subcommands.Add(CardsCommand.Create());
        root.Subcommands.Add(OperatorsCommand.CreatePasswd());
        root.Subcommands.Add(OperatorsCommand.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(BackupCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(InventoryCommand.Create());
        root.Subcommands.Add(DevicesCommand.Create());
        root.Subcommands.Add(EventsCommand.Create());
        root.Subcommands.Add(AlarmsCommand.Create());
        root.Subcommands.Add(ParkingCommand.Create());
        root.Subcommands.Add(ReportsCommand.Create());
        return root;
    }
}
