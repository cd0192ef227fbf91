using System.Net;
using Gateway.Service.Api;
using Gateway.Service.Operators;
using Gateway.Service.Tests.Api;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Service.Tests.Operators;

/// <summary>
/// Operators over real HTTP and a real SQLite file, with a fake clock: the first admin and its
/// one-time password file, forced changes, quarterly expiry, reuse, lockout, token expiry and hashing.
/// </summary>
public sealed class OperatorApiTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 5, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task FirstStart_CreatesAdminWithOneTimePasswordFile_FirstLoginMustChangeIt()
    {
        await using var host = await ApiTestHost.StartAsync();
        var file = Path.Combine(host.DataFolder, SecurityStartup.InitialPasswordFileName);
        Assert.True(File.Exists(file));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        var oneTime = (await File.ReadAllTextAsync(file)).Trim();
        using var login = await OperatorTestKit.LoginAsync(host, "admin", oneTime);
        var body = await ApiTestHost.ReadJsonAsync(login);
        Assert.True(body.GetProperty("passwordChangeRequired").GetBoolean());
        Assert.Equal("one-time password", body.GetProperty("passwordChangeReason").GetString());
        var token = body.GetProperty("token").GetString()!;

        using var client = host.CreateClient(token);
        using (var refused = await client.GetAsync(new Uri("api/operators", UriKind.Relative)))
        {
            await ApiTestHost.AssertProblemAsync(refused, 403, PasswordChangeGate.ProblemType);
        }

        using (var me = await client.GetAsync(new Uri("api/me", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        }

        using (var changed = await OperatorTestKit.ChangePasswordAsync(host, token, oneTime, OperatorTestKit.Password))
        {
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        }

        Assert.False(File.Exists(file));
        var list = await OperatorTestKit.GetJsonAsync(client, "api/operators");
        var admin = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal("admin", admin.GetProperty("id").GetString());
        Assert.False(admin.GetProperty("mustChangePassword").GetBoolean());
    }

    [Fact]
    public async Task Login_StoresOnlyTokenAndPasswordHashes()
    {
        await using var host = await ApiTestHost.StartAsync();
        var token = await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        using var connection = host.Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT group_concat(token_hash) FROM operator_tokens) || (SELECT group_concat(password_hash) FROM operators) || (SELECT group_concat(details) FROM audit_log)";
        var stored = (string)command.ExecuteScalar()!;
        Assert.DoesNotContain(token, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(OperatorTestKit.Password, stored, StringComparison.Ordinal);
        Assert.Contains("pbkdf2-sha256$1000$", stored, StringComparison.Ordinal);
        Assert.Contains(OperatorStore.HashToken(token), stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_ExpiresAfterItsLifetime()
    {
        var time = new FakeTimeProvider(Start);
        await using var host = await ApiTestHost.StartAsync(time: time, configuration: new Dictionary<string, string?> { ["Gateway:Operators:TokenLifetimeMinutes"] = "60" });
        var token = await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        using var client = host.CreateClient(token);
        time.Advance(TimeSpan.FromMinutes(59));
        await OperatorTestKit.GetJsonAsync(client, "api/me");
        time.Advance(TimeSpan.FromMinutes(1));
        using var expired = await client.GetAsync(new Uri("api/me", UriKind.Relative));
        await ApiTestHost.AssertProblemAsync(expired, 401, ProblemTypes.Unauthorized);
    }

    [Fact]
    public async Task Logout_RevokesTheToken()
    {
        await using var host = await ApiTestHost.StartAsync();
        var token = await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        using var client = host.CreateClient(token);
        using (var logout = await client.PostAsync(new Uri("api/logout", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        using var after = await client.GetAsync(new Uri("api/me", UriKind.Relative));
        await ApiTestHost.AssertProblemAsync(after, 401, ProblemTypes.Unauthorized);
    }

    [Fact]
    public async Task Login_RepeatedFailures_LockEvenTheRightPassword_UntilLockoutPasses()
    {
        var time = new FakeTimeProvider(Start);
        await using var host = await ApiTestHost.StartAsync(time: time, configuration: new Dictionary<string, string?> { ["Gateway:Operators:MaxFailedLogins"] = "3", ["Gateway:Operators:LockoutMinutes"] = "10" });
        await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        for (var i = 0; i < 2; i++)
        {
            using var wrong = await OperatorTestKit.LoginAsync(host, "clerk", "not-the-password");
            await ApiTestHost.AssertProblemAsync(wrong, 401, OperatorEndpoints.InvalidCredentialsType);
        }

        using (var third = await OperatorTestKit.LoginAsync(host, "clerk", "not-the-password"))
        {
            await ApiTestHost.AssertProblemAsync(third, 429, OperatorEndpoints.TooManyAttemptsType);
            Assert.Equal(TimeSpan.FromMinutes(10), third.Headers.RetryAfter?.Delta);
        }

        using (var right = await OperatorTestKit.LoginAsync(host, "clerk", OperatorTestKit.Password))
        {
            await ApiTestHost.AssertProblemAsync(right, 429, OperatorEndpoints.TooManyAttemptsType);
        }

        time.Advance(TimeSpan.FromMinutes(10));
        await OperatorTestKit.TokenAsync(host, "clerk", OperatorTestKit.Password);
        var audit = await OperatorTestKit.GetJsonAsync(host.Client, "api/audit?subject=operator:clerk&action=operator.locked");
        Assert.Single(audit.GetProperty("items").EnumerateArray());
    }

    [LinuxFact]
    public async Task Login_LockedFromOneAddress_SameOperatorStillLogsInFromAnother()
    {
        var time = new FakeTimeProvider(Start);
        await using var host = await ApiTestHost.StartAsync(time: time, configuration: new Dictionary<string, string?> { ["Gateway:Operators:MaxFailedLogins"] = "3" });
        await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);

        // Two machines: real connections from two loopback source addresses.
        using var attacker = ClientFrom(host, "127.0.0.2");
        using var desk = ClientFrom(host, "127.0.0.3");
        for (var i = 0; i < 2; i++)
        {
            using var wrong = await LoginAsync(attacker, "clerk", "not-the-password");
            await ApiTestHost.AssertProblemAsync(wrong, 401, OperatorEndpoints.InvalidCredentialsType);
        }

        using (var third = await LoginAsync(attacker, "clerk", "not-the-password"))
        {
            await ApiTestHost.AssertProblemAsync(third, 429, OperatorEndpoints.TooManyAttemptsType);
        }

        using (var right = await LoginAsync(attacker, "clerk", OperatorTestKit.Password))
        {
            await ApiTestHost.AssertProblemAsync(right, 429, OperatorEndpoints.TooManyAttemptsType);
        }

        using (var elsewhere = await LoginAsync(desk, "clerk", OperatorTestKit.Password))
        {
            Assert.True(elsewhere.StatusCode == HttpStatusCode.OK, await elsewhere.Content.ReadAsStringAsync());
        }

        var view = await OperatorTestKit.GetJsonAsync(host.Client, "api/operators/clerk");
        Assert.Equal("2026-01-05T02:15:00.0000000Z", view.GetProperty("lockedUntilUtc").GetString());
        var locked = Assert.Single((await OperatorTestKit.GetJsonAsync(host.Client, "api/audit?subject=operator:clerk&action=operator.locked")).GetProperty("items").EnumerateArray());
        Assert.Contains("127.0.0.2", locked.GetRawText(), StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task Login_FailuresFromManyAddresses_SlowDownHoldsEachGuess_OperatorStillGetsIn()
    {
        var time = new FakeTimeProvider(Start);
        await using var host = await ApiTestHost.StartAsync(time: time, configuration: new Dictionary<string, string?>
        {
            ["Gateway:Operators:SlowDownAfterFailedLogins"] = "3",
            ["Gateway:Operators:SlowDownSeconds"] = "5",
        });
        await OperatorTestKit.ReadyOperatorAsync(host, "admin2", GatewayRoles.Admin);
        for (var i = 2; i <= 4; i++)
        {
            using var source = ClientFrom(host, $"127.0.0.{i}");
            using var wrong = await LoginAsync(source, "admin2", "not-the-password");
            await ApiTestHost.AssertProblemAsync(wrong, 401, OperatorEndpoints.InvalidCredentialsType);
        }

        // Slowed down: a guess from a fifth address fails and holds the line for 5 (fake) seconds.
        using var guesser = ClientFrom(host, "127.0.0.5");
        using var desk = ClientFrom(host, "127.0.0.6");
        var guess = LoginAsync(guesser, "admin2", "still-not-the-password");
        await WaitUntilAsync(() => host.Count("audit_log WHERE action = 'operator.login-failed'") == 4);
        var login = LoginAsync(desk, "admin2", OperatorTestKit.Password);
        using (var second = await LoginAsync(guesser, "admin2", "another-guess"))
        {
            // The guessing address already has its check in the line: refused, not queued.
            await ApiTestHost.AssertProblemAsync(second, 429, OperatorEndpoints.TooManyAttemptsType);
        }

        Assert.False(guess.IsCompleted);
        Assert.False(login.IsCompleted);

        // The pause starts once the failed check has been audited; advance until it has run out.
        for (var i = 0; i < 600 && !guess.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            await Task.WhenAny(guess, Task.Delay(100));
        }

        using (var failed = await guess.WaitAsync(TimeSpan.FromSeconds(60)))
        {
            await ApiTestHost.AssertProblemAsync(failed, 401, OperatorEndpoints.InvalidCredentialsType);
        }

        using var ok = await login.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(ok.StatusCode == HttpStatusCode.OK, await ok.Content.ReadAsStringAsync());
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(20, bound.Token);
        }
    }

    [Fact]
    public async Task Login_ManyFailuresFromOneAddressAcrossNames_AddressRefused_NothingWritten_UntilWindowPasses()
    {
        var time = new FakeTimeProvider(Start);
        await using var host = await ApiTestHost.StartAsync(time: time, configuration: new Dictionary<string, string?> { ["Gateway:Operators:MaxFailedLoginsPerAddress"] = "3", ["Gateway:Operators:LockoutMinutes"] = "10" });
        await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        foreach (var name in new[] { "nobody-1", "nobody-2", "clerk" })
        {
            using var wrong = await OperatorTestKit.LoginAsync(host, name, "not-the-password");
            await ApiTestHost.AssertProblemAsync(wrong, 401, OperatorEndpoints.InvalidCredentialsType);
        }

        var audit = host.Count("audit_log");
        using (var refused = await OperatorTestKit.LoginAsync(host, "clerk", OperatorTestKit.Password))
        {
            await ApiTestHost.AssertProblemAsync(refused, 429, OperatorEndpoints.TooManyAttemptsType);
        }

        Assert.Equal(audit, host.Count("audit_log"));
        time.Advance(TimeSpan.FromMinutes(10));
        await OperatorTestKit.TokenAsync(host, "clerk", OperatorTestKit.Password);
    }

    private static HttpClient ClientFrom(ApiTestHost host, string source)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string username, string password) =>
        client.PostAsync(new Uri("api/login", UriKind.Relative), ApiTestHost.Json(new { username, password }));

    [Fact]
    public async Task Password_ExpiresAfterAQuarter_MustBeChangedBeforeAnythingElse_AndTheChangeIsNotified()
    {
        var time = new FakeTimeProvider(Start);
        await using var host = await ApiTestHost.StartAsync(time: time, configuration: new Dictionary<string, string?>
        {
            ["Gateway:Notifications:DepartmentHead"] = "head@example.test",
            ["Gateway:Notifications:Finance"] = "finance@example.test",
        });
        await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk, GatewayRoles.Finance);
        time.Advance(TimeSpan.FromDays(31 + 28 + 31) - TimeSpan.FromMinutes(1));
        var token = await OperatorTestKit.TokenAsync(host, "clerk", OperatorTestKit.Password);
        using var client = host.CreateClient(token);
        await OperatorTestKit.GetJsonAsync(client, "api/audit?limit=1");

        time.Advance(TimeSpan.FromMinutes(1));
        using (var refused = await client.GetAsync(new Uri("api/audit?limit=1", UriKind.Relative)))
        {
            await ApiTestHost.AssertProblemAsync(refused, 403, PasswordChangeGate.ProblemType);
        }

        using (var login = await OperatorTestKit.LoginAsync(host, "clerk", OperatorTestKit.Password))
        {
            Assert.Equal("expired", (await ApiTestHost.ReadJsonAsync(login)).GetProperty("passwordChangeReason").GetString());
        }

        using (var changed = await OperatorTestKit.ChangePasswordAsync(host, token, OperatorTestKit.Password, "the-second-password"))
        {
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
            Assert.Equal("2026-07-05T02:00:00.0000000Z", (await ApiTestHost.ReadJsonAsync(changed)).GetProperty("passwordExpiresUtc").GetString());
        }

        await OperatorTestKit.GetJsonAsync(client, "api/audit?limit=1");
        var notices = await OperatorTestKit.GetJsonAsync(host.Client, "api/notifications");
        var latest = notices.GetProperty("items")[0];
        Assert.Equal("password-rotation", latest.GetProperty("kind").GetString());
        Assert.Equal(["head@example.test", "finance@example.test"], latest.GetProperty("recipients").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains("clerk", latest.GetProperty("subject").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("the-second-password", latest.GetProperty("body").GetString(), StringComparison.Ordinal);
        var rotations = await OperatorTestKit.GetJsonAsync(host.Client, "api/audit?subject=operator:clerk&action=operator.password-change");
        Assert.Equal(2, rotations.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task ChangePassword_AnyOfTheLastFour_Refused_TheFifthBackIsAccepted()
    {
        await using var host = await ApiTestHost.StartAsync();
        var token = await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        string[] passwords = [OperatorTestKit.Password, "password-number-2", "password-number-3", "password-number-4"];
        for (var i = 1; i < passwords.Length; i++)
        {
            using var ok = await OperatorTestKit.ChangePasswordAsync(host, token, passwords[i - 1], passwords[i]);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        // The last four are passwords[0..3] (the current one included): each is refused.
        foreach (var reused in passwords)
        {
            using var refused = await OperatorTestKit.ChangePasswordAsync(host, token, passwords[^1], reused);
            var problem = await ApiTestHost.AssertProblemAsync(refused, 400, ProblemTypes.ValidationFailed);
            Assert.Contains("last 4", problem.GetProperty("errors").GetProperty("newPassword")[0].GetString(), StringComparison.Ordinal);
        }

        using (var fifth = await OperatorTestKit.ChangePasswordAsync(host, token, passwords[^1], "password-number-5"))
        {
            Assert.Equal(HttpStatusCode.OK, fifth.StatusCode);
        }

        // one-time-password-1 and passwords[0] have now left the window of four.
        using var back = await OperatorTestKit.ChangePasswordAsync(host, token, "password-number-5", passwords[0]);
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }

    [Theory]
    [InlineData("short", "newPassword")]
    [InlineData("contains-clerk-name-1", "newPassword")]
    public async Task ChangePassword_BreaksTheRule_Refused(string next, string field)
    {
        await using var host = await ApiTestHost.StartAsync();
        var token = await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        using var refused = await OperatorTestKit.ChangePasswordAsync(host, token, OperatorTestKit.Password, next);
        var problem = await ApiTestHost.AssertProblemAsync(refused, 400, ProblemTypes.ValidationFailed);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task ChangePassword_WrongCurrent_Refused()
    {
        await using var host = await ApiTestHost.StartAsync();
        var token = await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        using var refused = await OperatorTestKit.ChangePasswordAsync(host, token, "not-the-current-one", "a-brand-new-password");
        var problem = await ApiTestHost.AssertProblemAsync(refused, 400, ProblemTypes.ValidationFailed);
        Assert.True(problem.GetProperty("errors").TryGetProperty("currentPassword", out _));
    }

    [Fact]
    public async Task ChangePassword_RepeatedWrongCurrent_LockedLikeALogin_TheLoginTooFromThatAddress()
    {
        var time = new FakeTimeProvider(Start);
        await using var host = await ApiTestHost.StartAsync(time: time, configuration: new Dictionary<string, string?> { ["Gateway:Operators:MaxFailedLogins"] = "3", ["Gateway:Operators:LockoutMinutes"] = "10" });
        var token = await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        for (var i = 0; i < 2; i++)
        {
            using var wrong = await OperatorTestKit.ChangePasswordAsync(host, token, "guess-number-" + i, "a-brand-new-password");
            await ApiTestHost.AssertProblemAsync(wrong, 400, ProblemTypes.ValidationFailed);
        }

        using (var third = await OperatorTestKit.ChangePasswordAsync(host, token, "guess-number-3", "a-brand-new-password"))
        {
            await ApiTestHost.AssertProblemAsync(third, 429, OperatorEndpoints.TooManyAttemptsType);
            Assert.Equal(TimeSpan.FromMinutes(10), third.Headers.RetryAfter?.Delta);
        }

        using (var right = await OperatorTestKit.ChangePasswordAsync(host, token, OperatorTestKit.Password, "a-brand-new-password"))
        {
            await ApiTestHost.AssertProblemAsync(right, 429, OperatorEndpoints.TooManyAttemptsType);
        }

        using (var login = await OperatorTestKit.LoginAsync(host, "clerk", OperatorTestKit.Password))
        {
            await ApiTestHost.AssertProblemAsync(login, 429, OperatorEndpoints.TooManyAttemptsType);
        }

        var failures = await OperatorTestKit.GetJsonAsync(host.Client, "api/audit?subject=operator:clerk&action=operator.password-change-failed");
        Assert.Equal(2, failures.GetProperty("items").GetArrayLength());
        time.Advance(TimeSpan.FromMinutes(10));
        using var changed = await OperatorTestKit.ChangePasswordAsync(host, token, OperatorTestKit.Password, "a-brand-new-password");
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
    }

    [Fact]
    public async Task ChangePassword_RevokesTheOperatorsOtherTokens_KeepsTheOneThatChangedIt()
    {
        await using var host = await ApiTestHost.StartAsync();
        var first = await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        var second = await OperatorTestKit.TokenAsync(host, "clerk", OperatorTestKit.Password);
        var other = await OperatorTestKit.ReadyOperatorAsync(host, "other", GatewayRoles.FrontDesk);

        using (var changed = await OperatorTestKit.ChangePasswordAsync(host, second, OperatorTestKit.Password, "a-brand-new-password"))
        {
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        }

        using (var stolen = host.CreateClient(first))
        using (var refused = await stolen.GetAsync(new Uri("api/me", UriKind.Relative)))
        {
            await ApiTestHost.AssertProblemAsync(refused, 401, ProblemTypes.Unauthorized);
        }

        await OperatorTestKit.GetJsonAsync(host.CreateClient(second), "api/me");
        await OperatorTestKit.GetJsonAsync(host.CreateClient(other), "api/me");
        var audit = await OperatorTestKit.GetJsonAsync(host.Client, "api/audit?subject=operator:clerk&action=operator.password-change");
        Assert.Equal(1, audit.GetProperty("items")[1].GetProperty("details").GetProperty("otherTokensRevoked").GetInt32());
    }

    [Fact]
    public async Task Login_PurgesExpiredTokens()
    {
        var time = new FakeTimeProvider(Start);
        await using var host = await ApiTestHost.StartAsync(time: time, configuration: new Dictionary<string, string?> { ["Gateway:Operators:TokenLifetimeMinutes"] = "60" });
        await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        await OperatorTestKit.TokenAsync(host, "clerk", OperatorTestKit.Password);
        Assert.Equal(2, host.Count("operator_tokens"));

        time.Advance(TimeSpan.FromMinutes(60));
        await OperatorTestKit.TokenAsync(host, "clerk", OperatorTestKit.Password);
        Assert.Equal(1, host.Count("operator_tokens"));
        Assert.Equal(0, await host.Services.GetRequiredService<OperatorStore>().PurgeExpiredTokensAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromMinutes(60));
        Assert.Equal(1, await host.Services.GetRequiredService<OperatorStore>().PurgeExpiredTokensAsync(CancellationToken.None));
        Assert.Equal(0, host.Count("operator_tokens"));
    }

    [Fact]
    public async Task Login_UnknownName_CostsTheSamePbkdf2IterationsAsARealOperator()
    {
        await using var host = await ApiTestHost.StartAsync(configuration: new Dictionary<string, string?> { ["Gateway:Operators:PasswordIterations"] = "5000" });
        await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        using var connection = host.Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT password_hash FROM operators WHERE id = 'clerk'";
        var real = (string)command.ExecuteScalar()!;

        var unknown = host.Services.GetRequiredService<OperatorStore>().UnknownNameHash;
        Assert.Equal(Iterations(real), Iterations(unknown));
        Assert.Equal(5000, Iterations(unknown));

        static int Iterations(string hash) => int.Parse(hash.Split('$')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task UpdateOperator_RolesAndDisable_AuditedWithBeforeAndAfter_DisabledTokenStops()
    {
        await using var host = await ApiTestHost.StartAsync();
        var token = await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        using (var patch = await host.Client.PatchAsync(new Uri("api/operators/clerk", UriKind.Relative), ApiTestHost.Json(new { roles = new[] { GatewayRoles.Finance, GatewayRoles.FrontDesk } })))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }

        using var client = host.CreateClient(token);
        var me = await OperatorTestKit.GetJsonAsync(client, "api/me");
        Assert.Equal([GatewayRoles.Finance, GatewayRoles.FrontDesk], me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()).Order());
        var audit = await OperatorTestKit.GetJsonAsync(host.Client, "api/audit?subject=operator:clerk&action=operator.update");
        var details = Assert.Single(audit.GetProperty("items").EnumerateArray()).GetProperty("details");
        Assert.Equal(1, details.GetProperty("before").GetProperty("roles").GetArrayLength());
        Assert.Equal(2, details.GetProperty("after").GetProperty("roles").GetArrayLength());

        using (var disable = await host.Client.PatchAsync(new Uri("api/operators/clerk", UriKind.Relative), ApiTestHost.Json(new { disabled = true })))
        {
            Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        }

        using var after = await client.GetAsync(new Uri("api/me", UriKind.Relative));
        await ApiTestHost.AssertProblemAsync(after, 401, ProblemTypes.Unauthorized);
        using var login = await OperatorTestKit.LoginAsync(host, "clerk", OperatorTestKit.Password);
        await ApiTestHost.AssertProblemAsync(login, 401, OperatorEndpoints.InvalidCredentialsType);
    }

    [Fact]
    public async Task CreateOperator_BadFields_AllListed_NothingWritten()
    {
        await using var host = await ApiTestHost.StartAsync();
        var before = host.Snapshot();
        using var response = await host.Client.PostAsync(new Uri("api/operators", UriKind.Relative), ApiTestHost.Json(new { username = "Bad Name", roles = new[] { "janitor" }, password = "short" }));
        var problem = await ApiTestHost.AssertProblemAsync(response, 400, ProblemTypes.ValidationFailed);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("username", out _));
        Assert.True(errors.TryGetProperty("displayName", out _));
        Assert.True(errors.TryGetProperty("roles", out _));
        Assert.True(errors.TryGetProperty("password", out _));
        Assert.Equal(before, host.Snapshot());

        using var duplicate = await host.Client.PostAsync(new Uri("api/operators", UriKind.Relative), ApiTestHost.Json(new { username = "admin", displayName = "x", roles = new[] { "admin" }, password = "a-long-enough-password" }));
        await ApiTestHost.AssertProblemAsync(duplicate, 409, ProblemTypes.Conflict);
    }
}
