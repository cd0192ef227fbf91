using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Domain.Zones;

namespace Gateway.Service.Tests.Domain;

public sealed class ZoneMapTests
{
    private static readonly ZoneMap Site = new(
    [
        new ZonedController("gate-in", "car-park"),
        new ZonedController("gate-out", "car-park"),
        new ZonedController("b3-door", "building-3"),
        new ZonedController("b5-door", "building-5"),
        new ZonedController("lobby", "common"),
        new ZonedController("gym", "gym"),
    ]);

    [Theory]
    [InlineData(CardKind.Access, "3", "b3-door,lobby")]
    [InlineData(CardKind.Access, "5", "b5-door,lobby")]
    [InlineData(CardKind.Parking, "3", "gate-in,gate-out")]
    [InlineData(CardKind.Both, "3", "b3-door,gate-in,gate-out,lobby")]
    [InlineData(CardKind.Access, "9", "lobby")]
    public void ControllersFor_KindAndBuilding_AreTheZonesControllers(CardKind kind, string building, string expected)
    {
        var controllers = Site.ControllersFor(kind, building).Select(c => c.ControllerId);
        Assert.Equal(expected.Split(','), controllers);
    }

    [Fact]
    public void ControllersFor_ZoneNamesCompareCaseInsensitively()
    {
        var map = new ZoneMap([new ZonedController("d1", "Building-7"), new ZonedController("c1", "COMMON")]);
        Assert.Equal(["c1", "d1"], map.ControllersFor(CardKind.Access, "7").Select(c => c.ControllerId));
    }

    [Fact]
    public void FromOptions_BoardAndBarrier_BoardKeepsWholeDaysBarrierSeconds()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Devices:0:Id"] = "gate-1",
            ["Gateway:Devices:0:Kind"] = "barrier",
            ["Gateway:Devices:0:Endpoint"] = "tcp://127.0.0.1:9",
            ["Gateway:Devices:0:Zone"] = "common",
            ["Gateway:Devices:1:Id"] = "door-b3",
            ["Gateway:Devices:1:Kind"] = "uhppote",
            ["Gateway:Devices:1:Endpoint"] = "udp://127.0.0.1:9",
            ["Gateway:Devices:1:Controller"] = "423187757",
            ["Gateway:Devices:1:Doors:1:Zone"] = "building-3",
            ["Gateway:Devices:1:Doors:2:Zone"] = "common",
        }).Build();
        Assert.True(Gateway.Service.GatewayOptions.TryLoad(configuration, out var options, out var error), error);

        var map = Gateway.Service.Api.ZoneEndpoints.FromDevices(options.SiteDevices);

        Assert.Equal(
            ["door-b3 building-3 Days", "door-b3 common Days", "gate-1 common Seconds"],
            map.Controllers.Select(c => $"{c.ControllerId} {c.Zone} {c.Grain}").Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(CardState.Issued, false, 2)]
    [InlineData(CardState.Lost, true, 2)]
    [InlineData(CardState.Revoked, true, 2)]
    [InlineData(CardState.Damaged, true, 2)]
    [InlineData(CardState.Returned, false, 0)]
    [InlineData(CardState.WrittenOff, false, 0)]
    [InlineData(CardState.InStock, false, 0)]
    public void Desired_ByState_ActiveBlockedOrNone(CardState state, bool blocked, int count)
    {
        var entries = CardEntries.Desired(state, CardKind.Access, "04A1B2C3", "3", Site);
        Assert.Equal(count, entries.Count);
        Assert.All(entries, e =>
        {
            Assert.Equal(blocked, e.Blocked);
            Assert.Equal("04A1B2C3", e.CardUid);
        });
    }

    [Fact]
    public void Desired_WithoutUidOrHolder_IsEmpty()
    {
        Assert.Empty(CardEntries.Desired(CardState.Issued, CardKind.Both, null, "3", Site));
        Assert.Empty(CardEntries.Desired(CardState.Issued, CardKind.Both, "04A1B2C3", null, Site));
    }
}
