using Gateway.Service.Api;
using Gateway.Service.Operators;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages;

/// <summary>
/// Changing one's own password: the forced change after a one-time password or at expiry (every other
/// page leads here until it is done), and the quarterly rotation. Same workflow and limits as the API.
/// </summary>
[Authorize(Policy = GatewayPolicies.Authenticated)]
public sealed class PasswordModel : ConsolePage
{
    private static readonly Dictionary<string, string> Fields = new() { ["currentPassword"] = "currentPassword", ["newPassword"] = "newPassword" };
    private readonly SignInWorkflow _signIn;

    public PasswordModel(SignInWorkflow signIn)
    {
        _signIn = signIn;
    }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty]
    public string? CurrentPassword { get; set; }

    [BindProperty]
    public string? NewPassword { get; set; }

    [BindProperty]
    public string? ConfirmPassword { get; set; }

    /// <summary>The password must be changed before anything else.</summary>
    public bool Required => User.IsInRole(OperatorStore.PasswordChangeRequiredRole);

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var v = new Validator();
        SignInWorkflow.ValidateChange(v, CurrentPassword, NewPassword);
        if (!string.IsNullOrEmpty(NewPassword) && NewPassword != ConfirmPassword)
        {
            v.Add("confirmPassword", "does not match the new password", "password-mismatch");
        }

        if (!v.IsValid)
        {
            Show(v);
            return Page();
        }

        var outcome = await _signIn.ChangePasswordAsync(Actor, CurrentPassword!, NewPassword!, HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown", User.Token() ?? string.Empty, cancellationToken);
        if (!outcome.TryGetValue(out var expires, out var refusal))
        {
            if (refusal.Field is { } field && Fields.ContainsKey(field))
            {
                ModelState.AddModelError(field, refusal.Code == "wrong-current-password" ? Text["password.wrong-current"] : Text.Format("password.refused", refusal.Detail));
            }
            else
            {
                Show(refusal);
            }

            return Page();
        }

        Notice = Text.Format("password.changed", Date(expires));
        return GoTo(ReturnUrl);
    }
}
