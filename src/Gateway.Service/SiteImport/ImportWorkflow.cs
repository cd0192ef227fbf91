using System.Globalization;
using Gateway.Drivers.Barriers;
using Gateway.Drivers.Uhppote;
using Gateway.Service.Backups;
using Gateway.Service.Controllers;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Domain.Import;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Site;
using Gateway.Service.Parking;
using Gateway.Service.Storage;

namespace Gateway.Service.SiteImport;

/// <summary>How many records of one kind an import adds and how many it found already imported.</summary>
public sealed record ImportCounts(int New, int Unchanged);

/// <summary>
/// One controller before and after the cut-over: the entries it would hold once the import is in,
/// what it holds now, and what it holds now that it would lose.
/// </summary>
/// <param name="Id">The device id.</param>
/// <param name="Zones">The zones it serves.</param>
/// <param name="WillHold">Entries it will hold after the import (blocked entries included).</param>
/// <param name="Source">
/// Where <paramref name="HoldsNow"/> comes from: <c>controller</c>, read from the controller itself just now
/// (while the sync engine is held for the cut-over, <c>Gateway:Sync:Hold</c>); <c>gateway</c>, Gateway's truth
/// before the import, which the running sync engine keeps the controller equal to; <c>unreadable</c>, the
/// controller could not be read (<paramref name="ReadError"/> says why; counts are then Gateway's truth).
/// </param>
/// <param name="HoldsNow">Entries it holds now.</param>
/// <param name="LastRead">The count the sync engine last read from the controller (null: not read since start).</param>
/// <param name="Gains">Entries the import adds to it.</param>
/// <param name="Loses">Entries it holds now that it will not hold after the cut-over.</param>
/// <param name="Lost">The first 50 of <paramref name="Loses"/>: UIDs for barrier controllers, card numbers for UHPPOTE boards.</param>
/// <param name="ReadError">Why the controller could not be read (null: read, or not asked).</param>
public sealed record ControllerForecast(string Id, IReadOnlyList<string> Zones, int WillHold, string Source, int HoldsNow, int? LastRead, int Gains, int Loses, IReadOnlyList<string> Lost, string? ReadError = null);

/// <summary>
/// What an import found and did. A dry run (<see cref="DryRun"/>) and a refused import changed nothing;
/// a committed one (<see cref="Committed"/>) took <see cref="Backup"/> first and added everything counted as new in one transaction.
/// </summary>
public sealed record ImportReport(
    bool DryRun,
    bool Committed,
    IReadOnlyList<ImportFileSummary> Files,
    IReadOnlyList<ImportProblem> Problems,
    ImportCounts Holders,
    ImportCounts Cards,
    ImportCounts Agreements,
    IReadOnlyList<ControllerForecast> Controllers,
    BackupResult? Backup)
{
    /// <summary>True when the files hold nothing that is not already in Gateway.</summary>
    public bool NothingNew => Holders.New == 0 && Cards.New == 0 && Agreements.New == 0;
}

/// <summary>
/// Moving a live site into Gateway (docs/migration.md): holders, the cards already in residents' hands
/// (legacy: issued, not written by Gateway) and parking agreements with their paid-until dates, from CSV
/// files. The same plan runs for a dry run and for the import, inside one write transaction: the dry run
/// rolls it back and reports, the import takes a backup first, then runs it again and commits it only if
/// no line is bad. Records already imported with the same fields are recognised, so a second run of the
/// same files adds nothing. Every record added is audited and every card marked in the outbox, so the
/// sync engine brings the controllers to the new truth.
/// </summary>
public sealed class ImportWorkflow
{
    private const int MaxListedUids = 50;

    private readonly UnitOfWorkFactory _writes;
    private readonly BackupWorkflow _backups;
    private readonly SiteDevices _devices;
    private readonly SyncOptions _sync;
    private readonly WhitelistRules _rules;
    private readonly SyncEngine _engine;
    private readonly ILogger<ImportWorkflow> _logger;

    public ImportWorkflow(UnitOfWorkFactory writes, BackupWorkflow backups, SiteDevices devices, SyncOptions sync, WhitelistRules rules, SyncEngine engine, ILogger<ImportWorkflow> logger)
    {
        _writes = writes;
        _backups = backups;
        _devices = devices;
        _sync = sync;
        _rules = rules;
        _engine = engine;
        _logger = logger;
    }

