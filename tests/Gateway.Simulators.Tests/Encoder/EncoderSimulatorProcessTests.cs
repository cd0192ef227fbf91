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
    public async Task Encoder_TimedByDefault_OffWhenAsked_SaysWhichOnStart()
    {
        await using (var timed = ChildProcess.StartDotnet(RepoPaths.Simulator, ["encoder", "--pty", _folder.Combine("tty1"), "--baud", "57600", "--control", "http://127.0.0.1:0"]))
        {
            var line = await timed.WaitForLineAsync(@"^encoder PN532 .*; (timing .*)$", TimeSpan.FromSeconds(60));
            Assert.StartsWith("timing on: 57600 baud, card select 2.5 ms, auth 2 ms, read 2.5 ms, write 5.5 ms", line.Groups[1].Value, StringComparison.Ordinal);
        }

        await using var untimed = ChildProcess.StartDotnet(RepoPaths.Simulator, ["encoder", "--pty", _folder.Combine("tty2"), "--timing", "off"]);
        Assert.Equal("timing off", (await untimed.WaitForLineAsync(@"^encoder PN532 .*; (timing .*)$", TimeSpan.FromSeconds(60))).Groups[1].Value);
    }

    [LinuxFact]
    public async Task Encoder_ControlOnNonLoopbackAddress_Refused()
    {
        var (code, _, error) = await ChildProcess.RunDotnetAsync(RepoPaths.Simulator, ["encoder", "--pty", _folder.Combine("tty0"), "--control", "http://0.0.0.0:0"], TimeSpan.FromSeconds(60));
        Assert.Equal(2, code);
        Assert.Contains("loopback", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[] { }, "exactly one of --pty LINKPATH (a PN532) and --vpcd HOST:PORT")]
    [InlineData(new[] { "--pty", "/tmp/x", "--vpcd", "127.0.0.1:35963" }, "exactly one of --pty LINKPATH (a PN532) and --vpcd HOST:PORT")]
    [InlineData(new[] { "--vpcd", "35963" }, "--vpcd must be HOST:PORT (e.g. 127.0.0.1:35963), not '35963'")]
    [InlineData(new[] { "--vpcd", "127.0.0.1:99999" }, "--vpcd must be HOST:PORT")]
    [InlineData(new[] { "--vpcd", "127.0.0.1:35963", "--card", "2k" }, "--card must be 1k, 4k or none, not '2k'")]
    [InlineData(new[] { "--vpcd", "127.0.0.1:35963", "--timing", "fast" }, "--timing must be on or off, not 'fast'")]
    [InlineData(new[] { "--vpcd", "127.0.0.1:35963", "--baud", "0" }, "--baud must be 300-1382400")]
    [InlineData(new[] { "--vpcd", "127.0.0.1:35963", "--reader-apdu-us", "-1" }, "--reader-apdu-us 0-1000000")]
    public async Task Encoder_BadFrontEndArguments_ExitTwoWithOneLine(string[] args, string expected)
    {
        var (code, _, error) = await ChildProcess.RunDotnetAsync(RepoPaths.Simulator, ["encoder", .. args], TimeSpan.FromSeconds(60));
        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void TryParseHostPort_AcceptsHostsAndBracketedIpv6()
    {
        Assert.True(Gateway.Simulators.Encoder.EncoderCommand.TryParseHostPort("127.0.0.1:35963", out var host, out var port));
        Assert.Equal(("127.0.0.1", 35963), (host, port));
        Assert.True(Gateway.Simulators.Encoder.EncoderCommand.TryParseHostPort("[::1]:35964", out host, out port));
        Assert.Equal(("::1", 35964), (host, port));
        Assert.False(Gateway.Simulators.Encoder.EncoderCommand.TryParseHostPort(":35963", out _, out _));
        Assert.False(Gateway.Simulators.Encoder.EncoderCommand.TryParseHostPort("host:0", out _, out _));
        Assert.False(Gateway.Simulators.Encoder.EncoderCommand.TryParseHostPort("host:+1", out _, out _));
    }

    public void Dispose() => _folder.Dispose();
}
