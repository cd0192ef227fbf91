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

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark) to <paramref name="path"/>, replacing any file there.</summary>
    /// <exception cref="IOException">The folder cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder or an existing file may not be replaced.</exception>
    public static void WriteText(string path, string text) =>
        Write(path, stream => stream.Write(new UTF8Encoding(false).GetBytes(text)));

    /// <summary>Writes what <paramref name="write"/> puts on the stream to <paramref name="path"/>, replacing any file there.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
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

    /// <summary>True when <paramref name="path"/> may be read or written by others than its owner (never on Windows).</summary>
    public static bool IsOpenToOthers(string path) =>
        !OperatingSystem.IsWindows()
        && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0;
}
