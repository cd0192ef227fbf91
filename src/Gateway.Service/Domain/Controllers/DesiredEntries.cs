using Gateway.Drivers.Barriers;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Domain.Zones;

namespace Gateway.Service.Domain.Controllers;

/// <summary>
/// What the site knows of one card that decides what controllers hold: its UID, its state and since
/// when, its kind and its holder's building (its zones), when it was issued, and the periods of its
/// active parking agreement (empty: none).
/// </summary>
/// <param name="Number">The card number.</param>
/// <param name="Uid">The physical card's UID.</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="Kind">What it opens while issued.</param>
/// <param name="Building">Its holder's building (the doors an access card opens).</param>
/// <param name="StateSinceUtc">When it entered its state (a blocked entry's retention counts from here).</param>
/// <param name="IssuedUtc">When it was last issued (an access entry runs from that local day).</param>
/// <param name="ParkingPeriods">The paid periods of its active parking agreement, in chain order.</param>
/// <param name="Window">A temporary card's validity window (null: an ordinary card).</param>
public sealed record CardTruth(
    long Number,
    CardUid Uid,
    CardState State,
    CardKind Kind,
    string Building,
    DateTimeOffset StateSinceUtc,
    DateTimeOffset IssuedUtc,
    IReadOnlyList<PaidPeriod> ParkingPeriods,
    ValidityWindow? Window = null)
{
    /// <summary>The zones whose controllers the card belongs on (the front office's zone rule).</summary>
    public IReadOnlyList<string> Zones => ZoneMap.ZonesFor(Kind, Building);
}

/// <summary>The site's settings the desired entries depend on: the parking rules (time zone, grace) and how long blocked and expired entries stay.</summary>
/// <param name="Parking">The parking rules: the site's time zone and grace days.</param>
/// <param name="BlockedRetention">How long a lost, revoked or damaged card stays on its controllers as blocked.</param>
/// <param name="ExpiredRetention">How long an expired parking entry stays after its end.</param>
public record EntryRules(ParkingRules Parking, TimeSpan BlockedRetention, TimeSpan ExpiredRetention);

/// <summary>How a card in a state stands on the controllers of its zones.</summary>
public enum Standing
{
    /// <summary>Not on any controller.</summary>
    None,

    /// <summary>An entry that opens what the card's kind allows, within its validity.</summary>
    Entry,

    /// <summary>A blocked entry: presenting the card raises an alarm rather than a silent "unknown".</summary>
    Blocked,
}

/// <summary>
/// One entry a controller of <see cref="Zone"/> must hold for a card, in no controller family's terms.
/// Validity is given twice, as the same window: as instants (<see cref="ValidFromUtc"/> up to, not
/// including, <see cref="ValidUntilUtc"/>; null: no end), for controllers that keep UTC seconds (the
/// gateway-barrier profile), and as whole local days (<see cref="FirstDay"/> to <see cref="LastDay"/>
/// inclusive; null: no end), for controllers that keep dates in the site's local time (UHPPOTE boards).
/// A family projects this onto its own records: its card key (the UID, or a card number derived from it
/// per reader format), its date or time fields, and what it does with <see cref="Blocked"/> (a board
/// with no blocked list deletes the record).
/// </summary>
/// <param name="CardNumber">The card.</param>
/// <param name="Uid">The physical card's UID.</param>
/// <param name="Zone">The zone of the controllers that hold it.</param>
/// <param name="ValidFromUtc">First instant of validity.</param>
/// <param name="ValidUntilUtc">First instant no longer valid; null: no end.</param>
/// <param name="FirstDay">First local day of validity.</param>
/// <param name="LastDay">Last local day of validity (inclusive); null: no end.</param>
/// <param name="Blocked">A blocked entry (the card is lost, revoked or damaged).</param>
public readonly record struct DesiredEntry(long CardNumber, CardUid Uid, string Zone, DateTimeOffset ValidFromUtc, DateTimeOffset? ValidUntilUtc, DateOnly FirstDay, DateOnly? LastDay, bool Blocked);

/// <summary>
/// What every controller must hold, as a pure function of the site's truth, a zone, the site's rules
/// and "now" (DESIGN.md "From the front desk to the gate"):
/// <list type="bullet">
/// <item>an issued card in the controller's zone: in the car park, from the local midnight starting its
/// last paid chain to the local midnight ending that chain plus the site's grace (no paid period: no
/// entry); elsewhere from local midnight of its issue day, with no end;</item>
/// <item>a temporary card (a validity window): its window everywhere, and in the car park the part of its
/// paid validity inside its window (none shared: no entry); once over, it stays as an expired entry like
/// parking's, so the card is refused as expired while it awaits return;</item>
/// <item>a lost, revoked or damaged card in the zone: a blocked entry from the moment it left issued
/// until its retention ends; any other state: nothing;</item>
/// <item>an expired parking entry stays (the controller says "expired") until the expired retention
/// after its end; after either retention the entry is purged.</item>
/// </list>
/// Controllers judge validity by their own clock, so expiry needs no change here; only purges depend on "now".
/// </summary>
public static class DesiredEntries
{
    /// <summary>The states whose cards are on controllers (as an entry or a blocked one): what the stores select.</summary>
    public static IReadOnlyList<CardState> StatesOnControllers { get; } = [.. Enum.GetValues<CardState>().Where(s => StandingOf(s) != Standing.None)];

