using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Service.Demo;
using Gateway.Service.Operators;
using Gateway.Service.Tests.Api;
using Gateway.Service.Tests.Operators;

namespace Gateway.Service.Tests.Demo;

/// <summary>
/// The demo's way in: one operator per role, each password usable at once and kept owner-only in its
/// file; an operator who changes theirs keeps the new one, and the file that no longer holds it goes.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DemoOperatorsTests : IDisposable
{
    private readonly TempFolder _folder = new("gateway-demo-operators");

    [LinuxFact]
    public async Task FirstStart_EachRoleUsableAtOnce_PasswordChangedLaterFileDeletedAtNextStart()
    {
        var demo = new DemoOperators(_folder.Path);
        await using var host = await ApiTestHost.StartAsync(services => services.AddSingleton(demo));

        // The demo's operators take the place of the first admin: no one-time password file.
        Assert.False(File.Exists(Path.Combine(host.DataFolder, SecurityStartup.InitialPasswordFileName)));
        foreach (var (id, _, role) in DemoOperators.All)
        {
            var password = demo.Password(id);
            Assert.NotNull(password);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(demo.PasswordPath(id)));
            using var login = await OperatorTestKit.LoginAsync(host, id, password);
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            var answer = await login.Content.ReadFromJsonAsync<JsonElement>();
            Assert.False(answer.GetProperty("passwordChangeRequired").GetBoolean());
            Assert.Equal([role], answer.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        }

        var deskPassword = demo.Password("desk")!;
        var token = await OperatorTestKit.TokenAsync(host, "desk", deskPassword);
        using (var changed = await OperatorTestKit.ChangePasswordAsync(host, token, deskPassword, OperatorTestKit.Password))
        {
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        }

        // The next start: nothing created, desk's file (no longer its password) deleted, the others kept.
        var store = host.Services.GetRequiredService<OperatorStore>();
        Assert.Empty(await demo.CreateMissingAsync(store, CancellationToken.None));
        Assert.False(File.Exists(demo.PasswordPath("desk")));
        Assert.Null(demo.Password("desk"));
        Assert.NotNull(demo.Password("authorizer"));
        var notes = demo.Notes().ToList();
        Assert.Contains(notes, n => n.StartsWith("  desk ", StringComparison.Ordinal) && n.Contains("the password they chose", StringComparison.Ordinal));
        Assert.Contains(notes, n => n.StartsWith("  authorizer ", StringComparison.Ordinal) && n.EndsWith("password " + demo.Password("authorizer"), StringComparison.Ordinal));
    }

    public void Dispose() => _folder.Dispose();
}
