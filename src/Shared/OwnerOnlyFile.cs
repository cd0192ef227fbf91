using System.Text;

namespace Gateway.Shared;

/// <summary>
/// Writes a secret file (a token, a password, a key) readable and writable by its owner only, from its
/// first byte: the content goes to a new file created with mode 0600 beside the target, is flushed to
/// disk, and then replaces the target by rename. So the secret never sits in a file others may read,
/// whatever mode an earlier file at that path had, and a reader holding such an earlier file open keeps
/// seeing its old content, never the new secret (truncating and rewriting the same file would hand it
/// over). On Windows the file takes its folder's permissions. Compiled into the service and gatewayctl.
/// </summary>
internal static class OwnerOnlyFile
{
    /// <summary>Owner read and write: 0600.</summary>
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Owner read, write and search: 0700, for folders.</summary>
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode Others =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Creates <paramref name="path"/> and each missing folder above it with mode 0700 (owner only), so
    /// what is put in it is never open to others between its creation and a later chmod. A folder that
    /// exists keeps its mode (<see cref="IsOpenToOthers"/> tells whether it is wider). On Windows the
    /// folder takes the permissions inherited from its parent.
    /// </summary>
    public static void CreateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            // Directory.CreateDirectory(path, mode) gives the mode to the last folder only (as mkdir -p -m
            // does): the missing ones above it are made one by one, from the top, each with the mode.
            var missing = new Stack<string>();
            for (var folder = Path.GetFullPath(path); folder is not null && !Directory.Exists(folder); folder = Path.GetDirectoryName(folder))
            {
                missing.Push(folder);
            }

            while (missing.TryPop(out var folder))
            {
                Directory.CreateDirectory(folder, FolderMode);
            }
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark) to <paramref name="path"/>, replacing any file there.</summary>
    /// <exception cref="IOException">The folder cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder or an existing file may not be replaced.</exception>
    public static void WriteText(string path, string text) =>
        Write(path, stream => stream.Write(new UTF8Encoding(false).GetBytes(text)));

    /// <summary>Writes what <paramref name="write"/> puts on the stream to <paramref name="path"/>, replacing any file there.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        CreateFolder(folder);
        var temporary = Path.Combine(folder, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..12] + ".tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = Mode;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>True when others than its owner have any access to the file or folder <paramref name="path"/> (never on Windows).</summary>
    public static bool IsOpenToOthers(string path) =>
        !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & Others) != 0;

    /// <summary>The mode of <paramref name="path"/> in octal, e.g. 755, for messages.</summary>
    public static string OctalMode(string path) =>
        OperatingSystem.IsWindows() ? "(Windows ACL)" : Convert.ToString((int)File.GetUnixFileMode(path) & 0x1FF, 8);
}
