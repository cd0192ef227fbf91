namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// The audit log: one row per audited fact, chained by an HMAC keyed from the audit key file (see
/// docs/audit.md). Triggers refuse UPDATE and DELETE through SQL; anyone who edits the file by other
/// means is caught by the chain, not by the triggers.
/// </summary>
public sealed class M0300_AuditLog : SqlMigration
{
    public override int Version => 300;

    public override string Name => "audit log";

    protected override string Sql => """
        CREATE TABLE audit_log (
            id             INTEGER PRIMARY KEY,
            at_utc         TEXT NOT NULL,
            operator_id    TEXT NOT NULL,
            operator_name  TEXT NOT NULL,
            action         TEXT NOT NULL,
            subject        TEXT NOT NULL,
            details        TEXT NOT NULL,
            prev_mac       TEXT NOT NULL,
            mac            TEXT NOT NULL
        ) STRICT;
        CREATE INDEX audit_log_subject ON audit_log(subject);
        CREATE INDEX audit_log_action ON audit_log(action);
        CREATE INDEX audit_log_at ON audit_log(at_utc);

        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """;
}
