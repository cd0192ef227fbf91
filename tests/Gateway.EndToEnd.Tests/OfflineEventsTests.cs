using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Gateway.EndToEnd.Tests;

/// <summary>
/// A controller that stops answering (every reply dropped, as a cut RS-485 line looks to the master)
/// while cards are presented at it: it decides alone and logs the events; when it answers again the
/// service collects every one of them, each once — although the first acknowledgement after the
/// return is lost and the events are read twice — and the other controller of the bus was collected
/// all along.
/// </summary>
[Collection(CrashCollection.Name)]
public sealed partial class OfflineEventsTests : IDisposable
{
    private const int Before = 3;
    private const int WhileOffline = 20;
    private readonly TempFolder _folder = new("gateway-offline");

    [LinuxFact]
    public async Task Events_ControllerOfflineWhileCardsArePresented_AllCollectedWhenItReturnsNoneTwice()
    {
        var bus = _folder.Combine("tty-bus");
        await using var sim = await BarrierSimulatorProcess.StartAsync("--pty", bus, "--units", "1-2", "--baud", "19200");
        await using var site = new ServiceSite(_folder.Path);
        site.AddBarrier("gate-in", $"serial://{bus}?baud=19200&parity=even", 1, "car-park");
        site.AddBarrier("gate-out", $"serial://{bus}?baud=19200&parity=even", 2, "car-park");
        site.Set("Gateway:Sync:EventIntervalMs", "300");
        site.Set("Gateway:Sync:TimeoutMs", "300");
        site.Set("Gateway:Sync:MaxBackoffSeconds", "2");
        await site.StartAsync();
        await DemoSite.UntilAsync(async () => await StateAsync(site, "gate-in") == "connected" && await StateAsync(site, "gate-out") == "connected", "the controllers never connected");

        var presented = new List<uint>();
        for (var i = 0; i < Before; i++)
        {
            presented.Add(await PresentAsync(sim, 1, Uid(i)));
        }

        await DemoSite.UntilAsync(async () => (await EventsAsync(site, "gate-in")).Count == Before, "the first events were not collected");

        // Offline: the controller hears every request and answers none.
        await sim.PostAsync("units/1/faults", new { kind = "drop", count = 100_000 });
        await DemoSite.UntilAsync(async () => await StateAsync(site, "gate-in") == "down", "the service never saw the controller down");

        // One card through the command a person would use, the rest through the control API.
        var line = await DemoSite.PresentAsync(sim.ControlUrl.ToString(), 1, Uid(Before));
        presented.Add(uint.Parse(SequenceOf().Match(line).Groups[1].Value, CultureInfo.InvariantCulture));
        for (var i = Before + 1; i < Before + WhileOffline; i++)
        {
            presented.Add(await PresentAsync(sim, 1, Uid(i)));
        }

        // The other controller on the same bus is collected meanwhile.
        var otherSequence = await PresentAsync(sim, 2, Uid(99));
        await DemoSite.UntilAsync(async () => (await EventsAsync(site, "gate-out")).Any(e => e.Sequence == otherSequence), "the other controller's event was not collected while gate-in was down");
        Assert.Equal(Before, (await EventsAsync(site, "gate-in")).Count);

        // Back, and the first acknowledgement it gets is lost (refused, not applied): the service reads
        // the same events again and must store them once. Armed while the line is still silent, so it
        // is the acknowledgement of the events logged offline that is lost.
        await sim.PostAsync("units/1/faults", new { kind = "refuse-ack", count = 1 });
        await sim.DeleteAsync("units/1/faults");
        await DemoSite.UntilAsync(async () => (await EventsAsync(site, "gate-in")).Count >= Before + WhileOffline, "the events logged while offline were not all collected");

        // One more card after the return, collected too: later reads add nothing twice.
        presented.Add(await PresentAsync(sim, 1, Uid(Before + WhileOffline)));
        await DemoSite.UntilAsync(async () => (await EventsAsync(site, "gate-in")).Any(e => e.Sequence == presented[^1]), "the event after the return was not collected");

        // Stored, then acknowledged: the acknowledgement follows the store, so wait for it too.
        await DemoSite.UntilAsync(async () => (await sim.GetAsync("units/1")).GetProperty("acknowledged").GetUInt32() == presented.Max(), "the last event was never acknowledged");
        var unit = await sim.GetAsync("units/1");
        Assert.Equal(0, unit.GetProperty("acknowledgementsToRefuse").GetInt32()); // an acknowledgement was lost and the events read twice

        var collected = await EventsAsync(site, "gate-in");
        Assert.Equal(presented.Count, collected.Count);
        Assert.Equal(collected.Count, collected.Select(e => (e.BootId, e.Sequence)).Distinct().Count());
        Assert.Equal(presented.Order(), collected.Select(e => e.Sequence).Order());
        Assert.Equal(presented.Count, collected.Select(e => e.Uid).Distinct().Count());
        Assert.Equal(0u, unit.GetProperty("overflow").GetUInt32());
        await site.StopAsync();
    }

    private static string Uid(int i) => string.Create(CultureInfo.InvariantCulture, $"C0DE{i:X4}");

    private static async Task<uint> PresentAsync(BarrierSimulatorProcess sim, int unit, string uid) =>
        (await sim.PostAsync($"units/{unit}/present", new { lane = 1, uid })).GetProperty("sequence").GetUInt32();

    private static async Task<string?> StateAsync(ServiceSite site, string id) =>
        (await site.DeviceAsync(id)).GetProperty("state").GetString();

    private static async Task<List<(string BootId, uint Sequence, string Uid)>> EventsAsync(ServiceSite site, string controller)
    {
        using var page = JsonDocument.Parse(await site.CtlAsync("events", "--controller", controller, "--limit", "500", "--json"));
        Assert.Equal(JsonValueKind.Null, page.RootElement.GetProperty("next").ValueKind);
        return page.RootElement.GetProperty("items").EnumerateArray()
            .Select(e => (e.GetProperty("bootId").GetRawText(), e.GetProperty("sequence").GetUInt32(), e.GetProperty("cardUid").GetString()!))
            .ToList();
    }

    [GeneratedRegex(@"\(sequence (\d+),")]
    private static partial Regex SequenceOf();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
