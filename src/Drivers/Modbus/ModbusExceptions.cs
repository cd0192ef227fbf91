namespace Gateway.Drivers.Modbus;

/// <summary>The device answered with a Modbus exception reply.</summary>
public sealed class ModbusExceptionReplyException : DeviceException
{
    public ModbusExceptionReplyException(string device, byte unit, byte functionCode, ModbusExceptionCode code)
        : base(device, $"unit {unit}, function {functionCode}: {code.Describe()} ({(byte)code})")
    {
        Unit = unit;
        FunctionCode = functionCode;
        Code = code;
    }

    public byte Unit { get; }

    public byte FunctionCode { get; }

    public ModbusExceptionCode Code { get; }
}

/// <summary>
/// Bytes that cannot be a valid frame: bad CRC, impossible length, wrong protocol id. Decoders throw
/// it for corrupt input (and nothing else); the master throws it when replies stayed corrupt after retries.
/// </summary>
public sealed class ModbusCorruptFrameException : DeviceException
{
    public ModbusCorruptFrameException(string device, string message, Exception? innerException = null)
        : base(device, message, innerException)
    {
    }

    /// <summary>A corrupt reply to a request for <paramref name="unit"/>.</summary>
    public ModbusCorruptFrameException(string device, byte unit, string message, Exception? innerException = null)
        : base(device, $"unit {unit}: {message}", innerException)
    {
        Unit = unit;
    }

    /// <summary>The unit the request was for, when the error comes from a master.</summary>
    public byte? Unit { get; }
}

/// <summary>A unit did not answer a request within the master's timeout (after its retries).</summary>
public sealed class ModbusTimeoutException : DeviceTimeoutException
{
    public ModbusTimeoutException(string device, byte unit, TimeSpan timeout, Exception? innerException = null)
        : base(device, timeout, innerException)
    {
        Unit = unit;
    }

    public byte Unit { get; }

    /// <inheritdoc />
    public override string Message => $"unit {Unit}: {base.Message}";
}

/// <summary>The port or connection of a master was lost or could not be (re-)opened during a request.</summary>
public sealed class ModbusConnectionException : DeviceConnectionException
{
    public ModbusConnectionException(string device, byte unit, string message, Exception? innerException = null)
        : base(device, $"unit {unit}: {message}", innerException)
    {
        Unit = unit;
    }

    public byte Unit { get; }
}
