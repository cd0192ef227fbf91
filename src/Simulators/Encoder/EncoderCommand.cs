using Gateway.Drivers.CardEncoders.Pn532;
using System.CommandLine;
using Gateway.Drivers;

namespace Gateway.Simulators.Encoder;

/// <summary>
/// <c>gateway-sim encoder --pty LINKPATH|--vpcd HOST:PORT [--card 1k|4k|none] [--uid HEX] [--timing on|off] [--baud N] [--pn532-processing-us N] [--reader-apdu-us N] [--control http://127.0.0.1:PORT] [--parent-pid PID]</c>:
/// a PN532 encoder on a pseudo-terminal, or a PC/SC contactless reader's card offered to pcscd's
/// vsmartcard-vpcd reader, with a blank card on it unless told otherwise.
/// </summary>
public static class EncoderCommand
{
    public static Command Create()
    {
        var pty = new Option<string?>("--pty") { Description = "Publish the simulated PN532's serial port at this path (a symlink to the pty)" };
        var vpcd = new Option<string?>("--vpcd") { Description = "Offer the card to pcscd's vsmartcard-vpcd reader at HOST:PORT (Debian: 127.0.0.1:35963 is \"Virtual PCD 00 00\", :35964 \"Virtual PCD 00 01\")" };
        var card = new Option<string>("--card") { Description = "The card on the reader at start: 1k, 4k or none", DefaultValueFactory = _ => "1k" };
        var uid = new Option<string?>("--uid") { Description = "UID of that card (4 or 7 bytes of hex; default random)" };
        var timing = new Option<string>("--timing") { Description = "Model the line rate and the card's time per command (NXP MF1S50yyX/V1 §8.2): on (default) or off", DefaultValueFactory = _ => "on" };
        var baud = new Option<int>("--baud") { Description = "The PN532's HSU line rate to model (10 bits a byte)", DefaultValueFactory = _ => EncoderTiming.DataSheet.BaudRate };
        var processing = new Option<int>("--pn532-processing-us") { Description = "The PN532's own time per command in µs (no public figure: 0 leaves it out)", DefaultValueFactory = _ => 0 };
        var readerApdu = new Option<int>("--reader-apdu-us") { Description = "A PC/SC reader's own time per APDU in µs, USB and firmware (no public figure: 0 leaves it out)", DefaultValueFactory = _ => 0 };
        var control = new Option<string?>("--control") { Description = "Serve the control API here (http://127.0.0.1:PORT, loopback only, port 0 for any)" };
        var parentPid = ParentWatch.CreateOption();
        var command = new Command("encoder", "Simulate a card encoder with MIFARE Classic cards: a PN532 on a pseudo-terminal, or a PC/SC reader through vpcd");
        command.Options.Add(pty);
        command.Options.Add(vpcd);
        command.Options.Add(card);
        command.Options.Add(uid);
        command.Options.Add(timing);
        command.Options.Add(baud);
        command.Options.Add(processing);
        command.Options.Add(readerApdu);
        command.Options.Add(control);
        command.Options.Add(parentPid);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var ptyPath = parse.GetValue(pty);
            var vpcdText = parse.GetValue(vpcd);
            if ((ptyPath is null) == (vpcdText is null))
            {
                await Console.Error.WriteLineAsync("gateway-sim: encoder: give exactly one of --pty LINKPATH (a PN532) and --vpcd HOST:PORT (a PC/SC reader's card)");
                return 2;
            }

            var timingText = parse.GetValue(timing);
            if (timingText is not ("on" or "off"))
            {
                await Console.Error.WriteLineAsync($"gateway-sim: encoder: --timing must be on or off, not '{timingText}'");
                return 2;
            }

            if (parse.GetValue(baud) is < 300 or > 1_382_400 || parse.GetValue(processing) is < 0 or > 1_000_000 || parse.GetValue(readerApdu) is < 0 or > 1_000_000)
            {
                await Console.Error.WriteLineAsync("gateway-sim: encoder: --baud must be 300-1382400, --pn532-processing-us and --reader-apdu-us 0-1000000");
                return 2;
            }

            var model = timingText == "off"
                ? EncoderTiming.Off
                : EncoderTiming.DataSheet with
                {
                    BaudRate = parse.GetValue(baud),
                    Pn532Processing = TimeSpan.FromMicroseconds(parse.GetValue(processing)),
                    ReaderApdu = TimeSpan.FromMicroseconds(parse.GetValue(readerApdu)),
                };

            (string Host, int Port)? vpcdEndpoint = null;
            if (vpcdText is not null)
            {
                if (!TryParseHostPort(vpcdText, out var host, out var port))
                {
                    await Console.Error.WriteLineAsync($"gateway-sim: encoder: --vpcd must be HOST:PORT (e.g. 127.0.0.1:35963), not '{vpcdText}'");
                    return 2;
                }

                vpcdEndpoint = (host, port);
            }
            else if (!OperatingSystem.IsLinux())
            {
                await Console.Error.WriteLineAsync("gateway-sim: encoder: pseudo-terminals are created on Linux only");
                return 2;
            }

            ParentWatch lifetime;
            try
            {
                lifetime = ParentWatch.Start(parse.GetValue(parentPid), cancellationToken);
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync($"gateway-sim: encoder: {ex.Message}");
                return 2;
            }

            await using (lifetime)
            {
                return await RunAsync(ptyPath, vpcdEndpoint, parse.GetValue(card)!, parse.GetValue(uid), model, parse.GetValue(control), lifetime.Token);
            }
        });
        return command;
    }

    private static void WarmUp()
    {
        var scratch = new Pn532Emulator();
        var card = scratch.PlaceNewCard(Gateway.Drivers.CardEncoders.Layout.MifareClassicType.Classic1K);
        byte[] ff = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        byte[][] commands = [[0x02], [0x14, 0x01, 0x17, 0x00], [0x12, 0x14], [0x32, 0x05, 0x02, 0x01, 0x01], [0x4A, 0x02, 0x00], [0x40, 0x01, 0x60, 0x07, .. ff, .. card.Uid], [0x40, 0x01, 0x30, 0x04], [0x44, 0x01], [0x54, 0x01]];
        foreach (var command in commands)
        {
            var frame = Pn532Frames.EncodeCommand(command[0], command.AsSpan(1));
            if (Pn532Frames.TryDecode(frame, out var decoded, out _) && decoded is { Kind: Pn532FrameKind.Information, Tfi: Pn532Frames.HostToPn532 })
            {
                var reply = scratch.Handle(decoded.Code, decoded.Data);
                _ = Pn532Frames.EncodeReply(decoded.Code, reply ?? []);
            }
        }
    }

    private static async Task<int> RunAsync(string? pty, (string Host, int Port)? vpcd, string card, string? uidText, EncoderTiming timing, string? controlText, CancellationToken cancellationToken)
    {
        var emulator = new Pn532Emulator { Timing = timing };
        if (!string.Equals(card, "none", StringComparison.OrdinalIgnoreCase))
        {
            if (!EncoderControlApi.TryParseType(card, out var type))
            {
                await Console.Error.WriteLineAsync($"gateway-sim: encoder: --card must be 1k, 4k or none, not '{card}'");
                return 2;
            }

            byte[]? uid = null;
            if (uidText is not null && !EncoderControlApi.TryParseUid(uidText, out uid))
            {
                await Console.Error.WriteLineAsync($"gateway-sim: encoder: --uid must be 4 or 7 bytes of hex, not '{uidText}'");
                return 2;
            }

            emulator.PlaceNewCard(type, uid);
        }

        Uri? controlUrl = null;
        if (controlText is not null && !Uri.TryCreate(controlText, UriKind.Absolute, out controlUrl))
        {
            await Console.Error.WriteLineAsync($"gateway-sim: encoder: --control '{controlText}' is not a URL");
            return 2;
        }

        // Run the frame and card code once before announcing the port, so that the first real
        // frames are not answered by code still being compiled (the client waits only ~89 ms).
        WarmUp();

        IAsyncDisposable frontEnd;
        string description;
        if (vpcd is { } endpoint)
        {
            var reader = new PcscReaderEmulator(emulator);
            frontEnd = VpcdCardConnection.Start(endpoint.Host, endpoint.Port, reader, message => Console.Error.WriteLine($"gateway-sim: encoder: {message}"));
            description = $"PC/SC reader card for vpcd at {endpoint.Host}:{endpoint.Port}";
        }
        else if (OperatingSystem.IsLinux())
        {
            try
            {
                var simulator = Pn532Simulator.Start(pty!, emulator);
                frontEnd = simulator;
                description = $"PN532 on {pty} ({simulator.PortName})";
            }
            catch (DeviceException ex)
            {
                await Console.Error.WriteLineAsync($"gateway-sim: encoder: {ex.Device}: {ex.Message}");
                return 1;
            }
        }
        else
        {
            return 2;
        }

        await using (frontEnd)
        {
            Microsoft.AspNetCore.Builder.WebApplication? app = null;
            try
            {
                if (controlUrl is not null)
                {
                    try
                    {
                        (app, var bound) = await EncoderControlApi.StartAsync(controlUrl, emulator, cancellationToken);
                        Console.WriteLine($"control {bound}");
                    }
                    catch (Exception ex) when (ex is ArgumentException or IOException)
                    {
                        await Console.Error.WriteLineAsync($"gateway-sim: encoder: {ex.Message}");
                        return 2;
                    }
                }

                var onReader = emulator.InField();
                Console.WriteLine($"encoder {description}; card {(onReader.Count == 0 ? "none" : Convert.ToHexString(onReader[0].Uid))}; {timing.Describe()}");
                Console.WriteLine("ready");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // SIGINT/SIGTERM: stop cleanly.
                }
            }
            finally
            {
                if (app is not null)
                {
                    await app.StopAsync(CancellationToken.None);
                    await app.DisposeAsync();
                }
            }
        }

        return 0;
    }

    /// <summary>Parses HOST:PORT (an IPv6 address in brackets), port 1-65535.</summary>
    public static bool TryParseHostPort(string text, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }

        host = text[..colon].Trim('[', ']');
        return host.Length > 0;
    }
}
