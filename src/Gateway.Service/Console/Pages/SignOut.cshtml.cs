using Gateway.Service.Api;
using Gateway.Service.Operators;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages;

/// <summary>Signs out: the session's login token is revoked (as <c>POST /api/logout</c> does) and the cookie removed.</summary>
[Authorize(Policy = GatewayPolicies.Authenticated)]
public sealed class SignOutModel : ConsolePage
{
    private readonly OperatorStore _operators;

    public SignOutModel(OperatorStore operators)
    {
        _operators = operators;
    }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (User.Token() is { } token)
        {
            await _operators.LogoutAsync(Actor, token, cancellationToken);
        }

        await HttpContext.SignOutAsync(ConsoleAuth.CookieScheme);
        return RedirectToPage("/SignIn");
    }
}
