namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// Events collected from UHPPOTE boards: a board reports the card number its door's reader output, not
/// the UID, so the number is kept beside the UID it was mapped back to (empty when no card of the site
/// reads as that number). For boards, <c>boot_id</c> holds the event epoch (a new one each time the
/// board's event log restarts) and <c>sequence</c> the board's event index (docs/uhppote.md, "Events").
/// </summary>
public sealed class M0460_BoardEvents : SqlMigration
{
    public override int Version => 460;

    public override string Name => "board card numbers of controller events";

    protected override string Sql => """
        ALTER TABLE controller_events ADD COLUMN board_card INTEGER;
        """;
}
