using System.Net;
using Gateway.Service.Api;
using Gateway.Service.Audit;
using Gateway.Service.Storage;
using Gateway.Service.Tests.Api;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Tests.Operators;

/// <summary>
/// Online backups while writers keep committing, restored into a fresh data folder and started:
/// the copy is one consistent committed state (every change has its audit row) and its chain verifies.
/// </summary>
public sealed class BackupTests
{
    [Fact]
    public async Task Backup_UnderWriteLoad_RestoresToAConsistentVerifyingDatabase()
    {
        using var restoreFolder = new TempFolder("gateway-restore");
        string backupPath;
        string keyFile;
        long rowsAtBackup;
        await using (var host = await ApiTestHost.StartAsync())
        {
            var units = host.Services.GetRequiredService<UnitOfWorkFactory>();
            using var stop = new CancellationTokenSource();
            var written = 0;
            var writer = Task.Run(async () =>
            {
                // Each change writes a row and its audit entry in one transaction, as every feature does.
                while (!stop.IsCancellationRequested)
                {
                    await using var unit = await units.BeginAsync(new Actor("loader", "Loader"), CancellationToken.None);
                    var n = Interlocked.Increment(ref written);
                    await using var insert = unit.Command("INSERT INTO site_settings(key, value) VALUES ($k, 'x')");
                    insert.Parameters.AddWithValue("$k", $"load-{n}");
                    await insert.ExecuteNonQueryAsync();
                    unit.Audit("test.load", $"setting:load-{n}", new { before = (string?)null, after = "x" });
                    await unit.CommitAsync(CancellationToken.None);
                }
            });

            while (Volatile.Read(ref written) < 50)
            {
                await Task.Delay(10);
            }

            using var response = await host.Client.PostAsync(new Uri("api/backups", UriKind.Relative), ApiTestHost.Json(new { }));
            var body = await ApiTestHost.ReadJsonAsync(response);
            Assert.True(response.StatusCode == HttpStatusCode.OK, body.GetRawText());
            var afterBackup = Volatile.Read(ref written);
            while (Volatile.Read(ref written) < afterBackup + 20)
            {
                await Task.Delay(10);
            }

            await stop.CancelAsync();
            await writer;

            backupPath = body.GetProperty("path").GetString()!;
            Assert.StartsWith(Path.Combine(host.DataFolder, "backups"), backupPath, StringComparison.Ordinal);
            Assert.Equal("ok", body.GetProperty("integrityCheck").GetString());
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backupPath));
            }

            rowsAtBackup = body.GetProperty("auditHead").GetProperty("lastId").GetInt64();
            Assert.True(host.Count("audit_log") > rowsAtBackup, "writers went on after the backup");
            keyFile = host.Services.GetRequiredService<AuditKey>().Path;

            // Restore as docs/backup.md says: the backup becomes gateway.db, the audit key goes beside it.
            File.Copy(backupPath, restoreFolder.Combine("gateway.db"));
            File.Copy(keyFile, restoreFolder.Combine("audit.key"));
            using var again = await host.Client.PostAsync(new Uri("api/backups", UriKind.Relative), ApiTestHost.Json(new { path = backupPath }));
            await ApiTestHost.AssertProblemAsync(again, 409, ProblemTypes.Conflict);
        }

        await using var restored = await ApiTestHost.StartAsync(configuration: new Dictionary<string, string?>
        {
            ["Gateway:DataFolder"] = restoreFolder.Path,
        });
        var verify = await AuditLogTests.VerifyAsync(restored);
        Assert.True(verify.GetProperty("intact").GetBoolean(), verify.GetRawText());
        Assert.Equal(rowsAtBackup, verify.GetProperty("rowsChecked").GetInt64());

        // Consistent: every load row in the copy has its audit row and no audit row lacks its change.
        using var connection = restored.Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT (SELECT COUNT(*) FROM site_settings WHERE key LIKE 'load-%'),
                   (SELECT COUNT(*) FROM audit_log WHERE action = 'test.load'),
                   (SELECT COUNT(*) FROM site_settings s WHERE key LIKE 'load-%' AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.subject = 'setting:' || s.key))
            """;
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.True(reader.GetInt64(0) >= 50);
        Assert.Equal(reader.GetInt64(0), reader.GetInt64(1));
        Assert.Equal(0, reader.GetInt64(2));
        SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task Backup_RelativeOrMissingFolder_RefusedBeforeWriting()
    {
        await using var host = await ApiTestHost.StartAsync();
        using var relative = await host.Client.PostAsync(new Uri("api/backups", UriKind.Relative), ApiTestHost.Json(new { path = "relative.db" }));
        await ApiTestHost.AssertProblemAsync(relative, 400, ProblemTypes.ValidationFailed);
        using var missing = await host.Client.PostAsync(new Uri("api/backups", UriKind.Relative), ApiTestHost.Json(new { path = Path.Combine(host.DataFolder, "no-such-folder", "x.db") }));
        await ApiTestHost.AssertProblemAsync(missing, 409, ProblemTypes.Conflict);
        Assert.False(Directory.Exists(Path.Combine(host.DataFolder, "no-such-folder")));
    }
}
