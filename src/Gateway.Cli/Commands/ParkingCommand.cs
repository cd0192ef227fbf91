using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Cli.Api;

namespace Gateway.Cli.Commands;

/// <summary>
/// <c>gatewayctl parking …</c>: agreements, payments, grant, reverse, bank debit export/import and
/// expiry reminders over the service's <c>/api/parking</c> endpoints. Every command takes
/// <c>--server</c>; listing and showing commands take <c>--json</c>. Idempotency keys are derived from
/// what the command does (the payment being granted, the receipt being recorded, the file being
/// imported), so running the same command again is answered with the first result instead of
/// acting twice. See docs/parking.md and docs/api.md.
/// </summary>
public static class ParkingCommand
{
    private static readonly (string, string)[] AgreementColumns =
    [
        ("id", "id"), ("number", "agreementNumber"), ("holder", "holderId holderName"), ("card", "cardNumber"), ("plate", "plate"), ("space", "space"),
        ("fee", "monthlyFeeFen"), ("cycle", "billingCycle"), ("method", "paymentMethod"), ("state", "state"), ("paid until", "paidUntil"),
    ];

    private static readonly (string, string)[] PaymentColumns =
    [
        ("id", "id"), ("agreement", "agreementId agreementNumber"), ("holder", "holderId holderName"), ("amount", "amountFen"), ("method", "method"), ("receipt", "receiptNumber"), ("state", "state"),
        ("start", "period.start"), ("end", "period.end"),
    ];

    public static Command Create()
    {
        var parking = new Command("parking", "Parking agreements, payments and paid periods (amounts in yuan: --amount 900.00; fen with --amount-fen 90000)");
        parking.Subcommands.Add(Agreements());
        parking.Subcommands.Add(Payments());
        parking.Subcommands.Add(Grant());
        parking.Subcommands.Add(Reverse());
        parking.Subcommands.Add(Debit());
        parking.Subcommands.Add(Expiring());
        parking.Subcommands.Add(Overdue());
        return parking;
    }

