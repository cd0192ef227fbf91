using System.CommandLine;
using System.Text;
using System.Text.Json;
using Gateway.Cli.Api;

namespace Gateway.Cli.Commands;

/// <summary>
/// <c>gatewayctl audit [filters]</c> lists the audit log; <c>audit head</c> prints the chain head as one
/// JSON line to keep off site; <c>audit verify [--head FILE]</c> proves the chain intact (exit 0) or names
/// the first bad row (exit 6).
/// </summary>
public static class AuditCommand
{
    /// <summary>Exit code of <c>audit verify</c> when the chain is not intact.</summary>
    public const int TamperedExitCode = 6;

    public static Command Create()
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var action = new Option<string?>("--action") { Description = "Only this action (e.g. operator.create; operator.* for a family)" };
        var subject = new Option<string?>("--subject") { Description = "Only this subject (e.g. operator:clerk, card:100234)" };
        var who = new Option<string?>("--operator") { Description = "Only changes by this operator id" };
        var from = new Option<string?>("--from") { Description = "From this UTC instant (ISO 8601), inclusive" };
        var to = new Option<string?>("--to") { Description = "Up to this UTC instant, exclusive" };
        var limit = new Option<int?>("--limit") { Description = "Rows per page (1-500, default 50)" };
        var after = new Option<long?>("--after") { Description = "Rows after this id (the previous page's 'next')" };
        var command = new Command("audit", "List the audit log, export its head, verify its chain");
        foreach (var option in new Option[] { action, subject, who, from, to, limit, after, server, json })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var query = new StringBuilder("api/audit?");
            Append(query, "action", parse.GetValue(action));
            Append(query, "subject", parse.GetValue(subject));
            Append(query, "operator", parse.GetValue(who));
            Append(query, "from", parse.GetValue(from));
            Append(query, "to", parse.GetValue(to));
            Append(query, "limit", parse.GetValue(limit)?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Append(query, "after", parse.GetValue(after)?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var page = await client.GetAsync(query.ToString().TrimEnd('?', '&'), cancellationToken);
            if (parse.GetValue(json))
            {
                Output.Json(page);
            }
            else
            {
                Output.Table(page.GetProperty("items").EnumerateArray(), [("id", "id"), ("at", "atUtc"), ("operator", "operatorId"), ("action", "action"), ("subject", "subject"), ("details", "details")]);
                if (page.GetProperty("next").ValueKind == JsonValueKind.Number)
                {
                    Console.WriteLine($"(more: --after {page.GetProperty("next").GetRawText()})");
                }
            }

            return 0;
        }));
        command.Subcommands.Add(Head());
        command.Subcommands.Add(Verify());
        return command;
    }

    private static Command Head()
    {
        var server = CommonOptions.Server();
        var command = new Command("head", "Print the chain head (last row id and MAC) as one JSON line: keep it off site to detect a truncated log later");
        command.Options.Add(server);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            Output.Json(await client.GetAsync("api/audit/head", cancellationToken));
            return 0;
        }));
        return command;
    }

    private static Command Verify()
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var head = new Option<FileInfo?>("--head") { Description = "A head kept outside the database: the JSON line of 'gatewayctl audit head', or the service's audit head file (Gateway:AuditHeadFile; its latest head is used)" };
        var command = new Command("verify", $"Verify the audit chain (admin): exit 0 when intact, {TamperedExitCode} naming the first edited, deleted, inserted or truncated row");
        command.Options.Add(head);
        command.Options.Add(server);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            object body = new { };
            if (parse.GetValue(head) is { } file)
            {
                var (lastId, mac) = ReadHead(file, await ReadFileAsync(file, cancellationToken));
                body = new { lastId, mac };
            }

            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var result = await client.PostAsync("api/audit/verify", body, cancellationToken);
            var intact = result.GetProperty("intact").GetBoolean();
            if (parse.GetValue(json))
            {
                Output.Json(result);
            }
            else if (intact)
            {
                Console.WriteLine($"intact: {Output.Cell(result, "detail")}");
            }
            else
            {
                await Console.Error.WriteLineAsync($"gatewayctl: audit chain broken: {Output.Cell(result, "fault")} at row {Output.Cell(result, "firstBadRowId")}: {Output.Cell(result, "detail")}");
            }

            return intact ? 0 : TamperedExitCode;
        }));
        return command;
    }

    /// <summary>
    /// The head to verify against: the file holds one head (<c>audit head</c>'s output) or one per line
    /// (the service's append-only head file, where a line torn by a crash is skipped); the one naming the
    /// highest row wins, since a truncation shows against the latest head.
    /// </summary>
    internal static (long LastId, string Mac) ReadHead(FileInfo file, string text)
    {
        (long LastId, string Mac)? best = null;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Prepend(text))
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                var candidate = (root.GetProperty("lastId").GetInt64(), root.GetProperty("mac").GetString() ?? string.Empty);
                if (best is null || candidate.Item1 > best.Value.LastId)
                {
                    best = candidate;
                }
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // Not a head line: a torn last write, or not a head file at all (then nothing is found).
            }
        }

        return best ?? throw new CliException($"{file.FullName} holds no head written by 'gatewayctl audit head' or the service's audit head file");
    }

    private static async Task<string> ReadFileAsync(FileInfo file, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllTextAsync(file.FullName, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read {file.FullName}: {ex.Message}", 1, ex);
        }
    }

    private static void Append(StringBuilder query, string name, string? value)
    {
        if (value is not null)
        {
            query.Append(name).Append('=').Append(Uri.EscapeDataString(value)).Append('&');
        }
    }
}
