namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// Parking agreements, their payments, the periods granted payments bought (one row per granted
/// payment, in grant order per agreement), and the lines of imported bank-debit result files (so a
/// line imported once is recognised when it comes again). Dates of periods are local dates
/// (yyyy-MM-dd) in the site's zone; instants are UTC text (see UnitOfWork.Timestamp). See docs/parking.md.
/// </summary>
public sealed class M0250_Parking : SqlMigration
{
    public override int Version => 250;

    public override string Name => "parking agreements, payments and periods";

    protected override string Sql => """
        CREATE TABLE parking_agreements (
            id                INTEGER PRIMARY KEY,
            agreement_number  TEXT NOT NULL UNIQUE,
            holder_id         INTEGER NOT NULL REFERENCES holders(id),
            card_number       INTEGER NOT NULL REFERENCES cards(number),
            plate             TEXT NOT NULL,
            space             TEXT NOT NULL,
            monthly_fee_fen   INTEGER NOT NULL CHECK (monthly_fee_fen > 0),
            billing_cycle     TEXT NOT NULL CHECK (billing_cycle IN ('month', 'quarter', 'half-year')),
            payment_method    TEXT NOT NULL CHECK (payment_method IN ('cash', 'bank-debit')),
            signed_copy_ref   TEXT NOT NULL,
            created_utc       TEXT NOT NULL,
            created_by        TEXT NOT NULL,
            ended_utc         TEXT,
            ended_by          TEXT,
            end_reason        TEXT,
            paid_until_date   TEXT,
            paid_until_utc    TEXT
        ) STRICT;
        CREATE UNIQUE INDEX parking_agreements_active_card ON parking_agreements(card_number) WHERE ended_utc IS NULL;
        CREATE UNIQUE INDEX parking_agreements_active_space ON parking_agreements(space) WHERE ended_utc IS NULL;
        CREATE INDEX parking_agreements_plate ON parking_agreements(plate);
        CREATE INDEX parking_agreements_holder ON parking_agreements(holder_id);
        CREATE INDEX parking_agreements_paid_until ON parking_agreements(paid_until_utc) WHERE ended_utc IS NULL;

        CREATE TABLE parking_payments (
            id               INTEGER PRIMARY KEY,
            agreement_id     INTEGER NOT NULL REFERENCES parking_agreements(id),
            amount_fen       INTEGER NOT NULL CHECK (amount_fen > 0),
            method           TEXT NOT NULL CHECK (method IN ('cash', 'bank-debit')),
            receipt_number   TEXT NOT NULL UNIQUE,
            state            TEXT NOT NULL CHECK (state IN ('recorded', 'granted', 'reversed')),
            recorded_utc     TEXT NOT NULL,
            recorded_by      TEXT NOT NULL,
            granted_utc      TEXT,
            granted_by       TEXT,
            reversed_utc     TEXT,
            reversed_by      TEXT,
            reversal_reason  TEXT
        ) STRICT;
        CREATE INDEX parking_payments_agreement ON parking_payments(agreement_id);

        CREATE TABLE parking_periods (
            payment_id    INTEGER PRIMARY KEY REFERENCES parking_payments(id),
            agreement_id  INTEGER NOT NULL REFERENCES parking_agreements(id),
            seq           INTEGER NOT NULL,
            chain_start   TEXT NOT NULL,
            months        INTEGER NOT NULL CHECK (months >= 0),
            days          INTEGER NOT NULL CHECK (days >= 0),
            start_date    TEXT NOT NULL,
            end_date      TEXT NOT NULL,
            start_utc     TEXT NOT NULL,
            end_utc       TEXT NOT NULL,
            UNIQUE (agreement_id, seq)
        ) STRICT;

        CREATE TABLE parking_bank_lines (
            debit_key         TEXT PRIMARY KEY,
            agreement_number  TEXT NOT NULL,
            amount_fen        INTEGER NOT NULL,
            debit_date        TEXT NOT NULL,
            status            TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
            outcome           TEXT NOT NULL,
            payment_id        INTEGER REFERENCES parking_payments(id),
            imported_utc      TEXT NOT NULL,
            imported_by       TEXT NOT NULL
        ) STRICT;
        """;
}
