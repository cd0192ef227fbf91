using Gateway.Service.Api;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Console.Pages;

/// <summary>The start page: a holder search and what the operator's roles let them do.</summary>
[Authorize(Policy = GatewayPolicies.Authenticated)]
public sealed class IndexModel : ConsolePage
{
    public void OnGet()
    {
    }
}
