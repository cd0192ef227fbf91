namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// Whether a whitelist restore or repair of a controller was started and not yet found complete, so
/// that after a crash of the service a half-written controller is finished quietly rather than
/// reported as drift (docs/sync.md).
/// </summary>
public sealed class M0401_SyncWritePending : SqlMigration
{
    public override int Version => 401;

    public override string Name => "sync: whitelist write pending";

    protected override string Sql => """
        ALTER TABLE sync_controllers ADD COLUMN write_pending INTEGER NOT NULL DEFAULT 0 CHECK (write_pending IN (0, 1));
        """;
}
