namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// Openings of a lane or door from the desk: who asked, why, and what became of it; the collected event of a
/// controller that logs openings names its opening (<c>controller_events.opening_id</c>). See docs/api.md
/// ("Opening a gate from the desk") and docs/barrier-profile.md (remote opening, profile 1.1).
/// </summary>
public sealed class M0710_GateOpenings : SqlMigration
{
    public override int Version => 710;

    public override string Name => "gate openings";

    protected override string Sql => """
        CREATE TABLE gate_openings (
            id             INTEGER PRIMARY KEY,
            controller_id  TEXT NOT NULL,
            lane           INTEGER NOT NULL CHECK (lane BETWEEN 1 AND 255),
            reason         TEXT NOT NULL,
            operator_id    TEXT NOT NULL,
            operator_name  TEXT NOT NULL,
            requested_utc  TEXT NOT NULL,
            outcome        TEXT NOT NULL CHECK (outcome IN ('requested', 'opened', 'failed', 'not-sent')),
            logged         INTEGER NOT NULL DEFAULT 0,
            detail         TEXT,
            completed_utc  TEXT
        ) STRICT;
        CREATE INDEX gate_openings_controller ON gate_openings(controller_id, id);

        ALTER TABLE controller_events ADD COLUMN opening_id INTEGER REFERENCES gate_openings(id);
        CREATE INDEX controller_events_opening ON controller_events(opening_id) WHERE opening_id IS NOT NULL;
        """;
}
