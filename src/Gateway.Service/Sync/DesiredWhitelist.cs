using Gateway.Drivers.Barriers;
using Gateway.Service.Domain.Parking;

namespace Gateway.Service.Sync;

/// <summary>Where a card stands for the controllers: issued (opens what its zones allow) or blocked (lost, revoked, damaged).</summary>
public enum SyncCardStatus
{
    Issued,
    Blocked,
}

/// <summary>
/// What the sync engine knows of one card: its UID, whether it is issued or blocked and since when,
/// the zones it belongs to (the front office's zone rule applied to its kind and its holder's
/// building), and the periods of its active parking agreement (empty: none).
/// </summary>
public sealed record SyncCard(
    long Number,
    CardUid Uid,
    SyncCardStatus Status,
    IReadOnlyList<string> Zones,
    DateTimeOffset StatusSinceUtc,
    DateTimeOffset IssuedUtc,
    IReadOnlyList<PaidPeriod> ParkingPeriods);

/// <summary>The cards the controllers should know of, as of outbox sequence <paramref name="OutboxSequence"/> (every marker up to it is reflected).</summary>
public sealed record SyncSnapshot(long OutboxSequence, IReadOnlyList<SyncCard> Cards);

/// <summary>The site's settings the desired whitelist depends on: the parking rules (zone, grace) and the retention periods.</summary>
public sealed record WhitelistRules(ParkingRules Parking, TimeSpan BlockedRetention, TimeSpan ExpiredRetention);

/// <summary>
/// The whitelist a controller must hold, as a pure function of the cards, the controller's zone, the
/// site's rules and "now" (DESIGN.md "From the front desk to the gate"):
/// <list type="bullet">
/// <item>an issued card of the controller's zone: in the car park, from the start of its last paid chain
/// to that chain's end plus the site's grace (no paid period: no entry); elsewhere from local midnight of
/// its issue day with no end;</item>
/// <item>a lost, revoked or damaged card of the zone: a blocked entry from the day it left Issued until
/// its retention ends, so that presenting it raises an alarm rather than a silent "unknown";</item>
/// <item>an expired parking entry stays (the controller says "expired") until the expired retention after
/// its end; after either retention the entry is purged.</item>
/// </list>
/// Controllers judge validity by their own clock, so expiry needs no change here; only purges depend on "now".
/// </summary>
public static class DesiredWhitelist
{
    /// <summary>The zone name of the car park, whose entries follow paid parking periods.</summary>
    public const string CarParkZone = Domain.Zones.ZoneMap.CarPark;

    /// <summary>No end: the largest time the profile stores (2106-02-07).</summary>
    public const uint NoEnd = uint.MaxValue;

    /// <summary>The entry <paramref name="card"/> should have on a controller of <paramref name="zone"/> at <paramref name="now"/>, or null for none.</summary>
    public static WhitelistEntry? EntryFor(SyncCard card, string zone, WhitelistRules rules, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(card);
        ArgumentNullException.ThrowIfNull(rules);
        if (!card.Zones.Contains(zone, StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }

        if (card.Status == SyncCardStatus.Blocked)
        {
            var until = card.StatusSinceUtc + rules.BlockedRetention;
            if (now >= until)
            {
                return null;
            }

            var from = Seconds(card.StatusSinceUtc);
            return new WhitelistEntry(card.Uid, from, Math.Max(from, Seconds(until)), blocked: true);
        }

        if (string.Equals(zone, CarParkZone, StringComparison.OrdinalIgnoreCase))
        {
            if (PeriodChain.Validity(card.ParkingPeriods, rules.Parking) is not { } validity || now >= validity.ValidToUtc + rules.ExpiredRetention)
            {
                return null;
            }

            var from = Seconds(validity.ValidFromUtc);
            return new WhitelistEntry(card.Uid, from, Math.Max(from, Seconds(validity.ValidToUtc)));
        }

        var calendar = rules.Parking.Calendar;
        return new WhitelistEntry(card.Uid, Seconds(calendar.StartOf(calendar.DateOf(card.IssuedUtc))), NoEnd);
    }

    /// <summary>
    /// Every entry a controller of <paramref name="zone"/> should hold at <paramref name="now"/>, in the
    /// profile's record order (ascending UID). Should two cards carry one UID, an issued card wins over a
    /// blocked one, then the higher card number (the newer card).
    /// </summary>
    public static IReadOnlyList<WhitelistEntry> For(string zone, IEnumerable<SyncCard> cards, WhitelistRules rules, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(cards);
        var byUid = new Dictionary<CardUid, (SyncCard Card, WhitelistEntry Entry)>();
        foreach (var card in cards)
        {
            if (EntryFor(card, zone, rules, now) is not { } entry)
            {
                continue;
            }

            if (!byUid.TryGetValue(card.Uid, out var held) || Wins(card, held.Card))
            {
                byUid[card.Uid] = (card, entry);
            }
        }

        var list = byUid.Values.Select(v => v.Entry).ToArray();
        Array.Sort(list, (a, b) => a.Uid.CompareTo(b.Uid));
        return list;
    }

    /// <summary>
    /// Entries held at <paramref name="before"/> whose card has none at <paramref name="now"/> although
    /// nothing about the card changed: the purges that time alone brought (retention ended).
    /// </summary>
    public static IReadOnlyList<CardUid> PurgedBetween(string zone, IEnumerable<SyncCard> cards, WhitelistRules rules, DateTimeOffset before, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(cards);
        var list = cards as IReadOnlyCollection<SyncCard> ?? [.. cards];
        var still = For(zone, list, rules, now).Select(e => e.Uid).ToHashSet();
        return For(zone, list, rules, before).Select(e => e.Uid).Where(uid => !still.Contains(uid)).ToList();
    }

    private static bool Wins(SyncCard card, SyncCard held) =>
        card.Status != held.Status ? card.Status == SyncCardStatus.Issued : card.Number > held.Number;

    private static uint Seconds(DateTimeOffset time) => (uint)Math.Clamp(time.ToUnixTimeSeconds(), 0, uint.MaxValue);
}
