using Gateway.Drivers.Barriers;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Domain.Parking;

namespace Gateway.Service.Tests.Domain.Controllers;

/// <summary>
/// What a controller must hold, family-neutral: which states give an entry and which a blocked one,
/// validity from periods and grace, as instants and as inclusive local days (what a date-only board stores).
/// </summary>
public sealed class DesiredEntriesTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private static readonly EntryRules Rules = new(new ParkingRules(Shanghai, 3, false), TimeSpan.FromDays(90), TimeSpan.FromDays(30));
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 4, 0, 0, TimeSpan.Zero);

    // 2026-01-14 17:30 UTC is 01:30 on 2026-01-15 in Shanghai: the local day is the one that counts.
    private static readonly DateTimeOffset IssuedUtc = new(2026, 1, 14, 17, 30, 0, TimeSpan.Zero);

    // One chain from 2026-02-01, two months paid: [Feb 1, Apr 1) local.
    private static readonly PaidPeriod[] TwoMonths =
    [
        new(1, new DateOnly(2026, 2, 1), 1, 0, new DateOnly(2026, 2, 1), new DateOnly(2026, 3, 1)),
        new(2, new DateOnly(2026, 2, 1), 1, 0, new DateOnly(2026, 3, 1), new DateOnly(2026, 4, 1)),
    ];

    public static TheoryData<CardState, Standing> Standings() => new()
    {
        { CardState.InStock, Standing.None },
        { CardState.Issued, Standing.Entry },
        { CardState.Lost, Standing.Blocked },
        { CardState.Revoked, Standing.Blocked },
        { CardState.Damaged, Standing.Blocked },
        { CardState.WrittenOff, Standing.None },
        { CardState.Returned, Standing.None },
    };

    [Theory]
    [MemberData(nameof(Standings))]
    public void StandingOf_EveryState_IssuedEntersLostRevokedDamagedBlockedTheRestNothing(CardState state, Standing expected)
    {
        Assert.Equal(expected, DesiredEntries.StandingOf(state));
        Assert.Equal(expected != Standing.None, DesiredEntries.StatesOnControllers.Contains(state));
        Assert.Equal(expected == Standing.None, DesiredEntries.For(Card(1, state, CardKind.Access), "common", Rules, Now) is null);
    }

    [Fact]
    public void For_IssuedAccessCard_FromTheLocalIssueDayWithNoEnd()
    {
        var entry = DesiredEntries.For(Card(1, CardState.Issued, CardKind.Access), "building-3", Rules, Now)!.Value;

        Assert.Equal(new DateOnly(2026, 1, 15), entry.FirstDay);
        Assert.Equal(LocalMidnight(2026, 1, 15), entry.ValidFromUtc);
        Assert.Null(entry.LastDay);
        Assert.Null(entry.ValidUntilUtc);
        Assert.False(entry.Blocked);
        Assert.Equal(("building-3", 1L, CardUid.Parse("04A1B2C3")), (entry.Zone, entry.CardNumber, entry.Uid));
    }

    [Fact]
    public void For_ParkingCard_ChainStartToEndPlusGrace_LastDayInclusiveIsEndPlusGraceMinusOne()
    {
        var entry = DesiredEntries.For(Card(1, CardState.Issued, CardKind.Parking, TwoMonths), "car-park", Rules, Now)!.Value;

        Assert.Equal(LocalMidnight(2026, 2, 1), entry.ValidFromUtc);
        Assert.Equal(LocalMidnight(2026, 4, 4), entry.ValidUntilUtc);
        Assert.Equal(new DateOnly(2026, 2, 1), entry.FirstDay);
        // Periods are half-open: paid to 2026-04-01 exclusive, 3 days' grace, so the last whole day is 2026-04-03.
        Assert.Equal(new DateOnly(2026, 4, 3), entry.LastDay);
    }

    [Fact]
    public void For_ParkingCardWithoutPeriods_NoCarParkEntry_ButItsDoorsStay()
    {
        var card = Card(1, CardState.Issued, CardKind.Both);

        Assert.Null(DesiredEntries.For(card, "car-park", Rules, Now));
        Assert.NotNull(DesiredEntries.For(card, "common", Rules, Now));
    }

    [Fact]
    public void For_ExpiredParkingEntry_StaysUntilTheExpiredRetentionAfterItsEnd()
    {
        var card = Card(1, CardState.Issued, CardKind.Parking, TwoMonths);
        var end = LocalMidnight(2026, 4, 4);

        Assert.NotNull(DesiredEntries.For(card, "car-park", Rules, end.AddDays(30).AddTicks(-1)));
        Assert.Null(DesiredEntries.For(card, "car-park", Rules, end.AddDays(30)));
    }

    [Fact]
    public void For_LostCard_BlockedFromWhenItLeftIssuedUntilTheRetentionEnds()
    {
        var since = new DateTimeOffset(2026, 3, 1, 6, 15, 0, TimeSpan.Zero);
        var card = Card(1, CardState.Lost, CardKind.Both, TwoMonths) with { StateSinceUtc = since };

        var entry = DesiredEntries.For(card, "car-park", Rules, Now)!.Value;

        Assert.True(entry.Blocked);
        Assert.Equal(since, entry.ValidFromUtc);
        Assert.Equal(since.AddDays(90), entry.ValidUntilUtc);
        Assert.Null(DesiredEntries.For(card, "car-park", Rules, since.AddDays(90)));
    }

    [Fact]
    public void For_ZoneOfAnotherBuilding_Nothing()
    {
        Assert.Null(DesiredEntries.For(Card(1, CardState.Issued, CardKind.Both), "building-4", Rules, Now));
        Assert.NotNull(DesiredEntries.For(Card(1, CardState.Issued, CardKind.Both), "BUILDING-3", Rules, Now));
    }

    [Fact]
    public void ForZone_TwoCardsOneUid_IssuedWinsOverBlocked_ThenTheNewerNumber_SortedByUid()
    {
        var cards = new[]
        {
            Card(9, CardState.Issued, CardKind.Access) with { Uid = CardUid.Parse("04FFFFFF") },
            Card(5, CardState.Revoked, CardKind.Access) with { StateSinceUtc = Now.AddDays(-1) },
            Card(3, CardState.Issued, CardKind.Access),
            Card(7, CardState.Issued, CardKind.Access) with { Uid = CardUid.Parse("04000001") },
            Card(8, CardState.Issued, CardKind.Access) with { Uid = CardUid.Parse("04000001") },
        };

        var entries = DesiredEntries.ForZone("common", cards, Rules, Now);

        Assert.Equal([8L, 3L, 9L], entries.Select(e => e.CardNumber));
        Assert.All(entries, e => Assert.False(e.Blocked));
    }

    private static CardTruth Card(long number, CardState state, CardKind kind, params PaidPeriod[] periods) =>
        new(number, CardUid.Parse("04A1B2C3"), state, kind, "3", IssuedUtc, IssuedUtc, periods);

    private static DateTimeOffset LocalMidnight(int year, int month, int day) => new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.FromHours(8)).ToUniversalTime();
}
