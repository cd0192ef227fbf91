using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Gateway.Drivers.Channels;
using Gateway.Drivers.Modbus;
using Gateway.Drivers.Modbus.Codec;

namespace Gateway.Cli.Commands;

/// <summary>
/// Field diagnostics straight to a Modbus device:
/// <c>gatewayctl modbus read ENDPOINT --unit N --table holding|input|coils|discrete --address A --count C [--json]</c> and
/// <c>gatewayctl modbus write ENDPOINT --unit N --table holding|coils --address A --values V1,V2,...</c>.
/// Everything is validated before anything is sent; a failure is one stderr line naming the endpoint and the cause.
/// </summary>
public static class ModbusCommand
{
    /// <summary>Exit code for input refused before anything was sent (as for a command-line parse error).</summary>
    public const int UsageExitCode = 2;

    private static readonly ModbusMasterOptions MasterOptions = new() { Timeout = TimeSpan.FromSeconds(1), Retries = 1, RetryDelay = TimeSpan.FromMilliseconds(100) };

    public static Command Create()
    {
        var command = new Command("modbus", "Read or write a Modbus device directly (tcp://HOST:PORT, rtu+tcp://HOST:PORT, serial://PORT?baud=B&parity=P&stop=S)");
        command.Subcommands.Add(CreateRead());
        command.Subcommands.Add(CreateWrite());
        return command;
    }

    /// <summary>Parses and checks a read before anything is sent.</summary>
    internal static (DeviceEndpoint Endpoint, byte Unit, string Table, ushort Address, ushort Count) ValidateRead(string endpoint, int unit, string table, int address, int count)
    {
        var parsed = ParseEndpoint(endpoint);
        table = table.ToLowerInvariant();
        var max = table switch
        {
            "holding" or "input" => ModbusLimits.MaxReadRegisters,
            "coils" or "discrete" => ModbusLimits.MaxReadBits,
            _ => throw Usage($"--table '{table}' is not holding, input, coils or discrete"),
        };
        var checkedUnit = CheckUnit(parsed, unit, allowBroadcast: false);
        CheckAddress(address);
        if (count < 1 || count > max)
        {
            throw Usage($"--count {count} is outside 1-{max} for the {table} table");
        }

        if (address + count > 0x10000)
        {
            throw Usage($"--address {address} + --count {count} runs past address 65535");
        }

        return (parsed, checkedUnit, table, (ushort)address, (ushort)count);
    }

    /// <summary>Parses and checks a write before anything is sent.</summary>
    internal static (DeviceEndpoint Endpoint, byte Unit, string Table, ushort Address, ushort[] Registers, bool[] Coils) ValidateWrite(string endpoint, int unit, string table, int address, string values)
    {
        var parsed = ParseEndpoint(endpoint);
        table = table.ToLowerInvariant();
        if (table is not ("holding" or "coils"))
        {
            throw Usage($"--table '{table}' cannot be written (holding or coils)");
        }

        var checkedUnit = CheckUnit(parsed, unit, allowBroadcast: true);
        CheckAddress(address);
        var items = values.Split(',', StringSplitOptions.TrimEntries);
        if (items.Length == 0 || items.Any(string.IsNullOrEmpty))
        {
            throw Usage($"--values '{values}' is not a comma-separated list of values");
        }

        var max = table == "holding" ? ModbusLimits.MaxWriteRegisters : ModbusLimits.MaxWriteBits;
        if (items.Length > max)
        {
            throw Usage($"--values has {items.Length} values; at most {max} can be written to {table} at once");
        }

        if (address + items.Length > 0x10000)
        {
            throw Usage($"--address {address} + {items.Length} values runs past address 65535");
        }

        return table == "holding"
            ? (parsed, checkedUnit, table, (ushort)address, items.Select(ParseRegister).ToArray(), [])
            : (parsed, checkedUnit, table, (ushort)address, [], items.Select(ParseCoil).ToArray());
    }

