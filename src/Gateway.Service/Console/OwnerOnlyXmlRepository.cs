using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Gateway.Service.Console;

/// <summary>
/// Where the console's data-protection keys live (they seal session and antiforgery cookies): a folder in
/// the data folder, created owner-only (0700), each key file created owner-only (0600) from its first byte
/// and put in place by a rename, so a restart signs nobody out and no other account can read a key.
/// </summary>
public sealed class OwnerOnlyXmlRepository : IXmlRepository
{
    public const string FolderName = "console-keys";

    private readonly string _folder;

    public OwnerOnlyXmlRepository(string folder)
    {
        _folder = folder;
    }

    public string Folder => _folder;

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        if (!Directory.Exists(_folder))
        {
            return [];
        }

        return Directory.EnumerateFiles(_folder, "*.xml").Order(StringComparer.Ordinal).Select(f => XElement.Load(f)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        EnsureFolder();
        var name = IsSafe(friendlyName) ? friendlyName : Guid.NewGuid().ToString("D");
        var path = Path.Combine(_folder, name + ".xml");
        var temporary = Path.Combine(_folder, $".{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            element.Save(stream);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: false);
    }

    private void EnsureFolder()
    {
        if (Directory.Exists(_folder))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(_folder);
        }
        else
        {
            Directory.CreateDirectory(_folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static bool IsSafe(string name) => name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
