using System.Security.Claims;
using Gateway.Service.Api;
using Gateway.Service.Operators;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Gateway.Service.Console;

/// <summary>
/// The console's sign-in session: a cookie sealed with the data-protection keys that carries the
/// operator's login token (the same token <c>POST /api/login</c> hands out, so the session expires,
/// is revoked and is limited exactly as an API token is). The cookie is checked against the operator
/// table at every request, so a disabled operator, a revoked token or an expired password takes effect
/// at once and roles are always current. API paths never accept the cookie, console paths never accept
/// a bearer token (the bootstrap token is not a way into the console).
/// </summary>
public static class ConsoleAuth
{
    /// <summary>The cookie scheme of console pages.</summary>
    public const string CookieScheme = "console";

    /// <summary>The default scheme: picks bearer for API paths and the cookie for console paths.</summary>
    public const string SelectorScheme = "gateway";

    public const string CookieName = "gateway.session";

    /// <summary>The claim holding the login token behind the session.</summary>
    public const string TokenClaim = "gateway:token";

    /// <summary>The claim holding the operator's console language.</summary>
    public const string LanguageClaim = "gateway:language";

    /// <summary>Requests that must not keep an idle session alive (the encoder's live state polls every second or two).</summary>
    public const string PollHeader = "HX-Request";

    public static void AddConsoleSessions(this IServiceCollection services)
    {
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = SelectorScheme;
                o.DefaultChallengeScheme = SelectorScheme;
                o.DefaultForbidScheme = SelectorScheme;
            })
            .AddPolicyScheme(SelectorScheme, null, o => o.ForwardDefaultSelector = context =>
                ConsolePaths.IsApi(context.Request.Path) ? BearerTokenHandler.SchemeName : CookieScheme)
            .AddCookie(CookieScheme, _ => { });
        services.AddOptions<CookieAuthenticationOptions>(CookieScheme).Configure<GatewayOptions>((o, gateway) =>
        {
            o.Cookie.Name = CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            // Secure whenever the request came over HTTPS: with TLS on, the cookie never travels in clear.
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = gateway.Console.IdleTimeout;
            o.SlidingExpiration = true;
            o.LoginPath = "/sign-in";
            o.LogoutPath = "/sign-out";
            o.AccessDeniedPath = "/denied";
            o.ReturnUrlParameter = "returnUrl";
            o.Events = new CookieAuthenticationEvents
            {
                OnValidatePrincipal = ValidateAsync,
                OnRedirectToLogin = RedirectToSignInAsync,
                OnRedirectToAccessDenied = RefuseAsync,
            };
        });
    }

    /// <summary>The principal of a session: the operator, their roles (or the password-change pseudo-role), the token and language.</summary>
    public static ClaimsPrincipal Principal(OperatorIdentity identity, string token, string? language)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, identity.OperatorId),
            new(ClaimTypes.Name, identity.DisplayName),
            new(TokenClaim, token),
        };
        claims.AddRange(identity.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
        if (language is not null)
        {
            claims.Add(new Claim(LanguageClaim, language));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieScheme));
    }

    /// <summary>The login token of the signed-in console session.</summary>
    public static string? Token(this ClaimsPrincipal user) => user.FindFirstValue(TokenClaim);

    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var token = context.Principal?.Token();
        var identity = token is null ? null : await services.GetRequiredService<OperatorStore>().AuthenticateAsync(token, context.HttpContext.RequestAborted);
        if (identity is null)
        {
            // Signed out elsewhere, token expired or revoked, operator disabled: the cookie is worth nothing now.
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme);
            return;
        }

        var language = await services.GetRequiredService<ConsolePreferences>().LanguageAsync(identity.OperatorId, context.HttpContext.RequestAborted);
        context.ReplacePrincipal(Principal(identity, token!, language));
        if (context.HttpContext.Request.Headers.ContainsKey(PollHeader))
        {
            context.ShouldRenew = false;
        }
    }

    private static Task RedirectToSignInAsync(RedirectContext<CookieAuthenticationOptions> context)
    {
        if (context.Request.Headers.ContainsKey(PollHeader))
        {
            // A poll from a page whose session ended: the whole page goes to the sign-in form.
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers["HX-Redirect"] = "/sign-in";
            return Task.CompletedTask;
        }

        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A page or form the operator's roles do not allow. A page asked for in the browser shows a page
    /// saying so; a form post (which a console the operator may use never offers) is refused with the
    /// problem the API gives: 403 forbidden.
    /// </summary>
    private static async Task RefuseAsync(RedirectContext<CookieAuthenticationOptions> context)
    {
        if (HttpMethods.IsGet(context.Request.Method) && !context.Request.Headers.ContainsKey(PollHeader))
        {
            context.Response.Redirect("/denied");
            return;
        }

        await ApiProblems.Problem(
            StatusCodes.Status403Forbidden,
            ProblemTypes.Forbidden,
            "Not allowed for your roles",
            "the operator's roles do not satisfy this page's policy").ExecuteAsync(context.HttpContext);
    }
}
