using System.CommandLine;
using System.Text.Json;

namespace Gateway.Cli.Api;

/// <summary>
/// Builds an operator command over the HTTP API: adds <c>--server</c> and <c>--json</c>, resolves the
/// token, and runs the body inside <see cref="CliRunner"/> (failures → one stderr line).
/// </summary>
public static class OperatorCommand
{
    public delegate Task<int> Body(ParseResult parse, ApiClient client, bool json, CancellationToken cancellationToken);

    public static Command Create(string name, string description, Body body, params Symbol[] symbols)
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Option option:
                    command.Options.Add(option);
                    break;
            }
        }

        command.Options.Add(server);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            return await body(parse, client, parse.GetValue(json), cancellationToken);
        }));
        return command;
    }

    /// <summary>Prints a page's items as a table (or the whole page as JSON) and says how to get the next page.</summary>
    public static void PrintPage(JsonElement page, bool json, IReadOnlyList<(string Title, string Path)> columns)
    {
        if (json)
        {
            Output.Json(page);
            return;
        }

        Output.Table(page.GetProperty("items").EnumerateArray(), columns);
        if (page.TryGetProperty("next", out var next) && next.ValueKind == JsonValueKind.Number)
        {
            Console.WriteLine($"(more: --after {next.GetInt64()})");
        }
    }

    /// <summary>Appends query parameters that have a value.</summary>
    public static string Query(string path, params (string Name, object? Value)[] parameters)
    {
        var parts = parameters
            .Where(p => p.Value is not null)
            .Select(p => $"{p.Name}={Uri.EscapeDataString(Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture)!)}")
            .ToList();
        return parts.Count == 0 ? path : $"{path}?{string.Join('&', parts)}";
    }
}
