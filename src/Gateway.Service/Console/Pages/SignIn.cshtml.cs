using Gateway.Service.Api;
using Gateway.Service.Domain;
using Gateway.Service.Operators;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages;

/// <summary>Sign-in with an operator's name and password, through the same workflow and limits as <c>POST /api/login</c>.</summary>
[AllowAnonymous]
public sealed class SignInModel : ConsolePage
{
    private readonly SignInWorkflow _signIn;
    private readonly ConsolePreferences _preferences;

    public SignInModel(SignInWorkflow signIn, ConsolePreferences preferences)
    {
        _signIn = signIn;
        _preferences = preferences;
    }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty]
    public string? Username { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    public IActionResult OnGet() => User.Identity?.IsAuthenticated == true ? GoTo(ReturnUrl) : Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var v = new Validator();
        var username = SignInWorkflow.Validate(v, Username, Password);
        if (!v.IsValid)
        {
            Show(v);
            return Page();
        }

        var outcome = await _signIn.SignInAsync(username!, Password!, HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown", cancellationToken);
        if (!outcome.TryGetValue(out var signedIn, out var refusal))
        {
            FormErrors.Add(refusal.Kind == RefusalKind.Throttled
                ? Text.Format("signin.throttled", Time(refusal.Until!.Value))
                : Text["signin.refused"]);
            return Page();
        }

        var identity = new OperatorIdentity(signedIn.Operator.Id, signedIn.Operator.DisplayName, signedIn.PasswordChangeRequired ? [OperatorStore.PasswordChangeRequiredRole] : signedIn.Operator.Roles);
        var language = await _preferences.LanguageAsync(identity.OperatorId, cancellationToken);
        await HttpContext.SignInAsync(ConsoleAuth.CookieScheme, ConsoleAuth.Principal(identity, signedIn.Token, language), new AuthenticationProperties { IsPersistent = false });
        if (signedIn.PasswordChangeRequired)
        {
            return RedirectToPage("/Password", new { returnUrl = ReturnUrl });
        }

        return GoTo(ReturnUrl);
    }
}