    /// <summary>Reports what importing <paramref name="files"/> would do, line by line and per controller; changes nothing.</summary>
    public async Task<ImportReport> DryRunAsync(Actor actor, IReadOnlyList<ImportFile> files, CancellationToken cancellationToken)
    {
        var parsed = ImportFiles.Parse(files);
        var live = await ReadControllersAsync(cancellationToken);
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var plan = await RunAsync(unit, parsed, live, cancellationToken);
        return Report(parsed, plan, dryRun: true, committed: false, backup: null);
    }

    /// <summary>
    /// Imports <paramref name="files"/>: refused with the report when any line is bad; nothing to do when
    /// everything is already imported; otherwise a backup, then everything in one transaction.
    /// </summary>
    public async Task<Outcome<ImportReport>> ImportAsync(Actor actor, IReadOnlyList<ImportFile> files, CancellationToken cancellationToken)
    {
        var parsed = ImportFiles.Parse(files);
        var live = await ReadControllersAsync(cancellationToken);
        Plan check;
        await using (var unit = await _writes.BeginAsync(actor, cancellationToken))
        {
            check = await RunAsync(unit, parsed, live, cancellationToken);
        }

        var refused = Report(parsed, check, dryRun: false, committed: false, backup: null);
        if (refused.Problems.Count > 0 || refused.NothingNew)
        {
            return refused;
        }

        var backup = await _backups.BackupAsync(actor, null, cancellationToken);
        if (!backup.TryGetValue(out var taken, out var backupRefusal))
        {
            return backupRefusal;
        }

        await using (var unit = await _writes.BeginAsync(actor, cancellationToken))
        {
            var plan = await RunAsync(unit, parsed, live, cancellationToken);
            var report = Report(parsed, plan, dryRun: false, committed: false, backup: taken);
            if (report.Problems.Count > 0)
            {
                // The database moved between the check and now (an operator's change): nothing is written.
                return report;
            }

            unit.Audit("import.commit", "import", new
            {
                files = parsed.Files.Select(f => new { f.Name, kind = f.Kind.ToString().ToLowerInvariant(), f.Encoding, f.Lines }),
                holders = report.Holders,
                cards = report.Cards,
                agreements = report.Agreements,
                backup = taken.Path,
            });
            await unit.CommitAsync(cancellationToken);
            _logger.LogInformation(
                "Site import committed by {OperatorId}: {NewHolders} holders, {NewCards} legacy cards, {NewAgreements} agreements (backup {BackupPath})",
                actor.OperatorId,
                report.Holders.New,
                report.Cards.New,
                report.Agreements.New,
                taken.Path);
            return report with { Committed = true };
        }
    }

    private ImportReport Report(ParsedImport parsed, Plan plan, bool dryRun, bool committed, BackupResult? backup) =>
        new(
            dryRun,
            committed,
            parsed.Files,
            [.. parsed.Problems.Concat(plan.Problems).OrderBy(p => p.File, StringComparer.Ordinal).ThenBy(p => p.Line)],
            new ImportCounts(plan.NewHolders, plan.UnchangedHolders),
            new ImportCounts(plan.NewCards, plan.UnchangedCards),
            new ImportCounts(plan.NewAgreements, plan.UnchangedAgreements),
            plan.Controllers,
            backup);

    /// <summary>Writes every good line into <paramref name="unit"/> (which the caller commits or rolls back) and forecasts the controllers.</summary>
    private async Task<Plan> RunAsync(UnitOfWork unit, ParsedImport parsed, Dictionary<string, (HashSet<string>? Keys, string? Error)>? live, CancellationToken cancellationToken)
    {
        var plan = new Plan();
        var rules = _rules;
        var before = await SqliteSyncStore.ReadSiteCardsAsync(unit.Connection, unit.Transaction, cancellationToken);

        var holderLines = new Dictionary<string, HolderLine>(StringComparer.Ordinal);
        foreach (var line in parsed.Holders)
        {
            if (holderLines.TryGetValue(line.Ref, out var first))
            {
                plan.Problem(line.File, line.Line, "duplicate-holder", $"holder {line.Ref} appears twice (also line {first.Line})");
                continue;
            }

            holderLines[line.Ref] = line;
            await ImportHolderAsync(unit, line, plan, cancellationToken);
        }

        var cardLines = new Dictionary<long, CardLine>();
        var uidLines = new Dictionary<CardUid, CardLine>();
        var formats = BoardFormats();
        foreach (var line in parsed.Cards)
        {
            if (cardLines.TryGetValue(line.Number, out var first))
            {
                plan.Problem(line.File, line.Line, "duplicate-card-number", $"card {line.Number} appears twice (also line {first.Line})");
                continue;
            }

            if (UidOf(line, formats, plan) is not { } uid)
            {
                continue;
            }

            if (uidLines.TryGetValue(uid, out var same))
            {
                plan.Problem(line.File, line.Line, "duplicate-uid", $"UID {uid} is also card {same.Number} (line {same.Line})");
                continue;
            }

            cardLines[line.Number] = line;
            uidLines[uid] = line;
            await ImportCardAsync(unit, line, uid, plan, cancellationToken);
        }

        var agreementLines = new Dictionary<string, AgreementLine>(StringComparer.Ordinal);
        foreach (var line in parsed.Agreements)
        {
            if (agreementLines.TryGetValue(line.Number, out var first))
            {
                plan.Problem(line.File, line.Line, "duplicate-agreement", $"agreement {line.Number} appears twice (also line {first.Line})");
                continue;
            }

            agreementLines[line.Number] = line;
            await ImportAgreementAsync(unit, line, rules.Parking, plan, cancellationToken);
        }

        var after = await SqliteSyncStore.ReadSiteCardsAsync(unit.Connection, unit.Transaction, cancellationToken);
        plan.Controllers = Forecast(before, after, rules, unit.NowUtc, live);
        return plan;
    }

