using System.Net;
using Gateway.Service.Api;
using Gateway.Service.Hosting;
using Gateway.Service.Tests.Api;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Service.Tests.Hosting;

/// <summary>Logs cannot fill the disk: the rolling files keep to their limits, and a flood of bad tokens is logged at a bounded rate.</summary>
public sealed class LogLimitsTests : IDisposable
{
    private readonly TempFolder _folder = new("gateway-logs");

    [Fact]
    public void FileSink_FloodOfTwentyTimesTheTotal_EachFileAndTheFolderStayWithinTheirLimits()
    {
        var limits = new LogOptions(FileSizeLimitBytes: 64 * 1024, TotalSizeLimitBytes: 256 * 1024, RetainedDays: 90);
        var line = new string('x', 200);
        using (var logger = limits.WriteTo(new Serilog.LoggerConfiguration(), _folder.Path).CreateLogger())
        {
            // ~5 MB of log lines: twenty times what the folder may hold.
            for (var i = 0; i < 25_000; i++)
            {
                logger.Warning("Line {Number}: {Text}", i, line);
            }
        }

        var files = new DirectoryInfo(_folder.Path).GetFiles("gateway-*.log");
        Assert.True(files.Length > 1, "the sink never rolled to a new file");
        Assert.True(files.Length <= limits.RetainedFileCount, $"{files.Length} files kept, at most {limits.RetainedFileCount} allowed");
        // The sink checks the size before each write: a file may pass its limit by the one line that crossed it.
        var longestLine = File.ReadLines(files[0].FullName).Max(l => l.Length + 1);
        Assert.All(files, f => Assert.True(f.Length <= limits.FileSizeLimitBytes + longestLine, $"{f.Name} holds {f.Length} bytes, more than {limits.FileSizeLimitBytes} and a line"));
        Assert.True(files.Sum(f => f.Length) <= limits.TotalSizeLimitBytes, $"the folder holds {files.Sum(f => f.Length)} bytes, more than {limits.TotalSizeLimitBytes}");

        // The newest lines are the ones kept.
        var newest = files.OrderBy(f => f.Name, StringComparer.Ordinal).Last();
        Assert.Contains("Line 24999:", File.ReadAllText(newest.FullName), StringComparison.Ordinal);
    }

    [Fact]
    public void TryLoad_NoLogsSection_DefaultsDocumentedInReadme()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>()).Build();

        Assert.True(LogOptions.TryLoad(configuration.GetSection(GatewayOptions.Section), out var options, out var error), error);

        Assert.Equal(16L * 1024 * 1024, options.FileSizeLimitBytes);
        Assert.Equal(512L * 1024 * 1024, options.TotalSizeLimitBytes);
        Assert.Equal(31, options.RetainedFileCount);
        Assert.Equal(90, options.RetainedDays);
    }

    [Fact]
    public async Task BearerToken_FloodOfRejectedTokens_LoggedAtMostTenTimesAMinuteThenCounted()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var log = new CapturingLoggerProvider();
        await using var host = await ApiTestHost.StartAsync(services => services.AddSingleton<ILoggerProvider>(log), time: time);
        using var intruder = host.CreateClient("a-stale-token-that-was-never-issued-0123456789");

        for (var i = 0; i < 200; i++)
        {
            using var refused = await intruder.GetAsync(new Uri("api/holders", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        var rejected = log.Messages.Where(m => m.StartsWith("Rejected a bearer token", StringComparison.Ordinal)).ToList();
        Assert.Equal(RejectedTokenLog.PerMinute, rejected.Count);

        time.Advance(TimeSpan.FromMinutes(1));
        using (var next = await intruder.GetAsync(new Uri("api/holders", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, next.StatusCode);
        }

        var summary = log.Messages.Where(m => m.StartsWith("Rejected a bearer token", StringComparison.Ordinal)).Last();
        Assert.Contains("190 more rejected tokens were not logged", summary, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Messages, m => m.Contains("a-stale-token", StringComparison.Ordinal));
    }

    public void Dispose() => _folder.Dispose();
}
