namespace Gateway.Drivers.Barriers;

/// <summary>
/// One entry of a controller's event ring: a card presented at a lane and what the controller decided.
/// <see cref="Sequence"/> is unique within the controller's boot id (key events by both).
/// </summary>
public readonly record struct BarrierEvent(
    uint Sequence,
    DateTimeOffset Time,
    CardUid Uid,
    int Lane,
    LaneDirection Direction,
    AccessDecision Decision,
    DenyReason Reason)
{
    /// <summary>Writes the 10-register event record.</summary>
    public void Write(Span<ushort> registers)
    {
        BarrierProfile.WriteUInt32(registers, 0, Sequence);
        BarrierProfile.WriteUInt32(registers, 2, (uint)Math.Clamp(Time.ToUnixTimeSeconds(), 0, uint.MaxValue));
        Uid.WriteField(registers[4..8]);
        registers[8] = (ushort)((Lane << 8) | (byte)Direction);
        registers[9] = (ushort)(((byte)Decision << 8) | (byte)Reason);
    }

    /// <summary>Reads a 10-register event record; false when it is not a valid event.</summary>
    public static bool TryRead(ReadOnlySpan<ushort> registers, out BarrierEvent value)
    {
        value = default;
        if (!CardUid.TryReadField(registers[4..8], 0, out var uid, out _))
        {
            return false;
        }

        var direction = (LaneDirection)(registers[8] & 0xFF);
        var decision = (AccessDecision)(registers[9] >> 8);
        var reason = (DenyReason)(registers[9] & 0xFF);
        if (!Enum.IsDefined(direction) || !Enum.IsDefined(decision) || !Enum.IsDefined(reason))
        {
            return false;
        }

        value = new BarrierEvent(
            BarrierProfile.ReadUInt32(registers, 0),
            DateTimeOffset.FromUnixTimeSeconds(BarrierProfile.ReadUInt32(registers, 2)),
            uid,
            registers[8] >> 8,
            direction,
            decision,
            reason);
        return true;
    }
}
