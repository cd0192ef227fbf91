using System.CommandLine;
using Gateway.Simulators.Barrier;

namespace Gateway.Simulators;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var parse = BuildRoot().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One clear line on stderr rather than the help text: scripts read stderr, people add --help.
            await Console.Error.WriteLineAsync($"gateway-sim: {string.Join("; ", parse.Errors.Select(e => e.Message))} (see --help)");
            return 2;
        }

        return await parse.InvokeAsync();
    }

    /// <summary>The command tree; each simulated device registers its subcommand here.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("gateway-sim: simulated Gateway devices (barrier controllers, UHPPOTE controllers, PN532 encoders) for tests and demos");
        root.Subcommands.Add(BarrierCommands.CreateBarrier());
        root.Subcommands.Add(BarrierCommands.CreatePresent());
        root.Subcommands.Add(Encoder.EncoderCommand.Create());
        root.Subcommands.Add(Uhppote.UhppoteCommands.Create());
        return root;
    }
}
