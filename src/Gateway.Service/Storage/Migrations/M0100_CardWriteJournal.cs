namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// The card encoder's write journal (ICardWriteJournal, docs/encoder.md): every step of an issue or
/// erase is recorded here before it is done, so a card torn off the encoder is finished or rolled
/// back when presented again, also after a restart.
/// </summary>
public sealed class M0100_CardWriteJournal : SqlMigration
{
    public override int Version => 100;

    public override string Name => "card write journal";

    protected override string Sql => """
        CREATE TABLE card_write_journal (
            id             INTEGER PRIMARY KEY,
            kind           TEXT NOT NULL CHECK (kind IN ('issue', 'erase')),
            card_uid       TEXT NOT NULL,
            site_id        TEXT,
            card_number    INTEGER,
            card_kind      INTEGER,
            issue_counter  INTEGER,
            key_version    INTEGER,
            last_step      TEXT,
            outcome        TEXT NOT NULL CHECK (outcome IN ('open', 'completed', 'rolled-back', 'abandoned')),
            created_utc    TEXT NOT NULL,
            updated_utc    TEXT NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX card_write_journal_open ON card_write_journal(card_uid) WHERE outcome = 'open';
        """;
}
