using System.Globalization;
using System.Net;
using System.Text.Json;
using Gateway.Drivers.CardEncoders;
using Gateway.Service.Api;
using Gateway.Service.Audit;
using Gateway.Service.Cards;
using Gateway.Service.Cards.Encoders;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Tests.Api;

/// <summary>
/// An issue request cut off after the card was written (the service stopped between the encoder's
/// verification and the database commit, or during the write), then the service started again on the
/// same SQLite file: a verified card is committed at start, once; a torn one is left open for the
/// retry with the same Idempotency-Key.
/// </summary>
public sealed class IssueRecoveryTests : IDisposable
{
    private const long Number = 300001;
    private const long OldNumber = 300000;
    private const string Uid = "04C0FFEE";
    private const string Key = "issue-300001-desk";
    private readonly TempFolder _data = new("gateway-issue-recovery");

    [Fact]
    public async Task Start_OpenIssueWhoseCardVerified_CommitsItOnceAuditedAndMarked()
    {
        await CutOffIssueAsync(CardWriteStep.Verify, completed: true);

        var encoder = new FakeEncoder();
        var log = new RecoveryLog();
        await using (var host = await StartAsync(encoder, log))
        {
            Assert.Equal((1, 0), host.Services.GetRequiredService<IssueRecovery>().LastRun);
            var committedLog = Assert.Single(log.Messages);
            Assert.Equal(LogLevel.Information, committedLog.Level);
            Assert.Contains($"card {Number}", committedLog.Text, StringComparison.Ordinal);
            Assert.Contains(Uid, committedLog.Text, StringComparison.Ordinal);
            Assert.DoesNotContain(Key, committedLog.Text, StringComparison.Ordinal);
            var card = await FrontDeskHost.GetCardAsync(host.Client, Number);
            Assert.Equal("issued", card.GetProperty("state").GetString());
            Assert.Equal(Uid, card.GetProperty("uid").GetString());
            Assert.Equal(1, card.GetProperty("issueCount").GetInt32());

            // The hand-over recorded at the desk, the operator who asked, the marker for the sync engine.
            Assert.Equal($"1|{Uid}|R-2026-0001|[\"card\",\"door-keys\",\"gift\",\"resident-handbook\",\"management-agreement\"]|bootstrap-admin", Scalar(host, $"SELECT COUNT(*) OVER () || '|' || uid || '|' || receipt_reference || '|' || items || '|' || issued_by FROM card_issues WHERE card_number = {Number}"));
            Assert.Equal("committed|1", Scalar(host, $"SELECT state || '|' || committed_at_start FROM card_issue_journal WHERE card_number = {Number}"));
            Assert.Equal("1", Scalar(host, $"SELECT COUNT(*) FROM card_outbox WHERE card_id = {Number} AND reason = 'issue'"));
            Assert.Equal("bootstrap-admin", Scalar(host, $"SELECT group_concat(operator_id) FROM audit_log WHERE subject = 'card:{Number}' AND action = 'card.issue'"));
            Assert.Equal("1", Scalar(host, $"SELECT COUNT(*) FROM audit_log WHERE subject = 'card:{Number}' AND action = 'card.issue-committed-at-start'"));
            Assert.True((await host.Services.GetRequiredService<AuditLog>().VerifyAsync(null, CancellationToken.None)).Intact);

            // The operator retries with the same key: the committed card is the answer, the encoder is not used.
            using var retry = await IssueAsync(host.Client);
            Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
            var answered = await ApiTestHost.ReadJsonAsync(retry);
            Assert.Equal(Uid, answered.GetProperty("uid").GetString());
            Assert.Equal("issued", answered.GetProperty("state").GetString());
            Assert.Equal(0, encoder.IssueCalls);
        }

        // A second start finds nothing to do and commits nothing twice.
        await using (var host = await StartAsync(new FakeEncoder()))
        {
            Assert.Equal((0, 0), host.Services.GetRequiredService<IssueRecovery>().LastRun);
            Assert.Equal("1", Scalar(host, $"SELECT COUNT(*) FROM card_issues WHERE card_number = {Number}"));
            Assert.Equal("1", Scalar(host, $"SELECT COUNT(*) FROM audit_log WHERE subject = 'card:{Number}' AND action = 'card.issue'"));
            Assert.Equal("1", Scalar(host, $"SELECT COUNT(*) FROM card_outbox WHERE card_id = {Number}"));
            Assert.Equal(1, (await FrontDeskHost.GetCardAsync(host.Client, Number)).GetProperty("issueCount").GetInt32());
        }
    }

