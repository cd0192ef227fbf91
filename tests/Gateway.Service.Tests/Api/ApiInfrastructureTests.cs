using System.Net;
using System.Net.Http.Json;
using Gateway.Service.Api;
using Gateway.Service.Storage;

namespace Gateway.Service.Tests.Api;

/// <summary>
/// The API's shared conventions over real HTTP on 127.0.0.1: bearer tokens and policies, problem
/// details, malformed input, and Idempotency-Key (replay, mismatch, in flight, concurrency, failures).
/// Test endpoints below use the same write path and filters as the product's endpoints.
/// </summary>
public sealed class ApiInfrastructureTests
{
    private const string FrontDeskToken = "front-desk-only-token";

    [Fact]
    public async Task Me_NoToken_Is401Problem_WithBearerChallenge()
    {
        await using var host = await StartAsync();
        using var anonymous = host.CreateClient(null);
        using var response = await anonymous.GetAsync(new Uri("api/me", UriKind.Relative));
        await ApiTestHost.AssertProblemAsync(response, 401, ProblemTypes.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("Bearer wrong-token")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer ")]
    public async Task Me_WrongOrMalformedToken_Is401Problem(string header)
    {
        await using var host = await StartAsync();
        using var client = host.CreateClient(null);
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", header);
        using var response = await client.GetAsync(new Uri("api/me", UriKind.Relative));
        await ApiTestHost.AssertProblemAsync(response, 401, ProblemTypes.Unauthorized);
    }

    [Fact]
    public async Task Me_BootstrapToken_HoldsEveryRole()
    {
        await using var host = await StartAsync();
        var me = await host.Client.GetFromJsonAsync<ApiComposition.WhoAmI>(new Uri("api/me", UriKind.Relative));
        Assert.Equal(BootstrapTokenAuthenticator.OperatorId, me!.OperatorId);
        Assert.Equal(GatewayRoles.All.Order(), me.Roles.Order());
    }

    [Fact]
    public async Task BootstrapTokenUnset_TheConfiguredTokenNoLongerWorks_HealthStillAnswers()
    {
        await using var host = await StartAsync(new Dictionary<string, string?> { ["Gateway:BootstrapToken"] = string.Empty });
        using var response = await host.Client.GetAsync(new Uri("api/me", UriKind.Relative));
        await ApiTestHost.AssertProblemAsync(response, 401, ProblemTypes.Unauthorized);
        using var health = await host.Client.GetAsync(new Uri("health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Theory]
    [InlineData("api/test/finance", 403)]
    [InlineData("api/test/read-audit", 403)]
    [InlineData("api/test/read-operational", 200)]
    [InlineData("api/test/front-desk", 200)]
    public async Task Policies_FrontDeskOperator_GetsOnlyWhatItsRoleAllows(string path, int expected)
    {
        await using var host = await StartAsync();
        using var client = host.CreateClient(FrontDeskToken);
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        if (expected == 403)
        {
            await ApiTestHost.AssertProblemAsync(response, 403, ProblemTypes.Forbidden);
        }
        else
        {
            Assert.Equal(expected, (int)response.StatusCode);
        }
    }

    [Fact]
    public async Task UnknownRoute_Is404Problem()
    {
        await using var host = await StartAsync();
        using var response = await host.Client.GetAsync(new Uri("api/no-such-thing", UriKind.Relative));
        await ApiTestHost.AssertProblemAsync(response, 404, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task OpenApi_IsServedWithoutToken_AndListsEndpoints()
    {
        await using var host = await StartAsync();
        using var anonymous = host.CreateClient(null);
        var document = await ApiTestHost.ReadJsonAsync(await anonymous.GetAsync(new Uri("openapi/v1.json", UriKind.Relative)));
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.True(document.GetProperty("paths").TryGetProperty("/api/me", out _));
    }

    [Theory]
    [InlineData("not json", "application/json", 400, ProblemTypes.MalformedRequest)]
    [InlineData("{\"amount\":\"seven\"}", "application/json", 400, ProblemTypes.MalformedRequest)]
    [InlineData("{\"amount\":7,\"extra\":1}", "application/json", 400, ProblemTypes.MalformedRequest)]
    [InlineData("{\"amount\":1.5}", "application/json", 400, ProblemTypes.MalformedRequest)]
    [InlineData("{}", "application/json", 400, ProblemTypes.ValidationFailed)]
    [InlineData("{\"amount\":0}", "application/json", 400, ProblemTypes.ValidationFailed)]
    [InlineData("{\"amount\":101}", "application/json", 400, ProblemTypes.ValidationFailed)]
    [InlineData("{\"amount\":5}", "text/plain", 415, ProblemTypes.UnsupportedMediaType)]
    public async Task BadInput_IsProblem_AndWritesNothing(string body, string contentType, int status, string type)
    {
        await using var host = await StartAsync();
        using var request = Post("api/test/counter", "key-1");
        request.Content = new StringContent(body, System.Text.Encoding.UTF8, contentType);
        using var response = await host.Client.SendAsync(request);
        await ApiTestHost.AssertProblemAsync(response, status, type);
        Assert.Equal(0, host.Count("test_counter"));
        Assert.Equal(0, host.Count("card_outbox"));
    }

    [Fact]
    public async Task OversizedBody_Is413Problem_AndWritesNothing()
    {
        await using var host = await StartAsync();
        using var request = Post("api/test/counter", "big");
        request.Content = ApiTestHost.RawJson("{\"amount\":5,\"pad\":\"" + new string('x', (int)ApiComposition.MaxRequestBodyBytes + 10) + "\"}");
        using var response = await host.Client.SendAsync(request);
        await ApiTestHost.AssertProblemAsync(response, 413, ProblemTypes.PayloadTooLarge);
        Assert.Equal(0, host.Count("test_counter"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("has space")]
    public async Task IdempotentEndpoint_WithoutValidKey_Is400_AndWritesNothing(string? key)
    {
        await using var host = await StartAsync();
        using var request = Post("api/test/counter", key);
        request.Content = ApiTestHost.Json(new { amount = 5 });
        using var response = await host.Client.SendAsync(request);
        await ApiTestHost.AssertProblemAsync(response, 400, ProblemTypes.IdempotencyKeyMissing);
        Assert.Equal(0, host.Count("test_counter"));
    }

    [Fact]
    public async Task SameKeySameBody_ReplaysStoredResponse_AndTakesEffectOnce()
    {
        await using var host = await StartAsync();
        using var first = await SendCounterAsync(host.Client, "k-1", 5);
        using var second = await SendCounterAsync(host.Client, "k-1", 5);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.False(first.Headers.Contains(IdempotencyMiddleware.ReplayedHeader));
        Assert.Equal("true", second.Headers.GetValues(IdempotencyMiddleware.ReplayedHeader).Single());
        Assert.Equal(1, host.Count("test_counter"));
        Assert.Equal(1, host.Count("card_outbox"));
    }

    [Fact]
    public async Task SameKeyDifferentBody_Is422_AndTakesNoSecondEffect()
    {
        await using var host = await StartAsync();
        using var first = await SendCounterAsync(host.Client, "k-2", 5);
        using var second = await SendCounterAsync(host.Client, "k-2", 6);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        await ApiTestHost.AssertProblemAsync(second, 422, ProblemTypes.IdempotencyKeyReused);
        Assert.Equal(1, host.Count("test_counter"));
    }

    [Fact]
    public async Task SameKey_OtherOperatorOrOtherRoute_IsIndependent()
    {
        await using var host = await StartAsync();
        using var frontDesk = host.CreateClient(FrontDeskToken);
        using var a = await SendCounterAsync(host.Client, "shared", 5);
        using var b = await SendCounterAsync(frontDesk, "shared", 5);
        using var request = Post("api/test/counter?bucket=2", "shared");
        request.Content = ApiTestHost.Json(new { amount = 5 });
        using var c = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, a.StatusCode);
        Assert.Equal(HttpStatusCode.Created, b.StatusCode);
        Assert.False(b.Headers.Contains(IdempotencyMiddleware.ReplayedHeader));
        // Same route and operator but another query string is another request: the key was already used.
        await ApiTestHost.AssertProblemAsync(c, 422, ProblemTypes.IdempotencyKeyReused);
        Assert.Equal(2, host.Count("test_counter"));
    }

    [Fact]
    public async Task SameKey_WhileFirstStillRuns_DifferentBody_Is422_AndRunningKeyWritesNothing()
    {
        var gate = new SlowGate();
        await using var host = await StartAsync(gate: gate);
        var store = host.Services.GetRequiredService<IdempotencyStore>();
        var firstTask = SendCounterAsync(host.Client, "slow-2", 42);
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(60));

        // The first request is running: marked in memory, nothing written yet.
        Assert.Equal(1, store.RunningCount);
        Assert.Equal(0, host.Count("idempotency_requests"));
        using (var other = await SendCounterAsync(host.Client, "slow-2", 43))
        {
            await ApiTestHost.AssertProblemAsync(other, 422, ProblemTypes.IdempotencyKeyReused);
        }

        gate.Release.SetResult();
        using var first = await firstTask;
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(0, store.RunningCount);
        Assert.Equal(1, host.Count("idempotency_requests"));
        Assert.Equal(1, host.Count("test_counter"));
    }

    [Fact]
    public async Task SameKey_WhileFirstStillRuns_Is409InFlight_ThenReplays()
    {
        var gate = new SlowGate();
        await using var host = await StartAsync(gate: gate);
        var firstTask = SendCounterAsync(host.Client, "slow-1", 42);
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(60));

        using (var during = await SendCounterAsync(host.Client, "slow-1", 42))
        {
            await ApiTestHost.AssertProblemAsync(during, 409, ProblemTypes.IdempotencyInFlight);
            Assert.NotNull(during.Headers.RetryAfter);
        }

        gate.Release.SetResult();
        using var first = await firstTask;
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using var after = await SendCounterAsync(host.Client, "slow-1", 42);
        Assert.Equal(HttpStatusCode.Created, after.StatusCode);
        Assert.Equal("true", after.Headers.GetValues(IdempotencyMiddleware.ReplayedHeader).Single());
        Assert.Equal(1, host.Count("test_counter"));
    }

    [Fact]
    public async Task SameKey_ManyConcurrentRequests_TakeEffectOnce()
    {
        await using var host = await StartAsync();
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => SendCounterAsync(host.Client, "burst", 9)));
        try
        {
            Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, r.StatusCode.ToString()));
            Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created && !r.Headers.Contains(IdempotencyMiddleware.ReplayedHeader)));
            Assert.Equal(1, host.Count("test_counter"));
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task ServerFailure_Is500Problem_KeyIsReleased_RetryRunsAgain()
    {
        await using var host = await StartAsync();
        using var first = await SendCounterAsync(host.Client, "boom", 13);
        var problem = await ApiTestHost.AssertProblemAsync(first, 500, ProblemTypes.Internal);
        Assert.True(problem.TryGetProperty("traceId", out _));
        using var second = await SendCounterAsync(host.Client, "boom", 13);
        await ApiTestHost.AssertProblemAsync(second, 500, ProblemTypes.Internal);
        Assert.False(second.Headers.Contains(IdempotencyMiddleware.ReplayedHeader));
        Assert.Equal(2, host.Services.GetRequiredService<Attempts>().Count);
        Assert.Equal(0, host.Count("test_counter"));
        Assert.Equal(0, host.Count("idempotency_requests"));
    }

    [Fact]
    public async Task ValidationFailure_IsStoredAndReplayed_LikeAnyClientError()
    {
        await using var host = await StartAsync();
        using var first = await SendCounterAsync(host.Client, "bad", 0);
        using var second = await SendCounterAsync(host.Client, "bad", 0);
        await ApiTestHost.AssertProblemAsync(first, 400, ProblemTypes.ValidationFailed);
        var body = await ApiTestHost.AssertProblemAsync(second, 400, ProblemTypes.ValidationFailed);
        Assert.True(body.GetProperty("errors").TryGetProperty("amount", out _));
        Assert.Equal("true", second.Headers.GetValues(IdempotencyMiddleware.ReplayedHeader).Single());
    }

    private static HttpRequestMessage Post(string path, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative));
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation(IdempotencyMiddleware.HeaderName, key);
        }

