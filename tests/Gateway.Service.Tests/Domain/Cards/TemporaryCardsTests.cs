using Gateway.Drivers.Barriers;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Domain.Zones;

namespace Gateway.Service.Tests.Domain.Cards;

/// <summary>
/// The rules of temporary cards, pure: terms, whole local days, status and days left, their place in the
/// card life, and the window every controller family receives through <see cref="DesiredEntries"/>.
/// </summary>
public sealed class TemporaryCardsTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private static readonly SiteCalendar Calendar = new(Shanghai);
    private static readonly EntryRules Rules = new(new ParkingRules(Shanghai, 3, false), TimeSpan.FromDays(90), TimeSpan.FromDays(30));
    private static readonly DateTimeOffset Now = Local(3, 10, 9);

    private static DateTimeOffset Local(int month, int day, int hour = 0) => new(2026, month, day, hour, 0, 0, TimeSpan.FromHours(8));

    [Fact]
    public void Days_CountsWholeLocalDaysFromTodaysMidnight()
    {
        Assert.Equal(new ValidityWindow(Local(3, 10), Local(3, 13)), TemporaryCards.Days(Calendar, Now, 3));
        // 23:59 local is still today: the card is not a day short.
        Assert.Equal(new ValidityWindow(Local(3, 10), Local(3, 11)), TemporaryCards.Days(Calendar, Local(3, 10, 23).AddMinutes(59), 1));
    }

    [Fact]
    public void Check_Terms_AcceptedOrRefusedNamingTheField()
    {
        (TemporaryTerms Terms, string? Field)[] cases =
        [
            (new(TemporaryPurpose.Visitor, new(Now, Now.AddHours(4)), "Zhao Lei", null), null),
            (new(TemporaryPurpose.Tenant, new(Local(4, 1), Local(10, 1)), null, null), null),
            (new(TemporaryPurpose.StandIn, new(Now, Now.AddDays(7)), null, 100001), null),
            (new(TemporaryPurpose.Visitor, new(Now, Now), "Zhao Lei", null), "validUntil"),
            (new(TemporaryPurpose.Visitor, new(Now.AddDays(-2), Now.AddHours(-1)), "Zhao Lei", null), "validUntil"),
            (new(TemporaryPurpose.Tenant, new(Now, Now.AddDays(TemporaryCards.MaxDays + 1)), null, null), "validUntil"),
            (new(TemporaryPurpose.Visitor, new(Now, Now.AddHours(4)), " ", null), "bearer"),
            (new(TemporaryPurpose.Contractor, new(Now, Now.AddDays(20)), null, null), "bearer"),
            (new(TemporaryPurpose.StandIn, new(Now, Now.AddDays(7)), null, null), "standsInFor"),
            (new(TemporaryPurpose.Tenant, new(Now, Now.AddDays(7)), null, 100001), "standsInFor"),
        ];

        foreach (var (terms, field) in cases)
        {
            var outcome = TemporaryCards.Check(terms, Now);

            Assert.True(field is null == outcome.Succeeded, $"{terms}: {outcome}");
            Assert.Equal(field, outcome.Refusal?.Field);
            Assert.Equal(field is null ? null : RefusalKind.Invalid, outcome.Refusal?.Kind);
        }
    }

    [Fact]
    public void CheckGrain_OnlyDateOnlyControllersRefuseAPartDayWindow()
    {
        ZonedController[] seconds = [new("gate-1", "car-park"), new("b3-door", "building-3")];
        ZonedController[] mixed = [.. seconds, new("b3-board", "building-3", ValidityGrain.Days)];
        var partDay = new ValidityWindow(Now, Local(3, 12));
        var wholeDays = new ValidityWindow(Local(3, 10), Local(3, 12));

        Assert.Null(TemporaryCards.CheckGrain(partDay, seconds, Calendar));
        Assert.Null(TemporaryCards.CheckGrain(wholeDays, mixed, Calendar));
        var refused = TemporaryCards.CheckGrain(partDay, mixed, Calendar);

        Assert.Equal((RefusalKind.Rule, "whole-days"), (refused?.Kind, refused?.Code));
        Assert.Contains("b3-board", refused!.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("gate-1", refused.Detail, StringComparison.Ordinal);
        Assert.Contains("2026-03-10 to 2026-03-12", refused.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(CardState.Issued, -1, TemporaryStatus.NotYetValid)]
    [InlineData(CardState.Issued, 0, TemporaryStatus.Active)]
    [InlineData(CardState.Issued, 1, TemporaryStatus.Expired)]
    [InlineData(CardState.Revoked, 0, TemporaryStatus.Revoked)]
    [InlineData(CardState.Lost, 1, TemporaryStatus.Lost)]
    [InlineData(CardState.Damaged, 0, TemporaryStatus.Lost)]
    [InlineData(CardState.Returned, 1, TemporaryStatus.Closed)]
    [InlineData(CardState.WrittenOff, 0, TemporaryStatus.Closed)]
    public void StatusOf_StateAndWindow(CardState state, int where, TemporaryStatus expected)
    {
        var window = new ValidityWindow(Local(3, 10), Local(3, 12));
        var at = where switch { < 0 => window.FromUtc.AddSeconds(-1), 0 => window.FromUtc, _ => window.UntilUtc };

        Assert.Equal(expected, TemporaryCards.StatusOf(state, window, at));
        Assert.Equal(expected is TemporaryStatus.Expired or TemporaryStatus.Revoked, TemporaryCards.AwaitingReturn(expected));
    }

    [Fact]
    public void DaysLeft_PartDayCountsAsOne_NoneOnceOver_WholeLengthBeforeItStarts()
    {
        var window = new ValidityWindow(Local(3, 10), Local(3, 12));

        Assert.Equal(2, TemporaryCards.DaysLeft(window, Local(3, 9)));
        Assert.Equal(2, TemporaryCards.DaysLeft(window, Now));
        Assert.Equal(1, TemporaryCards.DaysLeft(window, Local(3, 11, 23)));
        Assert.Equal(0, TemporaryCards.DaysLeft(window, Local(3, 12)));
    }

    [Fact]
    public void CardLife_TemporaryCardHandedBackWhileIssued_NeverReplaced_OrdinaryCardUnchanged()
    {
        Assert.Equal(CardState.Returned, CardLife.Decide(new CardFacts(1, CardState.Issued, Temporary: true), CardAction.Return).Value);
        Assert.Equal(CardState.Returned, CardLife.Decide(new CardFacts(1, CardState.Revoked, Temporary: true), CardAction.Return).Value);
        Assert.Equal(RefusalKind.InvalidState, CardLife.Decide(new CardFacts(1, CardState.Issued), CardAction.Return).Refusal?.Kind);
        Assert.Equal(RefusalKind.InvalidState, CardLife.DecideReplace(new CardFacts(1, CardState.Issued, Temporary: true), ReplaceReason.Lost).Refusal?.Kind);
        Assert.Equal(RefusalKind.InvalidState, CardLife.Decide(new CardFacts(1, CardState.Lost, Temporary: true), CardAction.Return).Refusal?.Kind);
    }

    [Fact]
    public void DesiredEntries_AccessZones_HoldTheWindowAsInstantsAndInclusiveLocalDays()
    {
        var window = new ValidityWindow(Local(3, 10), Local(3, 13));

        var entry = DesiredEntries.For(Card(CardKind.Access, window, []), "building-3", Rules, Now)!.Value;

        Assert.Equal((window.FromUtc, (DateTimeOffset?)window.UntilUtc), (entry.ValidFromUtc, entry.ValidUntilUtc));
        Assert.Equal((new DateOnly(2026, 3, 10), (DateOnly?)new DateOnly(2026, 3, 12)), (entry.FirstDay, entry.LastDay));
        Assert.False(entry.Blocked);
    }

    [Fact]
    public void DesiredEntries_Expired_StaysUntilTheExpiredRetentionThenPurged()
    {
        var window = new ValidityWindow(Local(3, 10), Local(3, 13));
        var card = Card(CardKind.Access, window, []);

        Assert.NotNull(DesiredEntries.For(card, "common", Rules, window.UntilUtc.AddDays(29)));
        Assert.Null(DesiredEntries.For(card, "common", Rules, window.UntilUtc.AddDays(30)));
        Assert.Equal([card.Uid], DesiredEntries.PurgedBetween("common", [card], Rules, window.UntilUtc.AddDays(29), window.UntilUtc.AddDays(31)));
    }

    [Fact]
    public void DesiredEntries_CarPark_ThePaidValidityInsideTheWindow_NoneWhenTheyDoNotMeet()
    {
        // Paid [Feb 1, Apr 1) + 3 days' grace.
        PaidPeriod[] paid = [new(1, new DateOnly(2026, 2, 1), 2, 0, new DateOnly(2026, 2, 1), new DateOnly(2026, 4, 1))];
        var inside = new ValidityWindow(Local(3, 10), Local(3, 17));
        var overlapping = new ValidityWindow(Local(3, 30), Local(4, 10));
        var after = new ValidityWindow(Local(4, 5), Local(4, 10));

        var clipped = DesiredEntries.For(Card(CardKind.Both, inside, paid), "car-park", Rules, Now)!.Value;
        var end = DesiredEntries.For(Card(CardKind.Both, overlapping, paid), "car-park", Rules, Now)!.Value;

        Assert.Equal((inside.FromUtc, (DateTimeOffset?)inside.UntilUtc), (clipped.ValidFromUtc, clipped.ValidUntilUtc));
        Assert.Equal((overlapping.FromUtc, (DateTimeOffset?)Local(4, 4)), (end.ValidFromUtc, end.ValidUntilUtc));
        Assert.Null(DesiredEntries.For(Card(CardKind.Both, after, paid), "car-park", Rules, Now));
        Assert.Null(DesiredEntries.For(Card(CardKind.Parking, inside, []), "car-park", Rules, Now));
    }

    private static CardTruth Card(CardKind kind, ValidityWindow window, IReadOnlyList<PaidPeriod> periods) =>
        new(300001, CardUid.Parse("04C0FFEE"), CardState.Issued, kind, "3", Now, Now, periods, window);
}
