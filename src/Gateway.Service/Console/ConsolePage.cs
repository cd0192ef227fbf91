using Gateway.Service.Api;
using Gateway.Service.Domain;
using Gateway.Service.Hosting;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gateway.Service.Console;

/// <summary>
/// What every console page shares: the operator, the words in their language, what their roles allow
/// (to hide what they may not do; the server checks again on every post), errors beside the form, the
/// notice shown after a redirect, and times and money as the site writes them.
/// </summary>
public abstract class ConsolePage : PageModel
{
    private static readonly string[] Policies = typeof(GatewayPolicies).GetFields()
        .Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!).ToArray();

    private readonly HashSet<string> _allowed = new(StringComparer.Ordinal);

    public ConsoleText Text => HttpContext.RequestServices.GetRequiredService<ConsoleText>();

    public GatewayOptions Site => HttpContext.RequestServices.GetRequiredService<GatewayOptions>();

    public Actor Actor => User.ToActor();

    /// <summary>A line shown once at the top of the next page (set before a redirect).</summary>
    [TempData]
    public string? Notice { get; set; }

    /// <summary>Errors not tied to one field (a refusal, an encoder failure), shown above the form.</summary>
    public List<string> FormErrors { get; } = [];

    /// <summary>What to do next after a failure (e.g. how to resume an issue on the encoder).</summary>
    public string? NextStep { get; set; }

    /// <summary>Whether the operator's roles satisfy <paramref name="policy"/> (the same policies as the API).</summary>
    public bool Can(string policy) => _allowed.Contains(policy);

    /// <summary>Works out, before the handler runs, which of the policies the operator satisfies (for <see cref="Can"/>).</summary>
    public override async Task OnPageHandlerExecutionAsync(Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutingContext context, Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutionDelegate next)
    {
        if (User.Identity?.IsAuthenticated == true)
        {
            var service = HttpContext.RequestServices.GetRequiredService<IAuthorizationService>();
            foreach (var policy in Policies)
            {
                if ((await service.AuthorizeAsync(User, policy)).Succeeded)
                {
                    _allowed.Add(policy);
                }
            }
        }

        await next();
    }

    /// <summary>The error of one field, in the operator's language, or null.</summary>
    public string? ErrorOf(string field) =>
        ModelState.TryGetValue(field, out var entry) && entry.Errors.Count > 0 ? entry.Errors[0].ErrorMessage : null;

    public string Time(DateTimeOffset instant) => ConsoleFormat.Time(instant, Site.SiteTimeZone);

    public string Date(DateTimeOffset instant) => ConsoleFormat.Date(instant, Site.SiteTimeZone);

    /// <summary>An instant stored as ISO 8601 UTC text (as reports carry it), in the site's zone.</summary>
    public string Time(string isoUtc) => Time(DateTimeOffset.Parse(isoUtc, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal));

    public static string Yuan(long fen) => ConsoleFormat.Yuan(fen);

    /// <summary>Puts <paramref name="v"/>'s errors beside their fields; <paramref name="fields"/> maps the rules' field names to the form's.</summary>
    protected void Show(Validator v, IReadOnlyDictionary<string, string>? fields = null)
    {
        foreach (var error in v.Errors)
        {
            var field = fields is not null && fields.TryGetValue(error.Field, out var mapped) ? mapped : error.Field;
            ModelState.AddModelError(field, Text.Field(error));
        }
    }

    /// <summary>Shows a workflow's refusal: beside its field when it names one of the form's, else above the form.</summary>
    protected void Show(Refusal refusal, IReadOnlyDictionary<string, string>? fields = null)
    {
        if (refusal.Field is { } f && fields is not null && fields.TryGetValue(f, out var field))
        {
            ModelState.AddModelError(field, Text.Refusal(refusal) + " " + refusal.Detail);
            return;
        }

        FormErrors.Add(Text.Refusal(refusal));
        FormErrors.Add(refusal.Detail);
    }

    /// <summary>The outcome of a form that carried an idempotency key and was not done: what to tell the operator.</summary>
    protected void Show(FormRun run)
    {
        switch (run.Result)
        {
            case FormRunResult.Mismatch:
                FormErrors.Add(Text["form.key-reused"]);
                break;
            case FormRunResult.StillRunning:
                FormErrors.Add(Text["form.still-running"]);
                break;
            case FormRunResult.NoKey:
                FormErrors.Add(Text["form.no-key"]);
                break;
        }
    }

    /// <summary>A printed page (a receipt, the inventory sheet) is in Chinese whatever the operator reads the console in: it is the resident's or the archive's copy.</summary>
    protected static void PrintInChinese()
    {
        var chinese = ConsoleLanguage.Culture(ConsoleLanguage.Chinese);
        System.Globalization.CultureInfo.CurrentCulture = chinese;
        System.Globalization.CultureInfo.CurrentUICulture = chinese;
    }

    /// <summary>Reads an amount in yuan (<see cref="ConsoleFormat.TryParseYuan"/>) of at most <paramref name="maxFen"/>, or null with the error on <paramref name="field"/>.</summary>
    protected static long? Yuan(Api.Validator v, string field, string? text, long maxFen)
    {
        if (!ConsoleFormat.TryParseYuan(text, out var fen) || fen > maxFen)
        {
            v.Add(field, "must be an amount in yuan", "yuan");
            return null;
        }

        return fen;
    }

    /// <summary>Redirects to a local URL (never to another site, whatever a form or query says).</summary>
    protected IActionResult GoTo(string? location, string fallback = "/") =>
        LocalRedirect(location is { Length: > 0 } l && Url.IsLocalUrl(l) ? l : fallback);
}
