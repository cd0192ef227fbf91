using Gateway.Service.Audit;

namespace Gateway.Service.Inventory;

/// <summary>One card state's line: the system's count at month end against finance's counts.</summary>
public sealed record InventoryLine(
    string State,
    long Opening,
    long System,
    long? RegisterCount,
    long? PhysicalCount,
    bool PhysicalApplicable,
    long? RegisterVariance,
    long? PhysicalVariance,
    string? Explanation,
    bool NeedsExplanation);

/// <summary>How many transitions of one kind happened during the month.</summary>
public sealed record InventoryMovement(string Action, long Count);

/// <summary>Cards of one batch whose numbers are absent from the card table altogether.</summary>
public sealed record MissingNumbers(string Batch, IReadOnlyList<long> Numbers);

/// <summary>
/// An issued card with no event at any controller during the last <see cref="InventoryAnomalies.NotSeenDays"/>
/// days of the month: its UID as the controllers report it, when its current issue began, and the time of
/// its last event before month end (null: never seen).
/// </summary>
public sealed record NotSeenCard(long CardNumber, string? Uid, string IssuedUtc, string? LastSeenUtc);

/// <summary>
/// What looks wrong in the records, whatever the counts say. <see cref="NotSeenAtControllers"/> is null
/// only in a report signed off before controller events were collected; it lists at most
/// <see cref="InventoryStore.MaxListed"/> cards of the <see cref="NotSeenTotal"/> flagged.
/// </summary>
public sealed record InventoryAnomalies(
    IReadOnlyList<long> IssuedWithoutHandOver,
    IReadOnlyList<MissingNumbers> MissingStockNumbers,
    IReadOnlyList<long> CardsWithoutState,
    IReadOnlyList<NotSeenCard>? NotSeenAtControllers,
    int NotSeenDays,
    long NotSeenTotal);

/// <summary>The month's report (JSON; CSV and text are renderings of it).</summary>
public sealed record InventoryReport(
    string Month,
    string State,
    string StartsUtc,
    string EndsUtc,
    string OpenedBy,
    string OpenedUtc,
    string? SignedOffBy,
    string? SignedOffUtc,
    AuditHead? AuditHead,
    IReadOnlyList<InventoryLine> Lines,
    IReadOnlyList<InventoryMovement> Movements,
    InventoryAnomalies Anomalies,
    IReadOnlyList<string> Blocking);