    /// <summary><see cref="StatesOnControllers"/> as a JSON array of their wire names, the one parameter a store selects them by.</summary>
    public static string StatesOnControllersJson { get; } = System.Text.Json.JsonSerializer.Serialize(StatesOnControllers.Select(s => Wire.Name(s)));

    /// <summary>How a card in <paramref name="state"/> stands on its controllers: issued gives an entry, lost, revoked and damaged a blocked one.</summary>
    public static Standing StandingOf(CardState state) =>
        CardLife.IsActive(state) ? Standing.Entry : CardLife.IsBlocked(state) ? Standing.Blocked : Standing.None;

    /// <summary>The entry <paramref name="card"/> should have on a controller of <paramref name="zone"/> at <paramref name="now"/>, or null for none.</summary>
    public static DesiredEntry? For(CardTruth card, string zone, EntryRules rules, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(card);
        ArgumentNullException.ThrowIfNull(rules);
        var standing = StandingOf(card.State);
        if (standing == Standing.None || !card.Zones.Contains(zone, StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }

        var calendar = rules.Parking.Calendar;
        if (standing == Standing.Blocked)
        {
            var until = card.StateSinceUtc + rules.BlockedRetention;
            return now >= until ? null : Entry(card, zone, card.StateSinceUtc, until, calendar, blocked: true);
        }

        if (string.Equals(zone, ZoneMap.CarPark, StringComparison.OrdinalIgnoreCase))
        {
            if (PeriodChain.Validity(card.ParkingPeriods, rules.Parking) is not { } validity)
            {
                return null;
            }

            var paid = new ValidityWindow(validity.ValidFromUtc, validity.ValidToUtc);
            if (card.Window is { } window)
            {
                if (window.Intersect(paid.FromUtc, paid.UntilUtc) is not { } shared)
                {
                    return null;
                }

                paid = shared;
            }

            return now >= paid.UntilUtc + rules.ExpiredRetention ? null : Entry(card, zone, paid.FromUtc, paid.UntilUtc, calendar, blocked: false);
        }

        if (card.Window is { } temporary)
        {
            return now >= temporary.UntilUtc + rules.ExpiredRetention ? null : Entry(card, zone, temporary.FromUtc, temporary.UntilUtc, calendar, blocked: false);
        }

        return Entry(card, zone, calendar.StartOf(calendar.DateOf(card.IssuedUtc)), null, calendar, blocked: false);
    }

    /// <summary>
    /// Every entry a controller of <paramref name="zone"/> should hold at <paramref name="now"/>, one per
    /// UID in ascending UID order. Should two cards carry one UID, an issued card wins over a blocked one,
    /// then the higher card number (the newer card).
    /// </summary>
    public static IReadOnlyList<DesiredEntry> ForZone(string zone, IEnumerable<CardTruth> cards, EntryRules rules, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(cards);
        var byUid = new Dictionary<CardUid, DesiredEntry>();
        foreach (var card in cards)
        {
            if (For(card, zone, rules, now) is not { } entry)
            {
                continue;
            }

            if (!byUid.TryGetValue(card.Uid, out var held) || Wins(entry, held))
            {
                byUid[card.Uid] = entry;
            }
        }

        var list = byUid.Values.ToArray();
        Array.Sort(list, (a, b) => a.Uid.CompareTo(b.Uid));
        return list;
    }

    /// <summary>
    /// UIDs with an entry at <paramref name="before"/> and none at <paramref name="now"/> although nothing
    /// about their card changed: the purges that time alone brought (retention ended).
    /// </summary>
    public static IReadOnlyList<CardUid> PurgedBetween(string zone, IEnumerable<CardTruth> cards, EntryRules rules, DateTimeOffset before, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(cards);
        var list = cards as IReadOnlyCollection<CardTruth> ?? [.. cards];
        var still = ForZone(zone, list, rules, now).Select(e => e.Uid).ToHashSet();
        return ForZone(zone, list, rules, before).Select(e => e.Uid).Where(uid => !still.Contains(uid)).ToList();
    }

    private static bool Wins(DesiredEntry entry, DesiredEntry held) =>
        entry.Blocked != held.Blocked ? !entry.Blocked : entry.CardNumber > held.CardNumber;

    private static DesiredEntry Entry(CardTruth card, string zone, DateTimeOffset from, DateTimeOffset? until, SiteCalendar calendar, bool blocked) =>
        new(card.Number, card.Uid, zone, from, until, calendar.DateOf(from), until is { } end ? calendar.DateOf(end.AddTicks(-1)) : null, blocked);
}
