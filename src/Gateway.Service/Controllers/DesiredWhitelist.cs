using Gateway.Drivers.Barriers;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Domain.Zones;

namespace Gateway.Service.Controllers;

/// <summary>The cards the controllers should know of, as of outbox sequence <paramref name="OutboxSequence"/> (every marker up to it is reflected).</summary>
public sealed record SyncSnapshot(long OutboxSequence, IReadOnlyList<CardTruth> Cards);

/// <summary>The site's settings the whitelists depend on (<see cref="EntryRules"/>), as the sync engine is configured with them.</summary>
public sealed record WhitelistRules(ParkingRules Parking, TimeSpan BlockedRetention, TimeSpan ExpiredRetention) : EntryRules(Parking, BlockedRetention, ExpiredRetention);

/// <summary>
/// The gateway-barrier/1 profile's side of the desired entries: <see cref="DesiredEntries"/> decides what
/// a controller must hold, this projects each entry onto the profile's whitelist record (UID, valid-from
/// and valid-to in UTC seconds, the blocked flag; no end is the largest time the profile stores).
/// </summary>
public static class DesiredWhitelist
{
    /// <summary>The zone name of the car park, whose entries follow paid parking periods.</summary>
    public const string CarParkZone = ZoneMap.CarPark;

    /// <summary>No end: the largest time the profile stores (2106-02-07).</summary>
    public const uint NoEnd = uint.MaxValue;

    /// <summary>The record <paramref name="card"/> should have on a controller of <paramref name="zone"/> at <paramref name="now"/>, or null for none.</summary>
    public static WhitelistEntry? EntryFor(CardTruth card, string zone, EntryRules rules, DateTimeOffset now) =>
        DesiredEntries.For(card, zone, rules, now) is { } entry ? Project(entry) : null;

    /// <summary>Every record a controller of <paramref name="zone"/> should hold at <paramref name="now"/>, in the profile's record order (ascending UID).</summary>
    public static IReadOnlyList<WhitelistEntry> For(string zone, IEnumerable<CardTruth> cards, EntryRules rules, DateTimeOffset now) =>
        DesiredEntries.ForZone(zone, cards, rules, now).Select(Project).ToList();

    /// <summary>Records held at <paramref name="before"/> that time alone removed by <paramref name="now"/> (retention ended).</summary>
    public static IReadOnlyList<CardUid> PurgedBetween(string zone, IEnumerable<CardTruth> cards, EntryRules rules, DateTimeOffset before, DateTimeOffset now) =>
        DesiredEntries.PurgedBetween(zone, cards, rules, before, now);

    /// <summary>The profile's record of a desired entry: instants to seconds, clamped to what the profile stores.</summary>
    public static WhitelistEntry Project(DesiredEntry entry)
    {
        var from = Seconds(entry.ValidFromUtc);
        var to = entry.ValidUntilUtc is { } until ? Math.Max(from, Seconds(until)) : NoEnd;
        return new WhitelistEntry(entry.Uid, from, to, entry.Blocked);
    }

    private static uint Seconds(DateTimeOffset time) => (uint)Math.Clamp(time.ToUnixTimeSeconds(), 0, uint.MaxValue);
}
