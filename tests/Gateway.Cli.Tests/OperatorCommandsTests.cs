using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Gateway.Cli.Tests;

/// <summary>
/// gatewayctl against a live service as real processes: the first admin logs in with the one-time
/// password from the data folder, changes it, creates an operator, exports the audit head and verifies
/// the chain — then the database file is edited underneath and verify names the row.
/// </summary>
public sealed class OperatorCommandsTests : IDisposable
{
    private const string Bootstrap = "cli-operators-bootstrap-token-0123456789abcdef";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly TempFolder _folder = new("gatewayctl-operators");

    [LinuxFact]
    public async Task FirstAdmin_LoginPasswdCreateOperator_AuditHeadAndVerify_DetectsEditedRow()
    {
        var data = _folder.Combine("data");
        await using var service = ChildProcess.StartDotnet(RepoPaths.Service, [$"--Gateway:DataFolder={data}", "--Gateway:Http:Port=0", "--Gateway:Operators:PasswordIterations=1000", $"--Gateway:BootstrapToken={Bootstrap}"]);
        var url = (await service.WaitForLineAsync(@"HTTP (http://[0-9.]+:\d+)", Bound)).Groups[1].Value;
        var oneTime = (await File.ReadAllTextAsync(Path.Combine(data, "initial-admin-password.txt"))).Trim();
        var credentials = _folder.Combine("credentials.json");

        // The password piped on stdin, as a script does: read as one line, no prompt, never shown.
        var login = await RunAsync(["login", "--server", url, "--user", "admin"], credentials, stdin: oneTime + "\n");
        Assert.True(login.Code == 0, login.Err);
        Assert.Contains("password change required", login.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("password:", login.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(oneTime, login.Out + login.Err, StringComparison.Ordinal);

        var refused = await RunAsync(["operators", "list"], credentials);
        Assert.Equal(3, refused.Code);
        Assert.Contains("password-change-required", refused.Err, StringComparison.Ordinal);

        var passwd = await RunAsync(["passwd"], credentials, ("GATEWAY_PASSWORD", oneTime), ("GATEWAY_NEW_PASSWORD", "chosen-password-number-1"));
        Assert.True(passwd.Code == 0, passwd.Err);
        Assert.False(File.Exists(Path.Combine(data, "initial-admin-password.txt")));

        var create = await RunAsync(["operators", "create", "clerk", "--name", "Front Clerk", "--role", "front-desk", "--role", "finance", "--json"], credentials, ("GATEWAY_NEW_PASSWORD", "front-one-time-pass"));
        Assert.True(create.Code == 0, create.Err);
        using (var created = JsonDocument.Parse(create.Out))
        {
            Assert.Equal(["finance", "front-desk"], created.RootElement.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        }

        var list = await RunAsync(["audit", "--action", "operator.create"], credentials);
        Assert.True(list.Code == 0, list.Err);
        Assert.Contains("operator:clerk", list.Out, StringComparison.Ordinal);

        var head = await RunAsync(["audit", "head"], credentials);
        Assert.True(head.Code == 0, head.Err);
        var headFile = _folder.Combine("head.json");
        await File.WriteAllTextAsync(headFile, head.Out);
        var verify = await RunAsync(["audit", "verify", "--head", headFile], credentials);
        Assert.True(verify.Code == 0, verify.Err);
        Assert.StartsWith("intact", verify.Out, StringComparison.Ordinal);

        var backup = await RunAsync(["backup", "--json"], credentials);
        Assert.True(backup.Code == 0, backup.Err);
        using (var taken = JsonDocument.Parse(backup.Out))
        {
            Assert.True(File.Exists(taken.RootElement.GetProperty("path").GetString()));
            Assert.Equal("ok", taken.RootElement.GetProperty("integrityCheck").GetString());
        }

        // The admin has a password of their own: the bootstrap token is retired, and gatewayctl says why.
        var retired = await RunAsync(["operators", "list"], credentials, ("GATEWAY_TOKEN", Bootstrap));
        Assert.Equal(3, retired.Code);
        Assert.Contains("bootstrap-token-retired", retired.Err, StringComparison.Ordinal);
        Assert.Contains("admin operator 'admin' set their own password", retired.Err, StringComparison.Ordinal);

        // The clerk (front desk and finance) signs in with the one-time password from stdin and sets their own.
        var clerkCredentials = _folder.Combine("clerk.json");
        var clerk = await RunAsync(["login", "--server", url, "--user", "clerk"], clerkCredentials, stdin: "front-one-time-pass\n");
        Assert.True(clerk.Code == 0, clerk.Err);
        var clerkPasswd = await RunAsync(["passwd"], clerkCredentials, ("GATEWAY_PASSWORD", "front-one-time-pass"), ("GATEWAY_NEW_PASSWORD", "front-own-password-1"));
        Assert.True(clerkPasswd.Code == 0, clerkPasswd.Err);

        // The month's inventory with no cards at all: every line zero, counted, signed off, immutable.
        var finance = ("GATEWAY_CREDENTIALS", clerkCredentials);
        var open = await RunAsync(["inventory", "open", "2026-01"], credentials, finance);
        Assert.True(open.Code == 0, open.Err);
        Assert.Contains("Smart-card inventory 2026-01", open.Out, StringComparison.Ordinal);
        foreach (var state in new[] { "in-stock", "issued", "lost", "revoked", "damaged", "written-off", "returned" })
        {
            string[] counts = state is "in-stock" or "returned" or "damaged" ? ["--register", "0", "--physical", "0"] : ["--register", "0"];
            var count = await RunAsync(["inventory", "count", "2026-01", state, .. counts], credentials, finance);
            Assert.True(count.Code == 0, count.Err);
        }

        var signOff = await RunAsync(["inventory", "sign-off", "2026-01"], credentials, finance);
        Assert.True(signOff.Code == 0, signOff.Err);
        Assert.Contains("signed-off", signOff.Out, StringComparison.Ordinal);
        var csv = await RunAsync(["inventory", "show", "2026-01", "--format", "csv"], credentials, finance);
        // The CSV's bytes as the service sent them, byte-order mark first (the service tests check the bytes; how a reader shows the mark varies).
        Assert.StartsWith("section,state,opening,system,register,physical", csv.Out.TrimStart('\uFEFF'), StringComparison.Ordinal);
        var late = await RunAsync(["inventory", "count", "2026-01", "issued", "--register", "1"], credentials, finance);
        Assert.Equal(5, late.Code);
        Assert.Contains("invalid-transition", late.Err, StringComparison.Ordinal);

        using (var connection = new SqliteConnection($"Data Source={Path.Combine(data, "gateway.db")};Pooling=False"))
        {
            connection.Open();
            using var tamper = connection.CreateCommand();
            tamper.CommandText = "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET operator_id = 'someone-else' WHERE subject = 'operator:clerk' AND action = 'operator.create'";
            Assert.Equal(1, tamper.ExecuteNonQuery());
        }

        var broken = await RunAsync(["audit", "verify"], credentials);
        Assert.Equal(6, broken.Code);
        var line = Assert.Single(broken.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("edited at row", line, StringComparison.Ordinal);

        Assert.DoesNotContain(oneTime, service.StandardOutput + service.StandardError, StringComparison.Ordinal);
        Assert.Contains("initial-admin-password.txt", service.StandardOutput + service.StandardError, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task AuditVerify_HeadFileBesideTheDataFolder_CatchesATruncatedLog_HeadOfRowZeroIsNoFalseAlarm()
    {
        var data = _folder.Combine("data");
        var credentials = _folder.Combine("credentials.json");
        var token = ("GATEWAY_TOKEN", Bootstrap);
        string[] serviceArgs = [$"--Gateway:DataFolder={data}", "--Gateway:Http:Port=0", "--Gateway:Operators:PasswordIterations=1000", $"--Gateway:BootstrapToken={Bootstrap}"];
        await using (var first = ChildProcess.StartDotnet(RepoPaths.Service, serviceArgs))
        {
            var firstUrl = (await first.WaitForLineAsync(@"HTTP (http://[0-9.]+:\d+)", Bound)).Groups[1].Value;
            for (var i = 1; i <= 3; i++)
            {
                var created = await RunAsync(["operators", "create", $"clerk-{i}", "--name", $"Clerk {i}", "--role", "front-desk", "--server", firstUrl], credentials, token, ("GATEWAY_NEW_PASSWORD", "front-one-time-pass"));
                Assert.True(created.Code == 0, created.Err);
            }

            first.Signal(15);
            Assert.Equal(0, await first.WaitForExitAsync(Bound));
        }

        // The head is appended at every start (and daily): the file's latest line names row 4.
        await using var service = ChildProcess.StartDotnet(RepoPaths.Service, serviceArgs);
        var url = (await service.WaitForLineAsync(@"HTTP (http://[0-9.]+:\d+)", Bound)).Groups[1].Value;
        var heads = data + ".audit-heads.log";
        await service.WaitForLineAsync(@"Audit chain head \(daily\): row 4,", Bound);
        Assert.Equal(2, (await File.ReadAllLinesAsync(heads)).Length);

        var intact = await RunAsync(["audit", "verify", "--head", heads, "--server", url], credentials, token);
        Assert.True(intact.Code == 0, intact.Err);
        Assert.StartsWith("intact", intact.Out, StringComparison.Ordinal);

        var genesis = _folder.Combine("empty-log-head.json");
        await File.WriteAllTextAsync(genesis, $$"""{"lastId":0,"mac":"{{new string('0', 64)}}"}""" + "\n");
        var fromRowZero = await RunAsync(["audit", "verify", "--head", genesis, "--server", url], credentials, token);
        Assert.True(fromRowZero.Code == 0, fromRowZero.Out + fromRowZero.Err);

        using (var connection = new SqliteConnection($"Data Source={Path.Combine(data, "gateway.db")};Pooling=False"))
        {
            connection.Open();
            using var truncate = connection.CreateCommand();
            truncate.CommandText = "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id >= 3";
            Assert.Equal(2, truncate.ExecuteNonQuery());
        }

        var alone = await RunAsync(["audit", "verify", "--server", url], credentials, token);
        Assert.Equal(0, alone.Code);
        var truncated = await RunAsync(["audit", "verify", "--head", heads, "--server", url], credentials, token);
        Assert.Equal(6, truncated.Code);
        Assert.Contains("truncated at row 3", truncated.Err, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();

    private static Task<(int Code, string Out, string Err)> RunAsync(string[] args, string credentials, params (string Key, string Value)[] extra) =>
        RunAsync(args, credentials, null, extra);

    private static async Task<(int Code, string Out, string Err)> RunAsync(string[] args, string credentials, string? stdin, params (string Key, string Value)[] extra)
    {
        var environment = new Dictionary<string, string?>
        {
            ["GATEWAY_TOKEN"] = null,
            ["GATEWAY_CREDENTIALS"] = credentials,
            ["GATEWAY_SERVER"] = null,
            ["GATEWAY_PASSWORD"] = null,
            ["GATEWAY_NEW_PASSWORD"] = null,
        };
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        await using var child = ChildProcess.StartDotnet(RepoPaths.Cli, args, environment: environment);
        await child.WriteInputAndCloseAsync(stdin ?? string.Empty);
        var code = await child.WaitForExitAsync(Bound);
        return (code, child.StandardOutput, child.StandardError);
    }
}
