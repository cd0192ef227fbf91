using Gateway.Drivers.Modbus;

namespace Gateway.Simulators.Barrier;

/// <summary>
/// The faults a simulated controller injects on command: Modbus faults applied to the next replies in
/// order (drop, delay, corrupt checksum, busy), and event acknowledgements refused with exception 06.
/// Not thread-safe: <see cref="SimulatedBarrierController"/> holds its lock around every call.
/// </summary>
internal sealed class BarrierFaults
{
    private readonly Queue<ModbusFault> _queued = new();

    /// <summary>Acknowledgements still to be refused.</summary>
    public int AcknowledgementsToRefuse { get; private set; }

    public void Inject(ModbusFault fault, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        for (var i = 0; i < count; i++)
        {
            _queued.Enqueue(fault);
        }
    }

    /// <summary>Drops the Modbus faults still queued (a reboot does too); refused acknowledgements stay.</summary>
    public int Clear()
    {
        var count = _queued.Count;
        _queued.Clear();
        return count;
    }

    public ModbusFault Next() => _queued.TryDequeue(out var fault) ? fault : ModbusFault.None;

    public void RefuseAcknowledgements(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        AcknowledgementsToRefuse = count;
    }

    /// <summary>True when this valid acknowledgement is to be refused (and counted off).</summary>
    public bool RefuseAcknowledgement()
    {
        if (AcknowledgementsToRefuse <= 0)
        {
            return false;
        }

        AcknowledgementsToRefuse--;
        return true;
    }
}
