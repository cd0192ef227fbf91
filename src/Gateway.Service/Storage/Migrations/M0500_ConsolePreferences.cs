namespace Gateway.Service.Storage.Migrations;

/// <summary>The web console's per-operator preferences: the language the console speaks to the operator.</summary>
public sealed class M0500_ConsolePreferences : SqlMigration
{
    public override int Version => 500;

    public override string Name => "console preferences";

    protected override string Sql => """
        CREATE TABLE console_preferences (
            operator_id  TEXT PRIMARY KEY,
            language     TEXT NOT NULL CHECK (language IN ('zh-CN', 'en')),
            updated_utc  TEXT NOT NULL
        );
        """;
}
