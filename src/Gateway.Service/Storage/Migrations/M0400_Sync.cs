namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// The sync engine's bookkeeping per controller (last outbox sequence confirmed applied, boot id, last
/// full check), the events collected from the controllers (unique by controller, boot id and
/// sequence, so a second collection of the same event is dropped), and the alarms. See docs/sync.md.
/// </summary>
public sealed class M0400_Sync : SqlMigration
{
    public override int Version => 400;

    public override string Name => "sync state, controller events and alarms";

    protected override string Sql => """
        CREATE TABLE sync_controllers (
            controller_id     TEXT PRIMARY KEY,
            applied_sequence  INTEGER NOT NULL DEFAULT 0,
            boot_id           INTEGER,
            last_check_utc    TEXT,
            updated_utc       TEXT NOT NULL
        ) STRICT;

        CREATE TABLE controller_events (
            id             INTEGER PRIMARY KEY,
            controller_id  TEXT NOT NULL,
            boot_id        INTEGER NOT NULL,
            sequence       INTEGER NOT NULL,
            time_utc       TEXT NOT NULL,
            card_uid       TEXT NOT NULL,
            lane           INTEGER NOT NULL,
            direction      TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),
            decision       TEXT NOT NULL CHECK (decision IN ('granted', 'denied')),
            reason         TEXT NOT NULL,
            card_number    INTEGER,
            holder_id      INTEGER,
            plate          TEXT,
            collected_utc  TEXT NOT NULL,
            UNIQUE (controller_id, boot_id, sequence)
        ) STRICT;
        CREATE INDEX controller_events_time ON controller_events(time_utc);
        CREATE INDEX controller_events_card ON controller_events(card_number);
        CREATE INDEX controller_events_uid ON controller_events(card_uid);

        CREATE TABLE alarms (
            id                INTEGER PRIMARY KEY,
            kind              TEXT NOT NULL CHECK (kind IN ('buffer-overflow', 'device-down', 'drift', 'clock-skew', 'blocked-card')),
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
        CREATE INDEX alarms_open ON alarms(id) WHERE acknowledged_utc IS NULL;
        """;
}
