using System.CommandLine;
using System.Text.Json;
using Gateway.Cli.Api;

namespace Gateway.Cli.Commands;

/// <summary><c>gatewayctl cards ...</c> over <c>/api/cards</c>: stock, issue, replace, the card life, entries, and "who is this?".</summary>
public static class CardsCommand
{
    internal static readonly (string, string)[] Columns = [("number", "number"), ("state", "state"), ("kind", "kind"), ("holder", "holder.name"), ("unit", "holder.unitAddress"), ("uid", "uid")];

    private static readonly (string, string)[] Fields =
    [
        ("number", "number"), ("state", "state"), ("kind", "kind"), ("uid", "uid"), ("holder", "holder.name"), ("unit", "holder.unitAddress"),
        ("issued", "issueCount"), ("replaces", "replaces"), ("replaced by", "replacedBy"), ("reason", "stateReason"), ("note", "stateNote"), ("batch", "batch"), ("updated", "updated"),
    ];

    private static readonly (string, string)[] TemporaryFields =
    [
        ("purpose", "temporary.purpose"), ("bearer", "temporary.bearer"), ("stands in for", "temporary.standsInFor"),
        ("valid from", "temporary.validFrom"), ("valid until", "temporary.validUntil"), ("status", "temporary.status"), ("days left", "temporary.daysLeft"),
    ];

    private static readonly (string, string)[] TemporaryColumns =
    [
        ("number", "number"), ("purpose", "temporary.purpose"), ("status", "temporary.status"), ("days left", "temporary.daysLeft"),
        ("valid until", "temporary.validUntil"), ("holder", "holder.name"), ("unit", "holder.unitAddress"), ("bearer", "temporary.bearer"), ("for", "temporary.standsInFor"),
    ];

    private const string AllItems = "card,door-keys,gift,resident-handbook,management-agreement";