        return request;
    }

    private static async Task<HttpResponseMessage> SendCounterAsync(HttpClient client, string key, int amount)
    {
        using var request = Post("api/test/counter", key);
        request.Content = ApiTestHost.Json(new { amount });
        return await client.SendAsync(request);
    }

    private static async Task<ApiTestHost> StartAsync(IDictionary<string, string?>? configuration = null, SlowGate? gate = null)
    {
        var host = await ApiTestHost.StartAsync(
            services =>
            {
                services.AddSingleton<IOperatorAuthenticator>(new FixedAuthenticator(FrontDeskToken, new OperatorIdentity("desk-1", "Desk One", [GatewayRoles.FrontDesk])));
                services.AddSingleton(gate ?? new SlowGate(open: true));
                services.AddSingleton<Attempts>();
            },
            MapTestEndpoints,
            configuration);
        using var connection = host.Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE test_counter(id INTEGER PRIMARY KEY, amount INTEGER NOT NULL)";
        command.ExecuteNonQuery();
        return host;
    }

    private static void MapTestEndpoints(WebApplication app)
    {
        foreach (var policy in new[] { GatewayPolicies.Finance, GatewayPolicies.ReadAudit, GatewayPolicies.ReadOperational, GatewayPolicies.FrontDesk })
        {
            app.MapGet($"/api/test/{policy}", () => TypedResults.Ok(new { policy })).RequireAuthorization(policy);
        }

        app.MapPost("/api/test/counter", async (CounterRequest body, HttpContext context, UnitOfWorkFactory writes, SlowGate gate, Attempts attempts, CancellationToken cancellationToken) =>
        {
            attempts.Increment();
            var validator = new Validator();
            var amount = validator.Range("amount", body.Amount, 1, 100);
            if (!validator.IsValid)
            {
                return validator.ToProblem();
            }

            await gate.PassAsync(cancellationToken);
            await using var unit = await writes.BeginAsync(context.User.ToActor(), cancellationToken);
            await using var insert = unit.Command("INSERT INTO test_counter(amount) VALUES ($a) RETURNING id");
            insert.Parameters.AddWithValue("$a", amount!.Value);
            var id = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
            await unit.MarkCardChangedAsync(id, "test", cancellationToken);
            unit.Audit("test.count", $"counter:{id}", new { amount });
            if (amount == 13)
            {
                throw new InvalidOperationException("unlucky");
            }

            await unit.CommitAsync(cancellationToken);
            return Results.Created($"/api/test/counter/{id}", new { id, amount });
        })
            .RequireAuthorization(GatewayPolicies.FrontDesk)
            .RequireIdempotencyKey();
    }

    private sealed record CounterRequest(int? Amount);

    private sealed class FixedAuthenticator(string token, OperatorIdentity identity) : IOperatorAuthenticator
    {
        public ValueTask<OperatorIdentity?> AuthenticateAsync(string presented, CancellationToken cancellationToken) =>
            ValueTask.FromResult(presented == token ? identity : null);
    }

    private sealed class Attempts
    {
        private int _count;

        public int Count => _count;

        public void Increment() => Interlocked.Increment(ref _count);
    }

    private sealed class SlowGate
    {
        private readonly bool _open;

        public SlowGate(bool open = false)
        {
            _open = open;
        }

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task PassAsync(CancellationToken cancellationToken)
        {
            if (_open)
            {
                return;
            }

            Entered.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
        }
    }
}
