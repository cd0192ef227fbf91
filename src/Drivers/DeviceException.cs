namespace Gateway.Drivers;

/// <summary>
/// Base of the small typed family every driver throws. Carries the device (endpoint string, port
/// path or configured id) so that a log line or an operator message names the device at fault.
/// Cancellation is never reported through this family: <see cref="OperationCanceledException"/>
/// passes through untouched.
/// </summary>
public class DeviceException : Exception
{
    public DeviceException(string device, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Device = device;
    }

    /// <summary>The device at fault: an endpoint string, a port path or a configured id.</summary>
    public string Device { get; }
}

/// <summary>The device did not answer within the configured time.</summary>
public class DeviceTimeoutException : DeviceException
{
    public DeviceTimeoutException(string device, TimeSpan timeout, Exception? innerException = null)
        : base(device, $"no answer within {timeout.TotalMilliseconds:0} ms", innerException)
    {
        Timeout = timeout;
    }

    public TimeSpan Timeout { get; }
}

/// <summary>The connection or port could not be opened, or was lost (peer closed, port vanished).</summary>
public class DeviceConnectionException : DeviceException
{
    public DeviceConnectionException(string device, string message, Exception? innerException = null)
        : base(device, message, innerException)
    {
    }
}
