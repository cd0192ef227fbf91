using System.Text;
using System.Text.Json;
using Gateway.Service.Storage;

namespace Gateway.Service.Audit;

/// <summary>
/// Writes the audit chain's head outside the database: one log line and one JSON line appended to
/// <c>Gateway:AuditHeadFile</c> (beside the data folder by default), at every inventory sign-off and daily.
/// Removing rows from the end of the log leaves a chain that is consistent on its own; a head kept
/// elsewhere shows they are missing (<c>gatewayctl audit verify --head FILE</c>). The file is only ever
/// opened to append; a MAC is not a secret, so the head may also go to a log collector or by mail.
/// </summary>
public sealed class AuditHeadRecorder
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly AuditLog _log;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditHeadRecorder> _logger;
    private readonly SemaphoreSlim _append = new(1, 1);

    public AuditHeadRecorder(AuditLog log, AuditFiles files, TimeProvider time, ILogger<AuditHeadRecorder> logger)
    {
        _log = log;
        _time = time;
        _logger = logger;
        FilePath = files.HeadFile;
    }

    /// <summary>The append-only head file.</summary>
    public string FilePath { get; }

    /// <summary>One line of the head file.</summary>
    public sealed record HeadLine(string AtUtc, long LastId, string Mac, string Reason);

    /// <summary>
    /// Reads the current head and writes it to the log and the head file. A file that cannot be written
    /// (folder missing, no permission) is logged as an error and does not fail the caller: the head is
    /// still in the log.
    /// </summary>
    public async Task<AuditHead> RecordAsync(string reason, CancellationToken cancellationToken)
    {
        var head = await _log.HeadAsync(cancellationToken);
        var line = new HeadLine(UnitOfWork.Timestamp(_time.GetUtcNow()), head.LastId, head.Mac, reason);
        await _append.WaitAsync(cancellationToken);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            await using var stream = new FileStream(FilePath, options);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(line, Json) + "\n"), cancellationToken);
            stream.Flush(flushToDisk: true);
            _logger.LogInformation("Audit chain head ({Reason}): row {AuditHeadId}, MAC {AuditHeadMac}; appended to {AuditHeadFile}", reason, head.LastId, head.Mac, FilePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogInformation("Audit chain head ({Reason}): row {AuditHeadId}, MAC {AuditHeadMac}", reason, head.LastId, head.Mac);
            _logger.LogError("Could not append the audit head to {AuditHeadFile}: {Error}; it is in this log only (docs/audit.md)", FilePath, ex.Message);
        }
        finally
        {
            _append.Release();
        }

        return head;
    }
}
