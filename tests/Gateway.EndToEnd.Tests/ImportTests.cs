using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gateway.EndToEnd.Tests;

/// <summary>
/// Moving a live site in, end to end with real processes (the demo service, its simulated barriers and
/// UHPPOTE board, gatewayctl): 300 holders (GB18030, Chinese headers), the 300 cards they already hold
/// (UTF-8 with a byte-order mark) and their parking agreements are checked in a dry run, imported after
/// a backup, and every controller converges to exactly what the files say; a second run adds nothing.
/// </summary>
public sealed class ImportTests : IAsyncLifetime
{
    private const int Holders = 300;
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly TempFolder _folder = new("gateway-e2e-import");
    private DemoSite? _site;

    public async Task InitializeAsync()
    {
        if (OperatingSystem.IsLinux())
        {
            _site = await DemoSite.StartAsync(_folder.Path);
        }
    }

    public async Task DisposeAsync()
    {
        if (_site is not null)
        {
            await _site.DisposeAsync();
        }

        _folder.Dispose();
    }

    /// <summary>Holder i lives in building 3, 5 or 7; its card is parking (i % 4 == 0), both (1) or access; a parking or both card has an agreement, paid for 30 days unless i % 20 == 0 or 1 (nothing paid).</summary>
    private static string Uid(int i) => string.Create(CultureInfo.InvariantCulture, $"5A{i:X6}");

    private static string Building(int i) => (i % 3) switch { 0 => "3", 1 => "5", _ => "7" };

    private static string Kind(int i) => (i % 4) switch { 0 => "parking", 1 => "both", _ => "access" };

    private static bool Paid(int i) => i % 20 is not (0 or 1);

