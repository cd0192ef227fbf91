using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.Simulators.Tests.Encoder;

public sealed class EncoderSimulatorProcessTests : IDisposable
{
    private readonly TempFolder _folder = new("gateway-sim-encoder");

    [LinuxFact]
    public async Task Encoder_ControlApi_PlacesReadsTearsAndStalls()
    {
        var link = _folder.Combine("ttyPN532");
        await using var sim = ChildProcess.StartDotnet(RepoPaths.Simulator, ["encoder", "--pty", link, "--uid", "01020304", "--control", "http://127.0.0.1:0"]);
        var url = (await sim.WaitForLineAsync(@"^control (http://\S+)", TimeSpan.FromSeconds(60))).Groups[1].Value;
        await sim.WaitForLineAsync("^ready", TimeSpan.FromSeconds(60));
        Assert.True(File.Exists(link));

        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        var cards = await http.GetFromJsonAsync<JsonElement>("cards");
        Assert.Equal("01020304", cards[0].GetProperty("uid").GetString());
        Assert.True(cards[0].GetProperty("inField").GetBoolean());

        var created = await http.PostAsJsonAsync("cards", new { type = "4k", uid = "04AABBCCDDEEFF" });
        created.EnsureSuccessStatusCode();
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await http.PostAsync("swap/04AABBCCDDEEFF", null)).StatusCode);
        cards = await http.GetFromJsonAsync<JsonElement>("cards");
        Assert.Equal(1, cards.EnumerateArray().Count(c => c.GetProperty("inField").GetBoolean()));

        var memory = await http.GetFromJsonAsync<JsonElement>("cards/04AABBCCDDEEFF/memory");
        Assert.Equal(256, memory.GetProperty("blocks").GetArrayLength());
        Assert.Equal("FFFFFFFFFFFFFF078069FFFFFFFFFFFF", memory.GetProperty("blocks")[7].GetString());

        (await http.PutAsJsonAsync("cards/04AABBCCDDEEFF/blocks/4", new { data = "00112233445566778899AABBCCDDEEFF" })).EnsureSuccessStatusCode();
        memory = await http.GetFromJsonAsync<JsonElement>("cards/04AABBCCDDEEFF/memory");
        Assert.Equal("00112233445566778899AABBCCDDEEFF", memory.GetProperty("blocks")[4].GetString());

        (await http.PostAsJsonAsync("tear", new { afterCommands = 3 })).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync("faults", new { replyDelayMilliseconds = 10, stalled = false })).EnsureSuccessStatusCode();
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("cards", new { type = "8k" })).StatusCode);
        var stats = await http.GetFromJsonAsync<JsonElement>("stats");
        Assert.Equal(0, stats.GetProperty("commands").GetInt64());
    }

    [LinuxFact]
    public async Task Encoder_ControlOnNonLoopbackAddress_Refused()
    {
        var (code, _, error) = await ChildProcess.RunDotnetAsync(RepoPaths.Simulator, ["encoder", "--pty", _folder.Combine("tty0"), "--control", "http://0.0.0.0:0"], TimeSpan.FromSeconds(60));
        Assert.Equal(2, code);
        Assert.Contains("loopback", error, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();
}
