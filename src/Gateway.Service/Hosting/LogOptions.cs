using System.Globalization;
using Serilog;

namespace Gateway.Service.Hosting;

/// <summary>
/// The rolling log files in <c>DATA/logs</c> (section <c>Gateway:Logs</c>): a new file each day and whenever
/// one reaches <see cref="FileSizeLimitBytes"/>; the oldest files are deleted once the folder would hold more
/// than <see cref="TotalSizeLimitBytes"/> or they are older than <see cref="RetainedDays"/>. So the logs of
/// a flood (a device chattering, a script hammering the API) can never fill the disk the database needs.
/// </summary>
public sealed record LogOptions(long FileSizeLimitBytes, long TotalSizeLimitBytes, int RetainedDays)
{
    public const int DefaultFileSizeLimitMB = 16;

    public const int DefaultTotalSizeLimitMB = 512;

    public const int DefaultRetainedDays = 90;

    private const long MB = 1024 * 1024;

    public static LogOptions Default { get; } = new(DefaultFileSizeLimitMB * MB, DefaultTotalSizeLimitMB * MB, DefaultRetainedDays);

    /// <summary>The output of every log file line.</summary>
    public const string OutputTemplate = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <summary>
    /// How many files are kept, the one being written included: one fewer than fit in the total, because a
    /// file may pass its limit by the one line that crossed it (the sink checks before each write).
    /// </summary>
    public int RetainedFileCount => (int)Math.Max(2, (TotalSizeLimitBytes / FileSizeLimitBytes) - 1);

    /// <summary>
    /// Reads <c>Gateway:Logs:FileSizeLimitMB</c> (1-1024, default 16), <c>TotalSizeLimitMB</c> (at least
    /// three times the file size, at most 1,048,576; default 512) and <c>RetainedDays</c> (1-3650, default 90).
    /// </summary>
    public static bool TryLoad(IConfigurationSection gateway, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LogOptions? options, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        options = null;
        if (!TryRead(gateway, "FileSizeLimitMB", DefaultFileSizeLimitMB, 1, 1024, "megabytes", out var file, out error)
            || !TryRead(gateway, "TotalSizeLimitMB", DefaultTotalSizeLimitMB, 2, 1024 * 1024, "megabytes", out var total, out error)
            || !TryRead(gateway, "RetainedDays", DefaultRetainedDays, 1, 3650, "days", out var days, out error))
        {
            return false;
        }

        if (total < 3 * file)
        {
            error = $"{Site.SiteOptions.Section}:Logs:TotalSizeLimitMB: {total} must be at least three times Logs:FileSizeLimitMB ({file}): the file being written, one before it, and room for the line that crosses a limit";
            return false;
        }

        options = new LogOptions(file * MB, total * MB, days);
        return true;
    }

    /// <summary>Adds the rolling file sink in <paramref name="folder"/> with these limits (the service's Program and the tests use this one wiring).</summary>
    public LoggerConfiguration WriteTo(LoggerConfiguration logger, string folder)
    {
        ArgumentNullException.ThrowIfNull(logger);
        return logger.WriteTo.File(
            Path.Combine(folder, "gateway-.log"),
            rollingInterval: RollingInterval.Day,
            fileSizeLimitBytes: FileSizeLimitBytes,
            rollOnFileSizeLimit: true,
            retainedFileCountLimit: RetainedFileCount,
            retainedFileTimeLimit: TimeSpan.FromDays(RetainedDays),
            outputTemplate: OutputTemplate);
    }

    private static bool TryRead(IConfigurationSection gateway, string key, int fallback, int min, int max, string unit, out int value, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        var text = gateway[$"Logs:{key}"] ?? fallback.ToString(CultureInfo.InvariantCulture);
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) || value < min || value > max)
        {
            error = $"{Site.SiteOptions.Section}:Logs:{key}: '{text}' is not a whole number of {unit} from {min} to {max}";
            return false;
        }

        error = null;
        return true;
    }
}
