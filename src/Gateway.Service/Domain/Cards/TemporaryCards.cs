using Gateway.Service.Domain.Parking;
using Gateway.Service.Domain.Zones;

namespace Gateway.Service.Domain.Cards;

/// <summary>Why a temporary card is issued (DESIGN.md "Card life").</summary>
public enum TemporaryPurpose
{
    /// <summary>A tenant's card for the length of a lease.</summary>
    Tenant,

    /// <summary>A contractor working on the site for a while.</summary>
    Contractor,

    /// <summary>A visitor of a resident.</summary>
    Visitor,

    /// <summary>Stands in for the holder's lost card while it is searched for.</summary>
    StandIn,
}

/// <summary>Where a temporary card stands, read from its state and its window at an instant.</summary>
public enum TemporaryStatus
{
    /// <summary>Issued, its window not begun: the controllers say "not yet valid".</summary>
    NotYetValid,

    /// <summary>Issued and inside its window.</summary>
    Active,

    /// <summary>Issued and past its window: expired and awaiting return, its deposit held.</summary>
    Expired,

    /// <summary>Revoked (the lost card it stood in for was found, or the desk revoked it): awaiting return.</summary>
    Revoked,

    /// <summary>Reported lost, or damaged: on the controllers as blocked.</summary>
    Lost,

    /// <summary>Handed back (or written off): no longer out of the office.</summary>
    Closed,
}

/// <summary>A validity window, <c>[From, Until)</c>: valid from <see cref="FromUtc"/> up to, not including, <see cref="UntilUtc"/>.</summary>
public readonly record struct ValidityWindow(DateTimeOffset FromUtc, DateTimeOffset UntilUtc)
{
    public bool Contains(DateTimeOffset instant) => instant >= FromUtc && instant < UntilUtc;

    /// <summary>The window shared with <c>[from, until)</c>, or null when they do not meet.</summary>
    public ValidityWindow? Intersect(DateTimeOffset from, DateTimeOffset until)
    {
        var start = from > FromUtc ? from : FromUtc;
        var end = until < UntilUtc ? until : UntilUtc;
        return start < end ? new ValidityWindow(start, end) : null;
    }
}

/// <summary>
/// The terms of a temporary card: why it was issued, its validity window, who carries it when that is
/// not the holder (a visitor, a contractor's worker), and the lost card it stands in for.
/// </summary>
/// <param name="Purpose">Why it was issued.</param>
/// <param name="Window">When it is valid.</param>
/// <param name="Bearer">Who carries it, when not the holder (required for visitors and contractors).</param>
/// <param name="StandsInFor">The lost card it stands in for (purpose <see cref="TemporaryPurpose.StandIn"/> only).</param>
public sealed record TemporaryTerms(TemporaryPurpose Purpose, ValidityWindow Window, string? Bearer, long? StandsInFor);

/// <summary>
/// The rules of temporary and visitor cards, pure (DESIGN.md "Card life"): a temporary card has a
/// validity window that every controller of its zones receives and judges by its own clock; at the
/// window's end it is expired and awaiting return (it stays issued: only handing it back ends its
/// life, and recycling puts it back into stock). It is not a replacement: the card it stands in for
/// stays lost, and goes back to issued if found, when the temporary card is revoked.
/// </summary>
public static class TemporaryCards
{
    /// <summary>The longest window a temporary card may have.</summary>
    public const int MaxDays = 366;

