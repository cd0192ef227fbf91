namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// The desk's money beside parking payments: the bank account a bank-debit agreement is debited from
/// (for the debit export; lists show it masked), card fees and deposits taken at issue and replacement
/// and deposits refunded at hand-back (<c>card_charges</c>, each with its receipt-book number), the
/// deposit each card holds (<c>card_deposits</c>: it follows a replacement, one held per card), and
/// the charges an issue decided at its intent (<c>card_issue_journal.charges</c>, JSON) so that an issue
/// committed at start takes what the clerk collected. Indexes serve the cash report's time windows.
/// See docs/parking.md and docs/api.md.
/// </summary>
public sealed class M0600_DeskMoney : SqlMigration
{
    public override int Version => 600;

    public override string Name => "desk money: bank accounts, card fees and deposits";

    protected override string Sql => """
        ALTER TABLE parking_agreements ADD COLUMN bank_account_name TEXT;
        ALTER TABLE parking_agreements ADD COLUMN bank_account_number TEXT;

        CREATE TABLE card_charges (
            id              INTEGER PRIMARY KEY,
            card_number     INTEGER NOT NULL REFERENCES cards(number),
            holder_id       INTEGER NOT NULL REFERENCES holders(id),
            kind            TEXT NOT NULL CHECK (kind IN ('card-fee', 'replacement-fee', 'deposit', 'deposit-refund')),
            amount_fen      INTEGER NOT NULL CHECK (amount_fen > 0),
            receipt_number  TEXT NOT NULL,
            recorded_utc    TEXT NOT NULL,
            recorded_by     TEXT NOT NULL
        ) STRICT;
        CREATE INDEX card_charges_receipt ON card_charges(receipt_number);
        CREATE INDEX card_charges_recorded ON card_charges(recorded_utc);
        CREATE INDEX card_charges_card ON card_charges(card_number);

        CREATE TABLE card_deposits (
            id                INTEGER PRIMARY KEY,
            holder_id         INTEGER NOT NULL REFERENCES holders(id),
            card_number       INTEGER NOT NULL REFERENCES cards(number),
            amount_fen        INTEGER NOT NULL CHECK (amount_fen > 0),
            charge_id         INTEGER NOT NULL REFERENCES card_charges(id),
            refund_charge_id  INTEGER REFERENCES card_charges(id)
        ) STRICT;
        CREATE UNIQUE INDEX card_deposits_held ON card_deposits(card_number) WHERE refund_charge_id IS NULL;

        ALTER TABLE card_issue_journal ADD COLUMN charges TEXT;

        CREATE INDEX parking_payments_recorded ON parking_payments(recorded_utc);
        CREATE INDEX parking_payments_reversed ON parking_payments(reversed_utc) WHERE reversed_utc IS NOT NULL;
        """;
}
