using System.Security.Cryptography;
using System.Text;

namespace Gateway.Service.Audit;

/// <summary>The audit key file could not be read or created, or does not belong with this database.</summary>
public sealed class AuditKeyException : Exception
{
    public AuditKeyException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The HMAC key of the audit chain, held in a file outside the database (<c>Gateway:AuditKeyFile</c>):
/// 32 random bytes as 64 hex characters. Created with owner-only permissions when absent and the
/// log is still empty; a missing key for a non-empty log stops the service (a new key would make every
/// row fail verification). The key is never logged, only the file's path.
/// </summary>
public sealed class AuditKey
{
    public const int KeyBytes = 32;
    private byte[]? _key;

    public AuditKey(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public bool IsLoaded => _key is not null;

    /// <summary>The key bytes; <see cref="LoadOrCreate"/> must have run.</summary>
    internal byte[] Bytes => _key ?? throw new InvalidOperationException("the audit key is not loaded yet");

    /// <summary>Loads the key, creating the file when absent and <paramref name="logIsEmpty"/>. Returns true when it created it.</summary>
    /// <exception cref="AuditKeyException">Unreadable, malformed, or missing while the log has rows.</exception>
    public bool LoadOrCreate(bool logIsEmpty)
    {
        if (File.Exists(Path))
        {
            _key = Read(Path);
            return false;
        }

        if (!logIsEmpty)
        {
            throw new AuditKeyException($"the audit key file {Path} is missing but the audit log has rows: restore the key file from its safe copy (see docs/backup.md); a new key would fail every row");
        }

        var key = RandomNumberGenerator.GetBytes(KeyBytes);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                // Owner-only from the first byte: never a window in which the key is readable by others.
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(Path, options))
            {
                stream.Write(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(key) + "\n"));
                stream.Flush(flushToDisk: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AuditKeyException($"the audit key file {Path} could not be created: {ex.Message}", ex);
        }

        _key = key;
        return true;
    }

    private static byte[] Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AuditKeyException($"the audit key file {path} could not be read: {ex.Message}", ex);
        }

        if (text.Length != KeyBytes * 2 || !text.All(Uri.IsHexDigit))
        {
            throw new AuditKeyException($"the audit key file {path} does not hold {KeyBytes * 2} hex characters");
        }

        return Convert.FromHexString(text);
    }
}
