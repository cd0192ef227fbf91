using System.CommandLine;
using Gateway.Cli.Api;

namespace Gateway.Cli.Commands;

/// <summary><c>gatewayctl holders add|list|show|update</c> over <c>/api/holders</c>.</summary>
public static class HoldersCommand
{
    private static readonly (string, string)[] Columns = [("id", "id"), ("name", "name"), ("unit", "unitAddress"), ("phone", "phone"), ("id doc", "idDocument")];

    private static readonly (string, string)[] Fields = [("id", "id"), ("name", "name"), ("unit", "unitAddress"), ("phone", "phone"), ("email", "email"), ("id document", "idDocument"), ("created", "created"), ("updated", "updated")];

    public static Command Create()
    {
        var command = new Command("holders", "Cardholders and their units");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Update());
        return command;
    }

    private static Command Add()
    {
        var name = new Option<string>("--name") { Description = "Full name", Required = true };
        var unit = new Option<string>("--unit") { Description = "building-unit-room, e.g. 3-2-1201", Required = true };
        var (phone, email, idNumber) = Contacts();
        return OperatorCommand.Create("add", "Register a cardholder", async (parse, client, json, ct) =>
        {
            var (b, u, r) = SplitUnit(parse.GetValue(unit)!);
            var holder = await client.PostAsync("api/holders", new { name = parse.GetValue(name), building = b, unit = u, room = r, phone = parse.GetValue(phone), email = parse.GetValue(email), idDocumentNumber = parse.GetValue(idNumber) }, ct);
            Print(holder, json);
            return 0;
        }, name, unit, phone, email, idNumber);
    }

    private static Command Update()
    {
        var id = new Argument<long>("id") { Description = "Holder id" };
        var name = new Option<string?>("--name") { Description = "New full name" };
        var unit = new Option<string?>("--unit") { Description = "New unit, building-unit-room" };
        var (phone, email, idNumber) = Contacts();
        return OperatorCommand.Create("update", "Change a holder's name, unit, contacts or ID-document number", async (parse, client, json, ct) =>
        {
            string? b = null, u = null, r = null;
            if (parse.GetValue(unit) is { } text)
            {
                (b, u, r) = SplitUnit(text);
            }

            var holder = await client.PatchAsync($"api/holders/{parse.GetValue(id)}", new { name = parse.GetValue(name), building = b, unit = u, room = r, phone = parse.GetValue(phone), email = parse.GetValue(email), idDocumentNumber = parse.GetValue(idNumber) }, ct);
            Print(holder, json);
            return 0;
        }, id, name, unit, phone, email, idNumber);
    }

    private static Command List()
    {
        var unit = new Option<string?>("--unit") { Description = "Only this unit, building-unit-room" };
        var building = new Option<string?>("--building") { Description = "Only this building" };
        var name = new Option<string?>("--name") { Description = "Name contains" };
        var (limit, after) = Paging();
        return OperatorCommand.Create("list", "List holders", async (parse, client, json, ct) =>
        {
            var page = await client.GetAsync(OperatorCommand.Query("api/holders", ("unit", parse.GetValue(unit)), ("building", parse.GetValue(building)), ("name", parse.GetValue(name)), ("limit", parse.GetValue(limit)), ("after", parse.GetValue(after))), ct);
            OperatorCommand.PrintPage(page, json, Columns);
            return 0;
        }, unit, building, name, limit, after);
    }

    private static Command Show()
    {
        var id = new Argument<long>("id") { Description = "Holder id" };
        return OperatorCommand.Create("show", "Show one holder and their cards", async (parse, client, json, ct) =>
        {
            var holder = await client.GetAsync($"api/holders/{parse.GetValue(id)}", ct);
            var cards = await client.GetAsync($"api/cards?holder={parse.GetValue(id)}&limit=500", ct);
            if (json)
            {
                Output.Json(holder);
                return 0;
            }

            Output.Record(holder, Fields);
            Console.WriteLine();
            Output.Table(cards.GetProperty("items").EnumerateArray(), CardsCommand.Columns);
            return 0;
        }, id);
    }

    internal static (Option<int?> Limit, Option<long?> After) Paging() => (
        new Option<int?>("--limit") { Description = "Rows per page (1-500, default 50)" },
        new Option<long?>("--after") { Description = "Continue after this id (printed as 'more: --after N')" });

    private static (Option<string?> Phone, Option<string?> Email, Option<string?> IdNumber) Contacts() => (
        new Option<string?>("--phone") { Description = "Phone number" },
        new Option<string?>("--email") { Description = "E-mail address" },
        new Option<string?>("--id-number") { Description = "ID-document number; only its last 4 characters are kept" });

    private static (string Building, string Unit, string Room) SplitUnit(string text)
    {
        var parts = text.Split('-');
        if (parts.Length != 3 || parts.Any(p => p.Length == 0))
        {
            throw new CliException($"--unit '{text}' is not building-unit-room (e.g. 3-2-1201)", 2);
        }

        return (parts[0], parts[1], parts[2]);
    }

    private static void Print(System.Text.Json.JsonElement holder, bool json)
    {
        if (json)
        {
            Output.Json(holder);
        }
        else
        {
            Output.Record(holder, Fields);
        }
    }
}
