using System.Globalization;
using System.Resources;
using Gateway.Service.Api;
using Gateway.Service.Domain;

namespace Gateway.Service.Console;

/// <summary>Marker of the console's string resources (<c>ConsoleStrings.resx</c>: Simplified Chinese, the default; <c>ConsoleStrings.en.resx</c>: English).</summary>
public sealed class ConsoleStrings
{
    private ConsoleStrings()
    {
    }
}

/// <summary>
/// Every word the console shows, from resources in the request's language (<see cref="ConsoleLanguage"/>).
/// A key missing in a language shows as <c>[key]</c>; a test compares the two files and the keys the pages use.
/// </summary>
public sealed class ConsoleText
{
    /// <summary>The console's resources; the neutral file is Chinese.</summary>
    public static ResourceManager Resources { get; } = new("Gateway.Service.Console.ConsoleStrings", typeof(ConsoleText).Assembly);

    public string this[string key] => Resources.GetString(key, CultureInfo.CurrentUICulture) ?? $"[{key}]";

    /// <summary>The text of <paramref name="key"/> with <paramref name="args"/> put in (composite format, current culture).</summary>
    public string Format(string key, params object?[] args) => string.Format(CultureInfo.CurrentCulture, this[key], args);

    /// <summary>A field error in the operator's language, from its code (<c>error.CODE</c>); an unknown code shows the API's English message.</summary>
    public string Field(FieldError error) =>
        Resources.GetString("error." + error.Code, CultureInfo.CurrentUICulture) is { } text
            ? string.Format(CultureInfo.CurrentCulture, text, [.. error.Args])
            : error.Message;

    /// <summary>
    /// A workflow's refusal in the operator's language: by its code when the console knows it
    /// (<c>refusal.CODE</c>), else by its kind (<c>refusal.KIND</c>, with the state named for invalid
    /// states); the refusal's own sentence follows as the detail.
    /// </summary>
    public string Refusal(Refusal refusal)
    {
        if (refusal.Code is { } code && Resources.GetString("refusal." + code, CultureInfo.CurrentUICulture) is { } coded)
        {
            return coded;
        }

        return refusal.Kind switch
        {
            // A parking agreement or payment in the wrong state says so in its own words; a card names its state.
            RefusalKind.InvalidState when refusal.State is { } state && Resources.GetString("refusal.state." + state, CultureInfo.CurrentUICulture) is { } own => own,
            RefusalKind.InvalidState when refusal.State is { } state => Format("refusal.invalid-state", State(state)),
            _ => this["refusal." + Wire.Name(refusal.Kind)],
        };
    }

    /// <summary>A card history action's name (<c>report-lost</c>, <c>issue-replacement</c>, …) in the operator's language.</summary>
    public string Action(string action) => Resources.GetString("card.action." + action, CultureInfo.CurrentUICulture) ?? action;

    /// <summary>A card state's name (wire name, e.g. <c>in-stock</c>) in the operator's language.</summary>
    public string State(string wireName) => Resources.GetString("card.state." + wireName, CultureInfo.CurrentUICulture) ?? wireName;
}
