using System.Net;
using System.Text.Json;

namespace Gateway.Service.Tests.Api;

/// <summary>
/// <c>POST /api/cards/{number}/issue-temporary</c> and <c>GET /api/temporary-cards</c> over real HTTP:
/// the conventions (Idempotency-Key, problems that change nothing, roles), the card answer's temporary
/// block, and a stand-in revoked when its lost card is found.
/// </summary>
public sealed class TemporaryCardApiTests
{
    public static TheoryData<string, string?, int, string> BadRequests() => new()
    {
        // No key.
        { """{"purpose":"visitor","holderId":1,"kind":"access","days":1,"bearer":"Zhao Lei","handOver":{"items":["card"],"receiptReference":"T-1"}}""", null, 400, "idempotency-key-missing" },
        // Neither days nor validUntil; both.
        { """{"purpose":"visitor","holderId":1,"kind":"access","bearer":"Zhao Lei","handOver":{"items":["card"],"receiptReference":"T-1"}}""", "k", 400, "validation-failed" },
        { """{"purpose":"visitor","holderId":1,"kind":"access","days":1,"validUntil":"2099-01-01T00:00:00Z","bearer":"Zhao Lei","handOver":{"items":["card"],"receiptReference":"T-1"}}""", "k", 400, "validation-failed" },
        // A visitor without a bearer; a stand-in with a holder; an unknown purpose.
        { """{"purpose":"visitor","holderId":1,"kind":"access","days":1,"handOver":{"items":["card"],"receiptReference":"T-1"}}""", "k", 400, "validation-failed" },
        { """{"purpose":"stand-in","standsInFor":100001,"holderId":1,"days":1,"handOver":{"items":["card"],"receiptReference":"T-1"}}""", "k", 400, "validation-failed" },
        { """{"purpose":"lodger","holderId":1,"kind":"access","days":1,"handOver":{"items":["card"],"receiptReference":"T-1"}}""", "k", 400, "malformed-request" },
        // A window already over, refused by the rules (400 naming validUntil), not by the shape.
        { """{"purpose":"tenant","holderId":1,"kind":"access","validFrom":"2020-01-01T00:00:00Z","validUntil":"2020-02-01T00:00:00Z","handOver":{"items":["card"],"receiptReference":"T-1"}}""", "k", 400, "validation-failed" },
        // Unknown holder.
        { """{"purpose":"tenant","holderId":999,"kind":"access","days":30,"handOver":{"items":["card"],"receiptReference":"T-1"}}""", "k", 400, "validation-failed" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task IssueTemporary_BadRequest_IsAProblem_AndChangesNothing(string body, string? key, int status, string type)
    {
        var encoder = new FakeEncoder();
        await using var host = await FrontDeskHost.StartAsync(encoder);
        await FrontDeskHost.CreateHolderAsync(host.Client);
        await FrontDeskHost.ReceiveAsync(host.Client, 300001, 300001);
        var before = host.Snapshot();

        using var response = await FrontDeskHost.PostAsync(host.Client, "api/cards/300001/issue-temporary", body, key);

        await ApiTestHost.AssertProblemAsync(response, status, "urn:gateway:problem:" + type);
        Assert.Equal(before, host.Snapshot());
        Assert.Equal(0, encoder.IssueCalls);
    }

    [Fact]
    public async Task IssueTemporary_Visitor_Created_WithItsWindowStatusAndDaysLeft_ListedAndReplayedByKey()
    {
        var encoder = new FakeEncoder();
        await using var host = await FrontDeskHost.StartAsync(encoder);
        var holder = (await FrontDeskHost.CreateHolderAsync(host.Client)).GetProperty("id").GetInt64();
        await FrontDeskHost.ReceiveAsync(host.Client, 300001, 300001);
        var body = new { purpose = "visitor", holderId = holder, kind = "access", days = 3, bearer = "Zhao Lei", handOver = FrontDeskHost.HandOver("card") };

        using var response = await FrontDeskHost.PostAsync(host.Client, "api/cards/300001/issue-temporary", body, "visit-1");
        using var again = await FrontDeskHost.PostAsync(host.Client, "api/cards/300001/issue-temporary", body, "visit-1");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var card = await ApiTestHost.ReadJsonAsync(response);
        var temporary = card.GetProperty("temporary");
        Assert.Equal(("issued", "visitor", "Zhao Lei", "active", 3), (card.GetProperty("state").GetString(), temporary.GetProperty("purpose").GetString(), temporary.GetProperty("bearer").GetString(), temporary.GetProperty("status").GetString(), temporary.GetProperty("daysLeft").GetInt32()));
        Assert.False(temporary.GetProperty("awaitingReturn").GetBoolean());
        var from = temporary.GetProperty("validFrom").GetDateTimeOffset();
        Assert.Equal(TimeSpan.FromDays(3), temporary.GetProperty("validUntil").GetDateTimeOffset() - from);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(1, encoder.IssueCalls);

        var listed = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/temporary-cards?status=active&purpose=visitor", UriKind.Relative)));
        Assert.Equal([300001L], listed.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("number").GetInt64()));
        var expired = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/temporary-cards?status=expired", UriKind.Relative)));
        Assert.Empty(expired.GetProperty("items").EnumerateArray());
        await ApiTestHost.AssertProblemAsync(await host.Client.GetAsync(new Uri("api/temporary-cards?status=gone", UriKind.Relative)), 400, "urn:gateway:problem:validation-failed");
        var ordinary = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/cards?number=300001", UriKind.Relative)));
        Assert.Equal(JsonValueKind.Object, ordinary.GetProperty("items")[0].GetProperty("temporary").ValueKind);
    }

    [Fact]
    public async Task StandIn_ThenLostCardFound_StandInRevokedAwaitingReturn_HandedBack()
    {
        var encoder = new FakeEncoder();
        await using var host = await FrontDeskHost.StartAsync(encoder);
        var holder = (await FrontDeskHost.CreateHolderAsync(host.Client)).GetProperty("id").GetInt64();
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100001);
        await FrontDeskHost.ReceiveAsync(host.Client, 300001, 300001);
        Assert.Equal(HttpStatusCode.Created, (await FrontDeskHost.IssueAsync(host.Client, 100001, holder, "both")).StatusCode);

        using var standIn = await FrontDeskHost.PostAsync(host.Client, "api/cards/300001/issue-temporary", new { purpose = "stand-in", standsInFor = 100001, days = 7, handOver = FrontDeskHost.HandOver("card") }, "stand-in-1");

        Assert.Equal(HttpStatusCode.Created, standIn.StatusCode);
        var card = await ApiTestHost.ReadJsonAsync(standIn);
        Assert.Equal(("both", holder, 100001L), (card.GetProperty("kind").GetString(), card.GetProperty("holder").GetProperty("id").GetInt64(), card.GetProperty("temporary").GetProperty("standsInFor").GetInt64()));
        Assert.Equal("lost", (await FrontDeskHost.GetCardAsync(host.Client, 100001)).GetProperty("state").GetString());

        using var found = await FrontDeskHost.PostAsync(host.Client, "api/cards/100001/found", new { note = "in the car" });
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        var revoked = await FrontDeskHost.GetCardAsync(host.Client, 300001);
        Assert.Equal(("revoked", "lost-card-found", "revoked", true), (revoked.GetProperty("state").GetString(), revoked.GetProperty("stateReason").GetString(), revoked.GetProperty("temporary").GetProperty("status").GetString(), revoked.GetProperty("temporary").GetProperty("awaitingReturn").GetBoolean()));
        var awaiting = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/temporary-cards?status=revoked", UriKind.Relative)));
        Assert.Single(awaiting.GetProperty("items").EnumerateArray());

        using var returned = await FrontDeskHost.PostAsync(host.Client, "api/cards/300001/return", new { note = "handed back" });
        Assert.Equal("returned", (await ApiTestHost.ReadJsonAsync(returned)).GetProperty("state").GetString());
        var stillOut = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/temporary-cards", UriKind.Relative)));
        Assert.Empty(stillOut.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Policies_FinanceMayNeitherIssueNorList()
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        using var finance = host.CreateClient(FrontDeskHost.FinanceToken);

        await ApiTestHost.AssertProblemAsync(await finance.GetAsync(new Uri("api/temporary-cards", UriKind.Relative)), 403, "urn:gateway:problem:forbidden");
        await ApiTestHost.AssertProblemAsync(await FrontDeskHost.PostAsync(finance, "api/cards/300001/issue-temporary", new { purpose = "visitor" }, "k"), 403, "urn:gateway:problem:forbidden");
    }
}
