using Gateway.Service.Cards;
using Gateway.Service.Cards.Encoders;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Holders;
using Gateway.Service.Domain.Zones;
using Gateway.Service.Holders;
using Gateway.Service.Storage;
using Gateway.Service.Tests.Api;
using Gateway.Service.Tests.Workflows;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Service.Tests.Cards;

/// <summary>
/// The card workflow called as the console will call it: plain arguments and an actor, outcomes back, no
/// web host. Every change of a card writes its history row, one outbox marker and one audit entry in the
/// same unit; a refusal writes nothing.
/// </summary>
public sealed class CardWorkflowTests : IDisposable
{
    private static readonly HandOver Receipt = new(["card", "door-keys"], "R-1");
    private readonly WorkflowSite _site = new();
    private readonly FakeEncoder _encoder = new();
    private readonly CardWorkflow _cards;
    private readonly HolderWorkflow _holders;

    public CardWorkflowTests()
    {
        _holders = new HolderWorkflow(_site.Writes, _site.Database);
        _cards = Cards(new CardEncoderOptions([new EncoderDevice("desk", "/dev/null")], "workflow-test", null));
    }

    [Fact]
    public async Task Issue_CardInStock_IssuesItWithHistoryMarkerAuditAndClosedJournal()
    {
        var holder = await HolderAsync();
        await ReceiveAsync(100001, 100001);

        var outcome = await _cards.IssueAsync(WorkflowSite.Desk, new IssueOrder(100001, holder, CardKind.Both, null, Receipt), "attempt-1", CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Refusal?.Detail);
        var card = outcome.Value.Card;
        Assert.Equal(CardState.Issued, card.State);
        Assert.Equal(FakeEncoder.UidOf(100001), card.Uid);
        Assert.Equal(holder, outcome.Value.Holder!.Id);
        Assert.Equal(1, card.IssueCount);
        Assert.Equal("issue", _site.Scalar("SELECT group_concat(reason) FROM card_outbox WHERE card_id = 100001"));
        Assert.Equal("receive,issue", _site.Scalar("SELECT group_concat(action) FROM card_events WHERE card_number = 100001 ORDER BY id"));
        Assert.Equal("committed", _site.Scalar("SELECT state FROM card_issue_journal WHERE card_number = 100001"));
        Assert.Equal(["card.issue-started", "card.issue"], _site.Audit.Actions("card:100001"));
        Assert.Equal("desk", Assert.Single(_encoder.Orders).EncoderId);
    }

    [Fact]
    public async Task Issue_SameAttemptKeyAfterCommit_AnswersTheIssuedCardWithoutTheEncoder()
    {
        var holder = await HolderAsync();
        await ReceiveAsync(100001, 100001);
        var order = new IssueOrder(100001, holder, CardKind.Access, null, Receipt);
        Assert.True((await _cards.IssueAsync(WorkflowSite.Desk, order, "attempt-1", CancellationToken.None)).Succeeded);

        var again = await _cards.IssueAsync(WorkflowSite.Desk, order, "attempt-1", CancellationToken.None);

        Assert.True(again.Succeeded, again.Refusal?.Detail);
        Assert.Equal(CardState.Issued, again.Value.Card.State);
        Assert.Equal(1, _encoder.IssueCalls);
        Assert.Equal(1, _site.Count("card_outbox"));
    }