    [LinuxFact]
    public async Task Import_300HoldersCardsAndAgreementsFromCsv_DryRunThenImport_ControllersConverge_SecondRunAddsNothing()
    {
        var site = _site!;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai")).DateTime);
        var holders = new StringBuilder("住户编号,姓名,楼栋,单元,房号,电话\r\n");
        var cards = new StringBuilder("card_number,uid,kind,holder_ref\r\n");
        var agreements = new StringBuilder("agreement_number,holder_ref,card_number,plate,space,monthly_fee,billing_cycle,payment_method,paid_until\r\n");
        for (var i = 1; i <= Holders; i++)
        {
            holders.Append(CultureInfo.InvariantCulture, $"H-{i},住户{i},{Building(i)},1,{1000 + i},1380000{i:D4}\r\n");
            cards.Append(CultureInfo.InvariantCulture, $"{600000 + i},{Uid(i)},{Kind(i)},H-{i}\r\n");
            if (Kind(i) != "access")
            {
                agreements.Append(CultureInfo.InvariantCulture, $"P-{i},H-{i},{600000 + i},沪C{i:D5},B-{i},300.00,month,{(i % 2 == 0 ? "cash" : "bank-debit")},{(Paid(i) ? today.AddDays(30).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : string.Empty)}\r\n");
            }
        }

        var holdersFile = _folder.Combine("住户.csv");
        var cardsFile = _folder.Combine("cards.csv");
        var agreementsFile = _folder.Combine("agreements.csv");
        await File.WriteAllBytesAsync(holdersFile, CodePagesEncodingProvider.Instance.GetEncoding(54936)!.GetBytes(holders.ToString()));
        await File.WriteAllTextAsync(cardsFile, cards.ToString(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        await File.WriteAllTextAsync(agreementsFile, agreements.ToString(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        string[] files = ["import", "--holders", holdersFile, "--cards", cardsFile, "--agreements", agreementsFile];

        var range = Enumerable.Range(1, Holders).ToList();
        var building3 = range.Where(i => Building(i) == "3" && Kind(i) != "parking").Select(Uid).ToHashSet();
        var carPark = range.Where(i => Kind(i) != "access" && Paid(i)).Select(Uid).ToHashSet();
        var common = range.Count(i => Kind(i) != "parking");

        // The dry run, as the admin reads it in a terminal, then as JSON: nothing changes.
        var dry = await site.CtlAsync([.. files, "--dry-run"]);
        Assert.Contains("gb18030 (detected)", dry, StringComparison.Ordinal);
        Assert.Contains("utf-8 (byte-order-mark)", dry, StringComparison.Ordinal);
        Assert.Contains("Dry run: the files are good; nothing was changed.", dry, StringComparison.Ordinal);
        using (var report = JsonDocument.Parse(await site.CtlAsync([.. files, "--dry-run", "--json"])))
        {
            var root = report.RootElement;
            Assert.Equal((Holders, Holders, range.Count(i => Kind(i) != "access")), (New(root, "holders"), New(root, "cards"), New(root, "agreements")));
            var forecast = root.GetProperty("controllers").EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!, c => c.GetProperty("willHold").GetInt32());
            Assert.Equal(new Dictionary<string, int> { ["carpark-in"] = carPark.Count, ["carpark-out"] = carPark.Count, ["door-b3"] = building3.Count, ["gate-common"] = common }, forecast);
        }

        Assert.Empty(await WhitelistAsync(site.DoorControl, 1));

        // The import: a backup first, then one transaction.
        using (var imported = JsonDocument.Parse(await site.CtlAsync([.. files, "--json"])))
        {
            Assert.True(imported.RootElement.GetProperty("committed").GetBoolean());
            Assert.True(File.Exists(imported.RootElement.GetProperty("backup").GetProperty("path").GetString()));
        }

        // Every controller converges to exactly what the files say.
        await site.SyncedAsync();
        Assert.Equal(building3, await WhitelistAsync(site.DoorControl, 1));
        Assert.Equal(carPark, await WhitelistAsync(site.CarParkControl, 1));
        Assert.Equal(carPark, await WhitelistAsync(site.CarParkControl, 2));
        Assert.Equal(common, await BoardCardCountAsync(site));

        // Cards in residents' hands open what they opened before, by their UID alone.
        var resident = range.First(i => Building(i) == "3" && Kind(i) == "both" && Paid(i));
        Assert.Equal("granted", (await DemoControl.PresentAsync(site.DoorControl, 1, 1, Uid(resident))).Decision);
        Assert.Equal("granted", (await DemoControl.PresentAsync(site.CarParkControl, 1, 1, Uid(resident))).Decision);
        await site.UntilGateDecisionAsync(Uid(resident), 1, "granted");
        var unpaid = range.First(i => Kind(i) == "parking" && !Paid(i));
        Assert.Equal("denied", (await DemoControl.PresentAsync(site.CarParkControl, 1, 1, Uid(unpaid))).Decision);

        // The same files again: nothing new, nothing changed.
        var again = await site.CtlAsync(files);
        Assert.Contains("Nothing new: every record in the files was imported before; nothing was changed.", again, StringComparison.Ordinal);
        using var card = JsonDocument.Parse(await site.CtlAsync("cards", "show", (600000 + resident).ToString(CultureInfo.InvariantCulture), "--json"));
        Assert.Equal(("issued", Uid(resident)), (card.RootElement.GetProperty("state").GetString(), card.RootElement.GetProperty("uid").GetString()));
    }

    private static int New(JsonElement report, string kind) => report.GetProperty(kind).GetProperty("new").GetInt32();

    private static async Task<HashSet<string>> WhitelistAsync(string control, int unit)
    {
        using var document = JsonDocument.Parse(await Http.GetStringAsync(new Uri($"{control}/units/{unit}/whitelist")));
        return [.. document.RootElement.EnumerateArray().Select(e => e.GetProperty("uid").GetString()!)];
    }

    private static async Task<int> BoardCardCountAsync(DemoSite site)
    {
        using var document = JsonDocument.Parse(await Http.GetStringAsync(new Uri($"{site.GateControl}/controllers/{DemoSite.GateSerial}/cards")));
        return document.RootElement.GetArrayLength();
    }
}

/// <summary>
/// The cut-over as docs/migration.md tells it, with real processes: a door controller still full of the
/// previous system's entries; the service started with the sync engine held; the dry run reads the
/// controller itself and names the card it would lose; the import leaves the controller untouched while
/// held; with the hold removed and the service restarted, the controller converges to the imported truth.
/// </summary>
public sealed class CutOverTests
{
    private static readonly string[] Residents = ["5B000001", "5B000002", "5B000003"];

    [LinuxFact]
    public async Task CutOver_SyncHeld_DryRunReadsTheControllerItself_ImportLeavesItAlone_ThenItConverges()
    {
        using var folder = new TempFolder("gateway-e2e-cutover");
        await using var door = await BarrierSimulatorProcess.StartAsync("--listen", "tcp://127.0.0.1:0", "--units", "1");
        const string Stranger = "5B0000FF";
        foreach (var uid in Residents.Append(Stranger))
        {
            await door.PutAsync($"units/1/whitelist/{uid}", new { validFrom = 0u, validTo = 4_102_444_800u });
        }

        var holders = folder.Combine("holders.csv");
        var cards = folder.Combine("cards.csv");
        await File.WriteAllTextAsync(holders, "ref,name,building,unit,room\nH-1,Zhang San,3,1,101\nH-2,Li Si,3,1,102\nH-3,Wang Wu,3,1,103\n");
        await File.WriteAllTextAsync(cards, "card_number,uid,kind,holder_ref\n" + string.Concat(Residents.Select((uid, i) => $"{700001 + i},{uid},access,H-{i + 1}\n")));
        string[] import = ["import", "--holders", holders, "--cards", cards];

        await using var site = new ServiceSite(folder.Path);
        site.AddBarrier("door-b3", door.ModbusEndpoint, 1, "building-3");
        site.Set("Gateway:Sync:Hold", "true");
        await site.StartAsync();

        using (var dry = JsonDocument.Parse(await site.CtlAsync([.. import, "--dry-run", "--json"])))
        {
            var controller = Assert.Single(dry.RootElement.GetProperty("controllers").EnumerateArray());
            Assert.Equal(("controller", 4, 3, 0, 1), (controller.GetProperty("source").GetString(), controller.GetProperty("holdsNow").GetInt32(), controller.GetProperty("willHold").GetInt32(), controller.GetProperty("gains").GetInt32(), controller.GetProperty("loses").GetInt32()));
            Assert.Equal([Stranger], controller.GetProperty("lost").EnumerateArray().Select(u => u.GetString()));
        }

        Assert.Contains($"door-b3 loses: {Stranger}", await site.CtlAsync([.. import, "--dry-run"]), StringComparison.Ordinal);

        using (var imported = JsonDocument.Parse(await site.CtlAsync([.. import, "--json"])))
        {
            Assert.True(imported.RootElement.GetProperty("committed").GetBoolean());
        }

        // Held: the import reached no controller.
        Assert.Equal(4, (await door.GetAsync("units/1/whitelist")).GetArrayLength());

        await site.StopAsync();
        site.Unset("Gateway:Sync:Hold");
        await site.StartAsync();
        await DemoSite.UntilAsync(
            async () => (await door.GetAsync("units/1/whitelist")).EnumerateArray().Select(e => e.GetProperty("uid").GetString()).Order().SequenceEqual(Residents),
            "the door controller did not converge to the three imported cards once the hold was removed");
    }

    /// <summary>
    /// The same cut-over where the doors are a UHPPOTE board the previous system filled: the site knows its
    /// residents' cards only by the numbers the board holds (no UID), so the cards file gives those numbers;
    /// the board's Wiegand-34 readers turn each back into its card's UID, and once the hold is removed the
    /// board keeps exactly the residents' numbers and drops the stranger's.
    /// </summary>
    [LinuxFact]
    public async Task CutOver_BoardKnowsCardsByNumberOnly_ImportByBoardNumber_BoardKeepsTheResidents()
    {
        const uint Serial = 423187757;
        using var folder = new TempFolder("gateway-e2e-cutover-board");
        await using var board = await UhppoteSimulatorProcess.StartAsync("--controllers", Serial.ToString(CultureInfo.InvariantCulture));
        var numbers = Residents.Append("5B0000FF").Select(uid => uint.Parse(uid, NumberStyles.HexNumber, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)).ToList();
        var stranger = numbers[^1];

        await using var site = new ServiceSite(folder.Path);
        foreach (var number in numbers)
        {
            // The previous system's records, put over the board's own protocol as its software does.
            await site.CtlAsync("uhppote", "put-card", board.Endpoint, "--controller", Serial.ToString(CultureInfo.InvariantCulture), number, "--from", "2020-01-01", "--to", "2099-12-31", "--doors", "1");
        }

        var holders = folder.Combine("holders.csv");
        var cards = folder.Combine("cards.csv");
        await File.WriteAllTextAsync(holders, "ref,name,building,unit,room\nH-1,Zhang San,3,1,101\nH-2,Li Si,3,1,102\nH-3,Wang Wu,3,1,103\n");
        await File.WriteAllTextAsync(cards, "card_number,kind,holder_ref,board_number\n" + string.Concat(numbers.Take(3).Select((number, i) => $"{800001 + i},access,H-{i + 1},{number}\n")));
        string[] import = ["import", "--holders", holders, "--cards", cards];

        site.AddBoard("door-b3", board.Endpoint, Serial, ("building-3", "in"));
        site.Set("Gateway:Sync:Hold", "true");
        await site.StartAsync();

        using (var dry = JsonDocument.Parse(await site.CtlAsync([.. import, "--dry-run", "--json"])))
        {
            Assert.Empty(dry.RootElement.GetProperty("problems").EnumerateArray());
            var controller = Assert.Single(dry.RootElement.GetProperty("controllers").EnumerateArray());
            Assert.Equal(("controller", 4, 3, 0, 1), (controller.GetProperty("source").GetString(), controller.GetProperty("holdsNow").GetInt32(), controller.GetProperty("willHold").GetInt32(), controller.GetProperty("gains").GetInt32(), controller.GetProperty("loses").GetInt32()));
            Assert.Equal([stranger], controller.GetProperty("lost").EnumerateArray().Select(u => u.GetString()));
        }

        using (var imported = JsonDocument.Parse(await site.CtlAsync([.. import, "--json"])))
        {
            Assert.True(imported.RootElement.GetProperty("committed").GetBoolean());
        }

        using (var card = JsonDocument.Parse(await site.CtlAsync("cards", "show", "800001", "--json")))
        {
            Assert.Equal(Residents[0], card.RootElement.GetProperty("uid").GetString());
        }

        await site.StopAsync();
        site.Unset("Gateway:Sync:Hold");
        await site.StartAsync();
        await DemoSite.UntilAsync(
            async () => (await board.GetAsync($"controllers/{Serial}/cards")).EnumerateArray().Select(c => c.GetProperty("card").GetUInt32().ToString(CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal).SequenceEqual(numbers.Take(3).Order(StringComparer.Ordinal)),
            "the board did not converge to the three residents' numbers once the hold was removed");
        foreach (var uid in Residents)
        {
            Assert.True((await board.GetAsync($"controllers/{Serial}/doors/1/decision?uid={uid}")).GetProperty("granted").GetBoolean(), uid);
        }
    }
}
