using Gateway.Drivers.Barriers;
using Gateway.Drivers.Uhppote;
using Gateway.Drivers.Uhppote.Codec;
using Gateway.Service.Alarms;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Controllers;
using Gateway.Service.Hosting;
using Gateway.Service.Site;

namespace Gateway.Service.Tests.Controllers;

/// <summary>
/// Anti-passback and door open times from configuration, written to both controller families by the sync
/// engine and kept so, against the simulators (which decide by them).
/// </summary>
public sealed class ControllerSettingsTests
{
    private const uint CarParkBoard = 423187757;
    private const uint DoorBoard = 405419896;
    private static readonly CardTruth Access = SyncHarness.Card(1, "04A1B2C3", CardState.Issued, "access");

    [Fact]
    public async Task Serve_BarrierControllers_AntiPassbackOffAtDoorsOnInCarPark_AResidentEntersTheSameDoorTwice()
    {
        await using var h = await SyncHarness.StartAsync(("rtu+tcp", ["building-3", "car-park"]));
        var door = h.Unit(0, 1);
        var carPark = h.Unit(0, 2);
        Assert.True(door.AntiPassback); // the profile's default, as a new controller comes

        var issued = h.Store.Change(1, Access);
        await h.ServeUntilAsync(() => Task.FromResult(h.Health("c0-1").AppliedSequence == issued && !door.AntiPassback));

        Assert.True(carPark.AntiPassback);

        // A resident who left by the exit button comes back: the entry reader lets them in again.
        Assert.Equal(AccessDecision.Granted, door.Present(1, Access.Uid).Decision);
        Assert.Equal(AccessDecision.Granted, door.Present(1, Access.Uid).Decision);
        Assert.Empty(await h.AlarmsAsync(AlarmKind.Drift));

        // A restart brings a volatile controller back with the default: set off again, no alarm (expected, not drift).
        door.Reboot();
        Assert.True(door.AntiPassback);
        h.Engine.RequestEvents(); // the event read finds the new boot id
        await h.ServeUntilAsync(() => Task.FromResult(!door.AntiPassback && door.WhitelistCount == 1));
        Assert.Empty(await h.AlarmsAsync(AlarmKind.Drift));

        // Switched on behind Gateway's back: found at the next clock reading, set off and alarmed.
        door.AntiPassback = true;
        h.Session("c0-1").RequestClock();
        await h.ServeUntilAsync(() => Task.FromResult(!door.AntiPassback));
        var alarm = Assert.Single(await h.AlarmsAsync(AlarmKind.Drift));
        Assert.Equal("settings of c0-1 differed: anti-passback on (configured off); they were set", alarm.Message);
    }

    [Fact]
    public async Task Serve_BarrierOpenTimeConfigured_WrittenKeptAndAlarmedWhenChanged()
    {
        var settings = new Dictionary<string, string?> { ["Gateway:Devices:0:OpenSeconds"] = "7" };
        await using var h = await SyncHarness.StartAsync(settings, ("rtu+tcp", ["building-3", "building-3"]));
        await h.ServeUntilAsync(() => Task.FromResult(h.Unit(0, 1).OpenSeconds == 7 && h.Health("c0-2").State == DeviceState.Connected));
        Assert.Equal(0, h.Unit(0, 2).OpenSeconds); // not configured: left as the controller has it
        Assert.Empty(await h.AlarmsAsync(AlarmKind.Drift));

        h.Unit(0, 1).OpenSeconds = 60;
        h.Session("c0-1").RequestClock();
        await h.ServeUntilAsync(() => Task.FromResult(h.Unit(0, 1).OpenSeconds == 7));
        Assert.Equal("settings of c0-1 differed: open time 60 s (configured 7 s); they were set", Assert.Single(await h.AlarmsAsync(AlarmKind.Drift)).Message);
    }