    private static Command CreateRead()
    {
        var endpoint = new Argument<string>("ENDPOINT") { Description = "tcp://HOST:PORT, rtu+tcp://HOST:PORT or serial://PORT?baud=B&parity=P&stop=S" };
        var unit = new Option<int>("--unit") { Description = "Unit (slave) id", Required = true };
        var table = new Option<string>("--table") { Description = "holding, input, coils or discrete", Required = true };
        var address = new Option<int>("--address") { Description = "First address, 0-based (protocol address)", Required = true };
        var count = new Option<int>("--count") { Description = "How many registers (1-125) or bits (1-2000)", Required = true };
        var json = CommonOptions.Json();
        var command = new Command("read", "Read registers or bits and print them");
        command.Arguments.Add(endpoint);
        command.Options.Add(unit);
        command.Options.Add(table);
        command.Options.Add(address);
        command.Options.Add(count);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            var request = ValidateRead(parse.GetValue(endpoint)!, parse.GetValue(unit), parse.GetValue(table)!, parse.GetValue(address), parse.GetValue(count));
            await using var master = ModbusMaster.Create(request.Endpoint, MasterOptions);
            object[] values = request.Table switch
            {
                "holding" => (await master.ReadHoldingRegistersAsync(request.Unit, request.Address, request.Count, cancellationToken)).Cast<object>().ToArray(),
                "input" => (await master.ReadInputRegistersAsync(request.Unit, request.Address, request.Count, cancellationToken)).Cast<object>().ToArray(),
                "coils" => (await master.ReadCoilsAsync(request.Unit, request.Address, request.Count, cancellationToken)).Cast<object>().ToArray(),
                _ => (await master.ReadDiscreteInputsAsync(request.Unit, request.Address, request.Count, cancellationToken)).Cast<object>().ToArray(),
            };
            if (parse.GetValue(json))
            {
                Console.WriteLine(Json(request.Unit, request.Table, request.Address, values));
            }
            else
            {
                for (var i = 0; i < values.Length; i++)
                {
                    var text = values[i] is ushort r ? string.Create(CultureInfo.InvariantCulture, $"{r,5}  0x{r:X4}") : ((bool)values[i] ? "1" : "0");
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{request.Table} {request.Address + i,5}  {text}"));
                }
            }

            return 0;
        }));
        return command;
    }

    private static Command CreateWrite()
    {
        var endpoint = new Argument<string>("ENDPOINT") { Description = "tcp://HOST:PORT, rtu+tcp://HOST:PORT or serial://PORT?baud=B&parity=P&stop=S" };
        var unit = new Option<int>("--unit") { Description = "Unit (slave) id; 0 broadcasts (no reply)", Required = true };
        var table = new Option<string>("--table") { Description = "holding or coils", Required = true };
        var address = new Option<int>("--address") { Description = "First address, 0-based (protocol address)", Required = true };
        var values = new Option<string>("--values") { Description = "Comma-separated: registers 0-65535 (or 0x hex), coils 0/1/true/false/on/off", Required = true };
        var command = new Command("write", "Write registers (function 06/16) or coils (05/15)");
        command.Arguments.Add(endpoint);
        command.Options.Add(unit);
        command.Options.Add(table);
        command.Options.Add(address);
        command.Options.Add(values);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            var request = ValidateWrite(parse.GetValue(endpoint)!, parse.GetValue(unit), parse.GetValue(table)!, parse.GetValue(address), parse.GetValue(values)!);
            await using var master = ModbusMaster.Create(request.Endpoint, MasterOptions);
            int written;
            if (request.Table == "holding")
            {
                written = request.Registers.Length;
                await (written == 1
                    ? master.WriteSingleRegisterAsync(request.Unit, request.Address, request.Registers[0], cancellationToken)
                    : master.WriteMultipleRegistersAsync(request.Unit, request.Address, request.Registers, cancellationToken));
            }
            else
            {
                written = request.Coils.Length;
                await (written == 1
                    ? master.WriteSingleCoilAsync(request.Unit, request.Address, request.Coils[0], cancellationToken)
                    : master.WriteMultipleCoilsAsync(request.Unit, request.Address, request.Coils, cancellationToken));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {written} {request.Table} at {request.Address} on unit {request.Unit}{(request.Unit == 0 ? " (broadcast, no reply expected)" : string.Empty)}"));
            return 0;
        }));
        return command;
    }

    private static string Json(byte unit, string table, ushort address, object[] values)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteNumber("unit", unit);
            writer.WriteString("table", table);
            writer.WriteNumber("address", address);
            writer.WriteStartArray("values");
            foreach (var value in values)
            {
                if (value is ushort register)
                {
                    writer.WriteNumberValue(register);
                }
                else
                {
                    writer.WriteBooleanValue((bool)value);
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static DeviceEndpoint ParseEndpoint(string endpoint) =>
        DeviceEndpoint.TryParse(endpoint, out var parsed, out var error) ? parsed : throw Usage(error);

    private static byte CheckUnit(DeviceEndpoint endpoint, int unit, bool allowBroadcast)
    {
        // Serial line specification 2.2: 1-247 are slaves, 0 broadcast; Modbus TCP also knows 255.
        var max = endpoint is TcpEndpoint { RtuFraming: false } ? 255 : ModbusLimits.MaxUnit;
        var min = allowBroadcast ? 0 : 1;
        if (unit < min || unit > max)
        {
            throw Usage($"--unit {unit} is outside {min}-{max}{(allowBroadcast ? string.Empty : " (0 is broadcast, for writes only)")}");
        }

        return (byte)unit;
    }

    private static void CheckAddress(int address)
    {
        if (address is < 0 or > 65535)
        {
            throw Usage($"--address {address} is outside 0-65535");
        }
    }

    private static ushort ParseRegister(string text)
    {
        var ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ushort.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            : ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        return ok ? value : throw Usage($"register value '{text}' is not a whole number from 0 to 65535");
    }

    private static bool ParseCoil(string text) => text.ToLowerInvariant() switch
    {
        "1" or "true" or "on" => true,
        "0" or "false" or "off" => false,
        _ => throw Usage($"coil value '{text}' is not 0, 1, true, false, on or off"),
    };

    private static CliException Usage(string message) => new(message, UsageExitCode);
}
