using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages;

/// <summary>The language switch in the page header: kept with the operator when signed in, and in a cookie for the sign-in page.</summary>
[AllowAnonymous]
public sealed class LanguageModel : ConsolePage
{
    private readonly ConsolePreferences _preferences;

    public LanguageModel(ConsolePreferences preferences)
    {
        _preferences = preferences;
    }

    public IActionResult OnGet() => GoTo(null);

    public async Task<IActionResult> OnPostAsync(string? language, string? returnUrl, CancellationToken cancellationToken)
    {
        if (!ConsoleLanguage.IsKnown(language))
        {
            return BadRequest();
        }

        Response.Cookies.Append(ConsoleLanguage.CookieName, language!, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = Request.IsHttps,
            MaxAge = TimeSpan.FromDays(365),
            IsEssential = true,
        });
        if (User.Identity?.IsAuthenticated == true)
        {
            await _preferences.SetLanguageAsync(Actor, language!, cancellationToken);
        }

        return GoTo(returnUrl);
    }
}
