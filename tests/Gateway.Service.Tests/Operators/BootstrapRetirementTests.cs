using System.Net;
using Gateway.Service.Api;
using Gateway.Service.Operators;
using Gateway.Service.Storage;
using Gateway.Service.Tests.Api;

namespace Gateway.Service.Tests.Operators;

/// <summary>
/// The bootstrap token retires once an admin operator has set their own password: from then on it is
/// refused with a problem saying why, the retirement is audited and logged, and it survives whatever
/// happens to that admin afterwards. Operators of other roles changing their passwords do not retire it.
/// </summary>
public sealed class BootstrapRetirementTests
{
    [Fact]
    public async Task OwnPasswordChange_FirstAdmin_BootstrapTokenRefusedWithRetiredProblem()
    {
        var log = new CapturedLog();
        await using var host = await ApiTestHost.StartAsync(services: s => s.AddSingleton<ILoggerProvider>(log));
        Assert.Contains(log.Lines, l => l.Text.Contains("Gateway:BootstrapToken is set: it holds every role until an admin operator has set their own password", StringComparison.Ordinal));

        // A clerk rotating their own password leaves the bootstrap token working.
        await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        using (var stillWorks = await host.Client.GetAsync(new Uri("api/operators", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, stillWorks.StatusCode);
        }

        // The first admin signs in with the one-time password of the first start and sets their own.
        var oneTime = (await File.ReadAllTextAsync(Path.Combine(host.DataFolder, SecurityStartup.InitialPasswordFileName))).Trim();
        var token = await OperatorTestKit.TokenAsync(host, "admin", oneTime);
        using (var changed = await OperatorTestKit.ChangePasswordAsync(host, token, oneTime, OperatorTestKit.Password))
        {
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        }

        using (var refused = await host.Client.GetAsync(new Uri("api/operators", UriKind.Relative)))
        {
            var problem = await ApiTestHost.AssertProblemAsync(refused, 401, BearerTokenHandler.BootstrapTokenRetiredType);
            var detail = problem.GetProperty("detail").GetString()!;
            Assert.Contains("admin operator 'admin' set their own password", detail, StringComparison.Ordinal);
            Assert.Contains("gatewayctl login --user", detail, StringComparison.Ordinal);
            Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
        }

        // Not even a read: the token is no operator any more.
        using (var me = await host.Client.GetAsync(new Uri("api/me", UriKind.Relative)))
        {
            await ApiTestHost.AssertProblemAsync(me, 401, BearerTokenHandler.BootstrapTokenRetiredType);
        }

        // The admin's own token works; an unknown token is still just unknown.
        using (var admin = host.CreateClient(token))
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(new Uri("api/operators", UriKind.Relative))).StatusCode);
        }

        using (var unknown = host.CreateClient("some-other-token-0123456789abcdef0123456789"))
        {
            await ApiTestHost.AssertProblemAsync(await unknown.GetAsync(new Uri("api/me", UriKind.Relative)), 401, ProblemTypes.Unauthorized);
        }

        Assert.Equal(1, host.Count("audit_log WHERE action = 'operator.bootstrap-token-retired' AND operator_id = 'admin'"));
        Assert.Contains(log.Lines, l => l.Level == LogLevel.Warning && l.Text.Contains("The bootstrap token is retired: admin operator admin has set their own password", StringComparison.Ordinal));
        Assert.DoesNotContain(ApiTestHost.AdminToken, log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retired_RetiringAdminLaterGivenAOneTimePassword_BootstrapTokenStaysRefused()
    {
        await using var host = await ApiTestHost.StartAsync();
        var admin2 = await OperatorTestKit.ReadyOperatorAsync(host, "admin2", GatewayRoles.Admin);

        // No admin has a password of their own any more (admin's is the first start's one-time password): the retirement stands.
        using (var admin = host.CreateClient(admin2))
        using (var reset = await admin.PatchAsync(new Uri("api/operators/admin2", UriKind.Relative), ApiTestHost.Json(new { password = "another-one-time-pw-1" })))
        {
            Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        }

        Assert.Equal(0, host.Count("operators WHERE must_change_password = 0"));
        using var refused = await host.Client.GetAsync(new Uri("api/me", UriKind.Relative));
        await ApiTestHost.AssertProblemAsync(refused, 401, BearerTokenHandler.BootstrapTokenRetiredType);
        var fresh = new BootstrapRetirement(host.Database, Microsoft.Extensions.Logging.Abstractions.NullLogger<BootstrapRetirement>.Instance);
        Assert.Equal("admin2", (await fresh.RetireIfAnAdminHasOwnPasswordAsync(host.Services.GetRequiredService<UnitOfWorkFactory>(), CancellationToken.None))?.OperatorId);
    }

    [Fact]
    public async Task Start_AdminWithOwnPasswordFromBeforeRetirementExisted_RetiresAtStart()
    {
        await using var host = await ApiTestHost.StartAsync();
        await OperatorTestKit.ReadyOperatorAsync(host, "admin2", GatewayRoles.Admin);

        // A database of an earlier version: the admin set their password, but nothing recorded a retirement.
        using (var connection = host.Database.OpenConnection())
        using (var forget = connection.CreateCommand())
        {
            forget.CommandText = $"DELETE FROM site_settings WHERE key = '{BootstrapRetirement.SettingKey}'";
            Assert.Equal(1, forget.ExecuteNonQuery());
        }

        var fresh = new BootstrapRetirement(host.Database, Microsoft.Extensions.Logging.Abstractions.NullLogger<BootstrapRetirement>.Instance);
        Assert.Null(await fresh.RetiredAsync(CancellationToken.None));
        var retired = await fresh.RetireIfAnAdminHasOwnPasswordAsync(host.Services.GetRequiredService<UnitOfWorkFactory>(), CancellationToken.None);

        Assert.Equal("admin2", retired?.OperatorId);
        Assert.Equal(2, host.Count("audit_log WHERE action = 'operator.bootstrap-token-retired'"));
    }

    [Fact]
    public async Task MadeAdmin_OperatorWithOwnPassword_RetiresTheBootstrapToken()
    {
        await using var host = await ApiTestHost.StartAsync();
        await OperatorTestKit.ReadyOperatorAsync(host, "manager", GatewayRoles.Finance);
        using (var stillWorks = await host.Client.GetAsync(new Uri("api/me", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, stillWorks.StatusCode);
        }

        using (var promoted = await host.Client.PatchAsync(new Uri("api/operators/manager", UriKind.Relative), ApiTestHost.Json(new { roles = new[] { GatewayRoles.Finance, GatewayRoles.Admin } })))
        {
            Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        }

        using var refused = await host.Client.GetAsync(new Uri("api/me", UriKind.Relative));
        await ApiTestHost.AssertProblemAsync(refused, 401, BearerTokenHandler.BootstrapTokenRetiredType);
    }
}
