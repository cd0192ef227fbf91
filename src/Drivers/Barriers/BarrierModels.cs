namespace Gateway.Drivers.Barriers;

/// <summary>The identification block of a controller.</summary>
/// <param name="MajorVersion">Profile major version (1).</param>
/// <param name="MinorVersion">Profile minor version.</param>
/// <param name="Capacity">Whitelist records the controller holds.</param>
/// <param name="Lanes">Lanes, numbered 1..Lanes.</param>
/// <param name="EventCapacity">Unacknowledged events the ring holds before the oldest is lost.</param>
/// <param name="FirmwareId">Vendor firmware id.</param>
/// <param name="BootId">Changes at every restart; events are unique by (boot id, sequence).</param>
public sealed record BarrierIdentity(byte MajorVersion, byte MinorVersion, int Capacity, int Lanes, int EventCapacity, uint FirmwareId, uint BootId);

/// <summary>The status block: one read that tells the clock, the whitelist's count and digest and the event counters.</summary>
public sealed record BarrierStatus(
    uint BootId,
    DateTimeOffset Clock,
    int WhitelistCount,
    ulong Digest,
    uint LastSequence,
    uint AcknowledgedSequence,
    uint Overflow,
    bool AntiPassback,
    ushort OpenSeconds = 0);

/// <summary>The controller's clock against ours.</summary>
/// <param name="ControllerTime">What the controller's clock said.</param>
/// <param name="GatewayTime">Our clock at the middle of the exchange.</param>
/// <param name="Drift">Controller minus Gateway (positive: the controller is ahead). Resolution 1 s.</param>
public sealed record ClockReading(DateTimeOffset ControllerTime, DateTimeOffset GatewayTime, TimeSpan Drift);

/// <summary>What a whitelist change did.</summary>
/// <param name="Transactions">Modbus transactions used.</param>
/// <param name="Changed">Records inserted, changed or removed, as the controller counted them.</param>
/// <param name="Count">Records on the controller afterwards.</param>
/// <param name="Digest">The controller's digest afterwards.</param>
public sealed record WhitelistChange(int Transactions, int Changed, int Count, ulong Digest);

/// <summary>One read compared the controller's count and digest with the expected whitelist.</summary>
public sealed record WhitelistDriftCheck(int ExpectedCount, ulong ExpectedDigest, int ActualCount, ulong ActualDigest)
{
    public bool InSync => ExpectedCount == ActualCount && ExpectedDigest == ActualDigest;
}

/// <summary>How a controller's record differs from the expected one.</summary>
public enum WhitelistDifferenceKind
{
    /// <summary>Expected but not on the controller.</summary>
    Missing,

    /// <summary>On the controller but not expected.</summary>
    Extra,

    /// <summary>On both, with another validity or blocked flag.</summary>
    Different,
}

/// <summary>One difference found by an audit.</summary>
public sealed record WhitelistDifference(WhitelistDifferenceKind Kind, CardUid Uid, WhitelistEntry? Expected, WhitelistEntry? Actual);

/// <summary>The result of a full read-back audit.</summary>
public sealed record WhitelistAudit(int ControllerCount, IReadOnlyList<WhitelistDifference> Differences, int Transactions)
{
    public bool InSync => Differences.Count == 0;
}

/// <summary>What <see cref="BarrierController.ReconcileWhitelistAsync"/> found and repaired.</summary>
/// <param name="Repaired">The differences found by the audit (none when the first drift check matched).</param>
/// <param name="Transactions">Modbus transactions used.</param>
/// <param name="After">The drift check after the repair.</param>
public sealed record WhitelistReconciliation(IReadOnlyList<WhitelistDifference> Repaired, int Transactions, WhitelistDriftCheck After)
{
    public bool InSync => After.InSync;
}

/// <summary>
/// Events read from a controller, oldest first, not yet acknowledged. Store them, then call
/// <see cref="BarrierController.AcknowledgeEventsAsync(BarrierEventBatch, CancellationToken)"/>.
/// </summary>
/// <param name="BootId">The controller's boot id the sequences belong to.</param>
/// <param name="Events">The events, ascending by sequence.</param>
/// <param name="Acknowledged">The controller's acknowledged sequence when read.</param>
/// <param name="Lost">Events lost to overflow between the acknowledged sequence and the first event here.</param>
/// <param name="More">The window was full: more unacknowledged events may wait; acknowledge and read again.</param>
public sealed record BarrierEventBatch(uint BootId, uint Acknowledged, IReadOnlyList<BarrierEvent> Events, uint Lost, bool More)
{
    /// <summary>The sequence to acknowledge once <see cref="Events"/> are stored (0 when empty).</summary>
    public uint LastSequence => Events.Count == 0 ? 0 : Events[^1].Sequence;
}

/// <summary>A lane's inputs and arm.</summary>
public sealed record LaneStatus(int Lane, bool ArmUp, bool ArmDown, bool VehiclePresent, bool Fault, bool Raising, bool Lowering)
{
    /// <summary>Neither up nor down: travelling (or stuck, if it lasts).</summary>
    public bool Moving => !ArmUp && !ArmDown;
}

/// <summary>Settings of a <see cref="BarrierController"/>.</summary>
public sealed record BarrierControllerOptions
{
    /// <summary>Upper bound for one Modbus transaction of this driver (the master's own timeout and retries run inside it). Default 10 s.</summary>
    public TimeSpan TransactionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Gateway's clock, for drift.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
