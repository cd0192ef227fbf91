using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Service.Api;
using Gateway.Service.Cards;
using Gateway.Service.Cards.Encoders;
using Gateway.Service.Domain.Cards;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Service.Tests.Api;

/// <summary>/api/cards over real HTTP on a real SQLite file, the encoder port replaced by a test double.</summary>
public sealed class CardApiTests
{
    [Fact]
    public async Task Receive_Range_AddsInStockCards_OverlapIs409_AndChangesNothing()
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100010);
        Assert.Equal(10, host.Count("cards"));
        var card = await FrontDeskHost.GetCardAsync(host.Client, 100005);
        Assert.Equal("in-stock", card.GetProperty("state").GetString());
        Assert.Equal("B-1", card.GetProperty("batch").GetString());

        var before = host.Snapshot();
        using var overlap = await host.Client.PostAsJsonAsync(new Uri("api/cards/stock", UriKind.Relative), new { from = 100008, to = 100020 });
        await ApiTestHost.AssertProblemAsync(overlap, 409, ProblemTypes.Conflict);
        Assert.Equal(before, host.Snapshot());
    }

    public static TheoryData<string, string, string?, string, int, string> BadRequests() => new()
    {
        // method, path, body, idempotency key, status, type
        { "POST", "api/cards/stock", "{}", null!, 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/stock", """{"from":10,"to":5}""", null!, 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/stock", """{"from":1,"to":10001}""", null!, 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/stock", """{"from":0,"to":5}""", null!, 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/stock", """{"from":1,"to":100000000}""", null!, 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/stock", """{"from":"1","to":5}""", null!, 400, ProblemTypes.MalformedRequest },
        { "POST", "api/cards/stock", """{"from":1,"to":5,"batch":"x\ny"}""", null!, 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/stock", """{"from":1,"to":5,"batch":"0123456789012345678901234567890123456789012345678901234567890123456789"}""", null!, 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/100001/issue", """{"holderId":1,"kind":"access","handOver":{"items":["card"],"receiptReference":"R1"}}""", null!, 400, ProblemTypes.IdempotencyKeyMissing },
        { "POST", "api/cards/100001/issue", "{}", "k", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/100001/issue", """{"holderId":1,"kind":"visitor","handOver":{"items":["card"],"receiptReference":"R1"}}""", "k", 400, ProblemTypes.MalformedRequest },
        { "POST", "api/cards/100001/issue", """{"holderId":1,"kind":"access"}""", "k", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/100001/issue", """{"holderId":1,"kind":"access","handOver":{"items":["gift"],"receiptReference":"R1"}}""", "k", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/100001/issue", """{"holderId":1,"kind":"access","handOver":{"items":["card","car"],"receiptReference":"R1"}}""", "k", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/100001/issue", """{"holderId":1,"kind":"access","handOver":{"items":["card","card"],"receiptReference":"R1"}}""", "k", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/100001/issue", """{"holderId":1,"kind":"access","handOver":{"items":["card"]}}""", "k", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/100001/issue", """{"holderId":-1,"kind":"access","handOver":{"items":["card"],"receiptReference":"R1"}}""", "k", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/100001/issue", """{"holderId":999,"kind":"access","handOver":{"items":["card"],"receiptReference":"R1"}}""", "k", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/100001/issue", """{"holderId":1,"kind":0,"handOver":{"items":["card"],"receiptReference":"R1"}}""", "k", 400, ProblemTypes.MalformedRequest },
        { "POST", "api/cards/100001/issue", """{"holderId":1,"kind":"access","encoder":"nope","handOver":{"items":["card"],"receiptReference":"R1"}}""", "k", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/999/issue", """{"holderId":1,"kind":"access","handOver":{"items":["card"],"receiptReference":"R1"}}""", "k", 404, ProblemTypes.NotFound },
        { "POST", "api/cards/abc/issue", """{"holderId":1,"kind":"access","handOver":{"items":["card"],"receiptReference":"R1"}}""", "k", 400, ProblemTypes.MalformedRequest },
        { "POST", "api/cards/100001/replace", """{"newCardNumber":100002,"reason":"lost","handOver":{"items":["card"],"receiptReference":"R1"}}""", "k", 409, ProblemTypes.InvalidTransition },
        { "POST", "api/cards/100001/replace", """{"newCardNumber":100001,"reason":"lost","handOver":{"items":["card"],"receiptReference":"R1"}}""", "k", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/100001/replace", """{"newCardNumber":100002,"reason":"stolen","handOver":{"items":["card"],"receiptReference":"R1"}}""", "k", 400, ProblemTypes.MalformedRequest },
        { "POST", "api/cards/100001/replace", """{"newCardNumber":100002,"handOver":{"items":["card"],"receiptReference":"R1"}}""", "k", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/100001/report-lost", null, null!, 409, ProblemTypes.InvalidTransition },
        { "POST", "api/cards/100001/report-lost", """{"note":5}""", null!, 400, ProblemTypes.MalformedRequest },
        { "POST", "api/cards/999/report-lost", null, null!, 404, ProblemTypes.NotFound },
        { "POST", "api/cards/100001/found", null, null!, 409, ProblemTypes.InvalidTransition },
        { "POST", "api/cards/100001/revoke", """{"reason":"other"}""", null!, 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/100001/revoke", """{}""", null!, 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/100001/revoke", """{"reason":"bored"}""", null!, 400, ProblemTypes.MalformedRequest },
        { "POST", "api/cards/100001/revoke", """{"reason":"moved-out"}""", null!, 409, ProblemTypes.InvalidTransition },
        { "POST", "api/cards/100001/damaged", null, null!, 409, ProblemTypes.InvalidTransition },
        { "POST", "api/cards/100001/damaged", $$"""{"note":"{{new string('n', 501)}}"}""", null!, 400, ProblemTypes.ValidationFailed },
        { "POST", "api/cards/100001/write-off", null, null!, 409, ProblemTypes.InvalidTransition },
        { "POST", "api/cards/100001/return", null, null!, 409, ProblemTypes.InvalidTransition },
        { "POST", "api/cards/100001/recycle", null, null!, 409, ProblemTypes.InvalidTransition },
        { "POST", "api/cards/100001/recycle", """{"encoder":7}""", null!, 400, ProblemTypes.MalformedRequest },
        { "GET", "api/cards?state=gone", null, null!, 400, ProblemTypes.ValidationFailed },
        { "GET", "api/cards?kind=car", null, null!, 400, ProblemTypes.ValidationFailed },
        { "GET", "api/cards?unit=3", null, null!, 400, ProblemTypes.ValidationFailed },
        { "GET", "api/cards?number=0", null, null!, 400, ProblemTypes.ValidationFailed },
        { "GET", "api/cards?holder=x", null, null!, 400, ProblemTypes.MalformedRequest },
        { "GET", "api/cards/999", null, null!, 404, ProblemTypes.NotFound },
        { "GET", "api/cards/999/history", null, null!, 404, ProblemTypes.NotFound },
        { "GET", "api/cards/999/entries", null, null!, 404, ProblemTypes.NotFound },
        { "GET", "api/encoders/nope/card", null, null!, 404, ProblemTypes.NotFound },
        { "DELETE", "api/cards/100001", null, null!, 405, ProblemTypes.MethodNotAllowed },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequest_OnEveryCardEndpoint_IsProblem_AndChangesNothing(string method, string path, string? body, string? key, int status, string type)
    {
        var encoder = new FakeEncoder();
        await using var host = await FrontDeskHost.StartAsync(encoder);
        await FrontDeskHost.CreateHolderAsync(host.Client);
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100003);
        var before = host.Snapshot();

        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = ApiTestHost.RawJson(body);
        }

        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation(IdempotencyMiddleware.HeaderName, key);
        }

        using var response = await host.Client.SendAsync(request);
        await ApiTestHost.AssertProblemAsync(response, status, type);
        Assert.Equal(before, host.Snapshot());
        Assert.Equal(0, encoder.IssueCalls);
    }

    [Fact]
    public async Task Issue_Valid_WritesCardThroughPort_SetsIssued_RecordsHandOver_OutboxAndJournal()
    {
        var encoder = new FakeEncoder();
        await using var host = await FrontDeskHost.StartAsync(encoder);
        var holder = await FrontDeskHost.CreateHolderAsync(host.Client);
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100003);
        var outboxBefore = host.Count("card_outbox");

        using var response = await FrontDeskHost.IssueAsync(host.Client, 100001, holder.GetProperty("id").GetInt64(), "both");
        var card = await ApiTestHost.ReadJsonAsync(response);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/api/cards/100001", response.Headers.Location!.OriginalString);
        Assert.Equal("issued", card.GetProperty("state").GetString());
        Assert.Equal("both", card.GetProperty("kind").GetString());
        Assert.Equal(FakeEncoder.UidOf(100001), card.GetProperty("uid").GetString());
        Assert.Equal("3-2-1201", card.GetProperty("holder").GetProperty("unitAddress").GetString());
        Assert.Equal(1, card.GetProperty("issueCount").GetInt32());

        var order = Assert.Single(encoder.Orders);
        Assert.Equal(("desk", 100001L, CardKind.Both, 1, (string?)null), (order.EncoderId, order.CardNumber, order.Kind, order.IssueCounter, order.ExpectedUid));
        Assert.Equal(outboxBefore + 1, host.Count("card_outbox"));
        Assert.Equal(1, host.Count("card_issues"));
        Assert.Equal("committed", Scalar(host, "SELECT state FROM card_issue_journal"));
        Assert.Equal("""["card","door-keys","gift","resident-handbook","management-agreement"]""", Scalar(host, "SELECT items FROM card_issues"));
        Assert.Equal("R-2026-0001", Scalar(host, "SELECT receipt_reference FROM card_issues"));

        var entries = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/cards/100001/entries", UriKind.Relative)));
        Assert.Equal(["b3-door", "gate-1", "lobby"], entries.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("controllerId").GetString()).Order());
    }

    [Fact]
    public async Task Issue_NoEncoderConfigured_Is503_AndTouchesNothing()
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder(), withEncoderDevice: false);
        var holder = await FrontDeskHost.CreateHolderAsync(host.Client);
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100001);
        var before = host.Snapshot();
        using var response = await FrontDeskHost.IssueAsync(host.Client, 100001, holder.GetProperty("id").GetInt64());
        var problem = await ApiTestHost.AssertProblemAsync(response, 503, ProblemTypes.EncoderUnavailable);
        Assert.Contains("no encoder configured", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, host.Snapshot());
    }

    [Fact]
    public async Task Issue_RealEncoderPortWithoutCardKey_Is503_CardStaysInStock()
    {
        await using var host = await FrontDeskHost.StartAsync(encoder: null);
        var holder = await FrontDeskHost.CreateHolderAsync(host.Client);
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100001);
        using var response = await FrontDeskHost.IssueAsync(host.Client, 100001, holder.GetProperty("id").GetInt64());
        var problem = await ApiTestHost.AssertProblemAsync(response, 503, ProblemTypes.EncoderUnavailable);
        Assert.Contains("no card master key is configured", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("in-stock", (await FrontDeskHost.GetCardAsync(host.Client, 100001)).GetProperty("state").GetString());
        Assert.Equal("failed", Scalar(host, "SELECT state FROM card_issue_journal"));
        Assert.Equal(0, host.Count("card_issues"));
        Assert.Equal(0, host.Count("card_outbox"));
        await ApiTestHost.AssertProblemAsync(await host.Client.GetAsync(new Uri("api/encoders/desk/card", UriKind.Relative)), 503, ProblemTypes.EncoderUnavailable);
    }

    [Fact]
    public async Task Issue_TwiceConcurrently_WithDifferentKeys_TakesEffectOnce()
    {
        var encoder = new FakeEncoder { Hold = true };
        await using var host = await FrontDeskHost.StartAsync(encoder);
        var holderId = (await FrontDeskHost.CreateHolderAsync(host.Client)).GetProperty("id").GetInt64();
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100001);

        var first = FrontDeskHost.IssueAsync(host.Client, 100001, holderId, key: "a");
        await encoder.Entered.Task.WaitAsync(TimeSpan.FromSeconds(60));
        using (var second = await FrontDeskHost.IssueAsync(host.Client, 100001, holderId, key: "b"))
        {
            await ApiTestHost.AssertProblemAsync(second, 409, ProblemTypes.Conflict);
        }

        encoder.Release.SetResult();
        using var firstResponse = await first;
        Assert.Equal(HttpStatusCode.Created, firstResponse.StatusCode);
        using (var third = await FrontDeskHost.IssueAsync(host.Client, 100001, holderId, key: "c"))
        {
            await ApiTestHost.AssertProblemAsync(third, 409, ProblemTypes.InvalidTransition);
        }

        Assert.Equal(1, encoder.IssueCalls);
        Assert.Equal(1, host.Count("card_issues"));
    }

    [Fact]
    public async Task Issue_ManyConcurrentRequests_DifferentKeys_ExactlyOneIssues()
    {
        var encoder = new FakeEncoder();
        await using var host = await FrontDeskHost.StartAsync(encoder);
        var holderId = (await FrontDeskHost.CreateHolderAsync(host.Client)).GetProperty("id").GetInt64();
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100001);

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => FrontDeskHost.IssueAsync(host.Client, 100001, holderId, key: $"k{i}")));
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        Assert.Equal(1, host.Count("card_issues"));
        Assert.Equal(1L, long.Parse(Scalar(host, "SELECT COUNT(*) FROM card_outbox WHERE reason = 'issue'"), System.Globalization.CultureInfo.InvariantCulture));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Issue_SameKeyWhileRunning_Is409InFlight_ThenReplaysTheCreatedCard()
    {
        var encoder = new FakeEncoder { Hold = true };
        await using var host = await FrontDeskHost.StartAsync(encoder);
        var holderId = (await FrontDeskHost.CreateHolderAsync(host.Client)).GetProperty("id").GetInt64();
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100001);

        var first = FrontDeskHost.IssueAsync(host.Client, 100001, holderId, key: "same");
        await encoder.Entered.Task.WaitAsync(TimeSpan.FromSeconds(60));
        using (var during = await FrontDeskHost.IssueAsync(host.Client, 100001, holderId, key: "same"))
        {
            await ApiTestHost.AssertProblemAsync(during, 409, ProblemTypes.IdempotencyInFlight);
        }

        encoder.Release.SetResult();
        using var created = await first;
        using var replay = await FrontDeskHost.IssueAsync(host.Client, 100001, holderId, key: "same");
        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.Equal(await created.Content.ReadAsStringAsync(), await replay.Content.ReadAsStringAsync());
        Assert.Equal("true", replay.Headers.GetValues(IdempotencyMiddleware.ReplayedHeader).Single());
        using var mismatch = await FrontDeskHost.IssueAsync(host.Client, 100001, holderId, kind: "parking", key: "same");
        await ApiTestHost.AssertProblemAsync(mismatch, 422, ProblemTypes.IdempotencyKeyReused);
        Assert.Equal(1, encoder.IssueCalls);
    }

    [Fact]
    public async Task Issue_EncoderFails_Is502_RetryWithSameKeyResumesTheSameJournal()
    {
        var encoder = new FakeEncoder { FailNext = new EncoderOperationException("card torn away during the trailer write") };
        await using var host = await FrontDeskHost.StartAsync(encoder);
        var holderId = (await FrontDeskHost.CreateHolderAsync(host.Client)).GetProperty("id").GetInt64();
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100001);

        using (var failed = await FrontDeskHost.IssueAsync(host.Client, 100001, holderId, key: "retry"))
        {
            var problem = await ApiTestHost.AssertProblemAsync(failed, 502, ProblemTypes.EncoderFailed);
            Assert.Contains("torn away", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal("in-stock", (await FrontDeskHost.GetCardAsync(host.Client, 100001)).GetProperty("state").GetString());
        using (var other = await FrontDeskHost.IssueAsync(host.Client, 100001, holderId, key: "someone-else"))
        {
            await ApiTestHost.AssertProblemAsync(other, 409, ProblemTypes.Conflict);
        }

        using var retried = await FrontDeskHost.IssueAsync(host.Client, 100001, holderId, key: "retry");
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        var journals = encoder.Orders.Select(o => o.JournalId).ToList();
        Assert.Equal(2, journals.Count);
        Assert.Equal(journals[0], journals[1]);
        Assert.Equal(1, host.Count("card_issue_journal"));
    }

    [Fact]
    public async Task Transition_Answered_CardCarriesTheUpdatedTimeItWasStoredWith()
    {
        var encoder = new FakeEncoder();
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        await using var host = await FrontDeskHost.StartAsync(encoder, time: time);
        var alice = (await FrontDeskHost.CreateHolderAsync(host.Client, "Alice")).GetProperty("id").GetInt64();
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100002);
        DateTimeOffset issuedAt;
        using (var issued = await FrontDeskHost.IssueAsync(host.Client, 100001, alice))
        {
            var card = await ApiTestHost.ReadJsonAsync(issued);
            issuedAt = card.GetProperty("updated").GetDateTimeOffset();
            Assert.Equal(issuedAt, (await FrontDeskHost.GetCardAsync(host.Client, 100001)).GetProperty("updated").GetDateTimeOffset());
        }

        // The clock moves on by a minute: the transition's time must be the new one, in the answer as stored.
        time.Advance(TimeSpan.FromMinutes(1));
        using var lost = await FrontDeskHost.PostAsync(host.Client, "api/cards/100001/report-lost", null);
        var answered = (await ApiTestHost.ReadJsonAsync(lost)).GetProperty("updated").GetDateTimeOffset();
        var stored = (await FrontDeskHost.GetCardAsync(host.Client, 100001)).GetProperty("updated").GetDateTimeOffset();
        Assert.Equal(stored, answered);
        Assert.Equal(issuedAt + TimeSpan.FromMinutes(1), answered);
    }

    [Fact]
    public async Task Life_LostFoundReplaceRecycle_AndTheNumberGoesToAnotherHolderOnlyAfterRecycle()
    {
        var encoder = new FakeEncoder();
        await using var host = await FrontDeskHost.StartAsync(encoder);
        var alice = (await FrontDeskHost.CreateHolderAsync(host.Client, "Alice")).GetProperty("id").GetInt64();
        var bob = (await FrontDeskHost.CreateHolderAsync(host.Client, "Bob", "5", "1", "0301")).GetProperty("id").GetInt64();
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100003);
        (await FrontDeskHost.IssueAsync(host.Client, 100001, alice)).Dispose();

        // Lost, then found before any replacement: back to issued.
        Assert.Equal("lost", await StateAfterAsync(host, "api/cards/100001/report-lost"));
        Assert.Equal("issued", await StateAfterAsync(host, "api/cards/100001/found"));

        // Replaced as lost: old card lost and linked, new card issued to the same holder with the same kind.
        using (var replaced = await FrontDeskHost.PostAsync(host.Client, "api/cards/100001/replace", new { newCardNumber = 100002, reason = "lost", handOver = FrontDeskHost.HandOver("card") }, "rep-1"))
        {
            var card = await ApiTestHost.ReadJsonAsync(replaced);
            Assert.Equal(HttpStatusCode.Created, replaced.StatusCode);
            Assert.Equal(100002, card.GetProperty("number").GetInt64());
            Assert.Equal(100001, card.GetProperty("replaces").GetInt64());
            Assert.Equal(alice, card.GetProperty("holder").GetProperty("id").GetInt64());
        }

        var old = await FrontDeskHost.GetCardAsync(host.Client, 100001);
        Assert.Equal("lost", old.GetProperty("state").GetString());
        Assert.Equal(100002, old.GetProperty("replacedBy").GetInt64());

        // Issuing the old number to Bob now is refused: it is not in stock.
        using (var refused = await FrontDeskHost.IssueAsync(host.Client, 100001, bob))
        {
            await ApiTestHost.AssertProblemAsync(refused, 409, ProblemTypes.InvalidTransition);
        }

        // Found after the replacement: returned; recycled (erased on the encoder): in stock; then Bob may have it.
        Assert.Equal("returned", await StateAfterAsync(host, "api/cards/100001/found"));
        Assert.Equal("in-stock", await StateAfterAsync(host, "api/cards/100001/recycle"));
        var erased = Assert.Single(encoder.Erased);
        Assert.Equal(("desk", 100001L, FakeEncoder.UidOf(100001)), erased);
        using (var reissued = await FrontDeskHost.IssueAsync(host.Client, 100001, bob, "parking"))
        {
            var card = await ApiTestHost.ReadJsonAsync(reissued);
            Assert.Equal(HttpStatusCode.Created, reissued.StatusCode);
            Assert.Equal(bob, card.GetProperty("holder").GetProperty("id").GetInt64());
            Assert.Equal(2, card.GetProperty("issueCount").GetInt32());
        }

        // The second issue told the encoder which physical card this number is.
        Assert.Equal(FakeEncoder.UidOf(100001), encoder.Orders.Last().ExpectedUid);
        var history = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/cards/100001/history", UriKind.Relative)));
        Assert.Equal(
            ["receive", "issue", "report-lost", "found", "replace", "found", "recycle", "issue"],
            history.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task Life_RevokeReturnRecycle_AndDamagedWriteOff()
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        var holder = (await FrontDeskHost.CreateHolderAsync(host.Client)).GetProperty("id").GetInt64();
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100002);
        (await FrontDeskHost.IssueAsync(host.Client, 100001, holder)).Dispose();
        (await FrontDeskHost.IssueAsync(host.Client, 100002, holder)).Dispose();

        using (var revoke = await FrontDeskHost.PostAsync(host.Client, "api/cards/100001/revoke", new { reason = "other", text = "resident asked" }))
        {
            var card = await ApiTestHost.ReadJsonAsync(revoke);
            Assert.Equal("revoked", card.GetProperty("state").GetString());
            Assert.Equal("other", card.GetProperty("stateReason").GetString());
            Assert.Equal("resident asked", card.GetProperty("stateNote").GetString());
        }

        var entries = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/cards/100001/entries", UriKind.Relative)));
        Assert.All(entries.GetProperty("entries").EnumerateArray(), e => Assert.True(e.GetProperty("blocked").GetBoolean()));
        Assert.Equal("returned", await StateAfterAsync(host, "api/cards/100001/return"));
        Assert.Equal("in-stock", await StateAfterAsync(host, "api/cards/100001/recycle"));

        Assert.Equal("damaged", await StateAfterAsync(host, "api/cards/100002/damaged"));
        Assert.Equal("written-off", await StateAfterAsync(host, "api/cards/100002/write-off"));
        using var again = await FrontDeskHost.PostAsync(host.Client, "api/cards/100002/write-off", null);
        var problem = await ApiTestHost.AssertProblemAsync(again, 409, ProblemTypes.InvalidTransition);
        Assert.Equal("written-off", problem.GetProperty("state").GetString());

        var list = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/cards?state=written-off", UriKind.Relative)));
        Assert.Equal(100002, Assert.Single(list.GetProperty("items").EnumerateArray()).GetProperty("number").GetInt64());
        var byUnit = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/cards?unit=3-2-1201", UriKind.Relative)));
        Assert.Equal([100002L], byUnit.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("number").GetInt64()));
    }

    [Fact]
    public async Task HolderMovesBuilding_MarksTheirCards_AndEntriesFollowTheNewBuilding()
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        var holder = (await FrontDeskHost.CreateHolderAsync(host.Client)).GetProperty("id").GetInt64();
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100001);
        (await FrontDeskHost.IssueAsync(host.Client, 100001, holder, "access")).Dispose();
        var before = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/cards/100001/entries", UriKind.Relative)));
        Assert.Equal(["b3-door", "lobby"], before.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("controllerId").GetString()).Order());

        using var moved = await host.Client.PatchAsJsonAsync(new Uri($"api/holders/{holder}", UriKind.Relative), new { building = "5" });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal("1", Scalar(host, "SELECT COUNT(*) FROM card_outbox WHERE card_id = 100001 AND reason = 'holder-moved'"));
        var after = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/cards/100001/entries", UriKind.Relative)));
        Assert.Equal(["lobby"], after.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("controllerId").GetString()));
    }

    [Fact]
    public async Task Revoke_MovedOut_NeedsNoText_AndWritesOutbox()
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        var holder = (await FrontDeskHost.CreateHolderAsync(host.Client)).GetProperty("id").GetInt64();
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100001);
        (await FrontDeskHost.IssueAsync(host.Client, 100001, holder)).Dispose();
        var outbox = host.Count("card_outbox");
        using var revoke = await FrontDeskHost.PostAsync(host.Client, "api/cards/100001/revoke", new { reason = "moved-out" });
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal(outbox + 1, host.Count("card_outbox"));
    }

    [Fact]
    public async Task WhoIsThis_ValidCard_NamesHolderAndUnit_OtherReadingsSayWhyNot()
    {
        var encoder = new FakeEncoder();
        await using var host = await FrontDeskHost.StartAsync(encoder);
        var holder = (await FrontDeskHost.CreateHolderAsync(host.Client)).GetProperty("id").GetInt64();
        await FrontDeskHost.ReceiveAsync(host.Client, 100001, 100002);
        (await FrontDeskHost.IssueAsync(host.Client, 100001, holder)).Dispose();
        var uid = FakeEncoder.UidOf(100001);

        encoder.Reading = new CardReading(CardReadStatus.Valid, uid, 100001, CardKind.Access, 1, null);
        var valid = await WhoIsThisAsync(host);
        Assert.Equal("valid", valid.GetProperty("status").GetString());
        Assert.True(valid.GetProperty("valid").GetBoolean());
        Assert.Equal("3-2-1201", valid.GetProperty("card").GetProperty("holder").GetProperty("unitAddress").GetString());

        encoder.Reading = new CardReading(CardReadStatus.Valid, "04FFFFFFFF", 100001, CardKind.Access, 1, null);
        Assert.Equal("uid-mismatch", (await WhoIsThisAsync(host)).GetProperty("status").GetString());
        encoder.Reading = new CardReading(CardReadStatus.Valid, uid, 100001, CardKind.Access, 0, null);
        Assert.Equal("stale-issue", (await WhoIsThisAsync(host)).GetProperty("status").GetString());
        encoder.Reading = new CardReading(CardReadStatus.Valid, uid, 555, CardKind.Access, 1, null);
        Assert.Equal("unknown-card", (await WhoIsThisAsync(host)).GetProperty("status").GetString());
        encoder.Reading = new CardReading(CardReadStatus.OtherSite, uid, null, null, null, "card of site 'north'");
        var other = await WhoIsThisAsync(host);
        Assert.Equal("other-site", other.GetProperty("status").GetString());
        Assert.False(other.GetProperty("valid").GetBoolean());
        Assert.Equal("card of site 'north'", other.GetProperty("reason").GetString());

        (await FrontDeskHost.PostAsync(host.Client, "api/cards/100001/report-lost", null)).Dispose();
        encoder.Reading = new CardReading(CardReadStatus.Valid, uid, 100001, CardKind.Access, 1, null);
        var lost = await WhoIsThisAsync(host);
        Assert.Equal("not-issued", lost.GetProperty("status").GetString());
        Assert.Equal("lost", lost.GetProperty("card").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Policies_FinanceMayNotIssueOrRead_FrontDeskMay()
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        using var finance = host.CreateClient(FrontDeskHost.FinanceToken);
        using var desk = host.CreateClient(FrontDeskHost.DeskToken);
        await ApiTestHost.AssertProblemAsync(await finance.PostAsJsonAsync(new Uri("api/cards/stock", UriKind.Relative), new { from = 1, to = 2 }), 403, ProblemTypes.Forbidden);
        await ApiTestHost.AssertProblemAsync(await finance.GetAsync(new Uri("api/cards", UriKind.Relative)), 403, ProblemTypes.Forbidden);
        await ApiTestHost.AssertProblemAsync(await finance.GetAsync(new Uri("api/zones", UriKind.Relative)), 403, ProblemTypes.Forbidden);
        Assert.Equal(0, host.Count("cards"));
        await FrontDeskHost.ReceiveAsync(desk, 1, 2);
        Assert.Equal(2, host.Count("cards"));
    }

    [Fact]
    public async Task Zones_ListEveryConfiguredController()
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        var zones = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/zones", UriKind.Relative)));
        var map = zones.GetProperty("items").EnumerateArray().ToDictionary(z => z.GetProperty("zone").GetString()!, z => string.Join(",", z.GetProperty("controllers").EnumerateArray().Select(c => c.GetString())));
        Assert.Equal(new Dictionary<string, string> { ["building-3"] = "b3-door", ["car-park"] = "gate-1", ["common"] = "lobby" }, map);
    }

    private static async Task<JsonElement> WhoIsThisAsync(ApiTestHost host)
    {
        using var response = await host.Client.GetAsync(new Uri("api/encoders/desk/card", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ApiTestHost.ReadJsonAsync(response);
    }

    private static async Task<string?> StateAfterAsync(ApiTestHost host, string path)
    {
        using var response = await FrontDeskHost.PostAsync(host.Client, path, null);
        var body = await ApiTestHost.ReadJsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, body.GetRawText());
        return body.GetProperty("state").GetString();
    }

    private static string Scalar(ApiTestHost host, string sql)
    {
        using var connection = host.Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