    private static Command Agreements()
    {
        var agreements = new Command("agreements", "List, show, create and end parking agreements");

        var list = new Command("list", "List agreements");
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var plate = new Option<string?>("--plate") { Description = "Only this plate" };
        var holder = new Option<long?>("--holder") { Description = "Only this holder id" };
        var card = new Option<long?>("--card") { Description = "Only this card number" };
        var number = new Option<string?>("--number") { Description = "Only this agreement number" };
        var state = new Option<string?>("--state") { Description = "active or ended" };
        var limit = new Option<int?>("--limit") { Description = "At most this many (1-500, default 50)" };
        var after = new Option<long?>("--after") { Description = "Start after this id (the 'next' of the previous page)" };
        AddOptions(list, server, json, plate, holder, card, number, state, limit, after);
        list.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var query = Query(("plate", parse.GetValue(plate)), ("holderId", Text(parse.GetValue(holder))), ("cardNumber", Text(parse.GetValue(card))), ("agreementNumber", parse.GetValue(number)), ("state", parse.GetValue(state)), ("limit", Text(parse.GetValue(limit))), ("after", Text(parse.GetValue(after))));
            var page = await client.GetAsync("api/parking/agreements" + query, ct);
            PrintPage(page, AgreementColumns, parse.GetValue(json));
            return 0;
        }));

        var show = new Command("show", "One agreement with its periods and the validity the controllers get");
        var showServer = CommonOptions.Server();
        var showJson = CommonOptions.Json();
        var id = new Argument<long>("ID") { Description = "Agreement id" };
        show.Arguments.Add(id);
        AddOptions(show, showServer, showJson);
        show.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(showServer)!);
            var agreement = await client.GetAsync($"api/parking/agreements/{parse.GetValue(id)}", ct);
            if (parse.GetValue(showJson))
            {
                Output.Json(agreement);
                return 0;
            }

            Output.Record(agreement, [.. AgreementColumns, ("bank account", "bankAccountName bankAccount"), ("signed copy", "signedCopyRef"), ("valid from", "validity.validFromUtc"), ("valid to", "validity.validToUtc")]);
            Console.WriteLine();
            Output.Table(agreement.GetProperty("periods").EnumerateArray(), [("payment", "paymentId"), ("start", "start"), ("end", "end"), ("months", "months"), ("days", "days"), ("chain from", "chainStart")]);
            return 0;
        }));

        var create = new Command("create", "Record a parking agreement");
        var createServer = CommonOptions.Server();
        var createJson = CommonOptions.Json();
        var cNumber = new Option<string>("--number") { Description = "Agreement number (1-32 letters, digits, '-', '_', '/')", Required = true };
        var cHolder = new Option<long>("--holder") { Description = "Holder id", Required = true };
        var cCard = new Option<long>("--card") { Description = "Card number of the holder's issued parking card", Required = true };
        var cPlate = new Option<string>("--plate") { Description = "Vehicle plate, e.g. 沪A12345", Required = true };
        var cSpace = new Option<string>("--space") { Description = "Parking space, e.g. B1-017", Required = true };
        var cFee = new Option<string?>("--fee") { Description = "Monthly fee in yuan, e.g. 300.00" };
        var cFeeFen = new Option<long?>("--fee-fen") { Description = "Monthly fee in fen instead (30000 = 300.00 yuan)" };
        var cCycle = new Option<string>("--cycle") { Description = "month, quarter or half-year", Required = true };
        var cMethod = new Option<string>("--method") { Description = "cash or bank-debit", Required = true };
        var cCopy = new Option<string>("--signed-copy") { Description = "Reference of the archived signed copy", Required = true };
        var (cAccountName, cAccountNumber) = AccountOptions();
        AddOptions(create, createServer, createJson, cNumber, cHolder, cCard, cPlate, cSpace, cFee, cFeeFen, cCycle, cMethod, cCopy, cAccountName, cAccountNumber);
        create.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var fee = Yuan.FromOptions("--fee", parse.GetValue(cFee), "--fee-fen", parse.GetValue(cFeeFen), required: true);
            using var client = ApiClient.ForOperator(parse.GetValue(createServer)!);
            var agreement = await client.PostAsync("api/parking/agreements", new
            {
                agreementNumber = parse.GetValue(cNumber),
                holderId = parse.GetValue(cHolder),
                cardNumber = parse.GetValue(cCard),
                plate = parse.GetValue(cPlate),
                space = parse.GetValue(cSpace),
                monthlyFeeFen = fee,
                billingCycle = parse.GetValue(cCycle),
                paymentMethod = parse.GetValue(cMethod),
                signedCopyRef = parse.GetValue(cCopy),
                bankAccountName = parse.GetValue(cAccountName),
                bankAccountNumber = parse.GetValue(cAccountNumber),
            }, ct);
            PrintOne(agreement, AgreementColumns, parse.GetValue(createJson));
            return 0;
        }));

        var end = new Command("end", "End an agreement (move-out)");
        var endServer = CommonOptions.Server();
        var endJson = CommonOptions.Json();
        var endId = new Argument<long>("ID") { Description = "Agreement id" };
        var reason = new Option<string>("--reason") { Description = "Why (e.g. moved out)", Required = true };
        end.Arguments.Add(endId);
        AddOptions(end, endServer, endJson, reason);
        end.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(endServer)!);
            var ended = await client.PostAsync($"api/parking/agreements/{parse.GetValue(endId)}/end", new { reason = parse.GetValue(reason) }, ct);
            PrintOne(ended, AgreementColumns, parse.GetValue(endJson));
            return 0;
        }));

        var update = new Command("update", "Change an agreement's card (parking follows it to the controllers), plate, space or bank account");
        var updateServer = CommonOptions.Server();
        var updateJson = CommonOptions.Json();
        var updateId = new Argument<long>("ID") { Description = "Agreement id" };
        var uCard = new Option<long?>("--card") { Description = "Another card of the same holder (issued, kind parking or both)" };
        var uPlate = new Option<string?>("--plate") { Description = "New plate (a new car)" };
        var uSpace = new Option<string?>("--space") { Description = "New space (a swapped space)" };
        var (uAccountName, uAccountNumber) = AccountOptions();
        update.Arguments.Add(updateId);
        AddOptions(update, updateServer, updateJson, uCard, uPlate, uSpace, uAccountName, uAccountNumber);
        update.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(updateServer)!);
            var changed = await client.PatchAsync($"api/parking/agreements/{parse.GetValue(updateId)}", new
            {
                cardNumber = parse.GetValue(uCard),
                plate = parse.GetValue(uPlate),
                space = parse.GetValue(uSpace),
                bankAccountName = parse.GetValue(uAccountName),
                bankAccountNumber = parse.GetValue(uAccountNumber),
            }, ct);
            if (parse.GetValue(updateJson))
            {
                Output.Json(changed);
                return 0;
            }

            Output.Record(changed.GetProperty("agreement"), [.. AgreementColumns, ("bank account", "bankAccountName bankAccount")]);
            var fields = changed.GetProperty("changed").EnumerateArray().Select(f => f.GetString()).ToList();
            Console.WriteLine(fields.Count == 0 ? "nothing changed" : "changed: " + string.Join(", ", fields));
            return 0;
        }));

        agreements.Subcommands.Add(list);
        agreements.Subcommands.Add(show);
        agreements.Subcommands.Add(create);
        agreements.Subcommands.Add(update);
        agreements.Subcommands.Add(end);
        return agreements;
    }

    private static Command Payments()
    {
        var payments = new Command("payments", "List, show and record payments");

        var list = new Command("list", "List payments");
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var agreement = new Option<long?>("--agreement") { Description = "Only this agreement id" };
        var state = new Option<string?>("--state") { Description = "recorded, granted or reversed" };
        var limit = new Option<int?>("--limit") { Description = "At most this many (1-500, default 50)" };
        var after = new Option<long?>("--after") { Description = "Start after this id" };
        AddOptions(list, server, json, agreement, state, limit, after);
        list.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var page = await client.GetAsync("api/parking/payments" + Query(("agreementId", Text(parse.GetValue(agreement))), ("state", parse.GetValue(state)), ("limit", Text(parse.GetValue(limit))), ("after", Text(parse.GetValue(after)))), ct);
            PrintPage(page, PaymentColumns, parse.GetValue(json));
            return 0;
        }));

        var show = new Command("show", "One payment and the period it bought");
        var showServer = CommonOptions.Server();
        var showJson = CommonOptions.Json();
        var id = new Argument<long>("ID") { Description = "Payment id" };
        show.Arguments.Add(id);
        AddOptions(show, showServer, showJson);
        show.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(showServer)!);
            PrintOne(await client.GetAsync($"api/parking/payments/{parse.GetValue(id)}", ct), PaymentColumns, parse.GetValue(showJson));
            return 0;
        }));

        var record = new Command("record", "Record a payment received at the front desk");
        var recordServer = CommonOptions.Server();
        var recordJson = CommonOptions.Json();
        var agreementId = new Argument<long>("AGREEMENT") { Description = "Agreement id" };
        var amount = new Option<string?>("--amount") { Description = "Amount in yuan, e.g. 900.00" };
        var amountFen = new Option<long?>("--amount-fen") { Description = "Amount in fen instead (90000 = 900.00 yuan)" };
        var method = new Option<string>("--method") { Description = "cash or bank-debit", DefaultValueFactory = _ => "cash" };
        var receipt = new Option<string>("--receipt") { Description = "Receipt number", Required = true };
        record.Arguments.Add(agreementId);
        AddOptions(record, recordServer, recordJson, amount, amountFen, method, receipt);
        record.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var fen = Yuan.FromOptions("--amount", parse.GetValue(amount), "--amount-fen", parse.GetValue(amountFen), required: true);
            using var client = ApiClient.ForOperator(parse.GetValue(recordServer)!);
            var number = parse.GetValue(agreementId);
            var receiptNumber = parse.GetValue(receipt)!;
            var paymentMethod = parse.GetValue(method)!;
            var payment = await client.PostAsync(
                $"api/parking/agreements/{number}/payments",
                new { amountFen = fen, method = paymentMethod, receiptNumber },
                ct,
                idempotencyKey: PaymentKey(number, receiptNumber, fen!.Value, paymentMethod));
            PrintOne(payment, PaymentColumns, parse.GetValue(recordJson));
            return 0;
        }));

        payments.Subcommands.Add(list);
        payments.Subcommands.Add(show);
        payments.Subcommands.Add(record);
        return payments;
    }

    /// <summary>
    /// The idempotency key of <c>payments record</c>: the agreement, receipt, amount and method of the
    /// request, so the same command run again replays the first answer, while the same receipt with a
    /// corrected amount or method (after a refusal, say) is a new request rather than a reused key
    /// (422). Hashed: a receipt number may hold Chinese text or spaces, which a header value may not.
    /// </summary>
    public static string PaymentKey(long agreement, string receipt, long amountFen, string method) =>
        FormattableString.Invariant($"payment-{agreement}-") + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(FormattableString.Invariant($"{receipt}\n{amountFen}\n{method}"))))[..32];

    private static Command Grant()
    {
        var command = new Command("grant", "Grant the period a recorded payment buys");
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var id = new Argument<long>("PAYMENT") { Description = "Payment id" };
        command.Arguments.Add(id);
        AddOptions(command, server, json);
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var payment = parse.GetValue(id);
            var grant = await client.PostAsync($"api/parking/payments/{payment}/grant", null, ct, idempotencyKey: $"grant-{payment}");
            if (parse.GetValue(json))
            {
                Output.Json(grant);
                return 0;
            }

            Output.Record(grant, [("payment", "payment.id"), ("start", "period.start"), ("end", "period.end"), ("months", "period.months"), ("days", "period.days"), ("extended", "extended"), ("valid from", "validity.validFromUtc"), ("valid to", "validity.validToUtc")]);
            return 0;
        }));
        return command;
    }

    private static Command Reverse()
    {
        var command = new Command("reverse", "Reverse a payment; later periods of its chain move earlier");
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var id = new Argument<long>("PAYMENT") { Description = "Payment id" };
        var reason = new Option<string>("--reason") { Description = "Why (e.g. cheque bounced)", Required = true };
        command.Arguments.Add(id);
        AddOptions(command, server, json, reason);
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var reversal = await client.PostAsync($"api/parking/payments/{parse.GetValue(id)}/reverse", new { reason = parse.GetValue(reason) }, ct);
            if (parse.GetValue(json))
            {
                Output.Json(reversal);
                return 0;
            }

            Output.Record(reversal, [("payment", "payment.id"), ("state", "payment.state"), ("removed", "removed.start"), ("removed to", "removed.end"), ("valid to", "validity.validToUtc")]);
            var moved = reversal.GetProperty("moved").EnumerateArray().ToList();
            if (moved.Count > 0)
            {
                Console.WriteLine();
                Console.WriteLine("moved earlier:");
                Output.Table(moved, [("payment", "paymentId"), ("start", "start"), ("end", "end")]);
            }

            return 0;
        }));
        return command;
    }

    private static Command Debit()
    {
        var debit = new Command("debit", "Bank debit: export the month's requests, import the bank's results");

        var export = new Command("export", "Write the month's debit requests as CSV (stdout, or --out FILE)");
        var server = CommonOptions.Server();
        var month = new Option<string?>("--month") { Description = "yyyy-MM (default: this month at the site)" };
        var output = new Option<string?>("--out") { Description = "Write to this file instead of stdout" };
        AddOptions(export, server, month, output);
        export.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            var csv = await client.SendBytesAsync(HttpMethod.Get, "api/parking/bank-debit/requests" + Query(("month", parse.GetValue(month))), null, null, null, ct);
            // As the service wrote it: UTF-8 with a byte-order mark, so Excel shows the plates' and names' Chinese.
            await WriteCsvAsync(csv, parse.GetValue(output), "debit request(s)", ct);

            return 0;
        }));

        var import = new Command("import", "Import the bank's result file (agreement_number,amount,date,status[,reason]) in one operation");
        var importServer = CommonOptions.Server();
        var json = CommonOptions.Json();
        var file = new Argument<FileInfo>("FILE") { Description = "The bank's result file (CSV in UTF-8, GB18030 or GBK), sent exactly as the bank wrote it" };
        var encoding = new Option<string?>("--encoding") { Description = "The file's encoding, when known: utf-8, gb18030 or gbk (default: the service detects it and says which)" };
        encoding.AcceptOnlyFromAmong("utf-8", "gb18030", "gbk");
        import.Arguments.Add(file);
        AddOptions(import, importServer, json, encoding);
        import.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            var info = parse.GetValue(file)!;
            if (!info.Exists)
            {
                throw new CliException($"{info.FullName} does not exist");
            }

            var bytes = await File.ReadAllBytesAsync(info.FullName, ct);
            using var client = ApiClient.ForOperator(parse.GetValue(importServer)!);
            // The same file gets the same key: importing it again replays the first report.
            var key = "bank-" + Convert.ToHexString(SHA256.HashData(bytes))[..32];
            // The bytes as the bank wrote them: decoding here (as UTF-8) would mangle a GB18030 file before the service could tell.
            var contentType = parse.GetValue(encoding) is { } charset ? $"text/csv; charset={charset}" : "text/csv";
            var answer = await client.SendBytesAsync(HttpMethod.Post, "api/parking/bank-debit/results", bytes, contentType, key, ct);
            using var document = JsonDocument.Parse(answer);
            var report = document.RootElement;
            if (parse.GetValue(json))
            {
                Output.Json(report);
                return 0;
            }

            Output.Table(report.GetProperty("results").EnumerateArray(), [("line", "line"), ("agreement", "agreementNumber"), ("amount", "amountFen"), ("date", "date"), ("outcome", "outcome"), ("detail", "detail")]);
            Console.WriteLine();
            if (report.TryGetProperty("encoding", out var read) && read.ValueKind == JsonValueKind.Object)
            {
                Console.WriteLine($"read as {Output.Cell(read, "name")} ({Output.Cell(read, "source")})");
            }

            Console.WriteLine(string.Join(", ", report.GetProperty("counts").EnumerateObject().Select(p => $"{p.Name} {p.Value.GetInt32()}")) + (report.GetProperty("changed").GetBoolean() ? string.Empty : "; nothing changed"));
            return 0;
        }));

        debit.Subcommands.Add(export);
        debit.Subcommands.Add(import);
        return debit;
    }

    private static Command Expiring()
    {
        var command = new Command("expiring", "Active agreements whose paid period ends within N days");
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var days = new Option<int>("--days") { Description = "Within this many days (1-366)", DefaultValueFactory = _ => 30 };
        var limit = new Option<int?>("--limit") { Description = "At most this many (1-500, default 50)" };
        var after = new Option<long?>("--after") { Description = "Start after this agreement id" };
        var csv = new Option<bool>("--csv") { Description = "The whole list as CSV (UTF-8 with a byte-order mark, for Excel)" };
        var output = new Option<string?>("--out") { Description = "With --csv: write to this file instead of stdout" };
        AddOptions(command, server, json, days, limit, after, csv, output);
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            if (parse.GetValue(csv))
            {
                await WriteCsvAsync(await client.SendBytesAsync(HttpMethod.Get, "api/parking/expiring" + Query(("days", Text(parse.GetValue(days))), ("format", "csv")), null, null, null, ct), parse.GetValue(output), "expiring agreement(s)", ct);
                return 0;
            }

            var page = await client.GetAsync("api/parking/expiring" + Query(("days", Text(parse.GetValue(days))), ("limit", Text(parse.GetValue(limit))), ("after", Text(parse.GetValue(after)))), ct);
            PrintPage(page, [("agreement", "agreementId"), ("number", "agreementNumber"), ("holder", "holderId holderName"), ("card", "cardNumber"), ("plate", "plate"), ("method", "paymentMethod"), ("paid until", "paidUntil"), ("days left", "daysLeft")], parse.GetValue(json));
            return 0;
        }));
        return command;
    }

    private static Command Overdue()
    {
        var command = new Command("overdue", "Active agreements whose paid period has lapsed (or never paid), with days overdue, last payment, the holder's name and phone");
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var csv = new Option<bool>("--csv") { Description = "The whole list as CSV (UTF-8 with a byte-order mark, for Excel)" };
        var output = new Option<string?>("--out") { Description = "With --csv: write to this file instead of stdout" };
        var limit = new Option<int?>("--limit") { Description = "At most this many (1-500, default 50)" };
        var after = new Option<long?>("--after") { Description = "Start after this agreement id" };
        AddOptions(command, server, json, csv, output, limit, after);
        command.SetAction((parse, ct) => CliRunner.RunAsync(async () =>
        {
            using var client = ApiClient.ForOperator(parse.GetValue(server)!);
            if (parse.GetValue(csv))
            {
                await WriteCsvAsync(await client.SendBytesAsync(HttpMethod.Get, "api/parking/overdue?format=csv", null, null, null, ct), parse.GetValue(output), "overdue agreement(s)", ct);
                return 0;
            }

            var page = await client.GetAsync("api/parking/overdue" + Query(("limit", Text(parse.GetValue(limit))), ("after", Text(parse.GetValue(after)))), ct);
            PrintPage(page, [("agreement", "agreementId agreementNumber"), ("holder", "holderId holderName"), ("phone", "phone"), ("plate", "plate"), ("method", "paymentMethod"), ("paid until", "paidUntil"), ("days overdue", "daysOverdue"), ("last payment", "lastPaymentFen"), ("paid at", "lastPaymentUtc")], parse.GetValue(json));
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Writes a CSV as the service sent it (with its byte-order mark) to a file, or to stdout. The file is
    /// the owner's only (0600 from its first byte): these lists carry residents' names, plates and bank
    /// account numbers.
    /// </summary>
    internal static async Task WriteCsvAsync(byte[] csv, string? path, string what, CancellationToken cancellationToken)
    {
        if (path is null)
        {
            await Output.BytesAsync(csv, cancellationToken);
            return;
        }

        Gateway.Shared.OwnerOnlyFile.Write(path, stream => stream.Write(csv));
        await Console.Error.WriteLineAsync($"{Math.Max(0, csv.Count(b => b == (byte)'\n') - 1)} {what} written to {path}");
    }

    private static (Option<string?> Name, Option<string?> Number) AccountOptions() => (
        new Option<string?>("--account-name") { Description = "Bank-debit agreements: the account holder's name as the bank knows it" },
        new Option<string?>("--account-number") { Description = "Bank-debit agreements: the account (or card) number debited; lists show it masked" });

    private static void PrintPage(JsonElement page, IReadOnlyList<(string, string)> columns, bool json)
    {
        if (json)
        {
            Output.Json(page);
            return;
        }

        Output.Table(page.GetProperty("items").EnumerateArray(), columns);
        if (page.TryGetProperty("next", out var next) && next.ValueKind == JsonValueKind.Number)
        {
            Console.WriteLine($"more: --after {next.GetRawText()}");
        }
    }

    private static void PrintOne(JsonElement value, IReadOnlyList<(string, string)> fields, bool json)
    {
        if (json)
        {
            Output.Json(value);
        }
        else
        {
            Output.Record(value, fields);
        }
    }

    private static void AddOptions(Command command, params Option[] options)
    {
        foreach (var option in options)
        {
            command.Options.Add(option);
        }
    }

    private static string? Text(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? string.Empty : "?" + string.Join('&', present);
    }
}
