using Gateway.Service.Api;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cash;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Storage;

namespace Gateway.Service.Cash;

/// <summary>Whose money a cash report may show: every operator's (finance, admin), the asking operator's own shift only (a clerk), or none.</summary>
public enum CashScope
{
    None,
    All,
    Own,
}

/// <summary>
/// The cash and shift report: the desk's money in a window — a site day, or a shift given by its start
/// and end — per operator, with totals that reconcile with the receipt book. Who sees what is decided
/// here, from the operator's roles, for the API and the console alike: finance and admin see every
/// operator's lines, or one operator's when they ask; the front desk their own shift only; other roles none.
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

    /// <summary>Whose money an operator with <paramref name="roles"/> may see in a cash report.</summary>
    public static CashScope ScopeOf(IEnumerable<string> roles)
    {
        var held = roles.ToHashSet(StringComparer.Ordinal);
        return held.Contains(GatewayRoles.Finance) || held.Contains(GatewayRoles.Admin) ? CashScope.All
            : held.Contains(GatewayRoles.FrontDesk) ? CashScope.Own
            : CashScope.None;
    }

    /// <summary>
    /// The report of [<paramref name="fromUtc"/>, <paramref name="toUtc"/>) for <paramref name="actor"/>
    /// holding <paramref name="roles"/>, of <paramref name="operatorId"/> (null: all their roles allow).
    /// Refused (<see cref="RefusalKind.Forbidden"/>) for roles that see no cash, or a clerk asking for another's shift.
    /// </summary>
    public async Task<Outcome<CashReportView>> ReportAsync(Actor actor, IEnumerable<string> roles, DateTimeOffset fromUtc, DateTimeOffset toUtc, string? operatorId, CancellationToken cancellationToken)
    {
        var scope = ScopeOf(roles);
        if (scope == CashScope.None)
        {
            return new Refusal(RefusalKind.Forbidden, "the cash report is for the front desk (its own shift), finance and admin");
        }

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
                return new Refusal(RefusalKind.Forbidden, $"a clerk sees the cash report of their own shift only; {operatorId}'s is for finance or admin");
            }

            operatorId = actor.OperatorId;
        }

        await using var connection = _database.OpenConnection();
        var lines = await CashStore.LinesAsync(connection, fromUtc, toUtc, operatorId, cancellationToken);
        var names = new Dictionary<string, string>(await CashStore.OperatorNamesAsync(connection, cancellationToken), StringComparer.Ordinal) { [actor.OperatorId] = actor.DisplayName };
        return CashReports.Build(fromUtc, toUtc, _calendar.TimeZone.Id, operatorId, lines, names);
    }
}
