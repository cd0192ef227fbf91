using System.Globalization;
using System.Security.Claims;

namespace Gateway.Service.Console;

/// <summary>
/// The console's two languages: Simplified Chinese (<c>zh-CN</c>, the default) and English (<c>en</c>).
/// A signed-in operator's choice is kept with the operator (<see cref="ConsolePreferences"/>); before
/// sign-in the browser's last choice (a cookie) or Chinese.
/// </summary>
public static class ConsoleLanguage
{
    public const string Chinese = "zh-CN";
    public const string English = "en";
    public const string CookieName = "gateway.language";

    public static IReadOnlyList<string> All { get; } = [Chinese, English];

    public static bool IsKnown(string? code) => code is Chinese or English;

    public static CultureInfo Culture(string code) => CultureInfo.GetCultureInfo(code == English ? "en-GB" : "zh-CN");

    /// <summary>The language of this request: the operator's, else the cookie's, else Chinese.</summary>
    public static string Of(HttpContext context)
    {
        if (context.User.FindFirstValue(ConsoleAuth.LanguageClaim) is { } chosen && IsKnown(chosen))
        {
            return chosen;
        }

        return context.Request.Cookies[CookieName] is { } cookie && IsKnown(cookie) ? cookie : Chinese;
    }
}

/// <summary>Sets the culture of console requests (API requests keep the invariant conventions of JSON).</summary>
public sealed class ConsoleCultureMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!ConsolePaths.IsConsole(context.Request.Path))
        {
            return next(context);
        }

        var culture = ConsoleLanguage.Culture(ConsoleLanguage.Of(context));
        CultureInfo.CurrentCulture = culture;
        CultureInfo.CurrentUICulture = culture;
        return next(context);
    }
}

/// <summary>Which paths belong to the API (bearer tokens, problem details) and which to the console (cookie session, pages).</summary>
public static class ConsolePaths
{
    public static bool IsApi(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/health") || path.StartsWithSegments("/openapi");

    public static bool IsConsole(PathString path) => !IsApi(path);
}
