namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// Operators with their roles and PBKDF2 password hashes, the hashes of their previous passwords
/// (reuse is refused), and the SHA-256 hashes of their bearer tokens (the tokens themselves are never stored).
/// </summary>
public sealed class M0310_Operators : SqlMigration
{
    public override int Version => 310;

    public override string Name => "operators, password history, tokens";

    protected override string Sql => """
        CREATE TABLE operators (
            id                    TEXT PRIMARY KEY,
            display_name          TEXT NOT NULL,
            roles                 TEXT NOT NULL,
            password_hash         TEXT NOT NULL,
            password_changed_utc  TEXT NOT NULL,
            must_change_password  INTEGER NOT NULL CHECK (must_change_password IN (0, 1)),
            disabled              INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
            failed_logins         INTEGER NOT NULL DEFAULT 0,
            locked_until_utc      TEXT,
            created_utc           TEXT NOT NULL
        ) STRICT;

        CREATE TABLE operator_password_history (
            id             INTEGER PRIMARY KEY AUTOINCREMENT,
            operator_id    TEXT NOT NULL REFERENCES operators(id),
            password_hash  TEXT NOT NULL,
            retired_utc    TEXT NOT NULL
        ) STRICT;
        CREATE INDEX operator_password_history_operator ON operator_password_history(operator_id, id);

        CREATE TABLE operator_tokens (
            token_hash   TEXT PRIMARY KEY,
            operator_id  TEXT NOT NULL REFERENCES operators(id),
            created_utc  TEXT NOT NULL,
            expires_utc  TEXT NOT NULL,
            revoked_utc  TEXT
        ) STRICT;
        CREATE INDEX operator_tokens_operator ON operator_tokens(operator_id);

        CREATE TABLE notification_outbox (
            id                INTEGER PRIMARY KEY AUTOINCREMENT,
            message_id        TEXT NOT NULL UNIQUE,
            kind              TEXT NOT NULL,
            recipients        TEXT NOT NULL,
            subject           TEXT NOT NULL,
            body              TEXT NOT NULL,
            created_utc       TEXT NOT NULL,
            attempts          INTEGER NOT NULL DEFAULT 0,
            next_attempt_utc  TEXT NOT NULL,
            last_error        TEXT,
            delivered_utc     TEXT
        ) STRICT;
        CREATE INDEX notification_outbox_due ON notification_outbox(delivered_utc, next_attempt_utc);
        """;
}
