namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// The write path's shared tables: stored responses of requests sent with an Idempotency-Key, and
/// the card outbox the sync engine reads (one marker per change that may alter a card's whitelist entries).
/// </summary>
public sealed class M0200_ApiInfrastructure : SqlMigration
{
    public override int Version => 200;

    public override string Name => "idempotency keys and card outbox";

    protected override string Sql => """
        CREATE TABLE idempotency_requests (
            operator_id    TEXT NOT NULL,
            route          TEXT NOT NULL,
            idem_key       TEXT NOT NULL,
            request_hash   TEXT NOT NULL,
            state          TEXT NOT NULL CHECK (state IN ('running', 'done')),
            owner          TEXT NOT NULL,
            status_code    INTEGER,
            content_type   TEXT,
            location       TEXT,
            response_body  BLOB,
            created_utc    TEXT NOT NULL,
            PRIMARY KEY (operator_id, route, idem_key)
        ) STRICT;
        CREATE INDEX idempotency_requests_created ON idempotency_requests(created_utc);

        CREATE TABLE card_outbox (
            sequence     INTEGER PRIMARY KEY AUTOINCREMENT,
            card_id      INTEGER NOT NULL,
            reason       TEXT NOT NULL,
            created_utc  TEXT NOT NULL
        ) STRICT;
        CREATE INDEX card_outbox_card ON card_outbox(card_id);
        """;
}
