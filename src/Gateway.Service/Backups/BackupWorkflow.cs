using System.Globalization;
using Gateway.Service.Audit;
using Gateway.Service.Domain;
using Gateway.Service.Site;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Backups;

/// <summary>A finished backup: where, how big, and the audit head it contains.</summary>
public sealed record BackupResult(string Path, long Bytes, string CreatedUtc, AuditHead AuditHead, string IntegrityCheck);

/// <summary>
/// Online backups through SQLite's backup API (sqlite3_backup_*, via <see cref="SqliteConnection.BackupDatabase(SqliteConnection)"/>):
/// the copy is taken inside one read transaction, so it is a consistent snapshot of one committed
/// state while writers go on (WAL). The file is created owner-only (it holds personal data), checked
/// with <c>PRAGMA quick_check</c>, and the backup is audited. A destination that is not acceptable
/// (relative, exists, folder missing) is a <see cref="RefusalKind.Conflict"/>. See docs/backup.md.
/// </summary>
public sealed class BackupWorkflow
{
    private readonly GatewayDatabase _database;
    private readonly UnitOfWorkFactory _units;
    private readonly SiteOptions _site;
    private readonly TimeProvider _time;
    private readonly ILogger<BackupWorkflow> _logger;
    private readonly SemaphoreSlim _one = new(1, 1);

    public BackupWorkflow(GatewayDatabase database, UnitOfWorkFactory units, SiteOptions site, TimeProvider time, ILogger<BackupWorkflow> logger)
    {
        _database = database;
        _units = units;
        _site = site;
        _time = time;
        _logger = logger;
    }

    /// <summary>The default folder: <c>DataFolder/backups</c>.</summary>
    public string DefaultFolder => Path.Combine(_site.DataFolder, "backups");

    /// <summary>Takes a backup to <paramref name="destination"/> (absolute, must not exist) or to a new file in <see cref="DefaultFolder"/>.</summary>
    public async Task<Outcome<BackupResult>> BackupAsync(Actor actor, string? destination, CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken);
        try
        {
            var now = _time.GetUtcNow();
            var path = destination ?? Path.Combine(DefaultFolder, $"gateway-{now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}.db");
            if (!Path.IsPathFullyQualified(path))
            {
                return Refusal.Conflict($"'{path}' is not an absolute path");
            }

            if (destination is null)
            {
                Gateway.Shared.OwnerOnlyFile.CreateFolder(DefaultFolder);
            }
            else if (!Directory.Exists(Path.GetDirectoryName(path)))
            {
                return Refusal.Conflict($"the folder of '{path}' does not exist");
            }

            if (File.Exists(path) || Path.GetFullPath(path) == Path.GetFullPath(_database.Path))
            {
                return Refusal.Conflict($"'{path}' already exists; a backup never overwrites a file");
            }

            CreateOwnerOnly(path);
            AuditHead head;
            string check;
            try
            {
                await using var source = _database.OpenConnection();
                await using (var destinationConnection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
                {
                    await destinationConnection.OpenAsync(cancellationToken);
                    // One step of all pages under one read lock: a snapshot of one committed state.
                    source.BackupDatabase(destinationConnection);
                    await using var journal = destinationConnection.CreateCommand();
                    // A backup is a single file to carry away: no WAL beside it.
                    journal.CommandText = "PRAGMA journal_mode = DELETE;";
                    await journal.ExecuteNonQueryAsync(cancellationToken);
                    head = await AuditLog.ReadHeadAsync(destinationConnection, null, cancellationToken);
                    await using var quick = destinationConnection.CreateCommand();
                    quick.CommandText = "PRAGMA quick_check;";
                    check = Convert.ToString(await quick.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) ?? "unknown";
                }
            }
            catch
            {
                File.Delete(path);
                throw;
            }

            var result = new BackupResult(path, new FileInfo(path).Length, UnitOfWork.Timestamp(now), head, check);
            await using (var unit = await _units.BeginAsync(actor, cancellationToken))
            {
                unit.Audit("backup.create", "backup:" + Path.GetFileName(path), new { path, bytes = result.Bytes, auditHead = head, integrity = check });
                await unit.CommitAsync(cancellationToken);
            }

            _logger.LogInformation("Backup written to {BackupPath} ({Bytes} bytes, audit head {AuditHeadId}, quick_check {Integrity})", path, result.Bytes, head.LastId, check);
            return result;
        }
        finally
        {
            _one.Release();
        }
    }

    private static void CreateOwnerOnly(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
    }
}
