using System.Globalization;
using Gateway.Service.Api;
using Gateway.Service.Inventory;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Inventory;

/// <summary>
/// Finance's counting of an open month: the written register's count for every card state, the physical
/// count for the states held at the office, an explanation for every variance
/// (<see cref="InventoryWorkflow.UpdateLineAsync"/> per line that changed, the rules of <see cref="InventoryInput"/>),
/// then the sign-off (<see cref="InventoryWorkflow.SignOffAsync"/>), refused with what is still missing.
/// A signed month is read-only: this page sends it to its report.
/// </summary>
[Authorize(Policy = GatewayPolicies.Finance)]
public sealed class CountModel : ConsolePage
{
    private readonly InventoryWorkflow _inventory;

    public CountModel(InventoryWorkflow inventory)
    {
        _inventory = inventory;
    }

    public InventoryReport Report { get; private set; } = null!;

    /// <summary>What was typed per field (<c>register-STATE</c>, <c>physical-STATE</c>, <c>explanation-STATE</c>), shown again after an error.</summary>
    public Dictionary<string, string?> Typed { get; } = new(StringComparer.Ordinal);

    /// <summary>What still keeps the month from being signed, in the operator's language.</summary>
    public List<string> Missing { get; } = [];

    public async Task<IActionResult> OnGetAsync(string month, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(month, cancellationToken))
        {
            return NotFound();
        }

        return Report.State == "signed-off" ? Redirect($"/inventory/{month}") : Page();
    }

    public async Task<IActionResult> OnPostSaveAsync(string month, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(month, cancellationToken))
        {
            return NotFound();
        }

        var v = new Validator();
        var changes = new List<(string State, EnteredCounts Counts)>();
        foreach (var line in Report.Lines)
        {
            var register = Count(v, "register-" + line.State);
            var physical = line.PhysicalApplicable ? Count(v, "physical-" + line.State) : null;
            var explanation = Request.Form["explanation-" + line.State].ToString();
            Typed["explanation-" + line.State] = explanation;
            var counts = InventoryInput.Line(v, line.State, register, physical, string.IsNullOrWhiteSpace(explanation) ? null : explanation, "register-" + line.State, "physical-" + line.State, "explanation-" + line.State);
            // Only what differs from the stored line is sent: each change is one audit entry.
            var changed = new EnteredCounts(
                counts.Register is { } r && r != line.RegisterCount ? r : null,
                counts.Physical is { } p && p != line.PhysicalCount ? p : null,
                counts.Explanation is { } x && x != line.Explanation ? x : null);
            if (changed != new EnteredCounts(null, null, null))
            {
                changes.Add((line.State, changed));
            }
        }

        if (!v.IsValid)
        {
            Show(v);
            return Page();
        }

        foreach (var (state, counts) in changes)
        {
            if (!(await _inventory.UpdateLineAsync(Actor, month, state, counts, cancellationToken)).TryGetValue(out _, out var refusal))
            {
                Show(refusal);
                await LoadAsync(month, cancellationToken);
                return Page();
            }
        }

        Notice = Text.Format("inventory.saved", month, changes.Count);
        return Redirect($"/inventory/{month}/count");
    }

    public async Task<IActionResult> OnPostSignOffAsync(string month, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(month, cancellationToken))
        {
            return NotFound();
        }

        if (!(await _inventory.SignOffAsync(Actor, month, cancellationToken)).TryGetValue(out var signed, out var refusal))
        {
            if (refusal.Code == InventoryWorkflow.IncompleteCode)
            {
                FormErrors.Add(Text["inventory.incomplete"]);
            }
            else
            {
                Show(refusal);
            }

            return Page();
        }

        Notice = Text.Format("inventory.signed-done", signed.Month);
        return Redirect($"/inventory/{month}");
    }

    /// <summary>The value shown in an input: what was typed after an error, else what is stored.</summary>
    public string? Value(string field, long? stored) =>
        Typed.TryGetValue(field, out var typed) ? typed : stored?.ToString(CultureInfo.InvariantCulture);

    private long? Count(Validator v, string field)
    {
        var text = Request.Form[field].ToString().Trim();
        Typed[field] = text;
        if (text.Length == 0)
        {
            return null;
        }

        if (text.Length > 9 || !text.All(char.IsAsciiDigit))
        {
            v.Add(field, "must be a whole number", "whole-number");
            return null;
        }

        return long.Parse(text, CultureInfo.InvariantCulture);
    }

    private async Task<bool> LoadAsync(string month, CancellationToken cancellationToken)
    {
        if (month.Length != 7 || await _inventory.GetAsync(month, cancellationToken) is not { } report)
        {
            return false;
        }

        Report = report;
        Missing.Clear();
        foreach (var l in report.Lines)
        {
            if (l.RegisterCount is null)
            {
                Missing.Add(Text.Format("inventory.missing-register", Text.State(l.State)));
            }

            if (l.PhysicalApplicable && l.PhysicalCount is null)
            {
                Missing.Add(Text.Format("inventory.missing-physical", Text.State(l.State)));
            }

            if (l.NeedsExplanation && string.IsNullOrWhiteSpace(l.Explanation))
            {
                Missing.Add(Text.Format("inventory.missing-explanation", Text.State(l.State)));
            }
        }

        return true;
    }
}
