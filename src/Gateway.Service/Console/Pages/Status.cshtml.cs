using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Console.Pages;

/// <summary>The page shown for an error status of a console request (not found, an expired form, a failure), in the operator's language.</summary>
[AllowAnonymous]
[Microsoft.AspNetCore.Mvc.IgnoreAntiforgeryToken]
public sealed class StatusModel : ConsolePage
{
    public int Code { get; private set; }

    public string Title => Text[Key + ".title"];

    public string Explanation => Text[Key + ".text"];

    private string Key => Code switch
    {
        404 => "status.404",
        400 => "status.400",
        _ => "status.other",
    };

    public void OnGet(int code) => Code = code;

    public void OnPost(int code) => Code = code;
}
