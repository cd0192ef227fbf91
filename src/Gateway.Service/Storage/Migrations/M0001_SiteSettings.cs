namespace Gateway.Service.Storage.Migrations;

/// <summary>Site settings: which site this database belongs to, so a misplaced data folder is refused.</summary>
public sealed class M0001_SiteSettings : SqlMigration
{
    public override int Version => 1;

    public override string Name => "site settings";

    protected override string Sql => """
        CREATE TABLE site_settings (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) STRICT;
        """;
}
