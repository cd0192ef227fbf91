using Gateway.Service.Alarms;
using Gateway.Service.Api;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Gates;

/// <summary>Acknowledge an alarm with an optional note (<see cref="AlarmStore.AcknowledgeAsync"/>, as <c>POST /api/alarms/{id}/acknowledge</c>); acknowledging twice changes nothing.</summary>
[Authorize(Policy = GatewayPolicies.AlarmsAndGates)]
public sealed class AcknowledgeModel : ConsolePage
{
    private readonly AlarmStore _alarms;

    public AcknowledgeModel(AlarmStore alarms)
    {
        _alarms = alarms;
    }

    public AlarmView Alarm { get; private set; } = null!;

    [BindProperty]
    public string? Note { get; set; }

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        if (await _alarms.GetAsync(id, cancellationToken) is not { } alarm)
        {
            return NotFound();
        }

        Alarm = alarm;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken cancellationToken)
    {
        if (await _alarms.GetAsync(id, cancellationToken) is not { } alarm)
        {
            return NotFound();
        }

        Alarm = alarm;
        var v = new Validator();
        var note = v.Text("note", Note, 500, required: false);
        if (!v.IsValid)
        {
            Show(v);
            return Page();
        }

        if (await _alarms.AcknowledgeAsync(id, Actor, note, cancellationToken) is null)
        {
            return NotFound();
        }

        Notice = Text.Format("gates.acknowledged", id);
        return Redirect("/gates");
    }
}
