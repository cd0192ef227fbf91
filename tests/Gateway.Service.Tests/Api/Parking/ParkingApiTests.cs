using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Service.Api;
using static Gateway.Service.Tests.Api.Parking.ParkingApi;

namespace Gateway.Service.Tests.Api.Parking;

/// <summary>The parking API on a live HTTP server on 127.0.0.1 over a real SQLite file, with a fake clock.</summary>
public sealed class ParkingApiTests
{
    [Fact]
    public async Task Grant_RecordedPayment_BuysPeriodFromAnchor_WritesOutbox_AndShowsOnAgreement()
    {
        var (host, clock) = await StartAsync(graceDays: 3);
        await using var _ = host;
        var agreement = await CreateAgreementAsync(host, "P-001");
        var id = agreement.GetProperty("id").GetInt64();
        var cardNumber = agreement.GetProperty("cardNumber").GetInt64();
        Assert.Equal("active", agreement.GetProperty("state").GetString());

        var first = await RecordPaymentAsync(host, id, 30000, "R-1");
        var outboxBefore = host.Count("card_outbox");
        var grant = await GrantAsync(host, first);

        Assert.Equal("2026-01-31", Date(grant.GetProperty("period"), "start"));
        Assert.Equal("2026-02-28", Date(grant.GetProperty("period"), "end"));
        Assert.Equal("2026-01-30T16:00:00+00:00", grant.GetProperty("period").GetProperty("startUtc").GetString());
        Assert.Equal("2026-03-02T16:00:00+00:00", grant.GetProperty("validity").GetProperty("validToUtc").GetString()); // + 3 days grace
        Assert.Equal(outboxBefore + 1, host.Count("card_outbox"));
        Assert.Equal(cardNumber, LastOutboxCard(host));

        clock.Advance(TimeSpan.FromDays(20));
        var second = await RecordPaymentAsync(host, id, 30000, "R-2");
        var extended = await GrantAsync(host, second);
        Assert.True(extended.GetProperty("extended").GetBoolean());
        Assert.Equal("2026-03-31", Date(extended.GetProperty("period"), "end"));

        var detail = await GetAsync(host, $"api/parking/agreements/{id}");
        Assert.Equal("2026-03-31", Date(detail, "paidUntil"));
        Assert.Equal(2, detail.GetProperty("periods").GetArrayLength());
        var payment = await GetAsync(host, $"api/parking/payments/{second}");
        Assert.Equal("granted", payment.GetProperty("state").GetString());
        Assert.Equal("2026-02-28", Date(payment.GetProperty("period"), "start"));
    }

    [Fact]
    public async Task RecordPayment_NotWholeCycles_Refused422_NamingTheValidAmounts_AndNothingRecorded()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var id = (await CreateAgreementAsync(host, "P-800", cycle: "quarter")).GetProperty("id").GetInt64();
        var before = host.Snapshot();

        // 800.00 yuan on a 300.00-a-month quarterly agreement: refused when taken, not at grant time.
        var response = await PostWithKeyAsync(host.Client, $"api/parking/agreements/{id}/payments", ApiTestHost.Json(new { amountFen = 80000, method = "cash", receiptNumber = "R-800" }), "pay-800");
        var problem = await ApiTestHost.AssertProblemAsync(response, 422, "urn:gateway:problem:parking-not-whole-cycles");

        Assert.Equal([90000L], problem.GetProperty("validAmountsFen").EnumerateArray().Select(a => a.GetInt64()));
        Assert.Contains("accepted: 900.00 yuan (1 quarter)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, host.Snapshot());
        Assert.Equal(0, host.Count("parking_payments"));

        // The amount it names is taken (under a new key: the refusal is what a retry of the first key gets).
        Assert.True(await RecordPaymentAsync(host, id, 90000, "R-900") > 0);
    }

    [Fact]
    public async Task Grant_NotWholeCycles_Refused422_AndPaymentStaysRecorded()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var id = (await CreateAgreementAsync(host, "P-Q", cycle: "quarter")).GetProperty("id").GetInt64();
        // Recorded before the rule was checked at the desk (or while the site allowed proration): the grant still refuses it.
        var payment = SeedRecordedPayment(host, id, 30000, "R-Q1");
        var before = host.Snapshot();

