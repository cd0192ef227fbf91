namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// Controller events indexed by holder, plate and controller, so the console's recent events filtered by one
/// of them (newest first, docs/console.md) read the newest matching rows from an index instead of walking the
/// whole table back from its newest row (by holder) or sorting every event of a controller (by controller).
/// Each index also holds the row id, which gives the order. See docs/benchmarks.md, "console".
/// </summary>
public sealed class M0730_ConsoleEventFilters : SqlMigration
{
    public override int Version => 730;

    public override string Name => "controller events by holder, plate and controller";

    protected override string Sql => """
        CREATE INDEX controller_events_holder ON controller_events(holder_id) WHERE holder_id IS NOT NULL;
        CREATE INDEX controller_events_plate ON controller_events(plate) WHERE plate IS NOT NULL;
        CREATE INDEX controller_events_controller ON controller_events(controller_id);
        """;
}
