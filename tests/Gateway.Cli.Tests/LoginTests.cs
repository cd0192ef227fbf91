using System.Text.Json;

namespace Gateway.Cli.Tests;

/// <summary>gatewayctl login and the token plumbing, as real processes against a live service.</summary>
public sealed class LoginTests : IDisposable
{
    private const string Token = "cli-test-bootstrap-token-0123456789abcdef01";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly TempFolder _folder = new("gatewayctl-login");

    [LinuxFact]
    public async Task Login_ValidToken_SavesOwnerOnlyCredentials_WrongToken_IsOneLineExit3()
    {
        await using var service = ChildProcess.StartDotnet(RepoPaths.Service, [$"--Gateway:DataFolder={_folder.Combine("data")}", "--Gateway:Http:Port=0", $"--Gateway:BootstrapToken={Token}"]);
        var url = (await service.WaitForLineAsync(@"HTTP (http://[0-9.]+:\d+)", Bound)).Groups[1].Value;
        var credentials = _folder.Combine("cred", "credentials.json");

        var (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["login", "--server", url], Bound, environment: Env(Token, credentials));
        Assert.True(code == 0, stderr);
        Assert.Contains("as bootstrap-admin", stdout, StringComparison.Ordinal);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(credentials));
        }

        using (var saved = JsonDocument.Parse(await File.ReadAllTextAsync(credentials)))
        {
            Assert.Equal(Token, saved.RootElement.GetProperty("token").GetString());
            Assert.StartsWith(url, saved.RootElement.GetProperty("server").GetString(), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(Token, service.StandardOutput + service.StandardError, StringComparison.Ordinal);

        var (badCode, badOut, badErr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["login", "--server", url], Bound, environment: Env("not-the-token", _folder.Combine("other.json")));
        Assert.Equal(3, badCode);
        Assert.Equal(string.Empty, badOut.Trim());
        var line = Assert.Single(badErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("urn:gateway:problem:unauthorized", line, StringComparison.Ordinal);
        Assert.False(File.Exists(_folder.Combine("other.json")));
    }

    [LinuxFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Login_OverAWorldReadableCredentialsFileHeldOpen_TokenNeverReachesThatFile()
    {
        await using var service = ChildProcess.StartDotnet(RepoPaths.Service, [$"--Gateway:DataFolder={_folder.Combine("data")}", "--Gateway:Http:Port=0", $"--Gateway:BootstrapToken={Token}"]);
        var url = (await service.WaitForLineAsync(@"HTTP (http://[0-9.]+:\d+)", Bound)).Groups[1].Value;
        var credentials = _folder.Combine("credentials.json");
        await File.WriteAllTextAsync(credentials, "{}");
        File.SetUnixFileMode(credentials, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        // Someone allowed to read the old file opens it before the login and waits.
        using var earlier = new FileStream(credentials, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var (code, _, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Cli, ["login", "--server", url], Bound, environment: Env(Token, credentials));
        Assert.True(code == 0, stderr);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(credentials));
        Assert.Contains(Token, await File.ReadAllTextAsync(credentials), StringComparison.Ordinal);
        using var reader = new StreamReader(earlier);
        Assert.Equal("{}", await reader.ReadToEndAsync());
    }

    public void Dispose() => _folder.Dispose();

    private static Dictionary<string, string?> Env(string token, string credentials) => new()
    {
        ["GATEWAY_TOKEN"] = token,
        ["GATEWAY_CREDENTIALS"] = credentials,
        ["GATEWAY_SERVER"] = null,
    };
}