    [Fact]
    public async Task Start_OpenReplacementWhoseCardVerified_CommitsItWithTheOldCardDamagedAndLinked()
    {
        await CutOffIssueAsync(CardWriteStep.Verify, completed: true, replacement: true);

        var encoder = new FakeEncoder();
        await using var host = await StartAsync(encoder);
        Assert.Equal((1, 0), host.Services.GetRequiredService<IssueRecovery>().LastRun);
        var card = await FrontDeskHost.GetCardAsync(host.Client, Number);
        Assert.Equal("issued", card.GetProperty("state").GetString());
        Assert.Equal(OldNumber, card.GetProperty("replaces").GetInt64());
        var old = await FrontDeskHost.GetCardAsync(host.Client, OldNumber);
        Assert.Equal("damaged", old.GetProperty("state").GetString());
        Assert.Equal(Number, old.GetProperty("replacedBy").GetInt64());
        Assert.Equal("1", Scalar(host, $"SELECT COUNT(*) FROM card_outbox WHERE card_id = {OldNumber} AND reason = 'replace'"));
        Assert.Equal("[\"card\"]", Scalar(host, $"SELECT items FROM card_issues WHERE card_number = {Number}"));

        using var retry = await ReplaceAsync(host.Client);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(Uid, (await ApiTestHost.ReadJsonAsync(retry)).GetProperty("uid").GetString());
        Assert.Equal(0, encoder.IssueCalls);
    }

    [Fact]
    public async Task Start_OpenIssueWhoseCardIsTorn_LeavesItOpenForTheRetryWithTheSameKey()
    {
        await CutOffIssueAsync(CardWriteStep.RekeyOtherSectors, completed: false);

        var encoder = new FakeEncoder();
        encoder.Uids[Number] = Uid;
        var log = new RecoveryLog();
        await using var host = await StartAsync(encoder, log);
        Assert.Equal((0, 1), host.Services.GetRequiredService<IssueRecovery>().LastRun);
        var warning = Assert.Single(log.Messages);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains($"card {Number}", warning.Text, StringComparison.Ordinal);
        Assert.Contains("torn (last step rekey-other-sectors)", warning.Text, StringComparison.Ordinal);
        Assert.Contains("same Idempotency-Key", warning.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, warning.Text, StringComparison.Ordinal);
        Assert.Equal("in-stock", (await FrontDeskHost.GetCardAsync(host.Client, Number)).GetProperty("state").GetString());
        Assert.Equal("open", Scalar(host, $"SELECT group_concat(state) FROM card_issue_journal WHERE card_number = {Number}"));
        Assert.Equal("0", Scalar(host, $"SELECT COUNT(*) FROM card_issues"));
        Assert.Equal("0", Scalar(host, $"SELECT COUNT(*) FROM card_outbox WHERE card_id = {Number}"));

        // The retry resumes the same journal and commits.
        var journalId = Scalar(host, $"SELECT id FROM card_issue_journal WHERE card_number = {Number}");
        using var retry = await IssueAsync(host.Client);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(1, encoder.IssueCalls);
        Assert.True(encoder.Orders.TryPeek(out var order));
        Assert.Equal(journalId, order.JournalId.ToString(CultureInfo.InvariantCulture));
        Assert.Equal("committed|0", Scalar(host, $"SELECT state || '|' || committed_at_start FROM card_issue_journal WHERE card_number = {Number}"));
    }

    [Fact]
    public async Task Issue_SameKeyOnALaterIssueOfTheNumberAfterRetention_IssuesAnewInsteadOfAnsweringTheOldCard()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        var encoder = new FakeEncoder();
        var configuration = FrontDeskHost.SiteConfiguration();
        configuration["Gateway:DataFolder"] = _data.Path;
        await using var host = await ApiTestHost.StartAsync(services => services.AddSingleton<ICardEncoderPort>(encoder), configuration: configuration, time: time);
        await FrontDeskHost.CreateHolderAsync(host.Client);
        await FrontDeskHost.ReceiveAsync(host.Client, Number, Number);
        using (var first = await IssueAsync(host.Client))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        // Moved out, returned, recycled: the number is in stock again; a day later the desk reuses the key.
        using (var revoked = await FrontDeskHost.PostAsync(host.Client, $"api/cards/{Number}/revoke", new { reason = "moved-out" }))
        {
            Assert.True(revoked.IsSuccessStatusCode, await revoked.Content.ReadAsStringAsync());
        }

        (await FrontDeskHost.PostAsync(host.Client, $"api/cards/{Number}/return", null)).Dispose();
        (await FrontDeskHost.PostAsync(host.Client, $"api/cards/{Number}/recycle", null)).Dispose();
        Assert.Equal("in-stock", (await FrontDeskHost.GetCardAsync(host.Client, Number)).GetProperty("state").GetString());
        time.Advance(IdempotencyStore.Retention + TimeSpan.FromHours(1));