        var response = await PostWithKeyAsync(host.Client, $"api/parking/payments/{payment}/grant", null, "g-q1");
        await ApiTestHost.AssertProblemAsync(response, 422, "urn:gateway:problem:parking-not-whole-cycles");

        Assert.Equal(before, host.Snapshot());
        Assert.Equal("recorded", (await GetAsync(host, $"api/parking/payments/{payment}")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Grant_WithProrationAllowed_BuysMonthsAndDays()
    {
        var (host, _) = await StartAsync(proration: true);
        await using var __ = host;
        var id = (await CreateAgreementAsync(host, "P-PR", fee: 36500)).GetProperty("id").GetInt64();
        var payment = await RecordPaymentAsync(host, id, 36500 + (1200 * 10), "R-PR");

        var grant = await GrantAsync(host, payment);

        Assert.Equal(1, grant.GetProperty("period").GetProperty("months").GetInt32());
        Assert.Equal(10, grant.GetProperty("period").GetProperty("days").GetInt32());
        Assert.Equal("2026-03-10", Date(grant.GetProperty("period"), "end"));
    }

    [Fact]
    public async Task Reverse_MiddleOfChain_LaterPeriodMovesEarlier_AndSecondReversalRefused()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var id = (await CreateAgreementAsync(host, "P-REV")).GetProperty("id").GetInt64();
        var p1 = await RecordPaymentAsync(host, id, 30000, "R-A");
        var p2 = await RecordPaymentAsync(host, id, 90000, "R-B");
        var p3 = await RecordPaymentAsync(host, id, 30000, "R-C");
        foreach (var p in new[] { p1, p2, p3 })
        {
            await GrantAsync(host, p);
        }

        var outbox = host.Count("card_outbox");
        var response = await host.Client.PostAsync($"api/parking/payments/{p2}/reverse", ApiTestHost.Json(new { reason = "cheque bounced" }));
        var body = await ApiTestHost.ReadJsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());

        Assert.Equal("2026-05-31", Date(body.GetProperty("removed"), "end"));
        var moved = Assert.Single(body.GetProperty("moved").EnumerateArray());
        Assert.Equal(p3, moved.GetProperty("paymentId").GetInt64());
        Assert.Equal("2026-02-28", Date(moved, "start"));
        Assert.Equal("2026-03-31", Date(moved, "end"));
        Assert.Equal(outbox + 1, host.Count("card_outbox"));
        Assert.Equal("2026-03-31", Date(await GetAsync(host, $"api/parking/agreements/{id}"), "paidUntil"));

        var before = host.Snapshot();
        var again = await host.Client.PostAsync($"api/parking/payments/{p2}/reverse", ApiTestHost.Json(new { reason = "twice" }));
        var problem = await ApiTestHost.AssertProblemAsync(again, 409, ProblemTypes.InvalidTransition);
        Assert.Equal("reversed", problem.GetProperty("state").GetString());
        Assert.Equal(before, host.Snapshot());
    }

    [Fact]
    public async Task EndAgreement_WritesOutbox_ThenPaymentsAndGrantsRefused()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var id = (await CreateAgreementAsync(host, "P-END")).GetProperty("id").GetInt64();
        var recorded = await RecordPaymentAsync(host, id, 30000, "R-END");
        var outbox = host.Count("card_outbox");

        var end = await host.Client.PostAsync($"api/parking/agreements/{id}/end", ApiTestHost.Json(new { reason = "moved out" }));
        Assert.Equal(HttpStatusCode.OK, end.StatusCode);
        Assert.Equal("ended", (await ApiTestHost.ReadJsonAsync(end)).GetProperty("state").GetString());
        Assert.Equal(outbox + 1, host.Count("card_outbox"));

