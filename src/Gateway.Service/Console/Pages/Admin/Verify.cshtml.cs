using Gateway.Service.Api;
using Gateway.Service.Audit;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Admin;

/// <summary>
/// Verify the audit chain against the key, the recorded heads and, when given, a head kept outside the site
/// (<see cref="AuditLog.VerifyAsync"/>, as <c>POST /api/audit/verify</c>): intact, or the first bad row and what happened to it.
/// </summary>
[Authorize(Policy = GatewayPolicies.Admin)]
public sealed class VerifyModel : ConsolePage
{
    private readonly AuditLog _log;

    public VerifyModel(AuditLog log)
    {
        _log = log;
    }

    [BindProperty]
    public string? LastId { get; set; }

    [BindProperty]
    public string? Mac { get; set; }

    public AuditVerification? Result { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        AuditHead? head = null;
        if (!string.IsNullOrWhiteSpace(LastId) || !string.IsNullOrWhiteSpace(Mac))
        {
            var mac = Mac?.Trim().ToLowerInvariant() ?? string.Empty;
            if (!long.TryParse(LastId?.Trim(), System.Globalization.CultureInfo.InvariantCulture, out var id) || id < 0)
            {
                ModelState.AddModelError("lastId", Text["error.whole-number"]);
            }

            if (mac.Length != 64 || !mac.All(Uri.IsHexDigit))
            {
                ModelState.AddModelError("mac", Text["error.mac"]);
            }

            if (!ModelState.IsValid)
            {
                return Page();
            }

            head = new AuditHead(id, mac);
        }

        Result = await _log.VerifyAsync(head, cancellationToken);
        return Page();
    }
}
