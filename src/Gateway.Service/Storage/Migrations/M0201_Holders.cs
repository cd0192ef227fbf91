namespace Gateway.Service.Storage.Migrations;

/// <summary>Cardholders and their unit. Only the last 4 characters of an ID-document number are ever stored.</summary>
public sealed class M0201_Holders : SqlMigration
{
    public override int Version => 201;

    public override string Name => "holders";

    protected override string Sql => """
        CREATE TABLE holders (
            id           INTEGER PRIMARY KEY,
            name         TEXT NOT NULL,
            building     TEXT NOT NULL,
            unit         TEXT NOT NULL,
            room         TEXT NOT NULL,
            phone        TEXT,
            email        TEXT,
            id_last4     TEXT CHECK (id_last4 IS NULL OR length(id_last4) = 4),
            created_utc  TEXT NOT NULL,
            updated_utc  TEXT NOT NULL
        ) STRICT;
        CREATE INDEX holders_address ON holders(building, unit, room);
        """;
}
