using Gateway.Service.Operators;
using Gateway.Service.Tests.Api;
using Gateway.Shared;

namespace Gateway.Service.Tests.Hosting;

/// <summary>
/// Secret files are owner-only from their first byte: a file left at the path with wider permissions
/// (by hand, or by an earlier version) neither exposes the new secret through its mode nor hands it to
/// someone who opened that file before the secret was written.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SecretFileTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly TempFolder _folder = new("gateway-secret");

    [LinuxFact]
    public async Task FirstStart_WorldReadablePasswordFileHeldOpen_ReaderNeverSeesTheOneTimePassword()
    {
        var data = _folder.Combine("data");
        Directory.CreateDirectory(data);
        var path = Path.Combine(data, SecurityStartup.InitialPasswordFileName);
        await File.WriteAllTextAsync(path, "left over\n");
        File.SetUnixFileMode(path, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        // Someone who could read the old file opens it and waits.
        using var earlier = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        await using var host = await ApiTestHost.StartAsync(configuration: new Dictionary<string, string?> { ["Gateway:DataFolder"] = data });
        var password = (await File.ReadAllTextAsync(path)).Trim();
        Assert.Equal(20, password.Length);
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));

        using var reader = new StreamReader(earlier);
        Assert.Equal("left over\n", await reader.ReadToEndAsync());
        Assert.Empty(Directory.GetFiles(data, "*.tmp"));
    }

    [LinuxFact]
    public void WriteText_NewFile_OwnerOnlyAndNoTemporaryLeft()
    {
        var path = _folder.Combine("sub", "card.key");

        OwnerOnlyFile.WriteText(path, "1:00112233445566778899AABBCCDDEEFF\n");

        Assert.Equal("1:00112233445566778899AABBCCDDEEFF\n", File.ReadAllText(path));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
        Assert.Equal([path], Directory.GetFiles(_folder.Combine("sub")));
        Assert.False(OwnerOnlyFile.IsOpenToOthers(path));
    }

    [LinuxFact]
    public void Write_WriterThrows_TargetUntouchedAndNoTemporaryLeft()
    {
        var path = _folder.Combine("token");
        File.WriteAllText(path, "old");

        Assert.Throws<InvalidOperationException>(() => OwnerOnlyFile.Write(path, stream =>
        {
            stream.WriteByte((byte)'x');
            throw new InvalidOperationException("disk full");
        }));

        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_folder.Path));
    }

    public void Dispose() => _folder.Dispose();
}
