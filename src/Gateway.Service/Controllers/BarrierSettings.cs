using System.Globalization;
using Gateway.Drivers.Barriers;
using Gateway.Service.Site;

namespace Gateway.Service.Controllers;

/// <summary>
/// A barrier controller's settings from configuration: its anti-passback option and, from profile 1.2, its
/// open time. A controller with volatile storage comes back from a restart with the profile's defaults
/// (anti-passback on, open time 0), so they are checked with the clock.
/// </summary>
internal sealed class BarrierSettings(BarrierAdapter adapter, DeviceOptions device, BarrierController driver) : IControllerSettings
{
    // The controller speaks a profile without an open time: not asked again until it reconnects.
    private bool _noOpenTime;

    public async Task<IReadOnlyList<string>> ApplyAsync(CancellationToken cancellationToken)
    {
        var status = await driver.ReadStatusAsync(cancellationToken);
        var changed = new List<string>();
        if (status.AntiPassback != device.AntiPassback)
        {
            await driver.SetAntiPassbackAsync(device.AntiPassback, cancellationToken);
            changed.Add($"anti-passback {OnOff(status.AntiPassback)} (configured {OnOff(device.AntiPassback)})");
        }

        if (device.OpenSeconds is { } open && status.OpenSeconds != open && !_noOpenTime)
        {
            if (await driver.SetOpenTimeAsync(open, cancellationToken))
            {
                changed.Add(string.Create(CultureInfo.InvariantCulture, $"open time {status.OpenSeconds} s (configured {open} s)"));
            }
            else
            {
                _noOpenTime = true;
                adapter.Session.Context.Logger.LogWarning("Controller {DeviceId} speaks profile {Major}.{Minor}, which has no open time: configured {OpenSeconds} s, not set", device.Id, driver.Identity?.MajorVersion, driver.Identity?.MinorVersion, open);
            }
        }

        return changed;
    }

    public void Forget() => _noOpenTime = false;

    private static string OnOff(bool on) => on ? "on" : "off";
}
