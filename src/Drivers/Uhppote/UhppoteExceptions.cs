using System.Globalization;

namespace Gateway.Drivers.Uhppote;

/// <summary>
/// No reply from the board within the deadline, although a reply with the right function code came
/// from another serial number: the address holds another board (the message names both serials).
/// </summary>
public sealed class UhppoteWrongControllerException : DeviceException
{
    public UhppoteWrongControllerException(string device, uint expected, uint answered, TimeSpan timeout)
        : base(device, string.Create(CultureInfo.InvariantCulture, $"no reply from controller {expected} within {timeout.TotalMilliseconds:0} ms; controller {answered} answered instead (check the serial number)"))
    {
        Expected = expected;
        Answered = answered;
    }

    public uint Expected { get; }

    public uint Answered { get; }
}

/// <summary>The board's reply matched the request but broke the protocol (an invalid date, an impossible value).</summary>
public sealed class UhppoteProtocolException : DeviceException
{
    public UhppoteProtocolException(string device, string message, Exception? innerException = null)
        : base(device, message, innerException)
    {
    }
}

/// <summary>
/// The board answered that it did not do what was asked (put-card not stored: its table is full or the
/// record invalid; set-listener refused; ...). <see cref="Operation"/> names the request.
/// </summary>
public sealed class UhppoteRefusedException : DeviceException
{
    public UhppoteRefusedException(string device, string operation, string message)
        : base(device, message)
    {
        Operation = operation;
    }

    /// <summary>The request refused, e.g. <c>put-card</c>.</summary>
    public string Operation { get; }
}
