namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// Temporary and visitor cards: a card's purpose, validity window [valid_from_utc, valid_until_utc),
/// who carries it, and the lost card it stands in for (one issued stand-in per lost card); cleared when
/// the card is recycled. The issue journal keeps an issue's terms (JSON) so that an issue committed at
/// start issues exactly what was asked. See docs/api.md ("Temporary and visitor cards").
/// </summary>
public sealed class M0700_TemporaryCards : SqlMigration
{
    public override int Version => 700;

    public override string Name => "temporary and visitor cards";

    protected override string Sql => """
        ALTER TABLE cards ADD COLUMN temporary TEXT CHECK (temporary IS NULL OR temporary IN ('tenant', 'contractor', 'visitor', 'stand-in'));
        ALTER TABLE cards ADD COLUMN valid_from_utc TEXT;
        ALTER TABLE cards ADD COLUMN valid_until_utc TEXT;
        ALTER TABLE cards ADD COLUMN bearer TEXT;
        ALTER TABLE cards ADD COLUMN stands_in_for INTEGER REFERENCES cards(number);
        CREATE INDEX cards_temporary ON cards(valid_until_utc) WHERE temporary IS NOT NULL;
        CREATE UNIQUE INDEX cards_stand_in_issued ON cards(stands_in_for) WHERE stands_in_for IS NOT NULL AND state = 'issued';

        ALTER TABLE card_issue_journal ADD COLUMN temporary TEXT;
        """;
}
