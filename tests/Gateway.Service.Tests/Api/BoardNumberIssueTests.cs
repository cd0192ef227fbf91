using Gateway.Service.Cards.Encoders;

namespace Gateway.Service.Tests.Api;

/// <summary>Issuing where a UHPPOTE board with a Wiegand-26 reader serves the card's zone: a blank whose board number is taken is refused before it is written.</summary>
public sealed class BoardNumberIssueTests
{
    private static readonly Dictionary<string, string?> Board = new()
    {
        // Nothing listens there: the board is only configuration for the issue desk's check.
        ["Gateway:Devices:4:Id"] = "door-b3",
        ["Gateway:Devices:4:Kind"] = "uhppote",
        ["Gateway:Devices:4:Endpoint"] = "udp://127.0.0.1:9",
        ["Gateway:Devices:4:Controller"] = "423187757",
        ["Gateway:Devices:4:Doors:1:Zone"] = "building-3",
        ["Gateway:Devices:4:Doors:1:ReaderFormat"] = "w26",
    };

    [Fact]
    public async Task Issue_BlankReadsAsAHeldCardsBoardNumber_Is409NothingWritten_AnotherBlankIssues()
    {
        var encoder = new FakeEncoder();
        await using var host = await FrontDeskHost.StartAsync(encoder, extra: Board);
        var holder = (await FrontDeskHost.CreateHolderAsync(host.Client)).GetProperty("id").GetInt64();
        await FrontDeskHost.ReceiveAsync(host.Client, 1001, 1003);

        encoder.Uids[1001] = "0464E420";
        encoder.Reading = new CardReading(CardReadStatus.Blank, "0464E420", null, null, null, "transport keys");
        using (var first = await FrontDeskHost.IssueAsync(host.Client, 1001, holder))
        {
            Assert.True(first.IsSuccessStatusCode, await first.Content.ReadAsStringAsync());
        }

        // Another blank whose UID differs only in the byte a Wiegand-26 reader drops.
        encoder.Reading = new CardReading(CardReadStatus.Blank, "0564E420", null, null, null, "transport keys");
        encoder.Uids[1002] = "0564E420";
        var journalsBefore = host.Count("card_issue_journal");
        using (var refused = await FrontDeskHost.IssueAsync(host.Client, 1002, holder))
        {
            var problem = await ApiTestHost.AssertProblemAsync(refused, 409, "urn:gateway:problem:board-card-number-taken");
            Assert.Contains("as card 1001 (UID 0464E420) does", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(1, encoder.IssueCalls);
        Assert.Equal(journalsBefore, host.Count("card_issue_journal"));
        Assert.Equal("in-stock", (await FrontDeskHost.GetCardAsync(host.Client, 1002)).GetProperty("state").GetString());

        // The clerk takes another blank.
        encoder.Reading = new CardReading(CardReadStatus.Blank, "04A1B2C3", null, null, null, "transport keys");
        encoder.Uids[1002] = "04A1B2C3";
        using (var second = await FrontDeskHost.IssueAsync(host.Client, 1002, holder))
        {
            Assert.True(second.IsSuccessStatusCode, await second.Content.ReadAsStringAsync());
        }

        Assert.Equal("issued", (await FrontDeskHost.GetCardAsync(host.Client, 1002)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Issue_ParkingCardWhereNoBoardServesTheCarPark_NotChecked()
    {
        var encoder = new FakeEncoder();
        await using var host = await FrontDeskHost.StartAsync(encoder, extra: Board);
        var holder = (await FrontDeskHost.CreateHolderAsync(host.Client)).GetProperty("id").GetInt64();
        await FrontDeskHost.ReceiveAsync(host.Client, 1001, 1002);
        encoder.Uids[1001] = "0464E420";
        encoder.Uids[1002] = "0564E420";
        using (var first = await FrontDeskHost.IssueAsync(host.Client, 1001, holder))
        {
            Assert.True(first.IsSuccessStatusCode, await first.Content.ReadAsStringAsync());
        }

        encoder.Reading = new CardReading(CardReadStatus.Blank, "0564E420", null, null, null, "transport keys");
        using var parking = await FrontDeskHost.IssueAsync(host.Client, 1002, holder, "parking");

        Assert.True(parking.IsSuccessStatusCode, await parking.Content.ReadAsStringAsync());
    }
}
