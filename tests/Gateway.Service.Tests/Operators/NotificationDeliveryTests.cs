using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Gateway.Service.Api;
using Gateway.Service.Hosting;
using Gateway.Service.Notifications;
using Gateway.Service.Operators;
using Gateway.Service.Tests.Api;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Service.Tests.Operators;

/// <summary>
/// Rotation notices delivered at least once to receivers the tests run on loopback (port 0): while the
/// receiver is down or refusing, the notice waits with capped back-off; once it answers, it is
/// delivered — with the same message id on every attempt.
/// </summary>
public sealed class NotificationDeliveryTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Webhook_ReceiverDownThenRefusingThenUp_DeliveredOnce_SameMessageIdEveryAttempt()
    {
        // Reserve a port, then free it: the receiver is "down" (connection refused) until it listens there.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var time = new FakeTimeProvider(Start);
        await using var host = await ApiTestHost.StartAsync(time: time, configuration: new Dictionary<string, string?>
        {
            ["Gateway:Notifications:Transport"] = "webhook",
            ["Gateway:Notifications:Webhook:Url"] = $"http://127.0.0.1:{port}/hooks/gateway",
            ["Gateway:Notifications:Finance"] = "finance@example.test",
            ["Gateway:Notifications:RetryMinSeconds"] = "10",
            ["Gateway:Notifications:RetryMaxSeconds"] = "25",
            // The test drives delivery passes itself; the background pass waits for an hour of fake time.
            ["Gateway:Notifications:PollIntervalMilliseconds"] = "3600000",
        });
        var dispatcher = host.Services.GetRequiredService<NotificationDispatcher>();
        var outbox = host.Services.GetRequiredService<NotificationOutbox>();
        await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        var queued = Assert.Single(await outbox.ListAsync(10, CancellationToken.None));

        Assert.Equal(0, await dispatcher.DeliverDueAsync(CancellationToken.None));
        var afterRefused = Assert.Single(await outbox.ListAsync(10, CancellationToken.None));
        Assert.Equal(1, afterRefused.Attempts);
        Assert.Null(afterRefused.DeliveredUtc);
        Assert.Equal("2026-03-01T00:00:10.0000000Z", afterRefused.NextAttemptUtc);

        // Not yet due: nothing is sent.
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, await dispatcher.DeliverDueAsync(CancellationToken.None));
        Assert.Equal(1, (await outbox.ListAsync(10, CancellationToken.None))[0].Attempts);

        await using var receiver = await WebhookReceiver.StartAsync(port, failFirst: 1);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, await dispatcher.DeliverDueAsync(CancellationToken.None));
        var afterFailure = (await outbox.ListAsync(10, CancellationToken.None))[0];
        Assert.Equal(2, afterFailure.Attempts);
        Assert.Equal("2026-03-01T00:00:30.0000000Z", afterFailure.NextAttemptUtc);
        Assert.Contains("503", afterFailure.LastError, StringComparison.Ordinal);

        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(1, await dispatcher.DeliverDueAsync(CancellationToken.None));
        var delivered = (await outbox.ListAsync(10, CancellationToken.None))[0];
        Assert.Equal(3, delivered.Attempts);
        Assert.NotNull(delivered.DeliveredUtc);

        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, await dispatcher.DeliverDueAsync(CancellationToken.None));

        Assert.Equal(2, receiver.Requests.Count);
        Assert.All(receiver.Requests, r => Assert.Equal(queued.MessageId, r.IdempotencyKey));
        Assert.All(receiver.Requests, r => Assert.Equal(queued.MessageId, r.Body.GetProperty("messageId").GetString()));
        Assert.Equal("password-rotation", receiver.Requests[^1].Body.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Webhook_KeyInTheQueryString_NeverInLogsErrorsTheAdminsViewOrBackups()
    {
        const string key = "s3cret-webhook-key-7f3a";
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var time = new FakeTimeProvider(Start);
        var log = new CapturedLog();
        var url = $"http://hook-user:hook-password@127.0.0.1:{port}/hooks/gateway?key={key}&team=front";
        await using var host = await ApiTestHost.StartAsync(
            time: time,
            services: s => s.AddSingleton<ILoggerProvider>(log),
            configuration: new Dictionary<string, string?>
            {
                ["Gateway:Notifications:Transport"] = "webhook",
                ["Gateway:Notifications:Webhook:Url"] = url,
                ["Gateway:Notifications:Finance"] = "finance@example.test",
                ["Gateway:Notifications:PollIntervalMilliseconds"] = "3600000",
            });
        var dispatcher = host.Services.GetRequiredService<NotificationDispatcher>();
        await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);

        // Refused (nobody listens), then answered with 503, then delivered: every error path once.
        Assert.Equal(0, await dispatcher.DeliverDueAsync(CancellationToken.None));
        string copy;
        var views = new List<string> { await (await host.Client.GetAsync(new Uri("api/notifications", UriKind.Relative))).Content.ReadAsStringAsync() };
        Assert.Contains($"the webhook http://127.0.0.1:{port}/hooks/gateway?[hidden] could not be reached", views[0], StringComparison.Ordinal);
        await using (var receiver = await WebhookReceiver.StartAsync(port, failFirst: 1))
        {
            time.Advance(TimeSpan.FromMinutes(1));
            Assert.Equal(0, await dispatcher.DeliverDueAsync(CancellationToken.None));
            views.Add(await (await host.Client.GetAsync(new Uri("api/notifications", UriKind.Relative))).Content.ReadAsStringAsync());
            Assert.Contains($"the webhook http://127.0.0.1:{port}/hooks/gateway?[hidden] answered 503", views[1], StringComparison.Ordinal);

            // A backup while the outbox holds that error.
            using var backup = await host.Client.PostAsync(new Uri("api/backups", UriKind.Relative), ApiTestHost.Json(new { }));
            copy = (await ApiTestHost.ReadJsonAsync(backup)).GetProperty("path").GetString()!;
            time.Advance(TimeSpan.FromMinutes(1));
            Assert.Equal(1, await dispatcher.DeliverDueAsync(CancellationToken.None));
            Assert.Equal(2, receiver.Requests.Count);
        }

        var view = string.Join("\n", views);
        var copied = Encoding.UTF8.GetString(await File.ReadAllBytesAsync(copy));
        foreach (var secret in new[] { key, "hook-password", "team=front" })
        {
            Assert.DoesNotContain(secret, view, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, log.Text, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, copied, StringComparison.Ordinal);
        }

        Assert.Contains("not delivered", log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Webhook_DeliveryErrorsStoredWithTheWholeUrl_ScrubbedAtStart()
    {
        var url = new Uri("https://hooks.example.test/notify?key=s3cret-webhook-key-7f3a");
        await using var host = await ApiTestHost.StartAsync();
        var outbox = host.Services.GetRequiredService<NotificationOutbox>();
        await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        using (var connection = host.Database.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            // What an earlier version stored: the URL whole.
            command.CommandText = "UPDATE notification_outbox SET last_error = $e";
            command.Parameters.AddWithValue("$e", $"the webhook {url} answered 503");
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        Assert.Equal(1, await outbox.ScrubWebhookUrlAsync(url, host.Services.GetRequiredService<Gateway.Service.Storage.UnitOfWorkFactory>(), CancellationToken.None));
        Assert.Equal("the webhook https://hooks.example.test/notify?[hidden] answered 503", (await outbox.ListAsync(1, CancellationToken.None))[0].LastError);
        Assert.Equal(0, await outbox.ScrubWebhookUrlAsync(url, host.Services.GetRequiredService<Gateway.Service.Storage.UnitOfWorkFactory>(), CancellationToken.None));
    }

    [Theory]
    [InlineData("https://hooks.example.test/notify?key=abc", "https://hooks.example.test/notify?[hidden]")]
    [InlineData("https://user:pw@hooks.example.test:8443/a/b", "https://hooks.example.test:8443/a/b")]
    [InlineData("https://hooks.example.test/notify", "https://hooks.example.test/notify")]
    [InlineData("ftp://user:pw@hooks.example.test/x?key=abc", "ftp://hooks.example.test/x?[hidden]")]
    [InlineData("not a url ?key=abc", "not a url ?[hidden]")]
    public void SecretUrl_Redact_HidesQueryAndUserInfo(string url, string shown) =>
        Assert.Equal(shown, SecretUrl.Redact(url));

    [Fact]
    public async Task Smtp_RelayRefusesThenAccepts_SameMessageIdHeaderEveryAttempt()
    {
        await using var relay = SmtpReceiver.Start(failFirst: 1);
        var time = new FakeTimeProvider(Start);
        await using var host = await ApiTestHost.StartAsync(time: time, configuration: new Dictionary<string, string?>
        {
            ["Gateway:Notifications:Transport"] = "smtp",
            ["Gateway:Notifications:Smtp:Host"] = "127.0.0.1",
            ["Gateway:Notifications:Smtp:Port"] = relay.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway:Notifications:Smtp:From"] = "gateway@example.test",
            ["Gateway:Notifications:DepartmentHead"] = "head@example.test",
            ["Gateway:Notifications:Finance"] = "finance@example.test",
            ["Gateway:Notifications:PollIntervalMilliseconds"] = "3600000",
        });
        var dispatcher = host.Services.GetRequiredService<NotificationDispatcher>();
        var outbox = host.Services.GetRequiredService<NotificationOutbox>();
        await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        var queued = Assert.Single(await outbox.ListAsync(10, CancellationToken.None));

        Assert.Equal(0, await dispatcher.DeliverDueAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, await dispatcher.DeliverDueAsync(CancellationToken.None));

        Assert.Equal(2, relay.Messages.Count);
        foreach (var message in relay.Messages)
        {
            Assert.Contains($"Message-ID: {queued.MessageId}", message.Data, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(["<head@example.test>", "<finance@example.test>"], message.Recipients);
        }

        Assert.Contains("clerk", relay.Messages[^1].Data, StringComparison.Ordinal);
        Assert.NotNull((await outbox.ListAsync(10, CancellationToken.None))[0].DeliveredUtc);
    }

    [Fact]
    public void BackOff_DoublesFromMinimum_CappedAtMaximum()
    {
        var min = TimeSpan.FromSeconds(5);
        var max = TimeSpan.FromSeconds(60);
        Assert.Equal([5, 10, 20, 40, 60, 60], Enumerable.Range(1, 6).Select(n => NotificationOutbox.BackOff(n, min, max).TotalSeconds));
        Assert.Equal(max, NotificationOutbox.BackOff(1000, min, max));
    }

    [Fact]
    public async Task TransportNone_NoticesStayQueued_NothingDropped()
    {
        await using var host = await ApiTestHost.StartAsync();
        await OperatorTestKit.ReadyOperatorAsync(host, "clerk", GatewayRoles.FrontDesk);
        var dispatcher = host.Services.GetRequiredService<NotificationDispatcher>();
        Assert.Equal(0, await dispatcher.DeliverDueAsync(CancellationToken.None));
        var notice = Assert.Single(await host.Services.GetRequiredService<NotificationOutbox>().ListAsync(10, CancellationToken.None));
        Assert.Null(notice.DeliveredUtc);
        Assert.Equal(0, notice.Attempts);
    }

    [Theory]
    [InlineData("Gateway:Notifications:Transport", "pigeon", "Gateway:Notifications:Transport")]
    [InlineData("Gateway:Notifications:Finance", "not-an-address", "Gateway:Notifications:Finance")]
    [InlineData("Gateway:Operators:PasswordIterations", "10", "Gateway:Operators:PasswordIterations")]
    public void Options_BadValue_NamesTheKey(string key, string value, string named)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        Assert.False(GatewayOptions.TryLoad(configuration, out _, out var error));
        Assert.StartsWith(named, error, StringComparison.Ordinal);
    }

    /// <summary>A loopback HTTP receiver (Kestrel) that answers 503 to the first N posts, then 204.</summary>
    private sealed class WebhookReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private WebhookReceiver(WebApplication app)
        {
            _app = app;
        }

        public List<(string? IdempotencyKey, JsonElement Body)> Requests { get; } = [];

        public static async Task<WebhookReceiver> StartAsync(int port, int failFirst)
        {
            var builder = WebApplication.CreateBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
            var app = builder.Build();
            var receiver = new WebhookReceiver(app);
            app.MapPost("/hooks/gateway", async (HttpContext context) =>
            {
                using var document = await JsonDocument.ParseAsync(context.Request.Body);
                lock (receiver.Requests)
                {
                    receiver.Requests.Add((context.Request.Headers["Idempotency-Key"].ToString(), document.RootElement.Clone()));
                    return receiver.Requests.Count <= failFirst ? Results.StatusCode(503) : Results.NoContent();
                }
            });
            await app.StartAsync();
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>
    /// A minimal SMTP relay on loopback (RFC 5321 §4.1: EHLO, MAIL, RCPT, DATA, QUIT) that answers the
    /// first N messages' end of data with 451 (try later), then 250.
    /// </summary>
    private sealed class SmtpReceiver : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly int _failFirst;

        private SmtpReceiver(int failFirst)
        {
            _failFirst = failFirst;
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            _loop = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public List<(List<string> Recipients, string Data)> Messages { get; } = [];

        public static SmtpReceiver Start(int failFirst) => new(failFirst);

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                using (client)
                {
                    await ServeAsync(client.GetStream());
                }
            }
        }

        private async Task ServeAsync(NetworkStream stream)
        {
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 test relay ready");
            var recipients = new List<string>();
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                var verb = line.Split(' ', ':')[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                    case "HELO":
                        await writer.WriteLineAsync("250 test relay");
                        break;
                    case "MAIL":
                        recipients = [];
                        await writer.WriteLineAsync("250 OK");
                        break;
                    case "RCPT":
                        recipients.Add(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
                        await writer.WriteLineAsync("250 OK");
                        break;
                    case "DATA":
                        await writer.WriteLineAsync("354 end with <CRLF>.<CRLF>");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(_stop.Token) is { } dataLine && dataLine != ".")
                        {
                            data.AppendLine(dataLine);
                        }

                        int count;
                        lock (Messages)
                        {
                            Messages.Add((recipients, data.ToString()));
                            count = Messages.Count;
                        }

                        await writer.WriteLineAsync(count <= _failFirst ? "451 4.3.0 try again later" : "250 2.0.0 queued");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 bye");
                        return;
                    default:
                        await writer.WriteLineAsync("250 OK");
                        break;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _loop;
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
            }

            _stop.Dispose();
        }
    }
}
