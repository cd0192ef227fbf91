using System.Globalization;
using Gateway.Service.Api;
using Gateway.Service.Controllers;
using Gateway.Service.Gates;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Gates;

/// <summary>
/// Open a lane or a door from the desk with a reason (<see cref="GateWorkflow.OpenAsync"/>, as
/// <c>POST /api/devices/{id}/lanes/{lane}/open</c>): recorded and audited by the workflow, once per form key,
/// so a double click or a reload opens once.
/// </summary>
[Authorize(Policy = GatewayPolicies.AlarmsAndGates)]
public sealed class OpenModel : ConsolePage
{
    private readonly GateWorkflow _gates;
    private readonly SyncEngine _engine;
    private readonly ConsoleForms _forms;

    public OpenModel(GateWorkflow gates, SyncEngine engine, ConsoleForms forms)
    {
        _gates = gates;
        _engine = engine;
        _forms = forms;
    }

    [BindProperty(Name = ConsoleForms.KeyField)]
    public string? IdempotencyKey { get; set; }

    [BindProperty]
    public string? Lane { get; set; }

    [BindProperty]
    public string? Reason { get; set; }

    /// <summary>The controller's id as configured.</summary>
    public string DeviceId { get; private set; } = string.Empty;

    /// <summary>The lanes (doors) the controller says it has; null until it has said.</summary>
    public IReadOnlyList<int>? Lanes { get; private set; }

    public IActionResult OnGet(string id)
    {
        if (!Find(id))
        {
            return NotFound();
        }

        IdempotencyKey = ConsoleForms.NewKey();
        Lane = (Lanes?.FirstOrDefault() ?? 1).ToString(CultureInfo.InvariantCulture);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string id, CancellationToken cancellationToken)
    {
        if (!Find(id))
        {
            return NotFound();
        }

        var v = new Validator();
        long? lane = null;
        if (long.TryParse(Lane, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            lane = v.Range("lane", number, 1, 255);
        }
        else
        {
            v.Add("lane", "must be a whole number", "whole-number");
        }

        var reason = v.Text("reason", Reason, GateWorkflow.MaxReasonLength);
        if (!v.IsValid)
        {
            Show(v);
            return Page();
        }

        var run = await _forms.OnceAsync(Actor, "gate-open", IdempotencyKey, Request.Form, async () =>
        {
            // The opening is the workflow's to finish once begun, whatever the browser does meanwhile.
            if (!(await _gates.OpenAsync(Actor, DeviceId, (int)lane!.Value, reason!, CancellationToken.None)).TryGetValue(out var opening, out var refusal))
            {
                Show(refusal, new Dictionary<string, string> { ["lane"] = "lane", ["reason"] = "reason" });
                return null;
            }

            return "/gates?controller=" + Uri.EscapeDataString(opening.ControllerId);
        }, cancellationToken);

        if (run.Result == FormRunResult.Done)
        {
            Notice = Text.Format("gates.opened", lane!.Value, DeviceId);
            return GoTo(run.Location, "/gates");
        }

        Show(run);
        return Page();
    }

    private bool Find(string id)
    {
        if (_engine.FindOpener(id) is not { } opener)
        {
            return false;
        }

        DeviceId = opener.Device.Id;
        Lanes = opener.Lanes;
        return true;
    }
}
