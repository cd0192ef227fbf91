using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Gateway.EndToEnd.Tests;

/// <summary>A controller's state as <c>gateway-sim barrier</c>'s control API reports it.</summary>
public sealed record SimulatedUnitState(int Unit, uint BootId, uint Clock, int WhitelistCount, string Digest, uint LastSequence);

/// <summary>A decision as the control API returns it, with the controller's clock at that moment (UTC seconds).</summary>
public sealed record SimulatedDecision(uint Sequence, string Decision, string Reason, string Direction, long Time);

/// <summary>
/// What scenario tests need around a running <see cref="DemoSite"/>: the sync engine's progress (has
/// every controller applied the newest outbox marker?) and the simulators' control APIs (state, clock,
/// reboot, a card presented), spoken over HTTP exactly as an operator's tools would.
/// </summary>
public static class DemoControl
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The demo's SQLite file.</summary>
    public static string DatabasePath(this DemoSite site) => Path.Combine(site.Folder, "data", "demo", "gateway.db");

    /// <summary>The newest outbox marker's sequence, read from the demo's database (read-only).</summary>
    public static async Task<long> LatestOutboxSequenceAsync(this DemoSite site)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = site.DatabasePath(), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(sequence), 0) FROM card_outbox";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>The barrier controllers as <c>GET /api/devices</c> lists them.</summary>
    public static async Task<IReadOnlyList<JsonElement>> BarriersAsync(this DemoSite site)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(site.Url + "/api/devices"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", site.Token);
        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. document.RootElement.GetProperty("items").EnumerateArray().Where(d => d.GetProperty("kind").GetString() is "barrier" or "uhppote").Select(d => d.Clone())];
    }

    /// <summary>
    /// Waits until every barrier controller is connected and has applied every outbox marker written so
    /// far: what the changes made until now asked of the controllers is on them.
    /// </summary>
    public static async Task SyncedAsync(this DemoSite site)
    {
        var latest = await site.LatestOutboxSequenceAsync();
        IReadOnlyList<JsonElement> last = [];
        await DemoSite.UntilAsync(
            async () =>
            {
                last = await site.BarriersAsync();
                return last.Count > 0 && last.All(b => b.GetProperty("state").GetString() == "connected" && b.GetProperty("appliedSequence").GetInt64() >= latest);
            },
            $"the controllers did not apply outbox sequence {latest}: {string.Join("; ", last.Select(b => b.GetRawText()))}");
    }

    /// <summary>One controller's state behind <paramref name="control"/>.</summary>
    public static Task<SimulatedUnitState> UnitAsync(string control, int unit) =>
        ReadAsync<SimulatedUnitState>(Http.GetAsync(Unit(control, unit, string.Empty)));

    /// <summary>Sets a controller's clock (<c>PUT /units/{unit}/clock</c>).</summary>
    public static Task<SimulatedUnitState> SetClockAsync(string control, int unit, DateTimeOffset time) =>
        ReadAsync<SimulatedUnitState>(Http.PutAsJsonAsync(Unit(control, unit, "/clock"), new { seconds = (uint)time.ToUnixTimeSeconds() }, Json));

    /// <summary>Restarts a controller (<c>POST /units/{unit}/reboot</c>): new boot id, clock at 0, a volatile whitelist lost.</summary>
    public static Task<SimulatedUnitState> RebootAsync(string control, int unit) =>
        ReadAsync<SimulatedUnitState>(Http.PostAsync(Unit(control, unit, "/reboot"), null));

    /// <summary>A card at a lane (<c>POST /units/{unit}/present</c>), with the controller's clock at the decision.</summary>
    public static Task<SimulatedDecision> PresentAsync(string control, int unit, int lane, string uid) =>
        ReadAsync<SimulatedDecision>(Http.PostAsJsonAsync(Unit(control, unit, "/present"), new { lane, uid }, Json));

    /// <summary>
    /// Moves the controller's clock to <paramref name="at"/> and presents the card there. The sync engine
    /// sets a clock it finds off, so should it do so in between (the decision's time is not
    /// <paramref name="at"/>), the clock is moved and the card presented again.
    /// </summary>
    public static async Task<SimulatedDecision> PresentAtAsync(string control, int unit, int lane, string uid, DateTimeOffset at)
    {
        for (var attempt = 1; ; attempt++)
        {
            await SetClockAsync(control, unit, at);
            var decision = await PresentAsync(control, unit, lane, uid);
            if (Math.Abs(decision.Time - at.ToUnixTimeSeconds()) <= 2 || attempt == 5)
            {
                Assert.True(Math.Abs(decision.Time - at.ToUnixTimeSeconds()) <= 2, $"the controller's clock was reset before the card was presented, {attempt} times");
                return decision;
            }
        }
    }

    /// <summary>
    /// Runs a gatewayctl command; when it fails with gatewayctl's resume hint ("to resume, run the same
    /// command with --idempotency-key KEY": the encoder did not answer in time on a loaded machine, say),
    /// does what the hint says, at most twice. Any other failure fails the test. Returns standard output.
    /// </summary>
    public static async Task<string> RunResumingAsync(string dll, IReadOnlyList<string> args, IDictionary<string, string?> environment, string what, string? workingDirectory = null)
    {
        var attempt = args;
        for (var resumes = 0; ; resumes++)
        {
            var (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(dll, attempt, DemoSite.Bound, workingDirectory, environment);
            if (code == 0)
            {
                return stdout;
            }

            var hint = System.Text.RegularExpressions.Regex.Match(stderr, @"to resume, run the same command with --idempotency-key (\S+)");
            Assert.True(hint.Success && resumes < 2, $"{what} exited {code}: {stderr}\n{stdout}");
            attempt = [.. args, "--idempotency-key", hint.Groups[1].Value];
        }
    }

    /// <summary>Takes every card off the encoder simulator behind <paramref name="encoderControl"/> and places a new blank 1K card there; returns its UID.</summary>
    public static async Task<string> PlaceBlankCardAsync(string encoderControl)
    {
        var root = encoderControl.TrimEnd('/');
        using (var cleared = await Http.PostAsync(new Uri(root + "/field/clear"), null))
        {
            Assert.True(cleared.IsSuccessStatusCode, $"POST {root}/field/clear: {(int)cleared.StatusCode}");
        }

        var card = await ReadAsync<JsonElement>(Http.PostAsJsonAsync(new Uri(root + "/cards"), new { type = "1k" }, Json));
        return card.GetProperty("uid").GetString()!;
    }

    private static Uri Unit(string control, int unit, string tail) =>
        new($"{control.TrimEnd('/')}/units/{unit.ToString(CultureInfo.InvariantCulture)}{tail}");

    private static async Task<T> ReadAsync<T>(Task<HttpResponseMessage> sending)
    {
        using var response = await sending;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<T>(body, Json)!;
    }
}
