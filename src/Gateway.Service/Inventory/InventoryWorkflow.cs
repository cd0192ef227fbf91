using Gateway.Service.Audit;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Inventory;

/// <summary>
/// The monthly smart-card inventory (docs/inventory.md). System counts come from the card history
/// (<c>card_events</c>): a card's state at an instant is the target of its last transition before it.
/// Every change is audited; sign-off records the audit chain head, which every audit verification then
/// checks, and freezes the report. Refusals: <see cref="RefusalKind.InvalidState"/> (month not ended:
/// state <c>not-ended</c>; signed off: <c>signed-off</c>), <see cref="RefusalKind.Conflict"/> (already
/// open; not complete: code <see cref="IncompleteCode"/> with what blocks), <see cref="RefusalKind.NotFound"/>.
/// </summary>
public sealed class InventoryWorkflow
{
    /// <summary>The refusal code of a sign-off that finds lines uncounted or variances unexplained.</summary>
    public const string IncompleteCode = "inventory-incomplete";

    /// <summary>First and last years an inventory month may name (the API answers 400 outside them).</summary>
    public const int FirstYear = 2000;

    /// <inheritdoc cref="FirstYear"/>
    public const int LastYear = 2199;

    private readonly GatewayDatabase _database;
    private readonly UnitOfWorkFactory _writes;
    private readonly SiteCalendar _calendar;
    private readonly int _notSeenDays;
    private readonly AuditHeadRecorder? _heads;

    public InventoryWorkflow(GatewayDatabase database, UnitOfWorkFactory writes, InventoryOptions options, SiteCalendar calendar, AuditHeadRecorder? heads = null)
    {
        _heads = heads;
        _database = database;
        _writes = writes;
        _calendar = calendar;
        _notSeenDays = options.NotSeenDays;
    }

    /// <summary>Card states counted, in DESIGN's order.</summary>
    public static IReadOnlyList<string> States { get; } = Enum.GetValues<CardState>().Select(Wire.Name).ToList();

    /// <summary>States whose cards are held at the office, so finance can count them physically.</summary>
    public static IReadOnlySet<string> PhysicalStates { get; } = new HashSet<string> { Wire.Name(CardState.InStock), Wire.Name(CardState.Returned), Wire.Name(CardState.Damaged) };

    /// <summary>The month's name as reports and the API write it: <c>YYYY-MM</c>.</summary>
    public static string MonthName(int year, int month) => $"{year:D4}-{month:D2}";

    /// <summary>
    /// [start, end) of a month at the site's local midnights, in UTC. A midnight that the zone skips
    /// (daylight saving starting at 00:00) is taken as the first local time that exists, as <see cref="SiteCalendar"/> does for periods.
    /// </summary>
    public (DateTimeOffset Start, DateTimeOffset End) Bounds(int year, int month)
    {
        var first = new DateOnly(year, month, 1);
        return (_calendar.StartOf(first), _calendar.StartOf(first.AddMonths(1)));
    }

    public async Task<IReadOnlyList<InventoryReport>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        var reports = new List<InventoryReport>();
        foreach (var month in await InventoryStore.MonthsAsync(connection, cancellationToken))
        {
            reports.Add((await ReportAsync(connection, null, month, cancellationToken))!);
        }

