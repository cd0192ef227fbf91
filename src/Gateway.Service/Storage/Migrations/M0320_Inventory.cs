namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// The monthly smart-card inventory: one row per month (open, then signed off with who, when and the
/// audit chain head) and one line per card state with finance's register and physical counts and the
/// explanation of any variance. Triggers make a signed-off month immutable.
/// </summary>
public sealed class M0320_Inventory : SqlMigration
{
    public override int Version => 320;

    public override string Name => "monthly card inventory";

    protected override string Sql => """
        CREATE TABLE inventory_months (
            month           TEXT PRIMARY KEY,
            state           TEXT NOT NULL CHECK (state IN ('open', 'signed-off')),
            starts_utc      TEXT NOT NULL,
            ends_utc        TEXT NOT NULL,
            opened_utc      TEXT NOT NULL,
            opened_by       TEXT NOT NULL,
            signed_off_utc  TEXT,
            signed_off_by   TEXT,
            audit_head_id   INTEGER,
            audit_head_mac  TEXT,
            report          TEXT
        ) STRICT;

        CREATE TABLE inventory_lines (
            month           TEXT NOT NULL REFERENCES inventory_months(month),
            card_state      TEXT NOT NULL,
            register_count  INTEGER,
            physical_count  INTEGER,
            explanation     TEXT,
            PRIMARY KEY (month, card_state)
        ) STRICT;

        CREATE TRIGGER inventory_months_signed_immutable BEFORE UPDATE ON inventory_months WHEN OLD.state = 'signed-off'
        BEGIN SELECT RAISE(ABORT, 'a signed-off inventory month is immutable'); END;
        CREATE TRIGGER inventory_months_no_delete BEFORE DELETE ON inventory_months WHEN OLD.state = 'signed-off'
        BEGIN SELECT RAISE(ABORT, 'a signed-off inventory month is immutable'); END;
        CREATE TRIGGER inventory_lines_signed_immutable BEFORE UPDATE ON inventory_lines
            WHEN (SELECT state FROM inventory_months WHERE month = OLD.month) = 'signed-off'
        BEGIN SELECT RAISE(ABORT, 'a signed-off inventory month is immutable'); END;
        CREATE TRIGGER inventory_lines_signed_no_delete BEFORE DELETE ON inventory_lines
            WHEN (SELECT state FROM inventory_months WHERE month = OLD.month) = 'signed-off'
        BEGIN SELECT RAISE(ABORT, 'a signed-off inventory month is immutable'); END;
        CREATE TRIGGER inventory_lines_signed_no_insert BEFORE INSERT ON inventory_lines
            WHEN (SELECT state FROM inventory_months WHERE month = NEW.month) = 'signed-off'
        BEGIN SELECT RAISE(ABORT, 'a signed-off inventory month is immutable'); END;
        """;
}
