using Gateway.Drivers.Barriers;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Controllers;

namespace Gateway.Service.Tests.Controllers;

public sealed class DesiredWhitelistTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private static readonly WhitelistRules Rules = new(new ParkingRules(Shanghai, 3, false), TimeSpan.FromDays(90), TimeSpan.FromDays(30));
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 4, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Issued = new(2026, 1, 15, 2, 30, 0, TimeSpan.Zero); // 10:30 in Shanghai

    private static CardTruth Card(long number, string uid, CardState state, string kind, string building = "3", DateTimeOffset? since = null, params PaidPeriod[] periods) =>
        new(number, CardUid.Parse(uid), state, Wire.Parse<CardKind>(kind), building, since ?? Issued, Issued, periods);

    private static DateTimeOffset LocalMidnight(int year, int month, int day) => new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.FromHours(8)).ToUniversalTime();

    // Chain started 2026-02-01, paid two months: [Feb 1, Apr 1) local.
    private static readonly PaidPeriod[] TwoMonths =
    [
        new(1, new DateOnly(2026, 2, 1), 1, 0, new DateOnly(2026, 2, 1), new DateOnly(2026, 3, 1)),
        new(2, new DateOnly(2026, 2, 1), 1, 0, new DateOnly(2026, 3, 1), new DateOnly(2026, 4, 1)),
    ];

    [Theory]
    [InlineData("access", "building-3", true)]
    [InlineData("access", "common", true)]
    [InlineData("access", "car-park", false)]
    [InlineData("access", "building-4", false)]
    [InlineData("parking", "car-park", true)]
    [InlineData("parking", "common", false)]
    [InlineData("parking", "building-3", false)]
    [InlineData("both", "building-3", true)]
    [InlineData("both", "common", true)]
    [InlineData("both", "car-park", true)]
    [InlineData("both", "building-4", false)]
    public void EntryFor_IssuedCardByKindAndZone_OnlyItsZones(string kind, string zone, bool expected)
    {
        var card = Card(1, "04A1B2C3", CardState.Issued, kind, periods: TwoMonths);

        Assert.Equal(expected, DesiredWhitelist.EntryFor(card, zone, Rules, Now) is not null);
    }

    [Fact]
    public void EntryFor_IssuedAccessCard_FromLocalMidnightOfIssueDayWithNoEnd()
    {
        var entry = DesiredWhitelist.EntryFor(Card(1, "04A1B2C3", CardState.Issued, "access"), "common", Rules, Now)!.Value;

        Assert.Equal(LocalMidnight(2026, 1, 15), entry.ValidFrom);
        Assert.Equal(DesiredWhitelist.NoEnd, entry.ValidToSeconds);
        Assert.False(entry.Blocked);
    }

    [Fact]
    public void EntryFor_ParkingCard_ChainStartToEndPlusGrace()
    {
        var entry = DesiredWhitelist.EntryFor(Card(1, "04A1B2C3", CardState.Issued, "parking", periods: TwoMonths), "car-park", Rules, Now)!.Value;

        Assert.Equal(LocalMidnight(2026, 2, 1), entry.ValidFrom);
        // End 2026-04-01 local + 3 grace days = 2026-04-04 00:00 +08:00.
        Assert.Equal(LocalMidnight(2026, 4, 4), entry.ValidTo);
        Assert.False(entry.Blocked);
    }

    [Fact]
    public void EntryFor_GraceZero_EndIsThePeriodEnd()
    {
        var rules = Rules with { Parking = new ParkingRules(Shanghai, 0, false) };

        var entry = DesiredWhitelist.EntryFor(Card(1, "04A1B2C3", CardState.Issued, "parking", periods: TwoMonths), "car-park", rules, Now)!.Value;

        Assert.Equal(LocalMidnight(2026, 4, 1), entry.ValidTo);
    }

    [Fact]
    public void EntryFor_ParkingCardWithoutPaidPeriod_NoCarParkEntryButDoorsStay()
    {
        var card = Card(1, "04A1B2C3", CardState.Issued, "both");

        Assert.Null(DesiredWhitelist.EntryFor(card, "car-park", Rules, Now));
        Assert.NotNull(DesiredWhitelist.EntryFor(card, "building-3", Rules, Now));
    }

    [Fact]
    public void EntryFor_LastChainOnly_AnOldChainDoesNotWidenTheWindow()
    {
        PaidPeriod[] chains =
        [
            new(1, new DateOnly(2025, 6, 1), 1, 0, new DateOnly(2025, 6, 1), new DateOnly(2025, 7, 1)),
            new(2, new DateOnly(2026, 3, 5), 1, 0, new DateOnly(2026, 3, 5), new DateOnly(2026, 4, 5)),
        ];

        var entry = DesiredWhitelist.EntryFor(Card(1, "04A1B2C3", CardState.Issued, "parking", periods: chains), "car-park", Rules, Now)!.Value;

        Assert.Equal(LocalMidnight(2026, 3, 5), entry.ValidFrom);
        Assert.Equal(LocalMidnight(2026, 4, 8), entry.ValidTo);
    }

    [Fact]
    public void EntryFor_ExpiredParkingEntry_KeptUntilExpiredRetentionThenPurged()
    {
        var card = Card(1, "04A1B2C3", CardState.Issued, "parking", periods: TwoMonths);
        var validTo = LocalMidnight(2026, 4, 4);

        Assert.NotNull(DesiredWhitelist.EntryFor(card, "car-park", Rules, validTo.AddDays(1)));
        Assert.NotNull(DesiredWhitelist.EntryFor(card, "car-park", Rules, validTo.AddDays(30).AddSeconds(-1)));
        Assert.Null(DesiredWhitelist.EntryFor(card, "car-park", Rules, validTo.AddDays(30)));
    }

    [Theory]
    [InlineData("access", "common")]
    [InlineData("access", "building-3")]
    [InlineData("parking", "car-park")]
    [InlineData("both", "car-park")]
    public void EntryFor_BlockedCard_BlockedOnEveryZoneOfItsKindUntilRetentionEnds(string kind, string zone)
    {
        var since = new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
        var card = Card(1, "04A1B2C3D4E5F6", CardState.Lost, kind, since: since);

        var entry = DesiredWhitelist.EntryFor(card, zone, Rules, Now)!.Value;

        Assert.True(entry.Blocked);
        Assert.Equal(since, entry.ValidFrom);
        Assert.Equal(since.AddDays(90), entry.ValidTo);
        Assert.NotNull(DesiredWhitelist.EntryFor(card, zone, Rules, since.AddDays(90).AddSeconds(-1)));
        Assert.Null(DesiredWhitelist.EntryFor(card, zone, Rules, since.AddDays(90)));
    }

    [Fact]
    public void EntryFor_BlockedCardOtherBuilding_NoEntry()
    {
        var card = Card(1, "04A1B2C3", CardState.Lost, "access", building: "5", since: Now.AddDays(-1));

        Assert.Null(DesiredWhitelist.EntryFor(card, "building-3", Rules, Now));
        Assert.True(DesiredWhitelist.EntryFor(card, "building-5", Rules, Now)!.Value.Blocked);
    }

    [Fact]
    public void EntryFor_ZoneNamesCompareIgnoringCase()
    {
        Assert.NotNull(DesiredWhitelist.EntryFor(Card(1, "04A1B2C3", CardState.Issued, "access"), "Common", Rules, Now));
    }

    [Fact]
    public void For_ManyCards_SortedByProfileOrderAndDigestMatchesUnsortedComputation()
    {
        var cards = Enumerable.Range(0, 200).Select(i => Card(
            i + 1,
            i % 3 == 0 ? $"04{i:X6}AABBCC" : $"{0xF0000000 - (uint)i:X8}",
            i % 5 == 0 ? CardState.Lost : CardState.Issued,
            i % 2 == 0 ? "both" : "access",
            since: Now.AddDays(-1),
            periods: TwoMonths)).ToList();

        var list = DesiredWhitelist.For("common", cards, Rules, Now);

        Assert.Equal(200, list.Count);
        Assert.Equal(list.OrderBy(e => e.Uid).ToList(), list);
        Assert.Equal(WhitelistEntry.ComputeDigest(list.Reverse()), WhitelistEntry.ComputeDigestOfSorted(list));
        Assert.Equal(40, list.Count(e => e.Blocked));
        Assert.Equal(100, DesiredWhitelist.For("car-park", cards, Rules, Now).Count);
    }

    [Fact]
    public void For_TwoCardsOneUid_IssuedWinsOverBlocked()
    {
        var cards = new[]
        {
            Card(7, "04A1B2C3", CardState.Issued, "access"),
            Card(9, "04A1B2C3", CardState.Lost, "access", since: Now.AddDays(-1)),
        };

        var entry = Assert.Single(DesiredWhitelist.For("common", cards, Rules, Now));

        Assert.False(entry.Blocked);
    }

    [Fact]
    public void PurgedBetween_RetentionEndedInTheWindow_ListsOnlyThoseCards()
    {
        var cards = new[]
        {
            Card(1, "04000001", CardState.Lost, "access", since: Now.AddDays(-90).AddHours(-1)), // ended an hour ago
            Card(2, "04000002", CardState.Lost, "access", since: Now.AddDays(-89)), // still blocked
            Card(3, "04000003", CardState.Lost, "access", since: Now.AddDays(-200)), // ended long before the window
            Card(4, "04000004", CardState.Issued, "access"),
        };

        var purged = DesiredWhitelist.PurgedBetween("common", cards, Rules, Now.AddHours(-2), Now);

        Assert.Equal([CardUid.Parse("04000001")], purged);
    }
}
