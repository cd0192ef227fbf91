using System.CommandLine;
using System.Text.Json;
using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;

namespace Gateway.Cli.Commands;

/// <summary>
/// Field diagnostics straight to a card encoder, a PN532 on a serial port or a PC/SC reader
/// (<c>pcsc://READER-NAME</c>): <c>gatewayctl encoder info PORT|pcsc://READER [--json]</c>,
/// <c>gatewayctl encoder read PORT|pcsc://READER [--json]</c> and
/// <c>gatewayctl encoder keygen</c>. Reading needs the site's card master key, which gatewayctl
/// takes from <c>--key-file FILE</c>, or else from the environment variable named by <c>--key-env</c>
/// (default <c>GATEWAY_CARD_KEY</c>), in the format of docs/card-layout.md; and the site id from
/// <c>--site</c> or <c>GATEWAY_SITE_ID</c>.
/// </summary>
public static class EncoderCommand
{
    /// <summary>Exit code when the card is readable but not a valid Gateway card of this site.</summary>
    public const int NotGatewayCardExitCode = 3;

    /// <summary>The environment variable read for the key when neither option names another source.</summary>
    public const string DefaultKeyVariable = "GATEWAY_CARD_KEY";

    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(20);

    public static Command Create()
    {
        var command = new Command("encoder", "Diagnose a card encoder: a PN532 on a serial port (/dev/ttyUSB0, COM4) or a PC/SC reader (pcsc://READER-NAME)");
        command.Subcommands.Add(CreateInfo());
        command.Subcommands.Add(CreateRead());
        command.Subcommands.Add(CreateKeygen());
        return command;
    }

