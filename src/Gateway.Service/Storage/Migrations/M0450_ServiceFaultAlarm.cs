namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// The <c>service-fault</c> alarm kind: a loop of the service stopped on an unexpected error (docs/operations.md).
/// SQLite cannot change a CHECK constraint in place, so the table is rebuilt with its rows and ids.
/// </summary>
public sealed class M0450_ServiceFaultAlarm : SqlMigration
{
    public override int Version => 450;

    public override string Name => "alarms: service-fault kind";

    protected override string Sql => """
        CREATE TABLE alarms_next (
            id                INTEGER PRIMARY KEY,
            kind              TEXT NOT NULL CHECK (kind IN ('buffer-overflow', 'device-down', 'drift', 'clock-skew', 'blocked-card', 'service-fault')),
            device_id         TEXT NOT NULL,
            message           TEXT NOT NULL,
            card_uid          TEXT,
            card_number       INTEGER,
            lost              INTEGER,
            raised_utc        TEXT NOT NULL,
            acknowledged_utc  TEXT,
            acknowledged_by   TEXT,
            note              TEXT
        ) STRICT;
        INSERT INTO alarms_next(id, kind, device_id, message, card_uid, card_number, lost, raised_utc, acknowledged_utc, acknowledged_by, note)
            SELECT id, kind, device_id, message, card_uid, card_number, lost, raised_utc, acknowledged_utc, acknowledged_by, note FROM alarms;
        DROP TABLE alarms;
        ALTER TABLE alarms_next RENAME TO alarms;
        CREATE INDEX alarms_open ON alarms(id) WHERE acknowledged_utc IS NULL;
        """;
}
