using Gateway.Service.Api;

namespace Gateway.Service.Operators;

/// <summary>Bearer tokens issued by <c>POST /api/login</c>: looked up by their SHA-256 hash, refused once expired or revoked.</summary>
public sealed class OperatorTokenAuthenticator : IOperatorAuthenticator
{
    private readonly OperatorStore _store;

    public OperatorTokenAuthenticator(OperatorStore store)
    {
        _store = store;
    }

    public async ValueTask<OperatorIdentity?> AuthenticateAsync(string token, CancellationToken cancellationToken) =>
        await _store.AuthenticateAsync(token, cancellationToken);
}

/// <summary>
/// Runs after authentication: an operator whose password is a one-time password or has expired may
/// only see who they are, change the password or log out; everything else answers
/// <c>403 password-change-required</c>. In the console, such an operator's pages lead to the
/// password form instead (a form post elsewhere gets the same 403 problem).
/// </summary>
public sealed class PasswordChangeGate
{
    public const string ProblemType = ProblemTypes.Prefix + "password-change-required";

    private static readonly HashSet<string> Allowed = new(StringComparer.OrdinalIgnoreCase) { "/api/me", "/api/me/password", "/api/logout" };
    private static readonly HashSet<string> ConsoleAllowed = new(StringComparer.OrdinalIgnoreCase) { "/password", "/sign-out", "/sign-in", "/language" };
    private readonly RequestDelegate _next;

    public PasswordChangeGate(RequestDelegate next)
    {
        _next = next;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value?.TrimEnd('/') ?? string.Empty;
        if (context.User.IsInRole(OperatorStore.PasswordChangeRequiredRole) && context.User.Identity?.AuthenticationType == Console.ConsoleAuth.CookieScheme)
        {
            if (ConsoleAllowed.Contains(path) || context.Request.Path.StartsWithSegments("/assets") || context.Request.Path.StartsWithSegments("/status"))
            {
                await _next(context);
                return;
            }

            if (HttpMethods.IsGet(context.Request.Method))
            {
                context.Response.Redirect("/password");
                return;
            }
        }

        if (context.User.IsInRole(OperatorStore.PasswordChangeRequiredRole) && !Allowed.Contains(path))
        {
            await ApiProblems.Problem(
                StatusCodes.Status403Forbidden,
                ProblemType,
                "Password change required",
                "this operator's password is a one-time password or has expired: change it with POST /api/me/password (gatewayctl passwd) first").ExecuteAsync(context);
            return;
        }

        await _next(context);
    }
}
