using Gateway.Drivers.Barriers;
using Gateway.Service.Domain.Cards;

namespace Gateway.Service.Tests.Controllers;

/// <summary>
/// A temporary card's window from the site's truth to a simulated controller: the controller holds the
/// window, grants inside it and denies outside it by its own clock, and once the window is over (and the
/// expired retention with it) the engine removes the entry by itself, with no change to the card.
/// </summary>
public sealed class TemporaryCardSyncTests
{
    [Fact]
    public async Task Serve_TemporaryCard_ControllerHoldsItsWindowGrantsInsideDeniesOutsideAndTheEntryIsRemovedWhenItIsOver()
    {
        // Expired retention 0: the entry goes as soon as the window ends.
        await using var h = await SyncHarness.StartAsync(new Dictionary<string, string?> { ["Gateway:Sync:ExpiredRetentionDays"] = "0" }, ("tcp", ["building-3"]));
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var window = new ValidityWindow(now.AddHours(-1), now.AddSeconds(3));
        var card = SyncHarness.Card(1, "04A1B2C3", CardState.Issued, "access") with { Window = window };
        var sequence = h.Store.Change(1, card);

        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").AppliedSequence == sequence));

        var unit = h.Unit(0, 1);
        var entry = Assert.Single(unit.Whitelist());
        Assert.Equal(window.FromUtc, entry.ValidFrom);
        Assert.Equal(window.UntilUtc, entry.ValidTo);
        unit.SetClock((uint)window.FromUtc.AddSeconds(-1).ToUnixTimeSeconds());
        Assert.Equal(DenyReason.NotYetValid, unit.Present(1, card.Uid).Reason);
        unit.SetClock((uint)window.UntilUtc.AddSeconds(-1).ToUnixTimeSeconds());
        Assert.Equal(AccessDecision.Granted, unit.Present(1, card.Uid).Decision);
        unit.SetClock((uint)window.UntilUtc.ToUnixTimeSeconds());
        Assert.Equal(DenyReason.Expired, unit.Present(1, card.Uid).Reason);

        // The window ends; nothing about the card changes. The next check purges the entry.
        while (DateTimeOffset.UtcNow < window.UntilUtc.AddMilliseconds(200))
        {
            await Task.Delay(100);
        }

        Assert.True(h.Engine.RequestCheck("c0-1"));
        await h.ServeUntilAsync(() => Task.FromResult(unit.WhitelistCount == 0));

        Assert.Empty(unit.Whitelist());
        Assert.Empty(await h.AlarmsAsync(Gateway.Service.Alarms.AlarmKind.Drift));
        Assert.False(h.Health("c0-1").Drifted);
    }
}