    [Fact]
    public async Task Issue_UnknownHolder_IsRefusedAsInvalidHolderId_AndWritesNothing()
    {
        await ReceiveAsync(100001, 100001);
        var before = _site.Count("card_issue_journal");

        var outcome = await _cards.IssueAsync(WorkflowSite.Desk, new IssueOrder(100001, 999, CardKind.Access, null, Receipt), "attempt-1", CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Equal(RefusalKind.Invalid, outcome.Refusal.Kind);
        Assert.Equal("holderId", outcome.Refusal.Field);
        Assert.Equal(before, _site.Count("card_issue_journal"));
        Assert.Equal(0, _site.Count("card_outbox"));
        Assert.Equal(0, _encoder.IssueCalls);
    }

    [Fact]
    public async Task Issue_EncoderUnavailable_RefusesAndClosesTheJournalAsFailed()
    {
        var holder = await HolderAsync();
        await ReceiveAsync(100001, 100001);
        _encoder.FailNext = new EncoderUnavailableException("issuing is refused: no key");

        var outcome = await _cards.IssueAsync(WorkflowSite.Desk, new IssueOrder(100001, holder, CardKind.Access, null, Receipt), "attempt-1", CancellationToken.None);

        Assert.Equal(RefusalKind.Unavailable, outcome.Refusal?.Kind);
        Assert.Equal("failed", _site.Scalar("SELECT state FROM card_issue_journal WHERE card_number = 100001"));
        Assert.Equal(CardState.InStock, (await _cards.GetAsync(100001, CancellationToken.None))!.Card.State);
        Assert.Equal(0, _site.Count("card_outbox"));
    }

    [Fact]
    public async Task Issue_NoEncoderConfigured_IsUnavailable_BeforeAnythingIsWritten()
    {
        var cards = Cards(new CardEncoderOptions([], "workflow-test", null));
        var holder = await HolderAsync();
        await ReceiveAsync(100001, 100001);

        var outcome = await cards.IssueAsync(WorkflowSite.Desk, new IssueOrder(100001, holder, CardKind.Access, null, Receipt), "attempt-1", CancellationToken.None);

        Assert.Equal(RefusalKind.Unavailable, outcome.Refusal?.Kind);
        Assert.Equal(0, _site.Count("card_issue_journal"));
    }

    [Fact]
    public async Task Replace_IssuedCard_OldCardDamagedAndLinked_BothMarked_AuditInOrder()
    {
        var holder = await HolderAsync();
        await ReceiveAsync(100001, 100002);
        Assert.True((await _cards.IssueAsync(WorkflowSite.Desk, new IssueOrder(100001, holder, CardKind.Parking, null, Receipt), "a-1", CancellationToken.None)).Succeeded);

        var outcome = await _cards.ReplaceAsync(WorkflowSite.Desk, new ReplaceOrder(100001, 100002, ReplaceReason.Damaged, null, Receipt), "a-2", CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Refusal?.Detail);
        Assert.Equal(100001, outcome.Value.Card.Replaces);
        Assert.Equal(CardKind.Parking, outcome.Value.Card.Kind);
        var old = (await _cards.GetAsync(100001, CancellationToken.None))!.Card;
        Assert.Equal(CardState.Damaged, old.State);
        Assert.Equal(100002, old.ReplacedBy);
        Assert.Equal("replace", _site.Scalar("SELECT reason FROM card_outbox WHERE card_id = 100001 ORDER BY sequence DESC LIMIT 1"));
        Assert.Equal("issue", _site.Scalar("SELECT reason FROM card_outbox WHERE card_id = 100002"));
        Assert.Equal("issue-replacement", _site.Scalar("SELECT action FROM card_events WHERE card_number = 100002 ORDER BY id DESC LIMIT 1"));
        var last = _site.Audit.Entries.TakeLast(2).Select(e => (e.Action, e.Subject)).ToList();
        Assert.Equal([("card.replace", "card:100001"), ("card.issue", "card:100002")], last);
    }

    [Fact]
    public async Task ReportLost_InStockCard_IsInvalidState_AndWritesNothing()
    {
        await ReceiveAsync(100001, 100001);
        var events = _site.Count("card_events");

        var outcome = await _cards.ReportLostAsync(WorkflowSite.Desk, 100001, "gone", CancellationToken.None);

        Assert.Equal(RefusalKind.InvalidState, outcome.Refusal?.Kind);
        Assert.Equal("in-stock", outcome.Refusal?.State);
        Assert.Equal(events, _site.Count("card_events"));
        Assert.Equal(0, _site.Count("card_outbox"));
    }

    [Fact]
    public async Task Transitions_FromIssueToRecycle_EachChangeWritesOneHistoryRowOneMarkerOneAuditEntry()
    {
        var holder = await HolderAsync();
        await ReceiveAsync(100001, 100001);
        Assert.True((await _cards.IssueAsync(WorkflowSite.Desk, new IssueOrder(100001, holder, CardKind.Access, null, Receipt), "a-1", CancellationToken.None)).Succeeded);

        Func<Task<Outcome<CardView>>>[] changes =
        [
            () => _cards.ReportLostAsync(WorkflowSite.Desk, 100001, "lost at the gym", CancellationToken.None),
            () => _cards.ReportFoundAsync(WorkflowSite.Desk, 100001, null, CancellationToken.None),
            () => _cards.RevokeAsync(WorkflowSite.Desk, 100001, RevokeReason.MovedOut, null, CancellationToken.None),
            () => _cards.ReturnAsync(WorkflowSite.Desk, 100001, null, CancellationToken.None),
            () => _cards.RecycleAsync(WorkflowSite.Desk, 100001, "desk", CancellationToken.None),
        ];
        foreach (var change in changes)
        {
            var (events, markers, audit) = (_site.Count("card_events"), _site.Count("card_outbox"), _site.Audit.Entries.Count);
            var outcome = await change();
            Assert.True(outcome.Succeeded, outcome.Refusal?.Detail);
            Assert.Equal((events + 1, markers + 1, audit + 1), (_site.Count("card_events"), _site.Count("card_outbox"), _site.Audit.Entries.Count));
        }

        var recycled = (await _cards.GetAsync(100001, CancellationToken.None))!;
        Assert.Equal(CardState.InStock, recycled.Card.State);
        Assert.Null(recycled.Holder);
        Assert.Equal(FakeEncoder.UidOf(100001), recycled.Card.Uid);
        Assert.Equal(("desk", 100001L, FakeEncoder.UidOf(100001)), Assert.Single(_encoder.Erased));
        Assert.Equal("moved-out", _site.Scalar("SELECT reason FROM card_events WHERE card_number = 100001 AND action = 'revoke'"));
        Assert.Equal(["card.receive"], _site.Audit.Actions("cards:100001-100001"));
        Assert.Equal(
            ["card.issue-started", "card.issue", "card.report-lost", "card.found", "card.revoke", "card.return", "card.recycle"],
            _site.Audit.Actions("card:100001"));
    }

    [Fact]
    public async Task CommitAtStart_OpenJournalWhoseCardVerified_CommitsAsTheJournalsOperator()
    {
        var holder = await HolderAsync();
        await ReceiveAsync(100001, 100001);
        _encoder.FailNext = new EncoderOperationException("torn away");
        var torn = await _cards.IssueAsync(new Actor("desk-2", "Desk Two"), new IssueOrder(100001, holder, CardKind.Access, null, Receipt), "a-1", CancellationToken.None);
        Assert.Equal(RefusalKind.DeviceFailed, torn.Refusal?.Kind);
        Assert.Equal("open", _site.Scalar("SELECT state FROM card_issue_journal"));

        await using (var connection = _site.Database.OpenConnection())
        {
            var journal = Assert.Single(await CardStore.ListOpenJournalsAsync(connection, CancellationToken.None));
            var outcome = await _cards.CommitAtStartAsync(journal, "04AABBCC", CancellationToken.None);
            Assert.True(outcome.Succeeded, outcome.Refusal?.Detail);
            Assert.Equal("04AABBCC", outcome.Value.Card.Uid);
        }

        Assert.Equal("committed|1", _site.Scalar("SELECT state || '|' || committed_at_start FROM card_issue_journal"));
        var committed = _site.Audit.Entries.Where(e => e.Subject == "card:100001").TakeLast(2).ToList();
        Assert.Equal(["card.issue-committed-at-start", "card.issue"], committed.Select(e => e.Action));
        Assert.All(committed, e => Assert.Equal("desk-2", e.Actor.OperatorId));
    }

    [Fact]
    public async Task CommitAtStart_CardIssuedMeanwhile_IsRefused_AndTheJournalClosesAsFailed()
    {
        var holder = await HolderAsync();
        await ReceiveAsync(100001, 100001);
        _encoder.FailNext = new EncoderOperationException("torn away");
        await _cards.IssueAsync(WorkflowSite.Desk, new IssueOrder(100001, holder, CardKind.Access, null, Receipt), "a-1", CancellationToken.None);
        _site.Execute("UPDATE cards SET state = 'revoked' WHERE number = 100001");

        await using var connection = _site.Database.OpenConnection();
        var journal = Assert.Single(await CardStore.ListOpenJournalsAsync(connection, CancellationToken.None));
        var outcome = await _cards.CommitAtStartAsync(journal, "04AABBCC", CancellationToken.None);

        Assert.Equal(RefusalKind.InvalidState, outcome.Refusal?.Kind);
        Assert.Equal("failed", _site.Scalar("SELECT state FROM card_issue_journal"));
        Assert.Equal(0, _site.Count("card_outbox"));
    }

    [Fact]
    public async Task ReadOnEncoder_ValidCardOfAnotherIssue_IsStale_AndNamesTheHolder()
    {
        var holder = await HolderAsync();
        await ReceiveAsync(100001, 100001);
        await _cards.IssueAsync(WorkflowSite.Desk, new IssueOrder(100001, holder, CardKind.Access, null, Receipt), "a-1", CancellationToken.None);
        _encoder.Reading = new CardReading(CardReadStatus.Valid, FakeEncoder.UidOf(100001), 100001, CardKind.Access, 2, null);

        var outcome = await _cards.ReadOnEncoderAsync("desk", CancellationToken.None);

        Assert.True(outcome.Succeeded);
        Assert.Equal("stale-issue", outcome.Value.Status);
        Assert.False(outcome.Value.Valid);
        Assert.Equal("Li Wei", outcome.Value.Card?.Holder?.Name);
    }

    [Fact]
    public async Task ReadOnEncoder_UnknownEncoder_IsNotFound()
    {
        var outcome = await _cards.ReadOnEncoderAsync("back-office", CancellationToken.None);

        Assert.Equal(RefusalKind.NotFound, outcome.Refusal?.Kind);
        Assert.Contains("back-office", outcome.Refusal?.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Receive_KnownNumbers_IsAConflict_AndAddsNothing()
    {
        await ReceiveAsync(100001, 100005);

        var outcome = await _cards.ReceiveAsync(WorkflowSite.Desk, 100004, 100008, "B-2", CancellationToken.None);

        Assert.Equal(RefusalKind.Conflict, outcome.Refusal?.Kind);
        Assert.Contains("2 of the card numbers", outcome.Refusal?.Detail, StringComparison.Ordinal);
        Assert.Equal(5, _site.Count("cards"));
    }

    public void Dispose() => _site.Dispose();

    private CardWorkflow Cards(CardEncoderOptions options) =>
        new(_site.Writes, _site.Database, _encoder, options, new ZoneMap([new ZonedController("door-b3", "building-3")]), NullLogger<CardWorkflow>.Instance);

    private async Task<long> HolderAsync() =>
        (await _holders.CreateAsync(WorkflowSite.Desk, new NewHolder("Li Wei", new UnitAddress("3", "2", "1201"), null, null, null), CancellationToken.None)).Value.Id;

    private async Task ReceiveAsync(long from, long to) =>
        Assert.True((await _cards.ReceiveAsync(WorkflowSite.Desk, from, to, "B-1", CancellationToken.None)).Succeeded);
}
