using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Drivers.Barriers;
using Gateway.Drivers.Uhppote;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Holders;
using Gateway.Service.Domain.Parking;

namespace Gateway.Service.Domain.Import;

/// <summary>What one file of a site import holds.</summary>
public enum ImportFileKind
{
    /// <summary>Cardholders and their units.</summary>
    Holders,

    /// <summary>The cards already in residents' hands (legacy cards).</summary>
    Cards,

    /// <summary>Parking agreements with their paid-until dates.</summary>
    Agreements,
}

/// <summary>One file as the site's staff exported it: its name (for the report), what it holds, and its bytes as written.</summary>
public sealed record ImportFile(string Name, ImportFileKind Kind, byte[] Bytes);

/// <summary>A bad line (or a bad file: <see cref="Line"/> 0), with a stable <see cref="Code"/> and a reason a person can act on.</summary>
public sealed record ImportProblem(string File, int Line, string Code, string Message);

/// <summary>How a file was read: its encoding and how that was known, and how many data lines it had.</summary>
public sealed record ImportFileSummary(string Name, ImportFileKind Kind, string? Encoding, string? EncodingSource, int Lines);

/// <summary>A holder line: <see cref="Ref"/> is the previous system's holder number, the key cards and agreements use.</summary>
public sealed record HolderLine(string File, int Line, string Ref, string Name, UnitAddress Address, string? Phone, string? Email, string? IdLastFour);

/// <summary>
/// A card already in a resident's hand, known by its <see cref="Uid"/> or, where only a UHPPOTE board
/// knows it, by the number the board holds for it (<see cref="BoardNumber"/>); at least one of the two.
/// </summary>
public sealed record CardLine(string File, int Line, long Number, CardUid? Uid, uint? BoardNumber, CardKind Kind, string HolderRef);

/// <summary>A parking agreement; <see cref="PaidUntil"/> is the last paid day (inclusive), null when nothing is paid.</summary>
public sealed record AgreementLine(
    string File,
    int Line,
    string Number,
    string HolderRef,
    long CardNumber,
    string Plate,
    string Space,
    long MonthlyFeeFen,
    BillingCycle Cycle,
    PaymentMethod Method,
    DateOnly? PaidFrom,
    DateOnly? PaidUntil,
    string SignedCopyRef,
    BankAccount? BankAccount);

/// <summary>Every file read: the good lines, and every problem found in the files alone (before the database is looked at).</summary>
public sealed record ParsedImport(
    IReadOnlyList<ImportFileSummary> Files,
    IReadOnlyList<HolderLine> Holders,
    IReadOnlyList<CardLine> Cards,
    IReadOnlyList<AgreementLine> Agreements,
    IReadOnlyList<ImportProblem> Problems);

/// <summary>
/// Reads the CSV files a site brings when it moves into Gateway (docs/migration.md): UTF-8 with or
/// without a byte-order mark, or GB18030/GBK (read as <see cref="BankFileText"/> reads a bank's file:
/// detected, never guessed or replaced). The first line names the columns, in English or in Chinese, in
/// any order; every later line is one record. Each bad line is reported with its file and line number
/// and the reason; nothing is taken from a file whose encoding or header is wrong. Pure: no I/O.
/// </summary>
public static partial class ImportFiles
{
    /// <summary>Most data lines a file may have.</summary>
    public const int MaxLines = 100_000;

    private static readonly Dictionary<ImportFileKind, Column[]> Layouts = new()
    {
        [ImportFileKind.Holders] =
        [
            new("ref", true, "住户编号"),
            new("name", true, "姓名"),
            new("building", true, "楼栋", "楼号"),
            new("unit", true, "单元"),
            new("room", true, "房号", "房间号"),
            new("phone", false, "电话", "手机"),
            new("email", false, "邮箱"),
            new("id_document", false, "证件号码", "身份证号"),
        ],
        [ImportFileKind.Cards] =
        [
            new("card_number", true, "卡号"),
            new("uid", false, "卡UID", "物理卡号"),
            new("kind", true, "类型", "卡类型"),
            new("holder_ref", true, "住户编号"),
            new("board_number", false, "门禁卡号", "韦根卡号"),
        ],
        [ImportFileKind.Agreements] =
        [
            new("agreement_number", true, "协议号", "协议编号"),
            new("holder_ref", true, "住户编号"),
            new("card_number", true, "卡号"),
            new("plate", true, "车牌", "车牌号"),
            new("space", true, "车位", "车位号"),
            new("monthly_fee", true, "月租", "月费"),
            new("billing_cycle", true, "计费周期", "缴费周期"),
            new("payment_method", true, "付款方式", "缴费方式"),
            new("paid_until", true, "已缴至", "缴费截止"),
            new("paid_from", false, "缴费起始"),
            new("signed_copy", false, "合同编号"),
            new("bank_account_name", false, "账户名"),
            new("bank_account_number", false, "银行账号"),
        ],
    };