    public static Command Create()
    {
        var command = new Command("cards", "Card stock and card life");
        command.Subcommands.Add(Receive());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Issue());
        command.Subcommands.Add(Replace());
        command.Subcommands.Add(IssueTemporary());
        command.Subcommands.Add(Temporary());
        command.Subcommands.Add(Simple("lost", "report-lost", "Report an issued card lost"));
        command.Subcommands.Add(Simple("found", "found", "A lost card was found (back to issued, or returned if already replaced)"));
        command.Subcommands.Add(Revoke());
        command.Subcommands.Add(Simple("damaged", "damaged", "Mark an issued card damaged"));
        command.Subcommands.Add(Simple("write-off", "write-off", "Write off a damaged card"));
        command.Subcommands.Add(Return());
        command.Subcommands.Add(Charges());
        command.Subcommands.Add(Fees());
        command.Subcommands.Add(Recycle());
        command.Subcommands.Add(Entries());
        command.Subcommands.Add(Who());
        command.Subcommands.Add(Zones());
        return command;
    }

    private static Command Receive()
    {
        var from = new Argument<long>("from") { Description = "First card number of the range" };
        var to = new Argument<long>("to") { Description = "Last card number of the range (inclusive)" };
        var batch = new Option<string?>("--batch") { Description = "Delivery or batch reference" };
        return OperatorCommand.Create("receive", "Receive a numbered range of blank cards into stock", async (parse, client, json, ct) =>
        {
            var result = await client.PostAsync("api/cards/stock", new { from = parse.GetValue(from), to = parse.GetValue(to), batch = parse.GetValue(batch) }, ct);
            if (json)
            {
                Output.Json(result);
            }
            else
            {
                Console.WriteLine($"received {Output.Cell(result, "count")} cards {Output.Cell(result, "from")}-{Output.Cell(result, "to")} into stock");
            }

            return 0;
        }, from, to, batch);
    }

    private static Command List()
    {
        var state = new Option<string?>("--state") { Description = "in-stock, issued, lost, revoked, damaged, written-off, returned" };
        var kind = new Option<string?>("--kind") { Description = "access, parking, both" };
        var holder = new Option<long?>("--holder") { Description = "Holder id" };
        var unit = new Option<string?>("--unit") { Description = "Holder's unit, building-unit-room" };
        var number = new Option<long?>("--number") { Description = "One card number" };
        var (limit, after) = HoldersCommand.Paging();
        return OperatorCommand.Create("list", "List cards", async (parse, client, json, ct) =>
        {
            var page = await client.GetAsync(OperatorCommand.Query("api/cards", ("state", parse.GetValue(state)), ("kind", parse.GetValue(kind)), ("holder", parse.GetValue(holder)), ("unit", parse.GetValue(unit)), ("number", parse.GetValue(number)), ("limit", parse.GetValue(limit)), ("after", parse.GetValue(after))), ct);
            OperatorCommand.PrintPage(page, json, Columns);
            return 0;
        }, state, kind, holder, unit, number, limit, after);
    }

    private static Command Show()
    {
        var number = NumberArgument();
        return OperatorCommand.Create("show", "Show one card and its history", async (parse, client, json, ct) =>
        {
            var card = await client.GetAsync($"api/cards/{parse.GetValue(number)}", ct);
            if (json)
            {
                Output.Json(card);
                return 0;
            }

            var history = await client.GetAsync($"api/cards/{parse.GetValue(number)}/history", ct);
            Print(card, json: false);
            Console.WriteLine();
            Output.Table(history.GetProperty("events").EnumerateArray(), [("at", "at"), ("action", "action"), ("from", "from"), ("to", "to"), ("reason", "reason"), ("note", "note"), ("by", "operatorId")]);
            return 0;
        }, number);
    }

    private static Command Issue()
    {
        var number = NumberArgument();
        var holder = new Option<long>("--holder") { Description = "Holder id", Required = true };
        var kind = new Option<string>("--kind") { Description = "access, parking or both", Required = true };
        var (items, receipt, encoder, key) = HandOverOptions();
        var feeReceipt = FeeReceiptOption();
        return OperatorCommand.Create("issue", "Write the card lying on the encoder and issue it to a holder", async (parse, client, json, ct) =>
        {
            var body = new { holderId = parse.GetValue(holder), kind = parse.GetValue(kind), encoder = parse.GetValue(encoder), handOver = HandOver(parse, items, receipt), feeReceiptNumber = parse.GetValue(feeReceipt) };
            var card = await WithResumeHintAsync(parse.GetValue(key), k => client.PostAsync($"api/cards/{parse.GetValue(number)}/issue", body, ct, k));
            Print(card, json);
            return 0;
        }, number, holder, kind, items, receipt, encoder, key, feeReceipt);
    }

    private static Command Replace()
    {
        var number = NumberArgument();
        var newNumber = new Option<long>("--new") { Description = "Number of the new card (on the encoder)", Required = true };
        var reason = new Option<string>("--reason") { Description = "lost or damaged", Required = true };
        var (items, receipt, encoder, key) = HandOverOptions();
        var feeReceipt = FeeReceiptOption();
        return OperatorCommand.Create("replace", "Replace a lost or damaged card with a new one for the same holder; its parking agreements move to the new card", async (parse, client, json, ct) =>
        {
            var body = new { newCardNumber = parse.GetValue(newNumber), reason = parse.GetValue(reason), encoder = parse.GetValue(encoder), handOver = HandOver(parse, items, receipt), feeReceiptNumber = parse.GetValue(feeReceipt) };
            var card = await WithResumeHintAsync(parse.GetValue(key), k => client.PostAsync($"api/cards/{parse.GetValue(number)}/replace", body, ct, k));
            Print(card, json);
            return 0;
        }, number, newNumber, reason, items, receipt, encoder, key, feeReceipt);
    }

    private static Command IssueTemporary()
    {
        var number = NumberArgument();
        var purpose = new Option<string?>("--purpose") { Description = "tenant, contractor or visitor (with --for: stand-in)" };
        var holder = new Option<long?>("--holder") { Description = "Holder id (a visitor: the resident visited)" };
        var kind = new Option<string?>("--kind") { Description = "access, parking or both" };
        var standsIn = new Option<long?>("--for") { Description = "A stand-in for this lost card (its holder and kind)" };
        var days = new Option<int?>("--days") { Description = "Valid for N whole days from today's local midnight" };
        var from = new Option<string?>("--from") { Description = "Valid from (ISO 8601 instant, e.g. 2026-03-01T08:00:00+08:00; default now)" };
        var until = new Option<string?>("--until") { Description = "Valid until, exclusive (ISO 8601 instant)" };
        var bearer = new Option<string?>("--bearer") { Description = "Who carries it (required for visitors and contractors)" };
        var (items, receipt, encoder, key) = HandOverOptions();
        var feeReceipt = FeeReceiptOption();
        return OperatorCommand.Create("issue-temporary", "Write the card lying on the encoder and issue it as a temporary, visitor or stand-in card", async (parse, client, json, ct) =>
        {
            var lost = parse.GetValue(standsIn);
            var body = new
            {
                purpose = parse.GetValue(purpose) ?? (lost is null ? null : "stand-in"),
                holderId = parse.GetValue(holder),
                kind = parse.GetValue(kind),
                standsInFor = lost,
                days = parse.GetValue(days),
                validFrom = Instant(parse.GetValue(from), "--from"),
                validUntil = Instant(parse.GetValue(until), "--until"),
                bearer = parse.GetValue(bearer),
                encoder = parse.GetValue(encoder),
                handOver = HandOver(parse, items, receipt),
                feeReceiptNumber = parse.GetValue(feeReceipt),
            };
            var card = await WithResumeHintAsync(parse.GetValue(key), k => client.PostAsync($"api/cards/{parse.GetValue(number)}/issue-temporary", body, ct, k));
            Print(card, json);
            return 0;
        }, number, purpose, holder, kind, standsIn, days, from, until, bearer, items, receipt, encoder, key, feeReceipt);
    }

    private static Command Temporary()
    {
        var status = new Option<string?>("--status") { Description = "not-yet-valid, active, expired, revoked, lost, closed (default: every card still out)" };
        var purpose = new Option<string?>("--purpose") { Description = "tenant, contractor, visitor, stand-in" };
        var holder = new Option<long?>("--holder") { Description = "Holder id" };
        var (limit, after) = HoldersCommand.Paging();
        return OperatorCommand.Create("temporary", "List temporary and visitor cards with their status and days left", async (parse, client, json, ct) =>
        {
            var page = await client.GetAsync(OperatorCommand.Query("api/temporary-cards", ("status", parse.GetValue(status)), ("purpose", parse.GetValue(purpose)), ("holder", parse.GetValue(holder)), ("limit", parse.GetValue(limit)), ("after", parse.GetValue(after))), ct);
            OperatorCommand.PrintPage(page, json, TemporaryColumns);
            return 0;
        }, status, purpose, holder, limit, after);
    }

    /// <summary>An ISO 8601 instant as the API takes it (with its offset), or a clear error before anything is sent.</summary>
    private static DateTimeOffset? Instant(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        // The offset is required: the machine running gatewayctl may not be in the site's zone.
        var explicitOffset = System.Text.RegularExpressions.Regex.IsMatch(text, @"T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$");
        return explicitOffset && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var value)
            ? value
            : throw new CliException($"{option} '{text}' is not an ISO 8601 instant with a time and an offset, e.g. 2026-03-01T08:00:00+08:00", 2);
    }

    private static Command Revoke()
    {
        var number = NumberArgument();
        var reason = new Option<string>("--reason") { Description = "moved-out or other", Required = true };
        var text = new Option<string?>("--text") { Description = "Why (required for other)" };
        return OperatorCommand.Create("revoke", "Revoke an issued card", async (parse, client, json, ct) =>
        {
            Print(await client.PostAsync($"api/cards/{parse.GetValue(number)}/revoke", new { reason = parse.GetValue(reason), text = parse.GetValue(text) }, ct), json);
            return 0;
        }, number, reason, text);
    }

    private static Command Recycle()
    {
        var number = NumberArgument();
        var encoder = new Option<string?>("--encoder") { Description = "Encoder device id (default: the only one configured)" };
        return OperatorCommand.Create("recycle", "Erase a returned card on the encoder and put it back into stock", async (parse, client, json, ct) =>
        {
            Print(await client.PostAsync($"api/cards/{parse.GetValue(number)}/recycle", new { encoder = parse.GetValue(encoder) }, ct), json);
            return 0;
        }, number, encoder);
    }

    private static Command Simple(string name, string route, string description)
    {
        var number = NumberArgument();
        var note = new Option<string?>("--note") { Description = "A note kept in the card's history" };
        return OperatorCommand.Create(name, description, async (parse, client, json, ct) =>
        {
            Print(await client.PostAsync($"api/cards/{parse.GetValue(number)}/{route}", new { note = parse.GetValue(note) }, ct), json);
            return 0;
        }, number, note);
    }

    private static Command Return()
    {
        var number = NumberArgument();
        var note = new Option<string?>("--note") { Description = "A note kept in the card's history" };
        var refund = new Option<string?>("--refund-receipt") { Description = "Receipt-book number of the deposit refund (required when the card holds a deposit)" };
        return OperatorCommand.Create("return", "A revoked card was handed back (move-out); its deposit, if it holds one, is refunded", async (parse, client, json, ct) =>
        {
            var card = await client.PostAsync($"api/cards/{parse.GetValue(number)}/return", new { note = parse.GetValue(note), refundReceiptNumber = parse.GetValue(refund) }, ct);
            Print(card, json);
            if (!json && parse.GetValue(refund) is { } receipt)
            {
                var charges = await client.GetAsync($"api/cards/{parse.GetValue(number)}/charges", ct);
                var refunded = charges.GetProperty("charges").EnumerateArray().LastOrDefault(c => Output.Cell(c, "receiptNumber") == receipt);
                if (refunded.ValueKind == JsonValueKind.Object)
                {
                    Console.WriteLine($"deposit refunded: {Output.Cell(refunded, "amountFen")} yuan, receipt {receipt}");
                }
            }

            return 0;
        }, number, note, refund);
    }

    private static Command Charges()
    {
        var number = NumberArgument();
        return OperatorCommand.Create("charges", "The card's fees, deposits and refunds, and the deposit it holds", async (parse, client, json, ct) =>
        {
            var charges = await client.GetAsync($"api/cards/{parse.GetValue(number)}/charges", ct);
            if (json)
            {
                Output.Json(charges);
                return 0;
            }

            Output.Table(charges.GetProperty("charges").EnumerateArray(), [("at", "recordedUtc"), ("kind", "kind"), ("amount", "amountFen"), ("receipt", "receiptNumber"), ("holder", "holderId holderName"), ("by", "recordedBy")]);
            Console.WriteLine($"deposit held: {Output.Cell(charges, "depositHeldFen")}");
            return 0;
        }, number);
    }

    private static Command Fees() => OperatorCommand.Create("fees", "The site's card fee schedule (yuan)", async (parse, client, json, ct) =>
    {
        var fees = await client.GetAsync("api/card-fees", ct);
        if (json)
        {
            Output.Json(fees);
        }
        else
        {
            Output.Record(fees, [("card fee", "cardFen"), ("replacement fee", "replacementFen"), ("deposit", "depositFen")]);
        }

        return 0;
    });

    private static Option<string?> FeeReceiptOption() => new("--fee-receipt") { Description = "Receipt-book number of the card fee and deposit taken (required when the site's fee schedule charges any: see 'cards fees')" };

    private static Command Entries()
    {
        var number = NumberArgument();
        return OperatorCommand.Create("entries", "The whitelist entries the card should have, per controller", async (parse, client, json, ct) =>
        {
            var entries = await client.GetAsync($"api/cards/{parse.GetValue(number)}/entries", ct);
            if (json)
            {
                Output.Json(entries);
            }
            else
            {
                Output.Table(entries.GetProperty("entries").EnumerateArray(), [("controller", "controllerId"), ("zone", "zone"), ("uid", "cardUid"), ("blocked", "blocked")]);
            }

            return 0;
        }, number);
    }

    private static Command Who()
    {
        var encoder = new Argument<string>("encoder") { Description = "Encoder device id" };
        return OperatorCommand.Create("who", "Who is this? Read the card lying on the encoder", async (parse, client, json, ct) =>
        {
            var answer = await client.GetAsync($"api/encoders/{Uri.EscapeDataString(parse.GetValue(encoder)!)}/card", ct);
            if (json)
            {
                Output.Json(answer);
                return answer.GetProperty("valid").GetBoolean() ? 0 : 6;
            }

            var valid = answer.GetProperty("valid").GetBoolean();
            Console.WriteLine(valid ? "VALID" : $"NOT VALID: {Output.Cell(answer, "status")}: {Output.Cell(answer, "reason")}");
            if (answer.TryGetProperty("card", out var card) && card.ValueKind == JsonValueKind.Object)
            {
                Output.Record(card, Fields);
            }
            else
            {
                Console.WriteLine($"uid      {Output.Cell(answer, "uid")}");
            }

            return valid ? 0 : 6;
        }, encoder);
    }

    private static Command Zones() => OperatorCommand.Create("zones", "Zones of this site and the controllers serving them", async (parse, client, json, ct) =>
    {
        var zones = await client.GetAsync("api/zones", ct);
        if (json)
        {
            Output.Json(zones);
        }
        else
        {
            Output.Table(zones.GetProperty("items").EnumerateArray(), [("zone", "zone"), ("controllers", "controllers")]);
        }

        return 0;
    });

    private static Argument<long> NumberArgument() => new("number") { Description = "Card number (printed on the card)" };

    private static (Option<string> Items, Option<string> Receipt, Option<string?> Encoder, Option<string?> Key) HandOverOptions() => (
        new Option<string>("--items") { Description = $"Items handed over, comma-separated (default: {AllItems})", DefaultValueFactory = _ => AllItems },
        new Option<string>("--receipt") { Description = "Reference of the receipt the resident signed", Required = true },
        new Option<string?>("--encoder") { Description = "Encoder device id (default: the only one configured)" },
        new Option<string?>("--idempotency-key") { Description = "Resume an earlier attempt: pass the key it printed (default: a new key)" });

    private static object HandOver(ParseResult parse, Option<string> items, Option<string> receipt) => new
    {
        items = parse.GetValue(items)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        receiptReference = parse.GetValue(receipt),
    };

    /// <summary>Runs an idempotent call; if it fails with the outcome unknown or resumable, the message says which key resumes it.</summary>
    private static async Task<JsonElement> WithResumeHintAsync(string? key, Func<string, Task<JsonElement>> call)
    {
        key ??= Guid.NewGuid().ToString();
        try
        {
            return await call(key);
        }
        catch (CliException ex) when (ex.ExitCode == 1)
        {
            throw new CliException($"{ex.Message}; to resume, run the same command with --idempotency-key {key}", ex.ExitCode, ex);
        }
    }

    private static void Print(JsonElement card, bool json)
    {
        if (json)
        {
            Output.Json(card);
            return;
        }

        var temporary = card.TryGetProperty("temporary", out var terms) && terms.ValueKind == JsonValueKind.Object;
        Output.Record(card, temporary ? [.. Fields, .. TemporaryFields] : Fields);
    }
}