        using var again = await IssueAsync(host.Client);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(2, (await ApiTestHost.ReadJsonAsync(again)).GetProperty("issueCount").GetInt32());
        Assert.Equal(2, encoder.IssueCalls);
        Assert.Equal("2", Scalar(host, $"SELECT COUNT(*) FROM card_issues WHERE card_number = {Number}"));
    }

    /// <summary>
    /// First run: a holder, the card in stock, and an issue request whose encoder journals the card
    /// write up to <paramref name="lastStep"/> (closing it as verified when <paramref name="completed"/>),
    /// then never answers; the request is cut off and the service stops with the issue journal open.
    /// </summary>
    private async Task CutOffIssueAsync(CardWriteStep lastStep, bool completed, bool replacement = false)
    {
        var stalled = new StallingEncoder(lastStep, completed);
        await using var host = await StartAsync(stalled);
        await FrontDeskHost.CreateHolderAsync(host.Client);
        await FrontDeskHost.ReceiveAsync(host.Client, Number, Number);
        stalled.Journal = host.Services.GetRequiredService<ICardWriteJournal>();
        if (replacement)
        {
            // The card it replaces, issued normally first.
            await FrontDeskHost.ReceiveAsync(host.Client, OldNumber, OldNumber);
            using var issued = await FrontDeskHost.IssueAsync(host.Client, OldNumber, 1);
            Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        }

        var request = replacement ? ReplaceAsync(host.Client) : IssueAsync(host.Client);
        await stalled.Written.Task.WaitAsync(TimeSpan.FromSeconds(60));

        // Cut the connection: the request's token fires inside the encoder call, before anything is committed.
        host.Client.CancelPendingRequests();
        await stalled.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        Assert.Equal("in-stock", Scalar(host, $"SELECT state FROM cards WHERE number = {Number}"));
        Assert.Equal("open", Scalar(host, $"SELECT state FROM card_issue_journal WHERE card_number = {Number}"));
    }

    private Task<ApiTestHost> StartAsync(ICardEncoderPort encoder, RecoveryLog? log = null)
    {
        var configuration = FrontDeskHost.SiteConfiguration();
        configuration["Gateway:DataFolder"] = _data.Path;
        return ApiTestHost.StartAsync(
            services =>
            {
                services.AddSingleton(encoder);
                if (log is not null)
                {
                    services.AddSingleton<ILoggerProvider>(log);
                }
            },
            configuration: configuration);
    }

    private static Task<HttpResponseMessage> ReplaceAsync(HttpClient client) =>
        FrontDeskHost.PostAsync(client, $"api/cards/{OldNumber}/replace", new { newCardNumber = Number, reason = "damaged", handOver = FrontDeskHost.HandOver("card") }, Key);

    private static Task<HttpResponseMessage> IssueAsync(HttpClient client) =>
        FrontDeskHost.PostAsync(client, $"api/cards/{Number}/issue", new { holderId = 1, kind = "access", handOver = FrontDeskHost.HandOver() }, Key);

    private static string? Scalar(ApiTestHost host, string sql)
    {
        using var connection = host.Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    /// <summary>Journals the card write as the PN532 encoder does, up to a chosen step, then waits until the request is cut off.</summary>
    private sealed class StallingEncoder(CardWriteStep lastStep, bool completed) : ICardEncoderPort
    {
        // The order Pn532CardEncoder journals an issue's steps in (docs/encoder.md, "Recoverable writes").
        private static readonly CardWriteStep[] IssueSteps = [CardWriteStep.Authenticate, CardWriteStep.RekeyOtherSectors, CardWriteStep.WriteData, CardWriteStep.ReadBack, CardWriteStep.WriteTrailer, CardWriteStep.Verify];

        public ICardWriteJournal? Journal { get; set; }

        public TaskCompletionSource Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<EncodedCard> IssueAsync(CardWriteOrder order, CancellationToken cancellationToken)
        {
            if (order.CardNumber != Number)
            {
                return new EncodedCard(FakeEncoder.UidOf(order.CardNumber));
            }

            var payload = new CardPayload("api-test", (uint)order.CardNumber, Drivers.CardEncoders.CardKind.Access, (uint)order.IssueCounter, 1);
            var id = await Journal!.BeginAsync(CardWriteOperationKind.Issue, Uid, payload, cancellationToken);
            foreach (var step in IssueSteps[..(Array.IndexOf(IssueSteps, lastStep) + 1)])
            {
                await Journal.RecordStepAsync(id, step, cancellationToken);
            }

            if (completed)
            {
                await Journal.CompleteAsync(id, CardWriteOutcome.Completed, cancellationToken);
            }

            Written.TrySetResult();
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }
            finally
            {
                Cancelled.TrySetResult();
            }

            throw new InvalidOperationException("unreachable");
        }

        public Task EraseAsync(string encoderId, long cardNumber, string expectedUid, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<CardReading> ReadAsync(string encoderId, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    /// <summary>What <see cref="IssueRecovery"/> logged, rendered.</summary>
    private sealed class RecoveryLog : ILoggerProvider
    {
        private readonly List<(LogLevel Level, string Text)> _messages = [];

        public IReadOnlyList<(LogLevel Level, string Text)> Messages
        {
            get
            {
                lock (_messages)
                {
                    return [.. _messages];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName == typeof(IssueRecovery).FullName);

        public void Dispose()
        {
        }

        private sealed class Logger(RecoveryLog owner, bool captured) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => captured;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (captured)
                {
                    lock (owner._messages)
                    {
                        owner._messages.Add((logLevel, formatter(state, exception)));
                    }
                }
            }
        }
    }
}
