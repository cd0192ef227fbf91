using System.Globalization;
using Gateway.Drivers;
using Gateway.Drivers.Uhppote;
using Gateway.Service.Site;

namespace Gateway.Service.Controllers;

/// <summary>
/// A UHPPOTE board's settings from configuration (docs/uhppote.md, "Controller settings"): its anti-passback
/// mode, where its firmware offers it, the open time of each door that names one (the door's control mode
/// is left as it is), and, when a listener is configured, the address it pushes its events to (opt-in: it
/// takes the board's one listener from other software).
/// </summary>
internal sealed class BoardSettings(BoardAdapter adapter, UhppoteBoardOptions board, UhppoteController driver, BoardListener? listener) : IControllerSettings
{
    // A board that did not answer get-anti-passback (firmware without it) is not asked again until it reconnects.
    private bool _noAntiPassback;
    private bool _listenerUnbound;

    private ILogger Logger => adapter.Session.Context.Logger;

    private string Id => adapter.Session.Device.Id;

    public async Task<IReadOnlyList<string>> ApplyAsync(CancellationToken cancellationToken)
    {
        var changed = new List<string>();
        if (!_noAntiPassback)
        {
            UhppoteAntiPassback? found = null;
            try
            {
                found = await driver.GetAntiPassbackAsync(cancellationToken);
            }
            catch (DeviceTimeoutException)
            {
                // It answered get-time just before: firmware without anti-passback stays silent to the function.
                _noAntiPassback = true;
                Logger.LogWarning("Board {DeviceId} (serial {Serial}) does not answer get-anti-passback: its firmware has no anti-passback; configured {Mode}, not set", Id, board.Serial, UhppoteAntiPassbackModes.ToText(board.AntiPassback));
            }

            if (found is { } mode && mode != board.AntiPassback)
            {
                await driver.SetAntiPassbackAsync(board.AntiPassback, cancellationToken);
                changed.Add($"anti-passback {UhppoteAntiPassbackModes.ToText(mode)} (configured {UhppoteAntiPassbackModes.ToText(board.AntiPassback)})");
            }
        }

        foreach (var door in board.Doors)
        {
            if (door.OpenSeconds is not { } seconds)
            {
                continue;
            }

            var control = await driver.GetDoorControlAsync(door.Door, cancellationToken);
            if (control.OpenSeconds != seconds)
            {
                var mode = Enum.IsDefined(control.Mode) ? control.Mode : DoorControlMode.Controlled;
                await driver.SetDoorControlAsync(door.Door, mode, seconds, cancellationToken);
                changed.Add(string.Create(CultureInfo.InvariantCulture, $"door {door.Door} open time {control.OpenSeconds} s (configured {seconds} s)"));
            }
        }

        await ListenerAsync(changed, cancellationToken);
        return changed;
    }

    public void Forget() => _noAntiPassback = false;

    /// <summary>The board pushes its events to Gateway's listener when one is configured.</summary>
    private async Task ListenerAsync(List<string> changed, CancellationToken cancellationToken)
    {
        if (listener is null || _listenerUnbound)
        {
            return;
        }

        System.Net.IPEndPoint want;
        try
        {
            want = listener.Endpoint;
        }
        catch (DeviceConnectionException ex)
        {
            // Gateway's own port, not the board: the board is kept right all the same, its events collected by the walk.
            _listenerUnbound = true;
            Logger.LogError("Board {DeviceId}: {Error}; its events are collected by polling only", Id, ex.Message);
            return;
        }

        var found = await driver.GetListenerAsync(cancellationToken);
        if (!found.Endpoint.Equals(want))
        {
            await driver.SetListenerAsync(want, found.IntervalSeconds, cancellationToken);
            changed.Add($"listener {(found.IsSet ? found.Endpoint.ToString() : "none")} (configured {want})");
        }
    }
}