    private async Task ImportHolderAsync(UnitOfWork unit, HolderLine line, Plan plan, CancellationToken cancellationToken)
    {
        await using (var find = unit.Command("SELECT id, name, building, unit, room, phone, email, id_last4 FROM holders WHERE import_ref = $ref"))
        {
            find.Parameters.AddWithValue("$ref", line.Ref);
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                var same = reader.GetString(1) == line.Name
                    && reader.GetString(2) == line.Address.Building && reader.GetString(3) == line.Address.Unit && reader.GetString(4) == line.Address.Room
                    && Nullable(reader, 5) == line.Phone && Nullable(reader, 6) == line.Email && Nullable(reader, 7) == line.IdLastFour;
                if (same)
                {
                    plan.UnchangedHolders++;
                }
                else
                {
                    plan.Problem(line.File, line.Line, "changed-since-import", $"holder {line.Ref} was imported before (holder {reader.GetInt64(0)}) with other fields; change it at the desk, not by import");
                }

                return;
            }
        }

        var created = await Holders.HolderStore.InsertAsync(unit, line.Name, line.Address, line.Phone, line.Email, line.IdLastFour, cancellationToken);
        await using (var tag = unit.Command("UPDATE holders SET import_ref = $ref WHERE id = $id"))
        {
            tag.Parameters.AddWithValue("$ref", line.Ref);
            tag.Parameters.AddWithValue("$id", created.Id);
            await tag.ExecuteNonQueryAsync(cancellationToken);
        }

