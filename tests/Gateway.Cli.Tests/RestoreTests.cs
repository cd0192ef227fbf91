using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.Cli.Tests;

/// <summary>
/// docs/backup.md end to end, with real processes: <c>gatewayctl backup</c> from a running service
/// while a client keeps writing, then the documented restore (stop, copy the backup to a fresh data
/// folder's gateway.db, bring the audit key, start) and the documented checks (<c>gatewayctl health</c>,
/// <c>gatewayctl audit verify --head</c>) against a service started on the restored folder.
/// </summary>
public sealed class RestoreTests : IDisposable
{
    private const string Bootstrap = "cli-restore-bootstrap-token-0123456789abcdef";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly TempFolder _folder = new("gatewayctl-restore");

    [LinuxFact]
    public async Task Backup_UnderWriteLoad_RestoredAsDocumented_ServiceStarts_AuditVerifies_DataBeforeBackupPresent()
    {
        var data = _folder.Combine("data");
        var backupPath = _folder.Combine("offsite", "gateway-copy.db");
        Directory.CreateDirectory(Path.GetDirectoryName(backupPath)!);
        var headBeforeFile = _folder.Combine("head-before.json");
        var headAfterFile = _folder.Combine("head-after.json");
        var acknowledged = new ConcurrentDictionary<long, string>();
        var requestedAfterBackup = new ConcurrentBag<long>();
        var backupAnswered = 0;
        IReadOnlyDictionary<long, string> beforeBackup;
        long backupHeadId;

        await using (var service = StartService(data))
        {
            var url = (await service.WaitForLineAsync(@"HTTP (http://[0-9.]+:\d+)", Bound)).Groups[1].Value;
            using var client = Client(url);
            for (var i = 0; i < 10; i++)
            {
                await CreateHolderAsync(client, $"Before {i}", acknowledged);
            }

            // Write load: two clients creating holders (each a row and its audit entry) until told to stop.
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
            {
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    var after = Volatile.Read(ref backupAnswered) == 1;
                    var id = await CreateHolderAsync(client, $"Load {w}-{n}", acknowledged);
                    if (after)
                    {
                        requestedAfterBackup.Add(id);
                    }
                }
            })).ToList();
            await WaitUntilAsync(() => acknowledged.Count >= 30);

            var head = await CtlAsync(url, ["audit", "head"]);
            Assert.True(head.Code == 0, head.Err);
            await File.WriteAllTextAsync(headBeforeFile, head.Out);

            beforeBackup = new Dictionary<long, string>(acknowledged);
            var backup = await CtlAsync(url, ["backup", "--out", backupPath, "--json"]);
            Assert.True(backup.Code == 0, backup.Err);
            using (var taken = JsonDocument.Parse(backup.Out))
            {
                Assert.Equal(backupPath, taken.RootElement.GetProperty("path").GetString());
                Assert.Equal("ok", taken.RootElement.GetProperty("integrityCheck").GetString());
                backupHeadId = taken.RootElement.GetProperty("auditHead").GetProperty("lastId").GetInt64();
            }

            // Writes requested after the backup answered cannot be in the copy.
            Volatile.Write(ref backupAnswered, 1);
            await WaitUntilAsync(() => requestedAfterBackup.Count >= 10);
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            var after = await CtlAsync(url, ["audit", "head"]);
            Assert.True(after.Code == 0, after.Err);
            await File.WriteAllTextAsync(headAfterFile, after.Out);

            // Restore step 1: stop the service.
            service.Signal(15);
            Assert.Equal(0, await service.WaitForExitAsync(Bound));
        }

        // Without step 4 the service refuses to start, naming the missing key (the docs' warning).
        var keyless = _folder.Combine("keyless");
        Directory.CreateDirectory(keyless);
        File.Copy(backupPath, Path.Combine(keyless, "gateway.db"));
        await using (var refused = StartService(keyless))
        {
            Assert.NotEqual(0, await refused.WaitForExitAsync(Bound));
            Assert.Contains("audit key file", refused.StandardOutput + refused.StandardError, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(keyless, "audit.key")));
        }

        // Steps 2-4 into a fresh data folder: the backup becomes gateway.db (owner-only), the audit key comes from its safe copy.
        var restored = _folder.Combine("restored");
        Directory.CreateDirectory(restored);
        var safeKey = _folder.Combine("safe", "audit.key");
        Directory.CreateDirectory(Path.GetDirectoryName(safeKey)!);
        File.Copy(Path.Combine(data, "audit.key"), safeKey);
        File.Copy(backupPath, Path.Combine(restored, "gateway.db"));
        File.Copy(safeKey, Path.Combine(restored, "audit.key"));
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(Path.Combine(restored, "gateway.db"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.SetUnixFileMode(Path.Combine(restored, "audit.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        // Step 5: start, then check as documented.
        await using (var service = StartService(restored))
        {
            var url = (await service.WaitForLineAsync(@"HTTP (http://[0-9.]+:\d+)", Bound)).Groups[1].Value;
            var health = await CtlAsync(url, ["health"]);
            Assert.True(health.Code == 0, health.Err);

            var verify = await CtlAsync(url, ["audit", "verify", "--head", headBeforeFile]);
            Assert.True(verify.Code == 0, verify.Out + verify.Err);
            Assert.StartsWith("intact", verify.Out, StringComparison.Ordinal);

            // A head exported after the backup: the restore lost the rows after it, reported as truncated (as the docs warn).
            var later = await CtlAsync(url, ["audit", "verify", "--head", headAfterFile]);
            Assert.Equal(6, later.Code);
            Assert.Contains("truncated", later.Out + later.Err, StringComparison.Ordinal);

            using var client = Client(url);
            foreach (var (id, name) in beforeBackup)
            {
                using var response = await client.GetAsync(new Uri($"api/holders/{id}", UriKind.Relative));
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"holder {id} ({name}) written before the backup is missing: {response.StatusCode}");
                using var holder = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                Assert.Equal(name, holder.RootElement.GetProperty("name").GetString());
            }

            foreach (var id in requestedAfterBackup)
            {
                using var response = await client.GetAsync(new Uri($"api/holders/{id}", UriKind.Relative));
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            }

            // The restored log ends where the copy's did: the service's own start wrote nothing to it.
            using var restoredHead = JsonDocument.Parse((await CtlAsync(url, ["audit", "head"])).Out);
            Assert.Equal(backupHeadId, restoredHead.RootElement.GetProperty("lastId").GetInt64());
        }
    }

    public void Dispose() => _folder.Dispose();

    private static ChildProcess StartService(string data) =>
        ChildProcess.StartDotnet(RepoPaths.Service, [$"--Gateway:DataFolder={data}", "--Gateway:Http:Port=0", "--Gateway:Operators:PasswordIterations=1000", $"--Gateway:BootstrapToken={Bootstrap}"]);

    private static HttpClient Client(string url)
    {
        var client = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = Bound };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Bootstrap);
        return client;
    }

    private static async Task<long> CreateHolderAsync(HttpClient client, string name, ConcurrentDictionary<long, string> acknowledged)
    {
        using var response = await client.PostAsJsonAsync(new Uri("api/holders", UriKind.Relative), new { name, building = "3", unit = "2", room = "1201" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        using var created = JsonDocument.Parse(body);
        var id = created.RootElement.GetProperty("id").GetInt64();
        acknowledged[id] = name;
        return id;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var bound = new CancellationTokenSource(Bound);
        while (!condition())
        {
            await Task.Delay(20, bound.Token);
        }
    }

    private async Task<(int Code, string Out, string Err)> CtlAsync(string url, string[] args)
    {
        var environment = new Dictionary<string, string?>
        {
            ["GATEWAY_TOKEN"] = Bootstrap,
            ["GATEWAY_SERVER"] = url,
            ["GATEWAY_CREDENTIALS"] = _folder.Combine("credentials.json"),
        };
        return await ChildProcess.RunDotnetAsync(RepoPaths.Cli, args, Bound, environment: environment);
    }
}
