using System.Globalization;
using Gateway.Drivers.Barriers;
using Gateway.Drivers.Modbus;
using Gateway.Drivers.Uhppote;
using Gateway.Service.Site;

namespace Gateway.Service.SiteImport;

/// <summary>
/// Reads what a controller holds now, straight from the controller, for the cut-over's dry run: used only
/// while the sync engine is held (<c>Gateway:Sync:Hold</c>), so no other master talks to the controller meanwhile.
/// </summary>
internal static class ControllerReader
{
    /// <summary>
    /// The keys of every record: UIDs (hex) of a gateway-barrier controller's whitelist, or the card numbers
    /// (decimal) of a UHPPOTE board's card table (a board knows numbers, not UIDs).
    /// </summary>
    /// <exception cref="Drivers.DeviceException">The controller did not answer, or answered outside its protocol.</exception>
    public static async Task<HashSet<string>> ReadKeysAsync(DeviceOptions device, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            if (device.Board is { } board)
            {
                await using var driver = new UhppoteController(board.Endpoint, board.Serial, new UhppoteControllerOptions { Timeout = timeout, RetryInterval = timeout / 4 });
                var numbers = new HashSet<string>(StringComparer.Ordinal);
                await foreach (var card in driver.ReadCardsAsync(cancellationToken))
                {
                    numbers.Add(card.Number.ToString(CultureInfo.InvariantCulture));
                }

                return numbers;
            }

            await using var master = ModbusMaster.Create(device.ModbusEndpoint ?? throw new InvalidOperationException($"{device.Id} has no Modbus endpoint"), new ModbusMasterOptions { Timeout = timeout });
            var controller = new BarrierController(master, (byte)device.Unit, new BarrierControllerOptions { TransactionTimeout = timeout * 3 });
            await controller.IdentifyAsync(cancellationToken);
            var entries = await controller.ReadWhitelistAsync(cancellationToken);
            return [.. entries.Select(e => e.Uid.ToString())];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or TimeoutException or System.Net.Sockets.SocketException)
        {
            // A port that cannot be opened or a socket refused: the same "not readable" as a silent controller.
            throw new Drivers.DeviceException(device.Id, ex.Message, ex);
        }
    }
}
