namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// Card stock and life: one row per physical card (keyed by its printed number), the history of
/// its issues (who held it, what was handed over) and of every transition, and the issue journal
/// (intent recorded before the card is touched).
/// </summary>
public sealed class M0202_Cards : SqlMigration
{
    public override int Version => 202;

    public override string Name => "cards";

    protected override string Sql => """
        CREATE TABLE cards (
            number        INTEGER PRIMARY KEY CHECK (number BETWEEN 1 AND 99999999),
            state         TEXT NOT NULL CHECK (state IN ('in-stock','issued','lost','revoked','damaged','written-off','returned')),
            uid           TEXT UNIQUE,
            holder_id     INTEGER REFERENCES holders(id),
            kind          TEXT CHECK (kind IS NULL OR kind IN ('access','parking','both')),
            issue_count   INTEGER NOT NULL DEFAULT 0,
            replaces      INTEGER REFERENCES cards(number),
            replaced_by   INTEGER REFERENCES cards(number),
            state_reason  TEXT,
            state_note    TEXT,
            batch         TEXT,
            received_utc  TEXT NOT NULL,
            updated_utc   TEXT NOT NULL
        ) STRICT;
        CREATE INDEX cards_state ON cards(state);
        CREATE INDEX cards_holder ON cards(holder_id);

        CREATE TABLE card_issues (
            id                 INTEGER PRIMARY KEY,
            card_number        INTEGER NOT NULL REFERENCES cards(number),
            holder_id          INTEGER NOT NULL REFERENCES holders(id),
            kind               TEXT NOT NULL,
            uid                TEXT NOT NULL,
            issue_counter      INTEGER NOT NULL,
            items              TEXT NOT NULL,
            receipt_reference  TEXT NOT NULL,
            replaces           INTEGER REFERENCES cards(number),
            issued_utc         TEXT NOT NULL,
            issued_by          TEXT NOT NULL
        ) STRICT;
        CREATE INDEX card_issues_card ON card_issues(card_number);

        CREATE TABLE card_events (
            id           INTEGER PRIMARY KEY,
            card_number  INTEGER NOT NULL REFERENCES cards(number),
            action       TEXT NOT NULL,
            from_state   TEXT,
            to_state     TEXT NOT NULL,
            reason       TEXT,
            note         TEXT,
            at_utc       TEXT NOT NULL,
            operator_id  TEXT NOT NULL
        ) STRICT;
        CREATE INDEX card_events_card ON card_events(card_number);

        CREATE TABLE card_issue_journal (
            id            INTEGER PRIMARY KEY,
            card_number   INTEGER NOT NULL REFERENCES cards(number),
            holder_id     INTEGER NOT NULL REFERENCES holders(id),
            kind          TEXT NOT NULL,
            replaces      INTEGER,
            encoder_id    TEXT NOT NULL,
            operator_id   TEXT NOT NULL,
            request_key   TEXT NOT NULL,
            state         TEXT NOT NULL CHECK (state IN ('open','committed','failed')),
            uid           TEXT,
            failure       TEXT,
            created_utc   TEXT NOT NULL,
            closed_utc    TEXT
        ) STRICT;
        -- One issue in flight per card: a second attempt with another key is refused while one is open.
        CREATE UNIQUE INDEX card_issue_journal_open ON card_issue_journal(card_number) WHERE state = 'open';
        """;
}