    /// <summary>The columns of a kind of file, English name first, then the Chinese names accepted.</summary>
    public static IReadOnlyList<(string Name, bool Required, IReadOnlyList<string> Chinese)> ColumnsOf(ImportFileKind kind) =>
        [.. Layouts[kind].Select(c => (c.Name, c.Required, (IReadOnlyList<string>)c.Chinese))];

    /// <summary>Reads every file; lines that fail are in <see cref="ParsedImport.Problems"/>, the rest are returned.</summary>
    public static ParsedImport Parse(IEnumerable<ImportFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var summaries = new List<ImportFileSummary>();
        var holders = new List<HolderLine>();
        var cards = new List<CardLine>();
        var agreements = new List<AgreementLine>();
        var problems = new List<ImportProblem>();
        foreach (var file in files)
        {
            var lines = 0;
            if (!BankFileText.TryDecode(file.Bytes, null, out var text, out var encoding, out var unreadable))
            {
                problems.Add(new ImportProblem(file.Name, 0, "bad-encoding", unreadable + "; save it as UTF-8 or GB18030 (GBK)"));
                summaries.Add(new ImportFileSummary(file.Name, file.Kind, null, null, 0));
                continue;
            }

            var records = SplitLines(text);
            var header = records.FirstOrDefault(r => r.Text.Trim().Length > 0);
            if (header.Text is null)
            {
                problems.Add(new ImportProblem(file.Name, 0, "empty-file", $"the file has no header line; expected {string.Join(',', Layouts[file.Kind].Select(c => c.Name))}"));
            }
            else if (ReadHeader(file, header, problems) is { } columns)
            {
                foreach (var record in records.Where(r => r.Number > header.Number && r.Text.Trim().Length > 0))
                {
                    if (++lines > MaxLines)
                    {
                        problems.Add(new ImportProblem(file.Name, record.Number, "too-many-lines", $"a file may have at most {MaxLines} lines; split it"));
                        break;
                    }

                    if (!TrySplitFields(record.Text, out var fields, out var malformed))
                    {
                        problems.Add(new ImportProblem(file.Name, record.Number, "malformed", malformed));
                        continue;
                    }

                    if (fields.Count != columns.Count)
                    {
                        problems.Add(new ImportProblem(file.Name, record.Number, "malformed", $"{fields.Count} fields where the header has {columns.Count}"));
                        continue;
                    }

                    var row = new Row(file.Name, record.Number, columns, fields, problems);
                    switch (file.Kind)
                    {
                        case ImportFileKind.Holders: Add(holders, ReadHolder(row)); break;
                        case ImportFileKind.Cards: Add(cards, ReadCard(row)); break;
                        default: Add(agreements, ReadAgreement(row)); break;
                    }
                }
            }

            summaries.Add(new ImportFileSummary(file.Name, file.Kind, encoding.Name, EncodingSourceName(encoding.Source), lines));
        }

        return new ParsedImport(summaries, holders, cards, agreements, problems);
    }

    private static void Add<T>(List<T> list, T? item)
        where T : class
    {
        if (item is not null)
        {
            list.Add(item);
        }
    }

    private static string EncodingSourceName(EncodingSource source) => source switch
    {
        EncodingSource.ByteOrderMark => "byte-order-mark",
        EncodingSource.Declared => "declared",
        _ => "detected",
    };

