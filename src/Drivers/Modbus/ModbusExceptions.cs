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
}
