namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// Moving a live site in (docs/migration.md): a holder keeps the number the previous system knew it by
/// (<c>import_ref</c>, unique), so cards and agreements find it and a second import recognises it; a card
/// already in a resident's hand is flagged <c>legacy</c> (Gateway did not write it: no payload to verify,
/// no keys to erase it with); an agreement's paid-until date is carried over as a granted payment flagged
/// <c>carried_over</c> (its period is what the controllers are given; it is no money taken at the desk).
/// </summary>
public sealed class M0720_SiteImport : SqlMigration
{
    public override int Version => 720;

    public override string Name => "site import: holder references, legacy cards, carried-over periods";

    protected override string Sql => """
        ALTER TABLE holders ADD COLUMN import_ref TEXT;
        CREATE UNIQUE INDEX holders_import_ref ON holders(import_ref) WHERE import_ref IS NOT NULL;
        ALTER TABLE cards ADD COLUMN legacy INTEGER NOT NULL DEFAULT 0 CHECK (legacy IN (0, 1));
        ALTER TABLE parking_payments ADD COLUMN carried_over INTEGER NOT NULL DEFAULT 0 CHECK (carried_over IN (0, 1));
        """;
}
