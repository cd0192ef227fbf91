using System.Globalization;

namespace Gateway.Drivers.Channels;

/// <summary>Parity of a serial line.</summary>
public enum SerialParity
{
    None,
    Odd,
    Even,
}

/// <summary>
/// A parsed endpoint string (see docs/configuration.md):
/// <c>tcp://HOST:PORT</c> (Modbus TCP, MBAP), <c>rtu+tcp://HOST:PORT</c> (RTU frames through a
/// serial device server), <c>serial:///dev/ttyUSB0?baud=19200&amp;parity=even&amp;stop=1</c>
/// (Modbus RTU on a serial port; Windows: <c>serial://COM3?baud=9600</c>).
/// </summary>
public abstract record DeviceEndpoint
{
    /// <summary>The canonical endpoint string.</summary>
    public abstract override string ToString();

    /// <summary>Parses an endpoint string.</summary>
    /// <exception cref="FormatException">The string is not a valid endpoint; the message says why.</exception>
    public static DeviceEndpoint Parse(string text)
    {
        if (!TryParse(text, out var endpoint, out var error))
        {
            throw new FormatException(error);
        }

        return endpoint;
    }

    /// <summary>Parses an endpoint string; on failure <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DeviceEndpoint? endpoint, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "endpoint is empty (expected tcp://HOST:PORT, rtu+tcp://HOST:PORT or serial://PORT?baud=B)";
            return false;
        }

        text = text.Trim();
        if (text.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseHostPort(text, "tcp://".Length, rtu: false, out endpoint, out error);
        }

        if (text.StartsWith("rtu+tcp://", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseHostPort(text, "rtu+tcp://".Length, rtu: true, out endpoint, out error);
        }

        if (text.StartsWith("serial://", StringComparison.OrdinalIgnoreCase))
        {
            return SerialEndpoint.TryParseBody(text, text["serial://".Length..], out endpoint, out error);
        }

        error = $"'{text}' has an unknown scheme (expected tcp://, rtu+tcp:// or serial://)";
        return false;
    }

    private static bool TryParseHostPort(string text, int start, bool rtu, out DeviceEndpoint? endpoint, out string? error)
    {
        endpoint = null;
        var rest = text[start..];
        string host;
        string portText;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= rest.Length || rest[close + 1] != ':')
            {
                error = $"'{text}' is not HOST:PORT (an IPv6 host is written [::1]:502)";
                return false;
            }

            host = rest[1..close];
            portText = rest[(close + 2)..];
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            if (colon <= 0)
            {
                error = $"'{text}' has no port (expected HOST:PORT)";
                return false;
            }

            host = rest[..colon];
            portText = rest[(colon + 1)..];
        }

        if (host.Length == 0 || host.Contains('/', StringComparison.Ordinal) || host.Contains(' ', StringComparison.Ordinal))
        {
            error = $"'{text}' has an invalid host";
            return false;
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            error = $"'{text}' has an invalid port '{portText}' (0-65535)";
            return false;
        }

        endpoint = new TcpEndpoint(host, port, rtu);
        error = null;
        return true;
    }
}

/// <summary>A TCP endpoint; <see cref="RtuFraming"/> is true for <c>rtu+tcp://</c>.</summary>
public sealed record TcpEndpoint(string Host, int Port, bool RtuFraming) : DeviceEndpoint
{
    public override string ToString()
    {
        var host = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
        return string.Create(CultureInfo.InvariantCulture, $"{(RtuFraming ? "rtu+tcp" : "tcp")}://{host}:{Port}");
    }
}

/// <summary>A serial port with its line settings. Defaults follow the Modbus serial line specification (19200 8E1).</summary>
public sealed record SerialEndpoint(string PortName, int BaudRate = 19200, SerialParity Parity = SerialParity.Even, int DataBits = 8, int StopBits = 1) : DeviceEndpoint
{
    private static readonly int[] StandardBauds = [1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200, 230400, 460800, 921600];

    public override string ToString()
    {
        var parity = Parity.ToString().ToLowerInvariant();
        return string.Create(CultureInfo.InvariantCulture, $"serial://{PortName}?baud={BaudRate}&parity={parity}&stop={StopBits}&data={DataBits}");
    }

    internal static bool TryParseBody(string text, string body, out DeviceEndpoint? endpoint, out string? error)
    {
        endpoint = null;
        var question = body.IndexOf('?', StringComparison.Ordinal);
        var port = question < 0 ? body : body[..question];
        var query = question < 0 ? string.Empty : body[(question + 1)..];
        if (port.Length == 0)
        {
            error = $"'{text}' names no serial port (e.g. serial:///dev/ttyUSB0 or serial://COM3)";
            return false;
        }

        var result = new SerialEndpoint(port);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = (eq < 0 ? pair : pair[..eq]).ToLowerInvariant();
            var value = eq < 0 ? string.Empty : pair[(eq + 1)..];
            switch (key)
            {
                case "baud":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var baud) || !StandardBauds.Contains(baud))
                    {
                        error = $"'{text}': baud '{value}' is not one of {string.Join(", ", StandardBauds)}";
                        return false;
                    }

                    result = result with { BaudRate = baud };
                    break;
                case "parity":
                    SerialParity? parity = value.ToLowerInvariant() switch
                    {
                        "none" or "n" => SerialParity.None,
                        "even" or "e" => SerialParity.Even,
                        "odd" or "o" => SerialParity.Odd,
                        _ => null,
                    };
                    if (parity is null)
                    {
                        error = $"'{text}': parity '{value}' is not none, even or odd";
                        return false;
                    }

                    result = result with { Parity = parity.Value };
                    break;
                case "stop":
                    if (value is not ("1" or "2"))
                    {
                        error = $"'{text}': stop bits '{value}' is not 1 or 2";
                        return false;
                    }

                    result = result with { StopBits = value[0] - '0' };
                    break;
                case "data":
                    if (value is not ("7" or "8"))
                    {
                        error = $"'{text}': data bits '{value}' is not 7 or 8";
                        return false;
                    }

                    result = result with { DataBits = value[0] - '0' };
                    break;
                default:
                    error = $"'{text}': unknown setting '{key}' (expected baud, parity, stop, data)";
                    return false;
            }
        }

        endpoint = result;
        error = null;
        return true;
    }
}