    /// <summary>The window of a card for <paramref name="days"/> whole local days from today: from today's local midnight to the midnight <paramref name="days"/> days later.</summary>
    public static ValidityWindow Days(SiteCalendar calendar, DateTimeOffset now, int days)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        var today = calendar.DateOf(now);
        return new ValidityWindow(calendar.StartOf(today), calendar.StartOf(today.AddDays(days)));
    }

    /// <summary>
    /// Checks terms at issue time <paramref name="now"/>: the window ends after it starts and after now,
    /// is at most <see cref="MaxDays"/> long; visitors and contractors name who carries the card; a
    /// stand-in names the lost card, and only a stand-in does. A refusal names the field at fault.
    /// </summary>
    public static Outcome<TemporaryTerms> Check(TemporaryTerms terms, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(terms);
        var window = terms.Window;
        if (window.UntilUtc <= window.FromUtc)
        {
            return Refusal.Invalid("validUntil", "must be after validFrom");
        }

        if (window.UntilUtc <= now)
        {
            return Refusal.Invalid("validUntil", "must be in the future: the window would already be over");
        }

        if (window.UntilUtc - window.FromUtc > TimeSpan.FromDays(MaxDays))
        {
            return Refusal.Invalid("validUntil", $"a temporary card is valid for at most {MaxDays} days");
        }

        if (terms.Purpose is TemporaryPurpose.Visitor or TemporaryPurpose.Contractor && string.IsNullOrWhiteSpace(terms.Bearer))
        {
            return Refusal.Invalid("bearer", $"a {Wire.Name(terms.Purpose)} card names who carries it");
        }

        if ((terms.Purpose == TemporaryPurpose.StandIn) != (terms.StandsInFor is not null))
        {
            return Refusal.Invalid("standsInFor", terms.Purpose == TemporaryPurpose.StandIn ? "a stand-in names the lost card it stands in for" : "only a stand-in card stands in for a lost card");
        }

        return terms;
    }

    /// <summary>True when the window starts and ends at local midnights (what a controller that keeps dates only can hold exactly).</summary>
    public static bool IsWholeDays(ValidityWindow window, SiteCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        return calendar.StartOf(calendar.DateOf(window.FromUtc)) == window.FromUtc && calendar.StartOf(calendar.DateOf(window.UntilUtc)) == window.UntilUtc;
    }

    /// <summary>
    /// On controllers that keep validity in whole local days (UHPPOTE boards), a window that does not
    /// start and end at local midnight cannot be held as given: it would open the door for more (or less)
    /// than was granted. Refused (rule <c>whole-days</c>) when the card would reach such a controller;
    /// null when it may be issued.
    /// </summary>
    /// <param name="window">The card's window.</param>
    /// <param name="controllers">The controllers the card would reach.</param>
    /// <param name="calendar">The site's calendar.</param>
    public static Refusal? CheckGrain(ValidityWindow window, IEnumerable<ZonedController> controllers, SiteCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(controllers);
        var daily = controllers.Where(c => c.Grain == ValidityGrain.Days).Select(c => c.ControllerId).ToList();
        if (daily.Count == 0 || IsWholeDays(window, calendar))
        {
            return null;
        }

        var first = calendar.DateOf(window.FromUtc);
        var last = calendar.DateOf(window.UntilUtc.AddTicks(-1));
        return Refusal.Rule(
            "whole-days",
            $"the card would reach {string.Join(", ", daily)}, which keep validity in whole days of the site's time; a window from {window.FromUtc:u} to {window.UntilUtc:u} cannot be held as given. Give a window from local midnight to local midnight (e.g. {first:yyyy-MM-dd} to {last.AddDays(1):yyyy-MM-dd}), or a number of days");
    }

    /// <summary>Where a temporary card in <paramref name="state"/> with <paramref name="window"/> stands at <paramref name="now"/>.</summary>
    public static TemporaryStatus StatusOf(CardState state, ValidityWindow window, DateTimeOffset now) => state switch
    {
        CardState.Issued when now < window.FromUtc => TemporaryStatus.NotYetValid,
        CardState.Issued when now < window.UntilUtc => TemporaryStatus.Active,
        CardState.Issued => TemporaryStatus.Expired,
        CardState.Revoked => TemporaryStatus.Revoked,
        CardState.Lost or CardState.Damaged => TemporaryStatus.Lost,
        _ => TemporaryStatus.Closed,
    };

    /// <summary>Whole days of validity left at <paramref name="now"/>, counting a part day as one: 0 once the window is over; before it starts, its whole length.</summary>
    public static int DaysLeft(ValidityWindow window, DateTimeOffset now)
    {
        if (now >= window.UntilUtc)
        {
            return 0;
        }

        var from = now > window.FromUtc ? now : window.FromUtc;
        return (int)Math.Ceiling((window.UntilUtc - from).TotalDays);
    }

    /// <summary>Past its use and still to be handed back: expired or revoked.</summary>
    public static bool AwaitingReturn(TemporaryStatus status) => status is TemporaryStatus.Expired or TemporaryStatus.Revoked;
}
