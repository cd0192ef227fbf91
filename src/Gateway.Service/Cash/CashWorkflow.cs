using Gateway.Service.Domain;
using Gateway.Service.Domain.Cash;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Storage;

namespace Gateway.Service.Cash;

/// <summary>Whose money a cash report may show: every operator's (finance, admin), or the asking operator's own shift only (a clerk).</summary>
public enum CashScope
{
    All,
    Own,
}

/// <summary>
/// The cash and shift report: the desk's money in a window — a site day, or a shift given by its start
/// and end — per operator, with totals that reconcile with the receipt book. A clerk sees their own
/// lines only; finance and admin see every operator's, or one operator's when they ask.
/// </summary>
public sealed class CashWorkflow
{
    /// <summary>Longest window one report covers: a month and a day.</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(32);

    private readonly GatewayDatabase _database;
    private readonly SiteCalendar _calendar;

    public CashWorkflow(GatewayDatabase database, ParkingRules rules)
    {
        _database = database;
        _calendar = rules.Calendar;
    }

    public SiteCalendar Calendar => _calendar;

    /// <summary>The window of site day <paramref name="date"/>: its local midnight to the next.</summary>
    public (DateTimeOffset From, DateTimeOffset To) Day(DateOnly date) => (_calendar.StartOf(date), _calendar.StartOf(date.AddDays(1)));

    /// <summary>The report of [<paramref name="fromUtc"/>, <paramref name="toUtc"/>) for <paramref name="actor"/>, of <paramref name="operatorId"/> (null: all the scope allows).</summary>
    public async Task<Outcome<CashReportView>> ReportAsync(Actor actor, CashScope scope, DateTimeOffset fromUtc, DateTimeOffset toUtc, string? operatorId, CancellationToken cancellationToken)
    {
        if (toUtc <= fromUtc)
        {
            return Refusal.Invalid("to", "must be after from");
        }

        if (toUtc - fromUtc > MaxWindow)
        {
            return Refusal.Invalid("to", $"one report covers at most {MaxWindow.TotalDays:0} days");
        }

        if (scope == CashScope.Own)
        {
            // A clerk's report is their own shift: another operator's money is finance's to see.
            if (operatorId is not null && operatorId != actor.OperatorId)
            {
                return new Refusal(RefusalKind.Denied, $"a clerk sees the cash report of their own shift only; {operatorId}'s is for finance or admin") { Code = "forbidden" };
            }

            operatorId = actor.OperatorId;
        }

        await using var connection = _database.OpenConnection();
        var lines = await CashStore.LinesAsync(connection, fromUtc, toUtc, operatorId, cancellationToken);
        var names = new Dictionary<string, string>(await CashStore.OperatorNamesAsync(connection, cancellationToken), StringComparer.Ordinal) { [actor.OperatorId] = actor.DisplayName };
        return CashReports.Build(fromUtc, toUtc, _calendar.TimeZone.Id, operatorId, lines, names);
    }
}