    private static Command CreateInfo()
    {
        var port = Port();
        var json = CommonOptions.Json();
        var command = new Command("info", "Firmware of the encoder and the card on it (UID, type)");
        command.Arguments.Add(port);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            await using var encoder = Open(parse.GetValue(port)!, "-", null);
            using var timeout = Timeout(cancellationToken);
            var info = await encoder.GetInfoAsync(timeout.Token);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    port = info.Port,
                    firmware = info.Firmware,
                    card = info.Card is null ? null : new { uid = info.Card.Uid, type = TypeName(info.Card.Type), atqa = info.Card.Atqa.ToString("X4", System.Globalization.CultureInfo.InvariantCulture), sak = info.Card.Sak.ToString("X2", System.Globalization.CultureInfo.InvariantCulture) },
                }));
            }
            else
            {
                Console.WriteLine($"encoder  {info.Port}");
                Console.WriteLine($"firmware {info.Firmware}");
                Console.WriteLine(info.Card is null ? "card     none" : $"card     {info.Card.Uid} (MIFARE Classic {TypeName(info.Card.Type).ToUpperInvariant()}, ATQA {info.Card.Atqa:X4}, SAK {info.Card.Sak:X2})");
            }

            return 0;
        }));
        return command;
    }

    private static Command CreateRead()
    {
        var port = Port();
        var json = CommonOptions.Json();
        var keyFile = new Option<string?>("--key-file") { Description = "File holding the site's card master key (docs/card-layout.md)" };
        var keyEnv = new Option<string>("--key-env") { Description = $"Environment variable holding the key when --key-file is not given (default {DefaultKeyVariable})", DefaultValueFactory = _ => DefaultKeyVariable };
        var site = new Option<string?>("--site") { Description = "This site's id (default: $GATEWAY_SITE_ID)" };
        var command = new Command("read", "Read the card on the encoder and verify it: keys, layout, MAC and site; says exactly why a card is not valid");
        command.Arguments.Add(port);
        command.Options.Add(json);
        command.Options.Add(keyFile);
        command.Options.Add(keyEnv);
        command.Options.Add(site);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            var siteId = parse.GetValue(site) ?? Environment.GetEnvironmentVariable("GATEWAY_SITE_ID");
            if (string.IsNullOrWhiteSpace(siteId))
            {
                throw new CliException("the site id is needed to verify a card: give --site or set GATEWAY_SITE_ID", 2);
            }

            SiteCardKeys keys;
            try
            {
                keys = SiteCardKeys.Load(new CardKeyOptions(parse.GetValue(keyFile), parse.GetValue(keyEnv)));
            }
            catch (CardKeyException ex)
            {
                throw new CliException(ex.Message, 2);
            }

            await using var encoder = Open(parse.GetValue(port)!, siteId, keys);
            using var timeout = Timeout(cancellationToken);
            GatewayCard card;
            try
            {
                card = await encoder.ReadAsync(timeout.Token);
            }
            catch (NotGatewayCardException ex)
            {
                if (parse.GetValue(json))
                {
                    Console.WriteLine(JsonSerializer.Serialize(new { port = encoder.Port, uid = ex.CardUid, valid = false, reason = ReasonName(ex.Reason), detail = ex.Detail }));
                    return NotGatewayCardExitCode;
                }

                throw new CliException($"{ex.Device}: {ex.Message}", NotGatewayCardExitCode);
            }

            var p = card.Payload;
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    port = encoder.Port,
                    uid = card.Card.Uid,
                    type = TypeName(card.Card.Type),
                    valid = true,
                    siteId = p.SiteId,
                    cardNumber = p.CardNumber,
                    kind = p.Kind.ToString().ToLowerInvariant(),
                    issueCounter = p.IssueCounter,
                    keyVersion = p.KeyVersion,
                }));
            }
            else
            {
                Console.WriteLine($"card {card.Card.Uid} (MIFARE Classic {TypeName(card.Card.Type).ToUpperInvariant()}): Gateway card number {p.CardNumber} of site {p.SiteId}, {p.Kind.ToString().ToLowerInvariant()}, issue {p.IssueCounter}, key version {p.KeyVersion}; MAC verified");
            }

            return 0;
        }));
        return command;
    }

    private static Command CreateKeygen()
    {
        var version = new Option<int>("--version") { Description = "Key version (1-255)", DefaultValueFactory = _ => 1 };
        var command = new Command("keygen", "Print a new random site card master key as VERSION:HEX (store it in the key file; it is shown only here)");
        command.Options.Add(version);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(() =>
        {
            var v = parse.GetValue(version);
            if (v is < 1 or > 255)
            {
                throw new CliException($"--version {v} is not a key version from 1 to 255", 2);
            }

            Console.WriteLine(SiteCardKeys.GenerateKeyText((byte)v));
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Argument<string> Port() => new("PORT") { Description = "The encoder: its serial port (/dev/ttyUSB0, COM4), or pcsc://READER-NAME for a PC/SC reader (name percent-encoded; pcsc:// alone: the only reader holding a card)" };

    private static MifareCardEncoder Open(string port, string siteId, SiteCardKeys? keys)
    {
        try
        {
            return CardEncoderFactory.Create(port, siteId, keys, new InMemoryCardWriteJournal());
        }
        catch (FormatException ex)
        {
            throw new CliException(ex.Message, 2);
        }
    }

    private static CancellationTokenSource Timeout(CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(OperationTimeout);
        return source;
    }

    private static string TypeName(MifareClassicType type) => type == MifareClassicType.Classic1K ? "1k" : "4k";

    private static string ReasonName(NotGatewayCardReason reason) => reason switch
    {
        NotGatewayCardReason.Blank => "blank",
        NotGatewayCardReason.UnknownKeys => "unknown-keys",
        NotGatewayCardReason.NotGatewayPayload => "not-gateway-payload",
        NotGatewayCardReason.UnsupportedLayout => "unsupported-layout",
        NotGatewayCardReason.UnknownKeyVersion => "unknown-key-version",
        NotGatewayCardReason.InvalidField => "invalid-field",
        NotGatewayCardReason.MacMismatch => "mac-mismatch",
        NotGatewayCardReason.OtherSite => "other-site",
        NotGatewayCardReason.Torn => "torn",
        _ => "unsupported-card",
    };
}