    [Fact]
    public async Task Serve_BarrierAntiPassbackConfigured_WrittenAsConfigured()
    {
        var settings = new Dictionary<string, string?> { ["Gateway:Devices:0:AntiPassback"] = "on", ["Gateway:Devices:1:AntiPassback"] = "off" };
        await using var h = await SyncHarness.StartAsync(settings, ("rtu+tcp", ["building-3", "car-park"]));
        h.Unit(0, 1).AntiPassback = false;
        await h.ServeUntilAsync(() => Task.FromResult(h.Unit(0, 1).AntiPassback && !h.Unit(0, 2).AntiPassback));
        Assert.Empty(await h.AlarmsAsync(AlarmKind.Drift));
    }

    [Fact]
    public async Task Serve_Boards_AntiPassbackAndOpenTimeSetKeptAndAlarmedWhenChangedBehindGatewaysBack()
    {
        // Devices 0 and 1: the car-park board (door 1 in, door 2 out: 1:2;3:4 by default; door 1 open 7 s), a building door board.
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:Devices:0:Doors:1:Direction"] = "in",
            ["Gateway:Devices:0:Doors:2:Direction"] = "out",
            ["Gateway:Devices:0:Doors:1:OpenSeconds"] = "7",
        };
        await using var h = await SyncHarness.StartWithBoardsAsync(settings, [(CarParkBoard, ["car-park", "car-park"]), (DoorBoard, ["building-3"])]);
        var carPark = h.Uhppote!.Boards[CarParkBoard];
        var door = h.Uhppote.Boards[DoorBoard];

        // The door board comes with anti-passback on (set by other software): Gateway turns it off.
        Assert.NotNull(door.Handle(new SetAntiPassbackRequest(DoorBoard, UhppoteAntiPassback.Doors12And34)));
        var number = CardNumbers.FromUid(Access.Uid, ReaderFormat.Default);
        var issued = h.Store.Change(1, Access);
        await h.ServeUntilAsync(() => Task.FromResult(
            h.Health($"u{DoorBoard}").AppliedSequence == issued && door.AntiPassback == UhppoteAntiPassback.Disabled
            && carPark.AntiPassback == UhppoteAntiPassback.Doors12And34 && carPark.DoorStates()[0].OpenSeconds == 7));

        Assert.Equal(3, carPark.DoorStates()[1].OpenSeconds); // not configured: left as the board has it
        Assert.True(door.Present(1, number).Event.Granted);
        Assert.True(door.Present(1, number).Event.Granted);
        Assert.Empty(await h.AlarmsAsync(AlarmKind.Drift));

        // Changed at the board: found at the next clock reading, set again, alarmed.
        carPark.Handle(new SetAntiPassbackRequest(CarParkBoard, UhppoteAntiPassback.Disabled));
        carPark.Handle(new SetDoorControlRequest(CarParkBoard, 1, DoorControlMode.Controlled, 3));
        h.Session($"u{CarParkBoard}").RequestClock();
        await h.ServeUntilAsync(() => Task.FromResult(carPark.AntiPassback == UhppoteAntiPassback.Doors12And34 && carPark.DoorStates()[0].OpenSeconds == 7));
        var alarm = Assert.Single(await h.AlarmsAsync(AlarmKind.Drift));
        Assert.Equal($"settings of u{CarParkBoard} differed: anti-passback off (configured 1:2;3:4); door 1 open time 3 s (configured 7 s); they were set", alarm.Message);
    }

    [Theory]
    [InlineData("car-park", "in", "out", "1:2;3:4")]
    [InlineData("car-park", "out", "in", "1:2;3:4")]
    [InlineData("car-park", "in", "in", "off")]
    [InlineData("car-park", null, null, "off")]
    [InlineData("common", "in", "out", "off")]
    public void DefaultAntiPassback_ByZoneAndDirections(string zone, string? one, string? two, string expected)
    {
        var doors = new[]
        {
            new UhppoteDoorOptions(1, zone, 1, one, ReaderFormat.Default),
            new UhppoteDoorOptions(2, zone, 2, two, ReaderFormat.Default),
        };
        Assert.Equal(expected, UhppoteAntiPassbackModes.ToText(SiteDevices.DefaultAntiPassback(doors)));
    }
}