        return reports;
    }

    public async Task<InventoryReport?> GetAsync(string month, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        return await ReportAsync(connection, null, month, cancellationToken);
    }

    /// <summary>Opens a month that has ended: one line per state, counts empty.</summary>
    public async Task<Outcome<InventoryReport>> OpenAsync(Actor actor, int year, int monthNumber, CancellationToken cancellationToken)
    {
        var month = MonthName(year, monthNumber);
        var (start, end) = Bounds(year, monthNumber);
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        if (unit.NowUtc < end)
        {
            return Refusal.InvalidState($"{month} has not ended yet in the site's time zone", "not-ended");
        }

        if (await InventoryStore.MonthAsync(unit.Connection, unit.Transaction, month, cancellationToken) is not null)
        {
            return Refusal.Conflict($"the inventory of {month} is already open");
        }

        await InventoryStore.InsertMonthAsync(unit, month, start, end, States, cancellationToken);
        var report = (await ReportAsync(unit.Connection, unit.Transaction, month, cancellationToken))!;
        unit.Audit("inventory.open", "inventory:" + month, new { before = (object?)null, after = new { report.StartsUtc, report.EndsUtc, system = report.Lines.ToDictionary(l => l.State, l => l.System) } });
        await unit.CommitAsync(cancellationToken);
        return report;
    }

    /// <summary>Sets any of the register count, physical count and explanation of one line (<paramref name="state"/>, one of <see cref="States"/>) of an open month.</summary>
    public async Task<Outcome<InventoryReport>> UpdateLineAsync(Actor actor, string month, string state, EnteredCounts counts, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        if (await InventoryStore.MonthAsync(unit.Connection, unit.Transaction, month, cancellationToken) is not { } row)
        {
            return Refusal.NotFound($"the inventory of '{month}'");
        }

        if (row.State == "signed-off")
        {
            return Refusal.InvalidState($"the inventory of {month} is signed off and can no longer change", "signed-off");
        }

        var before = (await ReportAsync(unit.Connection, unit.Transaction, month, cancellationToken))!.Lines.Single(l => l.State == state);
        await InventoryStore.UpdateLineAsync(unit, month, state, counts, cancellationToken);
        var report = (await ReportAsync(unit.Connection, unit.Transaction, month, cancellationToken))!;
        var after = report.Lines.Single(l => l.State == state);
        unit.Audit("inventory.count", $"inventory:{month}:{state}", new
        {
            before = new { before.RegisterCount, before.PhysicalCount, before.Explanation },
            after = new { after.System, after.RegisterCount, after.PhysicalCount, after.Explanation },
        });
        await unit.CommitAsync(cancellationToken);
        return report;
    }

    /// <summary>
    /// Signs the month off when every line is counted and every variance explained: records who, when,
    /// the audit chain head (the last row before this sign-off's own) and the frozen report.
    /// </summary>
    public async Task<Outcome<InventoryReport>> SignOffAsync(Actor actor, string month, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        if (await InventoryStore.MonthAsync(unit.Connection, unit.Transaction, month, cancellationToken) is not { } row)
        {
            return Refusal.NotFound($"the inventory of '{month}'");
        }

        if (row.State == "signed-off")
        {
            return Refusal.InvalidState($"the inventory of {month} is already signed off", "signed-off");
        }

        var report = (await ReportAsync(unit.Connection, unit.Transaction, month, cancellationToken))!;
        if (report.Blocking.Count > 0)
        {
            return Refusal.Conflict(string.Join("; ", report.Blocking), IncompleteCode) with { Blocking = report.Blocking };
        }

        var head = await AuditLog.ReadHeadAsync(unit.Connection, unit.Transaction, cancellationToken);
        var frozen = report with { State = "signed-off", SignedOffBy = actor.OperatorId, SignedOffUtc = UnitOfWork.Timestamp(unit.NowUtc), AuditHead = head };
        await InventoryStore.SignOffAsync(unit, frozen, head, cancellationToken);
        unit.Audit("inventory.sign-off", "inventory:" + month, new
        {
            before = new { state = "open" },
            after = new { state = "signed-off", auditHead = head, lines = report.Lines.Select(l => new { l.State, l.System, l.RegisterCount, l.PhysicalCount, l.Explanation }) },
        });
        await unit.CommitAsync(cancellationToken);
        if (_heads is not null)
        {
            // Outside the database too, with the sign-off's own row: a later truncation cannot hide behind the month's report.
            await _heads.RecordAsync($"inventory sign-off {month}", cancellationToken);
        }

        return frozen;
    }

    private async Task<InventoryReport?> ReportAsync(SqliteConnection connection, SqliteTransaction? transaction, string month, CancellationToken cancellationToken)
    {
        if (await InventoryStore.MonthAsync(connection, transaction, month, cancellationToken) is not { } row)
        {
            return null;
        }

        if (row.FrozenReport is { } frozen)
        {
            // A signed-off month answers with exactly what was signed.
            return InventoryStore.Thaw(frozen);
        }

        var (starts, ends) = (row.StartsUtc, row.EndsUtc);
        var opening = await InventoryStore.StatesAtAsync(connection, transaction, starts, cancellationToken);
        var closing = await InventoryStore.StatesAtAsync(connection, transaction, ends, cancellationToken);
        var entered = await InventoryStore.EnteredAsync(connection, transaction, month, cancellationToken);
        var (lines, blocking) = Lines(opening, closing, entered);
        var movements = await InventoryStore.MovementsAsync(connection, transaction, starts, ends, cancellationToken);
        var (notSeen, notSeenTotal) = await InventoryStore.NotSeenAsync(connection, transaction, ends, _notSeenDays, cancellationToken);
        var anomalies = new InventoryAnomalies(
            await InventoryStore.IssuedWithoutHandOverAsync(connection, transaction, ends, cancellationToken),
            Gaps(await InventoryStore.BatchNumbersAsync(connection, transaction, ends, cancellationToken)),
            await InventoryStore.WithoutStateAsync(connection, transaction, ends, cancellationToken),
            notSeen,
            _notSeenDays,
            notSeenTotal);
        return new InventoryReport(month, row.State, starts, ends, row.OpenedBy, row.OpenedUtc, null, null, null, lines, movements, anomalies, blocking);
    }

    /// <summary>One line per state: counts against the system's, variances, and what still blocks the sign-off.</summary>
    private static (List<InventoryLine> Lines, List<string> Blocking) Lines(Dictionary<string, long> opening, Dictionary<string, long> closing, Dictionary<string, EnteredCounts> entered)
    {
        var lines = new List<InventoryLine>();
        var blocking = new List<string>();
        foreach (var state in States)
        {
            var system = closing.GetValueOrDefault(state);
            var (register, physical, explanation) = entered.GetValueOrDefault(state) ?? new EnteredCounts(null, null, null);
            var applicable = PhysicalStates.Contains(state);
            long? registerVariance = register is { } r ? r - system : null;
            long? physicalVariance = physical is { } p ? p - system : null;
            var needs = registerVariance is not (null or 0) || physicalVariance is not (null or 0);
            lines.Add(new InventoryLine(state, opening.GetValueOrDefault(state), system, register, physical, applicable, registerVariance, physicalVariance, explanation, needs));
            if (register is null)
            {
                blocking.Add($"{state}: register count missing");
            }

            if (applicable && physical is null)
            {
                blocking.Add($"{state}: physical count missing");
            }

            if (needs && string.IsNullOrWhiteSpace(explanation))
            {
                blocking.Add($"{state}: variance not explained");
            }
        }

        return (lines, blocking);
    }

    /// <summary>Per batch, the numbers between its lowest and highest that no card has (at most <see cref="InventoryStore.MaxListed"/> each).</summary>
    private static IReadOnlyList<MissingNumbers> Gaps(Dictionary<string, List<long>> batches)
    {
        var missing = new List<MissingNumbers>();
        foreach (var (batch, numbers) in batches)
        {
            var gaps = new List<long>();
            for (var i = 1; i < numbers.Count && gaps.Count < InventoryStore.MaxListed; i++)
            {
                for (var n = numbers[i - 1] + 1; n < numbers[i] && gaps.Count < InventoryStore.MaxListed; n++)
                {
                    gaps.Add(n);
                }
            }

            if (gaps.Count > 0)
            {
                missing.Add(new MissingNumbers(batch, gaps));
            }
        }

        return missing;
    }
}
