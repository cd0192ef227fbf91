namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// What the issue journal needs to commit an issue on its own at start (DESIGN.md "Issuing": a
/// verified card is committed on restart): the hand-over (items as a JSON array, receipt reference),
/// a replacement's reason and the operator's display name, written when the journal row is opened.
/// Rows opened before this migration have none of it and stay resumable only by a retry with the
/// same Idempotency-Key.
/// </summary>
public sealed class M0203_IssueJournalHandOver : SqlMigration
{
    public override int Version => 203;

    public override string Name => "issue journal hand-over";

    protected override string Sql => """
        ALTER TABLE card_issue_journal ADD COLUMN operator_name TEXT;
        ALTER TABLE card_issue_journal ADD COLUMN replace_reason TEXT;
        ALTER TABLE card_issue_journal ADD COLUMN handover_items TEXT;
        ALTER TABLE card_issue_journal ADD COLUMN receipt_reference TEXT;
        ALTER TABLE card_issue_journal ADD COLUMN committed_at_start INTEGER NOT NULL DEFAULT 0;
        -- Start-up recovery looks up the card write of an open issue by card number and issue counter.
        CREATE INDEX card_write_journal_number ON card_write_journal(card_number, issue_counter) WHERE kind = 'issue';
        """;
}