    private static Dictionary<string, int>? ReadHeader(ImportFile file, (int Number, string Text) header, List<ImportProblem> problems)
    {
        if (!TrySplitFields(header.Text, out var names, out var malformed))
        {
            problems.Add(new ImportProblem(file.Name, header.Number, "malformed", "header: " + malformed));
            return null;
        }

        var layout = Layouts[file.Kind];
        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        var bad = new List<string>();
        for (var i = 0; i < names.Count; i++)
        {
            var name = names[i].Trim();
            var column = layout.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase) || c.Chinese.Contains(name, StringComparer.Ordinal));
            if (column is null)
            {
                bad.Add($"unknown column '{Clip(name)}'");
            }
            else if (!columns.TryAdd(column.Name, i))
            {
                bad.Add($"column {column.Name} appears twice");
            }
        }

        bad.AddRange(layout.Where(c => c.Required && !columns.ContainsKey(c.Name)).Select(c => $"column {c.Name} ({c.Chinese[0]}) is missing"));
        if (bad.Count > 0)
        {
            problems.Add(new ImportProblem(file.Name, header.Number, "bad-header", $"{string.Join("; ", bad)}; a {file.Kind.ToString().ToLowerInvariant()} file has the columns {string.Join(',', layout.Select(c => c.Name))}"));
            return null;
        }

        return columns;
    }

    private static HolderLine? ReadHolder(Row row)
    {
        var reference = row.Required("ref", RefPattern(), "must be 1-32 letters, digits, '-', '_' or '/'");
        var name = row.Required("name", NamePattern(), "must be a name of 1-64 characters");
        var building = row.Required("building", AddressPattern(), "must be 1-16 letters or digits");
        var unit = row.Required("unit", AddressPattern(), "must be 1-16 letters or digits");
        var room = row.Required("room", AddressPattern(), "must be 1-16 letters or digits");
        var phone = row.Optional("phone", PhonePattern(), "must be a phone number: digits, optionally a leading + and spaces or dashes (5-20 characters)");
        var email = row.Optional("email", EmailPattern(), "must be an e-mail address");
        var document = row.Optional("id_document", IdDocumentPattern(), "must be 6-32 letters or digits");
        return row.Ok
            ? new HolderLine(row.File, row.Line, reference!, name!, new UnitAddress(building!, unit!, room!), phone, email, document is null ? null : IdDocument.LastFour(document))
            : null;
    }

    private static CardLine? ReadCard(Row row)
    {
        var number = row.Number("card_number", 1, 99_999_999, "must be a card number from 1 to 99999999");
        var uidText = row.Value("uid");
        var boardText = row.Value("board_number");
        CardUid? uid = null;
        uint? boardNumber = null;
        if (uidText is null && boardText is null)
        {
            row.Fail("uid", "is required (or board_number: the number a UHPPOTE board holds for the card)");
        }

        if (uidText is not null)
        {
            if (CardUid.TryParse(uidText, out var parsed))
            {
                uid = parsed;
            }
            else
            {
                row.Fail("uid", $"'{Clip(uidText)}' is not a card UID (8 or 14 hex digits)");
            }
        }

        if (boardText is not null)
        {
            if (uint.TryParse(boardText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && CardNumbers.IsStorable(parsed))
            {
                boardNumber = parsed;
            }
            else
            {
                row.Fail("board_number", $"'{Clip(boardText)}' is not a number a UHPPOTE board can hold (1 to 4294967294, not 16777215)");
            }
        }

        var kind = row.Choice("kind", KindNames, "must be access, parking or both (门禁, 停车, 门禁+停车)");
        var holder = row.Required("holder_ref", RefPattern(), "must be 1-32 letters, digits, '-', '_' or '/'");
        return row.Ok ? new CardLine(row.File, row.Line, number!.Value, uid, boardNumber, kind, holder!) : null;
    }

    private static AgreementLine? ReadAgreement(Row row)
    {
        var number = row.Required("agreement_number", RefPattern(), "must be 1-32 letters, digits, '-', '_' or '/'");
        var holder = row.Required("holder_ref", RefPattern(), "must be 1-32 letters, digits, '-', '_' or '/'");
        var card = row.Number("card_number", 1, 99_999_999, "must be a card number from 1 to 99999999");
        var plate = row.Required("plate", PlatePattern(), "must be a plate of 2-12 letters or digits, no spaces");
        var space = row.Required("space", SpacePattern(), "must be a space of 1-32 letters, digits, spaces or _ / . -");
        long fee = 0;
        var feeText = row.Value("monthly_fee");
        if (string.IsNullOrEmpty(feeText) || !BankDebitFile.TryParseYuan(feeText, out fee) || fee <= 0)
        {
            row.Fail("monthly_fee", $"'{Clip(feeText ?? string.Empty)}' is not a positive amount in yuan (e.g. 300 or 300.00)");
        }

        var cycle = row.Choice("billing_cycle", CycleNames, "must be month, quarter or half-year (月, 季, 半年)");
        var method = row.Choice("payment_method", MethodNames, "must be cash or bank-debit (现金, 银行代扣)");
        var paidUntil = row.Date("paid_until");
        var paidFrom = row.Date("paid_from");
        if (paidFrom is { } from && paidUntil is { } until && from > until)
        {
            row.Fail("paid_from", $"{from:yyyy-MM-dd} is after paid_until {until:yyyy-MM-dd}");
        }
        else if (paidFrom is not null && paidUntil is null)
        {
            row.Fail("paid_from", "is given without paid_until");
        }

        var copy = row.Optional("signed_copy", RefPattern(), "must be 1-32 letters, digits, '-', '_' or '/'");
        var accountName = row.Value("bank_account_name");
        var accountNumber = row.Value("bank_account_number");
        BankAccount? account = null;
        if (!string.IsNullOrEmpty(accountName) || !string.IsNullOrEmpty(accountNumber))
        {
            var normalized = BankAccounts.NormalizeNumber(accountNumber);
            if (!BankAccounts.IsName(accountName) || normalized is null)
            {
                row.Fail("bank_account_number", "a bank account needs both bank_account_name and a bank_account_number of 8-32 digits");
            }
            else
            {
                account = new BankAccount(accountName!, normalized);
            }
        }

        return row.Ok
            ? new AgreementLine(row.File, row.Line, number!, holder!, card!.Value, plate!, space!, fee, cycle, method, paidFrom, paidUntil, copy ?? "import:" + number, account)
            : null;
    }

    private static readonly Dictionary<string, CardKind> KindNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["access"] = CardKind.Access, ["门禁"] = CardKind.Access,
        ["parking"] = CardKind.Parking, ["停车"] = CardKind.Parking,
        ["both"] = CardKind.Both, ["门禁+停车"] = CardKind.Both, ["门禁停车"] = CardKind.Both,
    };

    private static readonly Dictionary<string, BillingCycle> CycleNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["month"] = BillingCycle.Month, ["月"] = BillingCycle.Month, ["月付"] = BillingCycle.Month,
        ["quarter"] = BillingCycle.Quarter, ["季"] = BillingCycle.Quarter, ["季付"] = BillingCycle.Quarter,
        ["half-year"] = BillingCycle.HalfYear, ["半年"] = BillingCycle.HalfYear, ["半年付"] = BillingCycle.HalfYear,
    };

    private static readonly Dictionary<string, PaymentMethod> MethodNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["cash"] = PaymentMethod.Cash, ["现金"] = PaymentMethod.Cash,
        ["bank-debit"] = PaymentMethod.BankDebit, ["银行代扣"] = PaymentMethod.BankDebit, ["代扣"] = PaymentMethod.BankDebit,
    };

    /// <summary>The text split into physical lines, numbered from 1 (CRLF, LF or CR).</summary>
    private static List<(int Number, string Text)> SplitLines(string text)
    {
        var lines = new List<(int, string)>();
        var number = 1;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is '\r' or '\n')
            {
                lines.Add((number++, text[start..i]));
                if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                start = i + 1;
            }
        }

        if (start < text.Length)
        {
            lines.Add((number, text[start..]));
        }

        return lines;
    }

    /// <summary>RFC 4180 fields of one line: quoted fields may hold commas and doubled quotes (a record spans one line).</summary>
    public static bool TrySplitFields(string line, out List<string> fields, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(line);
        fields = [];
        var field = new StringBuilder();
        var i = 0;
        while (true)
        {
            field.Clear();
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        error = $"field {fields.Count + 1}: a quote is opened and never closed";
                        return false;
                    }

                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    field.Append(line[i++]);
                }

                if (i < line.Length && line[i] != ',')
                {
                    error = $"field {fields.Count + 1}: text after the closing quote";
                    return false;
                }
            }
            else
            {
                while (i < line.Length && line[i] != ',')
                {
                    if (line[i] == '"')
                    {
                        error = $"field {fields.Count + 1}: a quote inside an unquoted field";
                        return false;
                    }

                    field.Append(line[i++]);
                }
            }

            fields.Add(field.ToString());
            if (i >= line.Length)
            {
                error = null;
                return true;
            }

            i++; // the comma
        }
    }

    private static string Clip(string text, int length = 40) => text.Length <= length ? text : string.Concat(text.AsSpan(0, length), "…");

    private sealed record Column(string Name, bool Required, params string[] Chinese);

    /// <summary>One data line being read: every bad field is collected into one problem for the line.</summary>
    private sealed class Row(string file, int line, Dictionary<string, int> columns, List<string> fields, List<ImportProblem> problems)
    {
        private readonly List<string> _bad = [];
        private bool _reported;

        public string File => file;

        public int Line => line;

        public bool Ok
        {
            get
            {
                if (_bad.Count > 0 && !_reported)
                {
                    problems.Add(new ImportProblem(file, line, "malformed", string.Join("; ", _bad)));
                    _reported = true;
                }

                return _bad.Count == 0;
            }
        }

        /// <summary>The trimmed value of a column; null when the file has no such column or the field is empty.</summary>
        public string? Value(string column)
        {
            if (!columns.TryGetValue(column, out var index))
            {
                return null;
            }

            var value = fields[index].Trim();
            // A spreadsheet's guard against formulas (Gateway's own CSV writes it): not part of the value.
            if (value.Length > 1 && value[0] == '\'' && value[1] is '=' or '+' or '-' or '@')
            {
                value = value[1..];
            }

            return value.Length == 0 ? null : value;
        }

        public void Fail(string column, string message) => _bad.Add($"{column}: {message}");

        public string? Required(string column, Regex pattern, string message)
        {
            var value = Value(column);
            if (value is null)
            {
                Fail(column, "is required");
                return null;
            }

            return Check(column, value, pattern, message);
        }

        public string? Optional(string column, Regex pattern, string message) =>
            Value(column) is { } value ? Check(column, value, pattern, message) : null;

        public long? Number(string column, long min, long max, string message)
        {
            var value = Value(column);
            if (value is null)
            {
                Fail(column, "is required");
                return null;
            }

            if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
            {
                Fail(column, $"'{Clip(value)}' {message}");
                return null;
            }

            return number;
        }

        public T Choice<T>(string column, Dictionary<string, T> names, string message)
            where T : struct
        {
            var value = Value(column);
            if (value is null)
            {
                Fail(column, "is required");
                return default;
            }

            if (!names.TryGetValue(value, out var choice))
            {
                Fail(column, $"'{Clip(value)}' {message}");
            }

            return choice;
        }

        /// <summary>A date written yyyy-MM-dd or yyyy/M/d (as spreadsheets in China write it); null when empty.</summary>
        public DateOnly? Date(string column)
        {
            var value = Value(column);
            if (value is null)
            {
                return null;
            }

            if (DateOnly.TryParseExact(value, ["yyyy-M-d", "yyyy/M/d"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) && date.Year is >= 2000 and <= 2199)
            {
                return date;
            }

            Fail(column, $"'{Clip(value)}' is not a date (yyyy-MM-dd or yyyy/M/d, 2000-2199)");
            return null;
        }

        private string? Check(string column, string value, Regex pattern, string message)
        {
            if (pattern.IsMatch(value))
            {
                return value;
            }

            Fail(column, $"'{Clip(value)}' {message}");
            return null;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_/-]{1,32}$")]
    private static partial Regex RefPattern();

    [GeneratedRegex(@"^[^\p{C}]{1,64}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9]{1,16}$")]
    private static partial Regex AddressPattern();

    [GeneratedRegex(@"^\+?[0-9][0-9 \-]{4,19}$")]
    private static partial Regex PhonePattern();

    [GeneratedRegex(@"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]+$")]
    private static partial Regex EmailPattern();

    [GeneratedRegex("^[A-Za-z0-9]{6,32}$")]
    private static partial Regex IdDocumentPattern();

    [GeneratedRegex("^[\\p{L}\\p{N}]{2,12}$")]
    private static partial Regex PlatePattern();

    [GeneratedRegex("^[\\p{L}\\p{N} _/.-]{1,32}$")]
    private static partial Regex SpacePattern();
}
