namespace Gateway.Drivers.Barriers;

/// <summary>The device answers but is not a gateway-barrier/1 controller Gateway can drive (wrong magic or major version).</summary>
public sealed class BarrierProfileMismatchException : DeviceException
{
    public BarrierProfileMismatchException(string device, byte unit, string message)
        : base(device, $"unit {unit}: {message}")
    {
        Unit = unit;
    }

    public byte Unit { get; }
}

/// <summary>The controller refused a whitelist command (its result register); nothing of that batch was applied.</summary>
public sealed class BarrierCommandException : DeviceException
{
    public BarrierCommandException(string device, byte unit, BarrierCommand command, BarrierResultCode result, CardUid? uid)
        : base(device, $"unit {unit}: {command} refused: {Describe(result)}{(uid is { } u ? $" (card {u})" : string.Empty)}")
    {
        Unit = unit;
        Command = command;
        Result = result;
        Uid = uid;
    }

    public byte Unit { get; }

    public BarrierCommand Command { get; }

    public BarrierResultCode Result { get; }

    /// <summary>The card of the record at fault, when the result names one.</summary>
    public CardUid? Uid { get; }

    private static string Describe(BarrierResultCode result) => result switch
    {
        BarrierResultCode.Full => "whitelist full",
        BarrierResultCode.Duplicate => "duplicate card in batch",
        BarrierResultCode.MalformedUid => "malformed card UID",
        BarrierResultCode.InvalidPeriod => "valid-to before valid-from",
        BarrierResultCode.UnknownCommand => "unknown command",
        BarrierResultCode.BadCount => "bad record count",
        BarrierResultCode.Idle => "no result (command not seen)",
        _ => $"result {(ushort)result}",
    };
}

/// <summary>The controller answered with data that breaks the profile (an impossible record or event).</summary>
public sealed class BarrierProtocolException : DeviceException
{
    public BarrierProtocolException(string device, byte unit, string message)
        : base(device, $"unit {unit}: {message}")
    {
        Unit = unit;
    }

    public byte Unit { get; }
}

/// <summary>
/// The controller refused an event acknowledgement: it has restarted since the events were read
/// (another boot id) or never issued that sequence. Nothing was acknowledged; read the events again.
/// </summary>
public sealed class BarrierAcknowledgeRejectedException : DeviceException
{
    public BarrierAcknowledgeRejectedException(string device, byte unit, uint bootId, uint sequence, Exception? innerException = null)
        : base(device, $"unit {unit}: acknowledgement of sequence {sequence} of boot {bootId:X8} refused (restarted since, or no such event)", innerException)
    {
        Unit = unit;
        BootId = bootId;
        Sequence = sequence;
    }

    public byte Unit { get; }

    public uint BootId { get; }

    public uint Sequence { get; }
}