        unit.Audit("holder.import", $"holder:{created.Id}", new { reference = line.Ref, unit = line.Address.ToString(), idDocument = line.IdLastFour is null ? null : Domain.Holders.IdDocument.Display(line.IdLastFour), file = line.File, line = line.Line });
        plan.NewHolders++;
    }

    /// <summary>The reader formats of every configured UHPPOTE board's doors: how a board number was read.</summary>
    private List<ReaderFormat> BoardFormats() =>
        [.. _devices.All.Where(d => d.Board is not null).SelectMany(d => d.Board!.Doors.Select(door => door.Format)).Distinct()];

    /// <summary>
    /// The UID a card line stands for: its <c>uid</c>, checked against its <c>board_number</c> when it has both;
    /// or, from a board number alone, the UID that reads as it through the boards' one reader format, when
    /// that format carries the whole UID (Wiegand-34). Null, with the problem reported, when there is none.
    /// </summary>
    private static CardUid? UidOf(CardLine line, List<ReaderFormat> formats, Plan plan)
    {
        if (line.BoardNumber is not { } number)
        {
            return line.Uid;
        }

        var readers = string.Join(" and ", formats.Select(f => f.ToString()));
        if (line.Uid is { } given)
        {
            if (formats.Count == 0 || formats.Any(f => CardNumbers.TryFromUid(given, f, out var read, out _) && read == number))
            {
                return given;
            }

            var reads = string.Join(", ", formats.Select(f => CardNumbers.TryFromUid(given, f, out var read, out _)
                ? string.Create(CultureInfo.InvariantCulture, $"{read} through a {f} reader")
                : $"no number through a {f} reader"));
            plan.Problem(line.File, line.Line, "board-number-mismatch", $"UID {given} reads as {reads}, not as board number {number.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        var why = formats.Count switch
        {
            0 => "no UHPPOTE board is configured, so no reader format says how the number was read",
            > 1 => $"the boards' readers use {readers}, so the number does not say which reader read it",
            _ => null,
        };
        if (why is null)
        {
            if (CardNumbers.TryToUid(number, formats[0], out var uid, out var error))
            {
                return uid;
            }

            why = error;
        }

        plan.Problem(line.File, line.Line, "uid-unknown", string.Create(CultureInfo.InvariantCulture, $"board number {number} gives no UID: {why}; read the card's UID at the desk (gatewayctl encoder read) and give it in the uid column"));
        return null;
    }

    private static async Task ImportCardAsync(UnitOfWork unit, CardLine line, CardUid cardUid, Plan plan, CancellationToken cancellationToken)
    {
        var holderId = await HolderIdAsync(unit, line.HolderRef, cancellationToken);
        if (holderId is null)
        {
            plan.Problem(line.File, line.Line, "unknown-holder", $"holder {line.HolderRef} is neither in the holders file nor imported before");
            return;
        }

        var uid = cardUid.ToString();
        await using (var find = unit.Command("SELECT number, state, uid, holder_id, kind, legacy FROM cards WHERE number = $number OR uid = $uid ORDER BY number = $number DESC"))
        {
            find.Parameters.AddWithValue("$number", line.Number);
            find.Parameters.AddWithValue("$uid", uid);
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                var number = reader.GetInt64(0);
                var state = reader.GetString(1);
                if (number != line.Number)
                {
                    plan.Problem(line.File, line.Line, "duplicate-uid", $"UID {uid} already belongs to card {number} ({state}) in Gateway");
                }
                else if (reader.GetInt64(5) == 1 && state == "issued" && Nullable(reader, 2) == uid && reader.GetInt64(3) == holderId && Nullable(reader, 4) == Wire.Name(line.Kind))
                {
                    plan.UnchangedCards++;
                }
                else
                {
                    plan.Problem(line.File, line.Line, "duplicate-card-number", $"card {line.Number} already exists in Gateway ({(reader.GetInt64(5) == 1 ? "imported" : state)}{(reader.GetInt64(5) == 1 ? " with other fields" : string.Empty)})");
                }

                return;
            }
        }

        await using (var insert = unit.Command("""
            INSERT INTO cards(number, state, uid, holder_id, kind, issue_count, received_utc, updated_utc, legacy)
            VALUES ($number, 'issued', $uid, $holder, $kind, 1, $now, $now, 1);
            INSERT INTO card_events(card_number, action, from_state, to_state, reason, note, at_utc, operator_id)
            VALUES ($number, 'import-legacy', NULL, 'issued', 'legacy', $note, $now, $operator);
            """))
        {
            insert.Parameters.AddWithValue("$number", line.Number);
            insert.Parameters.AddWithValue("$uid", uid);
            insert.Parameters.AddWithValue("$holder", holderId.Value);
            insert.Parameters.AddWithValue("$kind", Wire.Name(line.Kind));
            insert.Parameters.AddWithValue("$note", line.Uid is null
                ? string.Create(CultureInfo.InvariantCulture, $"{line.File} line {line.Line}; UID from board number {line.BoardNumber}")
                : string.Create(CultureInfo.InvariantCulture, $"{line.File} line {line.Line}"));
            insert.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
            insert.Parameters.AddWithValue("$operator", unit.Actor.OperatorId);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await unit.MarkCardChangedAsync(line.Number, "import", cancellationToken);
        unit.Audit("card.import-legacy", $"card:{line.Number}", new { holder = holderId.Value, uid, boardNumber = line.BoardNumber, uidFromBoardNumber = line.Uid is null, kind = Wire.Name(line.Kind), file = line.File, line = line.Line });
        plan.NewCards++;
    }

    private static async Task ImportAgreementAsync(UnitOfWork unit, AgreementLine line, ParkingRules rules, Plan plan, CancellationToken cancellationToken)
    {
        var holderId = await HolderIdAsync(unit, line.HolderRef, cancellationToken);
        if (holderId is null)
        {
            plan.Problem(line.File, line.Line, "unknown-holder", $"holder {line.HolderRef} is neither in the holders file nor imported before");
            return;
        }

        var agreement = new NewAgreement(line.Number, holderId.Value, line.CardNumber, line.Plate, line.Space, line.MonthlyFeeFen, line.Cycle, line.Method, line.SignedCopyRef, line.BankAccount);
        var card = await ParkingStore.CardAsync(unit, line.CardNumber, cancellationToken);
        var clash = ParkingWorkflow.ClashOf(await ParkingStore.TakenAsync(unit, agreement, cancellationToken));
        if (clash == AgreementClash.Number)
        {
            if (await SameAgreementAsync(unit, agreement, line.PaidUntil, cancellationToken))
            {
                plan.UnchangedAgreements++;
            }
            else
            {
                plan.Problem(line.File, line.Line, "duplicate-agreement", $"agreement {line.Number} already exists in Gateway with other fields");
            }

            return;
        }

        string? refusal = card switch
        {
            null => $"card {line.CardNumber} is neither in the cards file nor in Gateway",
            { State: not "issued" } => $"card {line.CardNumber} is {card.State}; an agreement needs an issued card",
            _ when card.HolderId != holderId => $"card {line.CardNumber} is issued to another holder than {line.HolderRef}",
            { Kind: not ("parking" or "both") } => $"card {line.CardNumber} is an {card.Kind} card; a parking agreement needs a card of kind parking or both",
            _ => null,
        };
        if (refusal is not null)
        {
            plan.Problem(line.File, line.Line, card is null ? "unknown-card" : "card-not-usable", refusal);
            return;
        }

        switch (clash)
        {
            case AgreementClash.Card:
                plan.Problem(line.File, line.Line, "card-has-agreement", $"card {line.CardNumber} already has an active parking agreement");
                return;
            case AgreementClash.Space:
                plan.Problem(line.File, line.Line, "space-taken", $"space {line.Space} already has an active parking agreement");
                return;
        }

        var id = await ParkingStore.InsertAgreementAsync(unit, agreement, cancellationToken);
        PeriodView? period = null;
        if (line.PaidUntil is { } paidUntil)
        {
            var today = rules.Calendar.DateOf(unit.NowUtc);
            var end = paidUntil.AddDays(1);
            var start = line.PaidFrom ?? (today < end ? today : paidUntil);
            var carried = CarriedOver.Of(start, end, line.MonthlyFeeFen);
            var payment = await ParkingStore.InsertPaymentAsync(unit, new NewPayment(id, carried.ValueFen, line.Method, "carried-over:" + line.Number), cancellationToken);
            await using (var flag = unit.Command("UPDATE parking_payments SET carried_over = 1 WHERE id = $id"))
            {
                flag.Parameters.AddWithValue("$id", payment);
                await flag.ExecuteNonQueryAsync(cancellationToken);
            }

            period = new PeriodView(payment, start, end, rules.Calendar.StartOf(start), rules.Calendar.StartOf(end), carried.Months, carried.Days, start);
            await ParkingStore.InsertGrantAsync(unit, id, period, cancellationToken);
        }

        await unit.MarkCardChangedAsync(line.CardNumber, "import", cancellationToken);
        unit.Audit("parking.agreement.import", $"agreement:{id}", new
        {
            agreementNumber = line.Number,
            holder = holderId.Value,
            cardNumber = line.CardNumber,
            plate = line.Plate,
            space = line.Space,
            monthlyFeeFen = line.MonthlyFeeFen,
            billingCycle = line.Cycle.ToWire(),
            paymentMethod = line.Method.ToWire(),
            bankAccount = line.BankAccount?.Masked,
            paidFrom = period?.Start,
            paidUntil = line.PaidUntil,
            file = line.File,
            line = line.Line,
        });
        plan.NewAgreements++;
    }

    /// <summary>True when agreement <see cref="NewAgreement.AgreementNumber"/> was imported before with these fields and this paid-until.</summary>
    private static async Task<bool> SameAgreementAsync(UnitOfWork unit, NewAgreement agreement, DateOnly? paidUntil, CancellationToken cancellationToken)
    {
        await using var find = unit.Command("""
            SELECT 1 FROM parking_agreements
            WHERE agreement_number = $number AND holder_id = $holder AND card_number = $card AND plate = $plate AND space = $space
              AND monthly_fee_fen = $fee AND billing_cycle = $cycle AND payment_method = $method AND ended_utc IS NULL
              AND paid_until_date IS $until
            """);
        find.Parameters.AddWithValue("$number", agreement.AgreementNumber);
        find.Parameters.AddWithValue("$holder", agreement.HolderId);
        find.Parameters.AddWithValue("$card", agreement.CardNumber);
        find.Parameters.AddWithValue("$plate", agreement.Plate);
        find.Parameters.AddWithValue("$space", agreement.Space);
        find.Parameters.AddWithValue("$fee", agreement.MonthlyFeeFen);
        find.Parameters.AddWithValue("$cycle", agreement.Cycle.ToWire());
        find.Parameters.AddWithValue("$method", agreement.Method.ToWire());
        find.Parameters.AddWithValue("$until", paidUntil is { } until ? until.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : DBNull.Value);
        return await find.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private static async Task<long?> HolderIdAsync(UnitOfWork unit, string reference, CancellationToken cancellationToken)
    {
        await using var find = unit.Command("SELECT id FROM holders WHERE import_ref = $ref");
        find.Parameters.AddWithValue("$ref", reference);
        return await find.ExecuteScalarAsync(cancellationToken) is { } id ? Convert.ToInt64(id, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>
    /// While the sync engine is held for the cut-over, what each controller holds now, read from the
    /// controller itself (outside any transaction: a long card table must not hold up the desk's writes);
    /// null when the engine runs (the controllers then hold Gateway's truth).
    /// </summary>
    private async Task<Dictionary<string, (HashSet<string>? Keys, string? Error)>?> ReadControllersAsync(CancellationToken cancellationToken)
    {
        if (!_sync.Hold)
        {
            return null;
        }

        var held = new Dictionary<string, (HashSet<string>?, string?)>(StringComparer.OrdinalIgnoreCase);
        foreach (var device in _devices.All.Where(d => d.IsController))
        {
            try
            {
                held[device.Id] = (await ControllerReader.ReadKeysAsync(device, _sync.Timeout, cancellationToken), null);
            }
            catch (Drivers.DeviceException ex)
            {
                _logger.LogWarning("Site import: controller {DeviceId} could not be read: {Error}", device.Id, ex.Message);
                held[device.Id] = (null, ex.Message);
            }
        }

        return held;
    }

    private List<ControllerForecast> Forecast(IReadOnlyList<CardTruth> before, IReadOnlyList<CardTruth> after, EntryRules rules, DateTimeOffset now, Dictionary<string, (HashSet<string>? Keys, string? Error)>? live)
    {
        var lastRead = _engine.Health().ToDictionary(h => h.Id, h => h.WhitelistCount, StringComparer.OrdinalIgnoreCase);
        var list = new List<ControllerForecast>();
        foreach (var device in _devices.All.Where(d => d.IsController))
        {
            var will = Keys(device, after, rules, now);
            var held = Keys(device, before, rules, now);
            var source = "gateway";
            string? readError = null;
            if (live is not null && live.TryGetValue(device.Id, out var read))
            {
                (source, readError) = read.Keys is null ? ("unreadable", read.Error) : ("controller", null);
                held = read.Keys ?? held;
            }

            var lost = held.Where(key => !will.Contains(key)).Order(StringComparer.Ordinal).ToList();
            list.Add(new ControllerForecast(
                device.Id,
                device.Zones,
                will.Count,
                source,
                held.Count,
                lastRead.GetValueOrDefault(device.Id),
                will.Count(key => !held.Contains(key)),
                lost.Count,
                [.. lost.Take(MaxListedUids)],
                readError));
        }

        return list;
    }

    /// <summary>What a controller holds in its own keys: UIDs on a barrier controller, card numbers (decimal) on a UHPPOTE board.</summary>
    private static HashSet<string> Keys(Site.DeviceOptions device, IReadOnlyList<CardTruth> cards, EntryRules rules, DateTimeOffset now) =>
        device.Board is { } board
            ? [.. BoardCards.For(board, cards, rules, now).Records.Keys.Select(n => n.ToString(CultureInfo.InvariantCulture))]
            : [.. device.Zones.SelectMany(zone => DesiredEntries.ForZone(zone, cards, rules, now)).Select(e => e.Uid.ToString())];

    private static string? Nullable(Microsoft.Data.Sqlite.SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private sealed class Plan
    {
        public List<ImportProblem> Problems { get; } = [];

        public int NewHolders { get; set; }

        public int UnchangedHolders { get; set; }

        public int NewCards { get; set; }

        public int UnchangedCards { get; set; }

        public int NewAgreements { get; set; }

        public int UnchangedAgreements { get; set; }

        public List<ControllerForecast> Controllers { get; set; } = [];

        public void Problem(string file, int line, string code, string message) => Problems.Add(new ImportProblem(file, line, code, message));
    }
}
