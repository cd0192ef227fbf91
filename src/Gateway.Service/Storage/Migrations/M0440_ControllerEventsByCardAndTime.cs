namespace Gateway.Service.Storage.Migrations;

/// <summary>
/// Controller events indexed by card (UID and resolved number) and time, so "the last event of this
/// card before an instant" is one index seek: the monthly inventory asks it of every issued card
/// (docs/inventory.md, issued cards not seen at any controller). The single-column indexes of
/// migration 400 stay for the event list, which filters by card and pages by id.
/// </summary>
public sealed class M0440_ControllerEventsByCardAndTime : SqlMigration
{
    public override int Version => 440;

    public override string Name => "controller events by card and time";

    protected override string Sql => """
        CREATE INDEX controller_events_uid_time ON controller_events(card_uid, time_utc);
        CREATE INDEX controller_events_card_time ON controller_events(card_number, time_utc);
        """;
}
