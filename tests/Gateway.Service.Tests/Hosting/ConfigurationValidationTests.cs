namespace Gateway.Service.Tests.Hosting;

/// <summary>The built service, started as a process with one bad key each: exit code 1 and one line naming the key.</summary>
public sealed class ConfigurationValidationTests : IDisposable
{
    private readonly TempFolder _folder = new("gateway-config");

    public static TheoryData<string[], string> BadKeys() => new()
    {
        { ["--Gateway:SiteId=bad site!"], "Gateway:SiteId: 'bad site!'" },
        { ["--Gateway:SiteTimeZone=Mars/Olympus"], "Gateway:SiteTimeZone: 'Mars/Olympus' is not a time zone" },
        { ["--Gateway:Http:Address=localhost-ish"], "Gateway:Http:Address: 'localhost-ish' is not an IP address" },
        { ["--Gateway:Http:Port=70000"], "Gateway:Http:Port: '70000' is not a whole number" },
        { ["--Gateway:Http:Port=abc"], "Gateway:Http:Port: 'abc'" },
        { ["--Gateway:Devices:0:Id=gate-1", "--Gateway:Devices:0:Kind=turnstile", "--Gateway:Devices:0:Endpoint=tcp://127.0.0.1:502"], "Gateway:Devices:0:Kind: 'turnstile' is not barrier, uhppote or encoder" },
        { ["--Gateway:Devices:0:Id=gate-1", "--Gateway:Devices:0:Kind=barrier", "--Gateway:Devices:0:Endpoint=udp://1.2.3.4:502", "--Gateway:Devices:0:Zone=car-park"], "Gateway:Devices:0:Endpoint: 'udp://1.2.3.4:502' has an unknown scheme" },
        { ["--Gateway:Devices:0:Id=gate-1", "--Gateway:Devices:0:Kind=barrier", "--Gateway:Devices:0:Endpoint=tcp://127.0.0.1:502", "--Gateway:Devices:0:Unit=300", "--Gateway:Devices:0:Zone=car-park"], "Gateway:Devices:0:Unit: '300' is not a Modbus unit id" },
        { ["--Gateway:Devices:0:Id=gate-1", "--Gateway:Devices:0:Kind=barrier", "--Gateway:Devices:0:Endpoint=tcp://127.0.0.1:502"], "Gateway:Devices:0:Zone: a barrier or door controller needs the zone" },
        { ["--Gateway:Devices:0:Id=gate-1", "--Gateway:Devices:0:Kind=barrier", "--Gateway:Devices:0:Endpoint=tcp://127.0.0.1:502", "--Gateway:Devices:0:Zone=car-park", "--Gateway:Devices:1:Id=GATE-1", "--Gateway:Devices:1:Kind=encoder", "--Gateway:Devices:1:Endpoint=/dev/ttyUSB0"], "Gateway:Devices:1:Id: 'GATE-1' is used by another device" },
        { ["--Gateway:Devices:0:Id=door-1", "--Gateway:Devices:0:Kind=uhppote", "--Gateway:Devices:0:Endpoint=udp://192.168.1.100", "--Gateway:Devices:0:Controller=0", "--Gateway:Devices:0:Doors:1:Zone=common"], "Gateway:Devices:0:Controller: '0' is not a board's serial number" },
        { ["--Gateway:Devices:0:Id=door-1", "--Gateway:Devices:0:Kind=uhppote", "--Gateway:Devices:0:Endpoint=udp://192.168.1.100", "--Gateway:Devices:0:Controller=405419896", "--Gateway:Devices:0:Doors:1:Zone=common", "--Gateway:Devices:0:Doors:2:Zone=car-park"], "Gateway:Devices:0:Doors: doors 2 serve the car park and doors 1 access zones" },
        { ["--Gateway:Devices:0:Id=door-1", "--Gateway:Devices:0:Kind=uhppote", "--Gateway:Devices:0:Endpoint=udp://192.168.1.100", "--Gateway:Devices:0:Controller=405419896", "--Gateway:Devices:0:Doors:1:Zone=common", "--Gateway:Devices:1:Id=door-2", "--Gateway:Devices:1:Kind=uhppote", "--Gateway:Devices:1:Endpoint=udp://192.168.1.101", "--Gateway:Devices:1:Controller=405419896", "--Gateway:Devices:1:Doors:1:Zone=common"], "Gateway:Devices:1:Controller: serial number 405419896 is used by another device" },
        { ["--Gateway:Devices:0:Id=door-1", "--Gateway:Devices:0:Kind=uhppote", "--Gateway:Devices:0:Endpoint=udp://192.168.1.100", "--Gateway:Devices:0:Controller=405419896", "--Gateway:Devices:0:Doors:1:Zone=common", "--Gateway:Devices:0:Doors:1:ReaderFormat=w40"], "Gateway:Devices:0:Doors:1:ReaderFormat: 'w40' is not a reader format" },
        { ["--Gateway:Devices:0:Id=door-1", "--Gateway:Devices:0:Kind=uhppote", "--Gateway:Devices:0:Endpoint=udp://192.168.1.100", "--Gateway:Devices:0:Controller=405419896", "--Gateway:Devices:0:Doors:1:Zone=common", "--Gateway:Devices:0:Doors:1:OpenSeconds=0"], "Gateway:Devices:0:Doors:1:OpenSeconds: '0' is not a door open time from 1 to 255 seconds" },
        { ["--Gateway:Devices:0:Id=door-1", "--Gateway:Devices:0:Kind=uhppote", "--Gateway:Devices:0:Endpoint=udp://192.168.1.100", "--Gateway:Devices:0:Controller=405419896", "--Gateway:Devices:0:Doors:1:Zone=common", "--Gateway:Devices:0:AntiPassback=on"], "Gateway:Devices:0:AntiPassback: 'on' is not a board's anti-passback mode (off, 1:2;3:4, 1,3:2,4, 1:2,3 or 1:2,3,4)" },
        { ["--Gateway:Devices:0:Id=gate-1", "--Gateway:Devices:0:Kind=barrier", "--Gateway:Devices:0:Endpoint=tcp://127.0.0.1:502", "--Gateway:Devices:0:Zone=car-park", "--Gateway:Devices:0:AntiPassback=sometimes"], "Gateway:Devices:0:AntiPassback: 'sometimes' is not on or off" },
        { ["--Gateway:Devices:0:Id=door-1", "--Gateway:Devices:0:Kind=uhppote", "--Gateway:Devices:0:Endpoint=udp://192.168.1.100", "--Gateway:Devices:0:Controller=405419896", "--Gateway:Devices:0:Doors:1:Zone=common", "--Gateway:Devices:0:Listener=udp://gateway.local:60001"], "Gateway:Devices:0:Listener: 'udp://gateway.local:60001' must name this computer's IPv4 address as the board reaches it" },
        { ["--Gateway:Devices:0:Id=gate-1", "--Gateway:Devices:0:Kind=barrier", "--Gateway:Devices:0:Endpoint=tcp://127.0.0.1:502", "--Gateway:Devices:0:Zone=building-3", "--Gateway:Devices:0:OpenSeconds=5s"], "Gateway:Devices:0:OpenSeconds: '5s' is not an open time from 0 to 3600 seconds (0: open until lowered)" },
        { ["--Gateway:Devices:0:Id=desk", "--Gateway:Devices:0:Kind=encoder"], "Gateway:Devices:0:Endpoint: an encoder needs its serial port path" },
        { ["--Gateway:Devices:0:Id=desk", "--Gateway:Devices:0:Kind=encoder", "--Gateway:Devices:0:Endpoint=pcsc:/ACS ACR122U"], "Gateway:Devices:0:Endpoint: 'pcsc:/ACS ACR122U' is not a PC/SC endpoint: write pcsc://READER-NAME" },
        { ["--Gateway:CardKeys:Version=0"], "Gateway:CardKeys:Version: '0' is not a key version from 1 to 255" },
        { ["--Gateway:CardFees:DepositFen=100.00"], "Gateway:CardFees:DepositFen: '100.00' is not a whole number of fen from 0 to 1000000" },
        { ["--Gateway:CardFees:ReplacementFen=-500"], "Gateway:CardFees:ReplacementFen: '-500' is not a whole number of fen" },
        { ["--Gateway:BootstrapToken=short-secret-123"], "Gateway:BootstrapToken: must be 32-512 printable ASCII characters" },
        { ["--Gateway:BootstrapToken=has a space in it 0123456789abcdef0123456789"], "Gateway:BootstrapToken: must be 32-512 printable ASCII characters" },
        { ["--Gateway:Logs:FileSizeLimitMB=0"], "Gateway:Logs:FileSizeLimitMB: '0' is not a whole number of megabytes from 1 to 1024" },
        { ["--Gateway:Logs:FileSizeLimitMB=64", "--Gateway:Logs:TotalSizeLimitMB=100"], "Gateway:Logs:TotalSizeLimitMB: 100 must be at least three times Logs:FileSizeLimitMB (64)" },
        { ["--Gateway:Logs:RetainedDays=forever"], "Gateway:Logs:RetainedDays: 'forever' is not a whole number of days" },
        // The query string (a receiver's key) is never echoed.
        { ["--Gateway:Notifications:Transport=webhook", "--Gateway:Notifications:Webhook:Url=ftp://hooks.example.test/x?key=s3cret"], "Gateway:Notifications:Webhook:Url: 'ftp://hooks.example.test/x?[hidden]' is not an http:// or https:// URL" },
        { ["--Gateway:AuditHeadFile=/var/log/gateway/"], "Gateway:AuditHeadFile: not a valid file path" },
    };

    [Fact]
    public async Task Start_WithWeakBootstrapToken_NeverEchoesTheValue()
    {
        const string secret = "short-secret-123";
        var (code, stdout, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Service, [$"--Gateway:DataFolder={_folder.Path}", "--Gateway:Http:Port=0", $"--Gateway:BootstrapToken={secret}"], TimeSpan.FromSeconds(60));
        Assert.Equal(1, code);
        Assert.DoesNotContain(secret, stdout + stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task Start_WithInvalidKey_ExitsWith1_AndOneLineNamingTheKey(string[] badArgs, string expected)
    {
        string[] args = [$"--Gateway:DataFolder={_folder.Path}", "--Gateway:Http:Port=0", .. badArgs];
        var (code, _, stderr) = await ChildProcess.RunDotnetAsync(RepoPaths.Service, args, TimeSpan.FromSeconds(60));

        Assert.Equal(1, code);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.StartsWith("gateway: configuration error: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);

        // Nothing was created for a configuration that was refused.
        Assert.False(File.Exists(Path.Combine(_folder.Path, "gateway.db")));
    }

    public void Dispose() => _folder.Dispose();
}