        var before = host.Snapshot();
        await ApiTestHost.AssertProblemAsync(await PostWithKeyAsync(host.Client, $"api/parking/agreements/{id}/payments", ApiTestHost.Json(new { amountFen = 30000, method = "cash", receiptNumber = "R-LATE" }), "late"), 409, ProblemTypes.InvalidTransition);
        await ApiTestHost.AssertProblemAsync(await PostWithKeyAsync(host.Client, $"api/parking/payments/{recorded}/grant", null, "late-grant"), 409, ProblemTypes.InvalidTransition);
        await ApiTestHost.AssertProblemAsync(await host.Client.PostAsync($"api/parking/agreements/{id}/end", ApiTestHost.Json(new { reason = "again" })), 409, ProblemTypes.InvalidTransition);
        Assert.Equal(before, host.Snapshot());
    }

    [Fact]
    public async Task CreateAgreement_DuplicateNumberCardOrSpace_Conflict409_ChangesNothing()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var first = await CreateAgreementAsync(host, "P-DUP");
        var (holder2, card2) = SeedHolderAndCard(host);
        var (holder3, accessCard) = SeedHolderAndCard(host, kind: "access");
        var (holder4, lostCard) = SeedHolderAndCard(host, state: "lost");
        var before = host.Snapshot();

        var sameNumber = AgreementBody("P-DUP", holder2, card2);
        var sameCard = AgreementBody("P-DUP2", first.GetProperty("holderId").GetInt64(), first.GetProperty("cardNumber").GetInt64());
        var sameSpace = AgreementBody("P-DUP3", holder2, card2, space: first.GetProperty("space").GetString());
        foreach (var body in new[] { sameNumber, sameCard, sameSpace })
        {
            await ApiTestHost.AssertProblemAsync(await host.Client.PostAsync("api/parking/agreements", ApiTestHost.Json(body)), 409, ProblemTypes.Conflict);
        }

        await ApiTestHost.AssertProblemAsync(await host.Client.PostAsync("api/parking/agreements", ApiTestHost.Json(AgreementBody("P-X", holder2, 99_999_998))), 404, ProblemTypes.NotFound);
        var problem = await ApiTestHost.AssertProblemAsync(await host.Client.PostAsync("api/parking/agreements", ApiTestHost.Json(AgreementBody("P-X", first.GetProperty("holderId").GetInt64(), card2))), 409, ProblemTypes.InvalidTransition);
        Assert.Contains("to another holder", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ApiTestHost.AssertProblemAsync(await host.Client.PostAsync("api/parking/agreements", ApiTestHost.Json(AgreementBody("P-Y", holder3, accessCard))), 409, ProblemTypes.InvalidTransition);
        await ApiTestHost.AssertProblemAsync(await host.Client.PostAsync("api/parking/agreements", ApiTestHost.Json(AgreementBody("P-Z", holder4, lostCard))), 409, ProblemTypes.InvalidTransition);
        Assert.Equal(before, host.Snapshot());
    }

    public static TheoryData<string, string, string?, string, int, string> BadRequests() => new()
    {
        // method, path, body, content type, status, problem type
        { "POST", "api/parking/agreements", "{}", "application/json", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/parking/agreements", "not json", "application/json", 400, ProblemTypes.MalformedRequest },
        { "POST", "api/parking/agreements", "{\"agreementNumber\":\"P 1\",\"holderId\":1,\"cardNumber\":1,\"plate\":\"沪A1\",\"space\":\"S1\",\"monthlyFeeFen\":30000,\"billingCycle\":\"month\",\"paymentMethod\":\"cash\",\"signedCopyRef\":\"x\"}", "application/json", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/parking/agreements", "{\"agreementNumber\":\"P1\",\"holderId\":1,\"cardNumber\":1,\"plate\":\"沪A1\",\"space\":\"S1\",\"monthlyFeeFen\":0,\"billingCycle\":\"month\",\"paymentMethod\":\"cash\",\"signedCopyRef\":\"x\"}", "application/json", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/parking/agreements", "{\"agreementNumber\":\"P1\",\"holderId\":1,\"cardNumber\":1,\"plate\":\"沪A1\",\"space\":\"S1\",\"monthlyFeeFen\":30000,\"billingCycle\":\"week\",\"paymentMethod\":\"cheque\",\"signedCopyRef\":\"x\"}", "application/json", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/parking/agreements", "{\"agreementNumber\":\"P1\",\"holderId\":\"one\",\"cardNumber\":1}", "application/json", 400, ProblemTypes.MalformedRequest },
        { "POST", "api/parking/agreements", "{\"agreementNumber\":\"P1\",\"extra\":true}", "application/json", 400, ProblemTypes.MalformedRequest },
        { "POST", "api/parking/agreements", "{\"agreementNumber\":\"P1\",\"holderId\":1,\"cardNumber\":1,\"plate\":\"沪A1\",\"space\":\"S1\",\"monthlyFeeFen\":30000,\"billingCycle\":\"month\",\"paymentMethod\":\"cash\",\"signedCopyRef\":\"" + new string('x', 300) + "\"}", "application/json", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/parking/agreements", "<a/>", "application/xml", 415, ProblemTypes.UnsupportedMediaType },
        { "POST", "api/parking/agreements/{agreement}/end", "{}", "application/json", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/parking/agreements/999999/end", "{\"reason\":\"x\"}", "application/json", 404, ProblemTypes.NotFound },
        { "POST", "api/parking/agreements/{agreement}/payments", "{\"amountFen\":-5,\"method\":\"cash\",\"receiptNumber\":\"R9\"}", "application/json", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/parking/agreements/{agreement}/payments", "{\"amountFen\":30000,\"method\":\"cash\",\"receiptNumber\":\"R-1\"}", "application/json", 409, ProblemTypes.Conflict },
        { "POST", "api/parking/agreements/{agreement}/payments", "{\"amountFen\":1e3,\"method\":\"cash\",\"receiptNumber\":\"R9\"}", "application/json", 400, ProblemTypes.MalformedRequest },
        { "POST", "api/parking/agreements/{agreement}/payments", "{\"amountFen\":99999999999,\"method\":\"cash\",\"receiptNumber\":\"R9\"}", "application/json", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/parking/agreements/999999/payments", "{\"amountFen\":30000,\"method\":\"cash\",\"receiptNumber\":\"R9\"}", "application/json", 404, ProblemTypes.NotFound },
        { "POST", "api/parking/payments/999999/grant", null, "", 404, ProblemTypes.NotFound },
        { "POST", "api/parking/payments/{payment}/grant", null, "", 409, ProblemTypes.InvalidTransition },
        { "POST", "api/parking/payments/{payment}/reverse", "{\"reason\":\"\"}", "application/json", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/parking/payments/999999/reverse", "{\"reason\":\"x\"}", "application/json", 404, ProblemTypes.NotFound },
        { "GET", "api/parking/agreements?limit=0", null, "", 400, ProblemTypes.ValidationFailed },
        { "GET", "api/parking/agreements?state=gone", null, "", 400, ProblemTypes.ValidationFailed },
        { "GET", "api/parking/agreements?holderId=abc", null, "", 400, ProblemTypes.MalformedRequest },
        { "GET", "api/parking/agreements?cardNumber=100000000", null, "", 400, ProblemTypes.ValidationFailed },
        { "GET", "api/parking/agreements/999999", null, "", 404, ProblemTypes.NotFound },
        { "GET", "api/parking/payments?state=paid", null, "", 400, ProblemTypes.ValidationFailed },
        { "GET", "api/parking/payments/999999", null, "", 404, ProblemTypes.NotFound },
        { "GET", "api/parking/expiring?days=0", null, "", 400, ProblemTypes.ValidationFailed },
        { "GET", "api/parking/expiring?days=400", null, "", 400, ProblemTypes.ValidationFailed },
        { "GET", "api/parking/bank-debit/requests?month=2026-13", null, "", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/parking/bank-debit/results", "", "text/csv", 400, ProblemTypes.ValidationFailed },
        { "POST", "api/parking/bank-debit/results", "{\"a\":1}", "application/json", 415, ProblemTypes.UnsupportedMediaType },
        { "POST", "api/parking/bank-debit/results", new string('x', 2 * 1024 * 1024), "text/csv", 413, ProblemTypes.PayloadTooLarge },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Endpoint_BadInput_Problem4xx_AndChangesNothing(string method, string path, string? body, string contentType, int status, string type)
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var agreement = (await CreateAgreementAsync(host, "P-BAD")).GetProperty("id").GetInt64();
        var payment = await RecordPaymentAsync(host, agreement, 30000, "R-1");
        await GrantAsync(host, payment);
        var before = host.Snapshot();

        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{agreement}", agreement.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal).Replace("{payment}", payment.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        // The server refuses an oversized body from its Content-Length and closes the connection; without
        // 100-continue the client could still be uploading then and fail with a broken pipe instead of the answer.
        request.Headers.ExpectContinue = true;
        var response = await host.Client.SendAsync(request);

        await ApiTestHost.AssertProblemAsync(response, status, type);
        Assert.Equal(before, host.Snapshot());
    }

    [Theory]
    [InlineData("POST", "api/parking/agreements")]
    [InlineData("GET", "api/parking/agreements")]
    [InlineData("POST", "api/parking/payments/1/grant")]
    [InlineData("GET", "api/parking/bank-debit/requests")]
    [InlineData("GET", "api/parking/expiring")]
    public async Task Endpoint_WithoutToken_Unauthorized401(string method, string path)
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        using var anonymous = host.CreateClient(null);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        await ApiTestHost.AssertProblemAsync(await anonymous.SendAsync(request), 401, ProblemTypes.Unauthorized);
    }

    [Fact]
    public async Task Grant_SamePaymentTwiceConcurrently_TakesEffectOnce()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var agreement = (await CreateAgreementAsync(host, "P-RACE")).GetProperty("id").GetInt64();
        for (var round = 0; round < 5; round++)
        {
            var payment = await RecordPaymentAsync(host, agreement, 30000, $"R-RACE-{round}");
            var outbox = host.Count("card_outbox");
            var periods = host.Count("parking_periods");

            var responses = await Task.WhenAll(
                PostWithKeyAsync(host.Client, $"api/parking/payments/{payment}/grant", null, $"a-{round}"),
                PostWithKeyAsync(host.Client, $"api/parking/payments/{payment}/grant", null, $"b-{round}"));

            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], responses.Select(r => r.StatusCode).Order());
            Assert.Equal(periods + 1, host.Count("parking_periods"));
            Assert.Equal(outbox + 1, host.Count("card_outbox"));
        }
    }

    [Fact]
    public async Task Grant_SameKeyTwiceConcurrently_OnePeriod_SecondInFlightOrReplayed()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var agreement = (await CreateAgreementAsync(host, "P-SAME")).GetProperty("id").GetInt64();
        var payment = await RecordPaymentAsync(host, agreement, 30000, "R-SAME");

        var responses = await Task.WhenAll(
            PostWithKeyAsync(host.Client, $"api/parking/payments/{payment}/grant", null, "same"),
            PostWithKeyAsync(host.Client, $"api/parking/payments/{payment}/grant", null, "same"));

        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK && !r.Headers.Contains(IdempotencyMiddleware.ReplayedHeader));
        var other = responses.Single(r => r.StatusCode != HttpStatusCode.OK || r.Headers.Contains(IdempotencyMiddleware.ReplayedHeader));
        if (other.StatusCode == HttpStatusCode.Conflict)
        {
            await ApiTestHost.AssertProblemAsync(other, 409, ProblemTypes.IdempotencyInFlight);
        }
        else
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        Assert.Equal(1, host.Count("parking_periods"));
    }

    [Fact]
    public async Task RecordPayment_SameKeyAgain_ReplaysStoredResponse_DifferentBody422()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var agreement = (await CreateAgreementAsync(host, "P-IDEM")).GetProperty("id").GetInt64();
        var path = $"api/parking/agreements/{agreement}/payments";
        object Body(long amount) => new { amountFen = amount, method = "cash", receiptNumber = "R-IDEM" };

        var first = await PostWithKeyAsync(host.Client, path, ApiTestHost.Json(Body(30000)), "k1");
        var replay = await PostWithKeyAsync(host.Client, path, ApiTestHost.Json(Body(30000)), "k1");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.True(replay.Headers.Contains(IdempotencyMiddleware.ReplayedHeader));
        Assert.Equal(await first.Content.ReadAsStringAsync(), await replay.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, replay.Headers.Location);
        Assert.Equal(1, host.Count("parking_payments"));

        var before = host.Snapshot();
        await ApiTestHost.AssertProblemAsync(await PostWithKeyAsync(host.Client, path, ApiTestHost.Json(Body(60000)), "k1"), 422, ProblemTypes.IdempotencyKeyReused);
        await ApiTestHost.AssertProblemAsync(await host.Client.PostAsync(path, ApiTestHost.Json(Body(30000))), 400, ProblemTypes.IdempotencyKeyMissing);
        Assert.Equal(before, host.Snapshot());
    }

    [Fact]
    public async Task Grant_KeyStillRunning_InFlight409_AndNothingGranted()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var agreement = (await CreateAgreementAsync(host, "P-FLIGHT")).GetProperty("id").GetInt64();
        var payment = await RecordPaymentAsync(host, agreement, 30000, "R-FLIGHT");
        var path = $"/api/parking/payments/{payment}/grant";
        var store = host.Services.GetRequiredService<IdempotencyStore>();
        var rows = host.Count("idempotency_requests");

        // The state a first request leaves while it runs in this process: the key marked running, in memory only.
        var (start, _) = await store.BeginAsync("bootstrap-admin", "POST " + path, "busy", GrantHash(path), CancellationToken.None);
        Assert.Equal(IdempotencyStart.Started, start);
        Assert.Equal(rows, host.Count("idempotency_requests"));

        var response = await PostWithKeyAsync(host.Client, path.TrimStart('/'), null, "busy");

        await ApiTestHost.AssertProblemAsync(response, 409, ProblemTypes.IdempotencyInFlight);
        Assert.Equal(0, host.Count("parking_periods"));

        store.Release("bootstrap-admin", "POST " + path, "busy");
        var retry = await PostWithKeyAsync(host.Client, path.TrimStart('/'), null, "busy");
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(1, host.Count("parking_periods"));
    }

    [Fact]
    public async Task Grant_WithKey_StoredResponseWrittenInsideTheGrantsTransaction_Replayed()
    {
        var probe = new IdempotencyProbe();
        var (host, _) = await StartAsync(services: s => s.AddSingleton<Gateway.Service.Storage.IUnitOfWorkObserver>(probe));
        await using var __ = host;
        var agreement = (await CreateAgreementAsync(host, "P-ONE")).GetProperty("id").GetInt64();
        var payment = await RecordPaymentAsync(host, agreement, 30000, "R-ONE");
        var path = $"api/parking/payments/{payment}/grant";
        var store = host.Services.GetRequiredService<IdempotencyStore>();

        var first = await PostWithKeyAsync(host.Client, path, null, "one");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        // Inside the grant's unit (with its period, outbox marker and audit entry), the key's row is already "done".
        Assert.Equal("done", probe.Seen[$"parking.payment.grant/one"]);
        Assert.Equal(0, store.RunningCount);
        var sent = await first.Content.ReadAsByteArrayAsync();
        using (var connection = host.Database.OpenConnection())
        using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT state, status_code, response_body FROM idempotency_requests WHERE idem_key = 'one'";
            using var reader = read.ExecuteReader();
            Assert.True(reader.Read());
            Assert.Equal("done", reader.GetString(0));
            Assert.Equal(200, reader.GetInt32(1));
            Assert.Equal(sent, (byte[])reader.GetValue(2));
        }

        var replay = await PostWithKeyAsync(host.Client, path, null, "one");
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal("true", replay.Headers.GetValues(IdempotencyMiddleware.ReplayedHeader).Single());
        Assert.Equal(sent, await replay.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, host.Count("parking_periods"));
        Assert.Equal("application/json; charset=utf-8", replay.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Grant_WithKey_IdleService_OneDurableCommitPerGrant()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var agreement = (await CreateAgreementAsync(host, "P-ONE-C")).GetProperty("id").GetInt64();
        var writes = host.Services.GetRequiredService<Gateway.Service.Storage.UnitOfWorkFactory>();
        var counts = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var payment = await RecordPaymentAsync(host, agreement, 30000, $"R-ONE-C{i}");
            var units = writes.CommittedUnits;
            var response = await PostWithKeyAsync(host.Client, $"api/parking/payments/{payment}/grant", null, $"one-c{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            counts.Add(writes.CommittedUnits - units);
        }

        // Before, each keyed grant made three durable writes (running row, grant, done row). The service's
        // background writers may add one now and then, so the least of three grants is compared.
        Assert.Equal(1, counts.Min());
    }

    [Fact]
    public async Task RecordPayment_WithKey_StoredInsideThePaymentsTransaction_CreatedWithLocation()
    {
        var probe = new IdempotencyProbe();
        var (host, _) = await StartAsync(services: s => s.AddSingleton<Gateway.Service.Storage.IUnitOfWorkObserver>(probe));
        await using var __ = host;
        var agreement = (await CreateAgreementAsync(host, "P-PAY1")).GetProperty("id").GetInt64();

        var response = await PostWithKeyAsync(host.Client, $"api/parking/agreements/{agreement}/payments", ApiTestHost.Json(new { amountFen = 30000, method = "cash", receiptNumber = "R-PAY1" }), "pay-1");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("done", probe.Seen["parking.payment.record/pay-1"]);
        var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetInt64();
        Assert.Equal($"/api/parking/payments/{id}", response.Headers.Location?.ToString());
        Assert.Equal(1, host.Count("idempotency_requests"));
    }

    /// <summary>Inside each committing unit, reads the state of the idempotency rows visible to its transaction.</summary>
    private sealed class IdempotencyProbe : Gateway.Service.Storage.IUnitOfWorkObserver
    {
        public System.Collections.Concurrent.ConcurrentDictionary<string, string> Seen { get; } = new();

        public async Task OnCommittingAsync(Gateway.Service.Storage.UnitOfWork unitOfWork, IReadOnlyList<Gateway.Service.Storage.AuditEntry> entries, CancellationToken cancellationToken)
        {
            await using var read = unitOfWork.Command("SELECT idem_key, state FROM idempotency_requests");
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                foreach (var entry in entries)
                {
                    Seen.TryAdd($"{entry.Action}/{reader.GetString(0)}", reader.GetString(1));
                }
            }
        }
    }

    [Fact]
    public async Task Grant_RefusedWithKey_StoredSeparately_AndReplayed()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var id = (await CreateAgreementAsync(host, "P-REF", cycle: "quarter")).GetProperty("id").GetInt64();
        var payment = SeedRecordedPayment(host, id, 30000, "R-REF");
        var path = $"api/parking/payments/{payment}/grant";
        var rows = host.Count("idempotency_requests");

        var first = await PostWithKeyAsync(host.Client, path, null, "ref");
        await ApiTestHost.AssertProblemAsync(first, 422, "urn:gateway:problem:parking-not-whole-cycles");
        Assert.Equal(rows + 1, host.Count("idempotency_requests"));
        var replay = await PostWithKeyAsync(host.Client, path, null, "ref");
        await ApiTestHost.AssertProblemAsync(replay, 422, "urn:gateway:problem:parking-not-whole-cycles");
        Assert.Equal("true", replay.Headers.GetValues(IdempotencyMiddleware.ReplayedHeader).Single());
        Assert.Equal(0, host.Count("parking_periods"));
    }

    [Fact]
    public async Task Grant_RunningRowLeftByEarlierProcess_IsIgnored_GrantRuns()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var agreement = (await CreateAgreementAsync(host, "P-OLD")).GetProperty("id").GetInt64();
        var payment = await RecordPaymentAsync(host, agreement, 30000, "R-OLD");
        var path = $"/api/parking/payments/{payment}/grant";
        using (var connection = host.Database.OpenConnection())
        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT INTO idempotency_requests(operator_id, route, idem_key, request_hash, state, owner, created_utc) VALUES ('bootstrap-admin', $route, 'old', $hash, 'running', 'dead-process', $at)";
            insert.Parameters.AddWithValue("$route", "POST " + path);
            insert.Parameters.AddWithValue("$hash", GrantHash(path));
            insert.Parameters.AddWithValue("$at", Gateway.Service.Storage.UnitOfWork.Timestamp(Start));
            insert.ExecuteNonQuery();
        }

        var response = await PostWithKeyAsync(host.Client, path.TrimStart('/'), null, "old");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, host.Count("parking_periods"));
        var replay = await PostWithKeyAsync(host.Client, path.TrimStart('/'), null, "old");
        Assert.Equal("true", replay.Headers.GetValues(IdempotencyMiddleware.ReplayedHeader).Single());
    }

    private static string GrantHash(string path) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"POST\n{path}\n\n")));

    [Fact]
    public async Task Expiring_ListsActiveAgreementsEndingWithinDays()
    {
        var (host, clock) = await StartAsync();
        await using var __ = host;
        var soon = (await CreateAgreementAsync(host, "P-SOON")).GetProperty("id").GetInt64();
        var later = (await CreateAgreementAsync(host, "P-LATER")).GetProperty("id").GetInt64();
        await CreateAgreementAsync(host, "P-NEVER"); // nothing granted: not listed
        await GrantAsync(host, await RecordPaymentAsync(host, soon, 30000, "R-S"));
        await GrantAsync(host, await RecordPaymentAsync(host, later, 90000, "R-L"));
        clock.Advance(TimeSpan.FromDays(20)); // 20 Feb: P-SOON ends 28 Feb, P-LATER 30 Apr

        var page = await GetAsync(host, "api/parking/expiring?days=10");

        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal("P-SOON", item.GetProperty("agreementNumber").GetString());
        Assert.Equal("2026-02-28", Date(item, "paidUntil"));
        Assert.Equal(8, item.GetProperty("daysLeft").GetInt32());
        Assert.Equal(2, (await GetAsync(host, "api/parking/expiring?days=90")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task ListAgreements_FiltersAndPages()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        var cards = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            cards.Add((await CreateAgreementAsync(host, $"P-L{i}")).GetProperty("cardNumber").GetInt64());
        }

        var first = await GetAsync(host, "api/parking/agreements?limit=2");
        Assert.Equal(2, first.GetProperty("items").GetArrayLength());
        var next = first.GetProperty("next").GetInt64();
        var second = await GetAsync(host, $"api/parking/agreements?limit=10&after={next}");
        Assert.Equal(3, second.GetProperty("items").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);

        var byNumber = await GetAsync(host, "api/parking/agreements?agreementNumber=P-L3");
        Assert.Equal("P-L3", Assert.Single(byNumber.GetProperty("items").EnumerateArray()).GetProperty("agreementNumber").GetString());
        var byCard = await GetAsync(host, $"api/parking/agreements?cardNumber={cards[4]}");
        Assert.Equal("P-L4", Assert.Single(byCard.GetProperty("items").EnumerateArray()).GetProperty("agreementNumber").GetString());
        Assert.Equal(5, (await GetAsync(host, "api/parking/agreements?plate=沪a12345&state=active")).GetProperty("items").GetArrayLength());
        Assert.Equal(0, (await GetAsync(host, "api/parking/agreements?state=ended")).GetProperty("items").GetArrayLength());
    }

    private static long LastOutboxCard(ApiTestHost host)
    {
        using var connection = host.Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT card_id FROM card_outbox ORDER BY sequence DESC LIMIT 1";
        return (long)command.ExecuteScalar()!;
    }
}
